"""An application with the email address of a confirmed applicant, on SQLite and PostgreSQL: the page is the
one a new applicant sees (a stranger learns nothing), the address gets a "you have already applied" email
with a personal /me link, and no second person is made."""

from __future__ import annotations

import re

from panel.application import PanelApp
from panel.email_index import EmailIndex
from panel.participation import Participation
from panel.queries import Queries
from tests.e2e.webapp.test_apply_http import GOOD, csrf_of, post


def confirm_by_link(client, body: str) -> None:  # type: ignore[no-untyped-def]
    token = re.search(r"https://testserver/confirm/(\S+)", body).group(1)  # type: ignore[union-attr]
    page = client.get(f"/confirm/{token}")
    assert client.post(f"/confirm/{token}", data={"csrf_token": csrf_of(page.text)}).status_code == 200


def shown(response) -> tuple[int, str, str]:  # type: ignore[no-untyped-def]
    """What the applicant's browser gets: the status, where it goes next, and the page there."""
    return response.status_code, response.headers.get("location", ""), response.text


def test_a_confirmed_address_applying_again_is_told_by_email_and_makes_no_second_person(
    client_at, outbox, campaign_app: PanelApp
) -> None:  # type: ignore[no-untyped-def]
    client = client_at()
    first = post(client, GOOD)
    confirm_by_link(client, outbox.sent[0].body)
    (person,) = Queries(campaign_app).participants()
    events_before = len(list(campaign_app.recorder.select_notifications(start=1, limit=10_000)))

    again = post(client_at(), {**GOOD, "email": "SAM@Example.org", "phone": "07700 900999", "name": "Sam P"})
    assert shown(again) == shown(first)  # same status, same next page, same (empty) body
    done_new, done_again = client.get(first.headers["location"]), client_at().get(again.headers["location"])
    assert (done_new.status_code, done_new.text) == (done_again.status_code, done_again.text)

    assert [p.id for p in Queries(campaign_app).participants()] == [person.id]  # no second person
    assert len(list(campaign_app.recorder.select_notifications(start=1, limit=10_000))) == events_before
    mail = outbox.sent[-1]
    assert (mail.kind, mail.to, mail.subject) == ("already_applied", "SAM@Example.org", "You have already applied")
    assert "/confirm/" not in mail.body
    me = re.search(r"https://testserver(/me/\S+)", mail.body).group(1)  # type: ignore[union-attr]
    page = client.get(me)
    assert page.status_code == 200 and "sam@example.org" in page.text  # the first person's own page


def test_an_address_not_yet_confirmed_applies_as_new(client_at, outbox, campaign_app: PanelApp) -> None:  # type: ignore[no-untyped-def]
    """Only a confirmed address is recognised: an unconfirmed one may have been typed by someone else."""
    assert post(client_at(), GOOD).status_code == 303
    assert post(client_at(), {**GOOD, "phone": "07700 900999"}).status_code == 303
    assert len(Queries(campaign_app).participants()) == 2
    assert [m.kind for m in outbox.sent] == ["confirm", "confirm"]


def test_erasing_the_person_forgets_their_address(client_at, outbox, campaign_app: PanelApp) -> None:  # type: ignore[no-untyped-def]
    client = client_at()
    post(client, GOOD)
    confirm_by_link(client, outbox.sent[0].body)
    (person,) = Queries(campaign_app).participants()
    index = EmailIndex(campaign_app)
    assert index.confirmed_owner("sam@example.org") == person.id
    Participation(campaign_app).erase(person.id, reason="asked")
    assert campaign_app.keys.setting(f"email:{index.digest('sam@example.org')}") is None
    assert post(client_at(), GOOD).status_code == 303  # a new application now makes a new person
    assert len(Queries(campaign_app).participants()) == 2
