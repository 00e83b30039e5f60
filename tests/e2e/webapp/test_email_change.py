"""Changing the email address at /me, on SQLite and PostgreSQL: the new address is used only once it is
confirmed through the signed link sent to it; until then the old one stays, for contact and pools."""

from __future__ import annotations

import re
from datetime import timedelta

from panel.application import PanelApp
from panel.config import StoreLocation
from panel.email_index import EmailIndex
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
