"""Changing the email address at /me, on SQLite and PostgreSQL: the new address is used only once it is
confirmed through the signed link sent to it; until then the old one stays, for contact and pools."""

from __future__ import annotations

import re
from datetime import timedelta

from panel.application import PanelApp
from panel.config import StoreLocation
from panel.email_index import EmailIndex
from panel.links import make_token, store_secret
from panel.participation import Participation
from panel.queries import Queries
from tests.e2e.webapp.conftest import DURING
from tests.e2e.webapp.test_apply_http import GOOD, csrf_of, post
from tests.e2e.webapp.test_double_opt_in import standing
from tests.e2e.webapp.test_duplicate_email import confirm_by_link
from tests.helpers.events import events_of
from tests.helpers.store import table_rows

NEW = "new.address@example.org"


def confirmed_applicant(client, outbox, app: PanelApp):  # type: ignore[no-untyped-def]
    """Apply, confirm, and return (the person, their /me path)."""
    post(client, GOOD)
    body = outbox.sent[-1].body
    confirm_by_link(client, body)
    (person,) = Queries(app).participants()
    return person, re.search(r"https://testserver(/me/\S+)", body).group(1)  # type: ignore[union-attr]


def change(client, me: str, **fields: str):  # type: ignore[no-untyped-def]
    page = client.get(f"{me}/details")
    return client.post(f"{me}/details", data={"name": "Sam Patel", **fields, "csrf_token": csrf_of(page.text)})


def email_of(app: PanelApp, pid) -> str | None:  # type: ignore[no-untyped-def]
    return Queries(app).participant(pid).personal.email


def test_a_new_address_takes_effect_only_through_the_link_sent_to_it(
    client_at, outbox, campaign_app: PanelApp, location: StoreLocation
) -> None:  # type: ignore[no-untyped-def]
    client = client_at()
    person, me = confirmed_applicant(client, outbox, campaign_app)
    events = len(events_of(location, person.id))
    asked = change(client, me, email=NEW, phone="07700 900999")
    assert asked.status_code == 200 and "<title>Check your new email address" in asked.text
    assert email_of(campaign_app, person.id) == "sam@example.org"  # the old address stays
    assert Queries(campaign_app).participant(person.id).personal.phone == "+447700900999"  # other fields at once
    assert len(events_of(location, person.id)) == events + 1
    assert standing(campaign_app) == {"+447700900999": None}  # still confirmed, still in the pool
    mail = outbox.sent[-1]
    assert (mail.to, mail.kind, mail.subject) == (NEW, "new_email", "Confirm your new email address")
    assert "sam@example.org" not in mail.body
    link = re.search(r"https://testserver(/email/\S+)", mail.body).group(1)  # type: ignore[union-attr]

    before = table_rows(location)
    page = client.get(link)  # opening the link changes nothing (mail scanners open links)
    assert page.status_code == 200 and "Use this email address" in page.text
    assert table_rows(location) == before and email_of(campaign_app, person.id) == "sam@example.org"
    done = client.post(link, data={"csrf_token": csrf_of(page.text)})
    assert done.status_code == 200 and "Your email address is changed" in done.text
    assert email_of(campaign_app, person.id) == NEW
    (_, topic, state) = events_of(location, person.id)[-1]
    assert topic.endswith("AttributesUpdated") and state["captured_by"] == "self_service"
    assert NEW not in str(state)
    index = EmailIndex(campaign_app)
    assert index.confirmed_owner(NEW) == person.id and index.owner("sam@example.org") is None

    after = table_rows(location)
    again = client.post(link, data={"csrf_token": csrf_of(page.text)})  # a replayed link
    assert again.status_code == 200 and "already been used" in again.text and table_rows(location) == after


def test_a_bad_new_address_is_shown_next_to_the_field_and_nothing_is_kept(
    client_at, outbox, campaign_app: PanelApp, location: StoreLocation
) -> None:  # type: ignore[no-untyped-def]
    client = client_at()
    _, me = confirmed_applicant(client, outbox, campaign_app)
    page = client.get(f"{me}/details")  # showing the page records one access (docs/audit.md); the post nothing
    before, sent = table_rows(location), len(outbox.sent)
    form = {"name": "Sam Patel", "email": "new@", "phone": "07700 900999", "csrf_token": csrf_of(page.text)}
    bad = client.post(f"{me}/details", data=form)
    assert bad.status_code == 400 and '<a href="#email">' in bad.text
    assert table_rows(location) == before and len(outbox.sent) == sent  # the phone is not changed either


