"""A confirmed applicant's email address through the other entry paths, on SQLite and PostgreSQL: staff entering
an application get a warning naming the participant (their page linked, the showing recorded) and must tick
"add anyway"; the partner API answers 409 naming the field ``email``, with nothing about the person and nothing
written. The rule is one function (``panel.email_index.duplicate_holder``) applied by ``Registration.register``."""

from __future__ import annotations

import json
import re
from urllib.parse import urlencode

import pytest

from panel.access import AccessLog
from panel.application import PanelApp
from panel.config import StoreLocation
from panel.email_index import DuplicateEmailError, duplicate_holder
from panel.partners import Partners
from panel.queries import Queries
from panel.staff import Staff
from panel.validation import SignUp
from tests.e2e.webapp.test_apply_http import GOOD, post
from tests.e2e.webapp.test_duplicate_email import confirm_by_link
from tests.e2e.webapp.test_partner_api import REFERRAL, send
from tests.e2e.webapp.test_staff import PASSWORD, PHONE_ENTRY, enter, sign_in
from tests.helpers.store import table_rows
from web.staff import DUPLICATE_SHOWN


def events(app: PanelApp) -> list[str]:
    return [n.topic for n in app.recorder.select_notifications(start=1, limit=100_000)]


@pytest.fixture
def confirmed(client_at, outbox, campaign_app: PanelApp):  # type: ignore[no-untyped-def]
    """An online applicant (sam@example.org) who confirmed their address; their participant id."""
    client = client_at()
    assert post(client, GOOD).status_code == 303
    confirm_by_link(client, outbox.sent[0].body)
    (person,) = Queries(campaign_app).participants()
    return person.id


@pytest.fixture
def recruiter(client_at, campaign_app: PanelApp):  # type: ignore[no-untyped-def]
    Staff(campaign_app).add("amy.khan", "recruiter", PASSWORD, by="sam.lee")
    client = client_at()
    assert sign_in(client).status_code == 303
    return client


def test_staff_are_warned_and_must_choose_to_add_anyway(recruiter, confirmed, campaign_app: PanelApp) -> None:  # type: ignore[no-untyped-def]
    ref = Queries(campaign_app).participant_ref(confirmed)
    before = events(campaign_app)
    warned = enter(recruiter, {**PHONE_ENTRY, "email": " SAM@example.ORG ", "name": "Sam Patel"})
    assert warned.status_code == 409, warned.text
    assert "<title>Error:" in warned.text
    summary = warned.text.split('class="error-summary"')[1].split("</div>")[0]
    assert re.findall(r'<a href="#([^"]+)">', summary) == ["add_anyway"]
    assert "A participant with this email address already exists" in warned.text
    assert f'<a href="/staff/participants/{ref}">{ref}</a>' in warned.text
    assert 'name="add_anyway" type="checkbox" value="yes"' in warned.text
    assert 'value=" SAM@example.ORG "' in warned.text  # what was typed is kept
    # no participant written: only the record that amy.khan was shown who holds the address
    assert [t.rsplit(".", 1)[-1] for t in events(campaign_app)[len(before) :]] == ["Recorded"]
    (shown,) = [e for e in AccessLog(campaign_app).entries(confirmed) if e.what == DUPLICATE_SHOWN]
    assert (shown.actor, shown.channel, shown.people) == ("amy.khan", "web", 1)
    assert [p.id for p in Queries(campaign_app).participants()] == [confirmed]

    again = enter(recruiter, {**PHONE_ENTRY, "email": "sam@example.org"})  # not ticked: warned again
    assert again.status_code == 409 and [p.id for p in Queries(campaign_app).participants()] == [confirmed]
    added = enter(recruiter, {**PHONE_ENTRY, "email": "sam@example.org", "add_anyway": "yes"})
    assert added.status_code == 303, added.text
    people = Queries(campaign_app).participants()
    assert len(people) == 2
    (new,) = [Queries(campaign_app).participant(p.id) for p in people if p.id != confirmed]
    assert (new.channel, new.captured_by, new.personal.email) == ("phone", "amy.khan", "sam@example.org")


def test_staff_entry_with_an_unconfirmed_or_new_address_needs_no_confirmation(  # type: ignore[no-untyped-def]
    recruiter, client_at, campaign_app: PanelApp
) -> None:
    assert post(client_at(), GOOD).status_code == 303  # applied, not confirmed: may have been a stranger's typing
    entered = enter(recruiter, PHONE_ENTRY)
    assert entered.status_code == 303, entered.text
    assert len(Queries(campaign_app).participants()) == 2


def test_a_bad_add_anyway_field_is_refused_and_writes_nothing(  # type: ignore[no-untyped-def]
    recruiter, confirmed, campaign_app: PanelApp, location: StoreLocation
) -> None:
    page = recruiter.get("/staff/apply/youth-2026")
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)  # type: ignore[union-attr]
    before = table_rows(location)
    body = [*PHONE_ENTRY.items(), ("add_anyway", "yes"), ("add_anyway", "yes"), ("csrf_token", csrf)]
    form = {"content-type": "application/x-www-form-urlencoded"}
    twice = recruiter.post("/staff/apply/youth-2026", content=urlencode(body), headers=form)
    assert twice.status_code == 400
    assert table_rows(location) == before


@pytest.fixture
def token(campaign_app: PanelApp) -> str:
    _, made = Partners(campaign_app).add("youth-link", by="sam.lee")
    return made


def test_the_partner_api_answers_409_naming_email_and_writes_nothing(  # type: ignore[no-untyped-def]
    client_at, confirmed, campaign_app: PanelApp, token: str, location: StoreLocation
) -> None:
    person = Queries(campaign_app).participant(confirmed)
    before = table_rows(location)
    answer = send(client_at(), {**REFERRAL, "email": "Sam@Example.org"}, token)
    assert answer.status_code == 409, answer.text
    error = answer.json()["error"]
    assert error["code"] == "duplicate" and error["message"]
    assert [f["field"] for f in error["fields"]] == ["email"]
    text = json.dumps(answer.json())
    for secret in (str(confirmed), person.ref, person.personal.name, person.personal.phone or "07700"):
        assert secret not in text  # nothing about the person who holds the address
    assert table_rows(location) == before
    # invalid fields come first (400, as for anyone); another address is taken (201); a retry stays 200
    assert send(client_at(), {**REFERRAL, "email": "sam@example.org", "name": "Sam\u202e"}, token).status_code == 400
    assert table_rows(location) == before
    fresh = send(client_at(), {**REFERRAL, "email": "someone.else@example.org"}, token)
    assert fresh.status_code == 201, fresh.text
    assert send(client_at(), {**REFERRAL, "email": "sam@example.org"}, token).status_code == 200  # same reference


def test_one_rule_for_every_path(campaign_app: PanelApp, confirmed) -> None:  # type: ignore[no-untyped-def]
    """``duplicate_holder`` is what each path asks; no address, or one that is not an address, is never one."""
    for email, holder in (("SAM@example.org", confirmed), ("", None), ("not an address", None), ("x@y.org", None)):
        signup = SignUp(ref="R-1", channel="phone", personal={"email": email} if email else {})
        assert duplicate_holder(campaign_app, signup) == holder
    assert DuplicateEmailError(confirmed).field == "email"