def test_a_tampered_or_expired_change_link_changes_nothing(
    client_at, outbox, campaign_app: PanelApp, location: StoreLocation
) -> None:  # type: ignore[no-untyped-def]
    client = client_at()
    person, me = confirmed_applicant(client, outbox, campaign_app)
    change(client, me, email=NEW)
    link = re.search(r"https://testserver(/email/\S+)", outbox.sent[-1].body).group(1)  # type: ignore[union-attr]
    csrf = csrf_of(client.get(link).text)
    before = table_rows(location)
    assert client.post(link[:-2] + "xx", data={"csrf_token": csrf}).status_code == 400
    assert client.post(link.replace("/email/new_email.", "/email/me."), data={"csrf_token": csrf}).status_code == 400
    late = client_at(DURING + timedelta(days=8))
    assert late.get(link).status_code == 410
    assert client.post(link, data={}).status_code == 403  # no CSRF token
    assert table_rows(location) == before and email_of(campaign_app, person.id) == "sam@example.org"


def test_erasure_before_the_link_is_used_leaves_nothing_to_confirm(
    client_at, outbox, campaign_app: PanelApp, location: StoreLocation
) -> None:  # type: ignore[no-untyped-def]
    client = client_at()
    person, me = confirmed_applicant(client, outbox, campaign_app)
    change(client, me, email=NEW)
    link = re.search(r"https://testserver(/email/\S+)", outbox.sent[-1].body).group(1)  # type: ignore[union-attr]
    settings = table_rows(location)["panel_settings"]
    Participation(campaign_app).erase(person.id, reason="asked")
    assert table_rows(location)["panel_settings"] == settings - 2  # the index row and the waiting change went
    page = client.get(link)
    assert page.status_code == 200 and "already been used" in page.text


def keep_link(message) -> str:  # type: ignore[no-untyped-def]
    return re.search(r"https://testserver(/keep-email/\S+)", message.body).group(1)  # type: ignore[union-attr]


def test_the_old_address_is_told_and_can_stop_the_change(
    client_at, outbox, campaign_app: PanelApp, location: StoreLocation
) -> None:  # type: ignore[no-untyped-def]
    client = client_at()
    person, me = confirmed_applicant(client, outbox, campaign_app)
    sent = len(outbox.sent)
    change(client, me, email=NEW)
    told, asked = outbox.sent[sent:]
    assert (told.to, told.kind, told.subject) == ("sam@example.org", "email_change_asked",
                                                  "Someone asked to change your email address")  # fmt: skip
    assert (asked.to, asked.kind) == (NEW, "new_email")
    assert "n***@example.org" in told.body and NEW not in told.body  # the new address masked
    assert "On 5 March 2026," in told.body and "Phone: 0113 496 0000" in told.body  # the campaign's number
    assert "/me/" not in told.body and "/email/" not in told.body  # no way into their details, nor to confirm
    keep = keep_link(told)
    confirm = re.search(r"https://testserver(/email/\S+)", asked.body).group(1)  # type: ignore[union-attr]
    assert "/keep-email/" not in asked.body

    before, events = table_rows(location), len(events_of(location, person.id))
    page = client.get(keep)  # opening the link changes nothing (mail scanners open links)
    assert page.status_code == 200 and "<title>Stop the change of email address" in page.text
    assert "no-store" in page.headers["cache-control"] and table_rows(location) == before
    csrf = csrf_of(page.text)
    stopped = client.post(keep, data={"csrf_token": csrf})
    assert stopped.status_code == 200 and "The change is stopped" in stopped.text
    after = table_rows(location)
    assert after == {**before, "panel_settings": before["panel_settings"] - 1}  # the waiting change went
    assert len(events_of(location, person.id)) == events  # nothing recorded: nothing about them changed

    late = client.get(confirm)  # the new address's link now has nothing to confirm
    assert late.status_code == 200 and "already been used" in late.text
    assert "already been used" in client.post(confirm, data={"csrf_token": csrf}).text
    again = client.post(keep, data={"csrf_token": csrf})  # a replayed stop link
    assert again.status_code == 200 and "already been made or stopped" in again.text
    assert table_rows(location) == after and email_of(campaign_app, person.id) == "sam@example.org"
    assert EmailIndex(campaign_app).confirmed_owner("sam@example.org") == person.id


def test_a_stop_link_cannot_undo_a_change_already_made_nor_confirm_one(
    client_at, outbox, campaign_app: PanelApp, location: StoreLocation
) -> None:  # type: ignore[no-untyped-def]
    client = client_at()
    person, me = confirmed_applicant(client, outbox, campaign_app)
    change(client, me, email=NEW)
    keep = keep_link(outbox.sent[-2])
    confirm = re.search(r"https://testserver(/email/\S+)", outbox.sent[-1].body).group(1)  # type: ignore[union-attr]
    csrf = csrf_of(client.get(keep).text)
    before = table_rows(location)
    # each link is for its own page: the old address's link cannot make the change, the new one's cannot stop it
    assert client.post(keep.replace("/keep-email/", "/email/"), data={"csrf_token": csrf}).status_code == 400
    assert client.post(confirm.replace("/email/", "/keep-email/"), data={"csrf_token": csrf}).status_code == 400
    assert client.post(keep[:-2] + "xx", data={"csrf_token": csrf}).status_code == 400  # tampered
    assert client.post(keep, data={}).status_code == 403  # no CSRF token
    assert client_at(DURING + timedelta(days=8)).get(keep).status_code == 410  # expired
    assert table_rows(location) == before
    client.post(confirm, data={"csrf_token": csrf})
    assert email_of(campaign_app, person.id) == NEW
    made = table_rows(location)
    page = client.get(keep)
    assert "already been made or stopped" in page.text and "<button" not in page.text.split("</header>")[-1]
    assert "already been made or stopped" in client.post(keep, data={"csrf_token": csrf}).text
    assert table_rows(location) == made and email_of(campaign_app, person.id) == NEW


def test_a_change_counts_against_each_address_it_mails_and_over_the_limit_nothing_happens(
    client_at, outbox, campaign_app: PanelApp, location: StoreLocation
) -> None:  # type: ignore[no-untyped-def]
    client = client_at(env={"PANEL_WEB_MIN_FILL_SECONDS": "0", "PANEL_WEB_LIMIT_PER_EMAIL": "3"})
    person, me = confirmed_applicant(client, outbox, campaign_app)  # sam@example.org: 1 of 3 today
    assert change(client, me, email=NEW).status_code == 200  # sam: 2; new: 1
    assert change(client, me, email="other@example.org").status_code == 200  # sam: 3; other: 1
    page = client.get(f"{me}/details")
    before, counts, sent = table_rows(location), table_rows(location, counts=True), len(outbox.sent)
    form = {
        "name": "Sam Patel",
        "email": "third@example.org",
        "phone": "07700 900111",
        "csrf_token": csrf_of(page.text),
    }
    refused = client.post(f"{me}/details", data=form)
    assert refused.status_code == 429 and int(refused.headers["Retry-After"]) > 0
    assert "Too many changes of email address" in refused.text
    assert table_rows(location, counts=True) == counts and table_rows(location) == before  # not even the phone
    assert len(outbox.sent) == sent and Queries(campaign_app).participant(person.id).personal.phone == "+447700900123"
    nearly = client_at(DURING + timedelta(days=1, seconds=1), env={"PANEL_WEB_LIMIT_PER_EMAIL": "3",
                                                                   "PANEL_WEB_MIN_FILL_SECONDS": "0"})  # fmt: skip
    assert change(nearly, me, email="third@example.org").status_code == 200  # a day later it goes
    assert outbox.sent[-2].to == "sam@example.org" and outbox.sent[-1].to == "third@example.org"


def test_someone_who_gave_no_email_address_gets_only_the_new_address_link(
    client_at, outbox, campaign_app: PanelApp
) -> None:  # type: ignore[no-untyped-def]
    client = client_at()
    assert post(client, {**GOOD, "email": ""}).status_code == 303
    assert outbox.sent == []  # no address, no email
    (person,) = Queries(campaign_app).participants()
    token = make_token(store_secret(campaign_app.keys), "me", person.id, DURING + timedelta(days=1))
    assert change(client, f"/me/{token}", email=NEW).status_code == 200
    assert [(m.to, m.kind) for m in outbox.sent] == [(NEW, "new_email")]
