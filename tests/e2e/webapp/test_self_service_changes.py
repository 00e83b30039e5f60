"""Self-service changes at /me, on SQLite and PostgreSQL: a person corrects their contact details
(AttributesUpdated, captured by self_service), and asks for erasure: carried out at once when nothing
holds it back, or recorded and listed for staff while a payment to them is still open."""

from __future__ import annotations

import json
import re

import pytest

from panel.application import PanelApp
from panel.config import StoreLocation
from panel.queries import Queries
from tests.e2e.webapp.conftest import DURING
from tests.e2e.webapp.test_apply_http import GOOD, csrf_of, post
from tests.helpers.events import events_of
from tests.helpers.proc import run_panel, store_env
from tests.helpers.store import table_rows


def me_link(outbox) -> str:  # type: ignore[no-untyped-def]
    return re.search(r"https://testserver(/me/\S+)", outbox.sent[-1].body).group(1)  # type: ignore[union-attr]


def applicant(app: PanelApp):  # type: ignore[no-untyped-def]
    (person,) = Queries(app).participants()
    return person


def test_a_person_corrects_their_contact_details(client_at, outbox, campaign_app, location: StoreLocation) -> None:  # type: ignore[no-untyped-def]
    client = client_at()
    assert post(client, GOOD).status_code == 303
    me = me_link(outbox)
    page = client.get(f"{me}/details")
    assert page.status_code == 200 and 'value="sam@example.org"' in page.text
    assert page.headers["cache-control"] == "no-store"
    token = csrf_of(page.text)
    before = table_rows(location)
    bad = client.post(f"{me}/details", data={"name": "Sam Patel", "email": "sam@", "phone": "", "csrf_token": token})
    assert bad.status_code == 400 and '<a href="#email">' in bad.text and "<title>Error: " in bad.text
    same = client.post(f"{me}/details", data={"name": "Sam Patel", "email": "sam@example.org", "csrf_token": token})
    assert same.status_code == 303 and table_rows(location) == before  # nothing changed, nothing written
    changed = client.post(f"{me}/details", data={"name": "Sam Patel", "phone": "07700 900999", "csrf_token": token})
    assert changed.status_code == 303 and changed.headers["location"] == me
    person = applicant(campaign_app)
    assert Queries(campaign_app).participant(person.id).personal.phone == "+447700900999"
    (_, topic, state) = events_of(location, person.id)[-1]
    assert topic.endswith("AttributesUpdated") and state["captured_by"] == "self_service"
    assert "07700" not in json.dumps(state)  # sealed, never in clear


def test_erasure_when_nothing_holds_it_back(client_at, outbox, campaign_app, location: StoreLocation) -> None:  # type: ignore[no-untyped-def]
    client = client_at()
    assert post(client, GOOD).status_code == 303
    me = me_link(outbox)
    page = client.get(f"{me}/erase")
    assert "Delete your details" in page.text and "We cannot delete them straight away" not in page.text
    before = table_rows(location)
    unticked = client.post(f"{me}/erase", data={"csrf_token": csrf_of(page.text)})
    assert unticked.status_code == 400 and "Tick the box to say you understand" in unticked.text
    assert table_rows(location) == before
    done = client.post(f"{me}/erase", data={"confirm": "yes", "csrf_token": csrf_of(page.text)})
    assert done.status_code == 200 and "Your details are deleted" in done.text
    details = Queries(campaign_app).participant(applicant(campaign_app).id)
    assert details.personal.erased and details.erased_at == DURING
    again = client.post(f"{me}/erase", data={"confirm": "yes", "csrf_token": csrf_of(page.text)})
    assert again.status_code == 409
    listed = run_panel("participant", "erasure-requests", "--json", env=store_env(location))
    assert listed.code == 0 and json.loads(listed.out)["requests"] == []


@pytest.mark.parametrize("views", [False, True], ids=["events", "ledger-view"])
def test_an_open_payment_holds_erasure_back_for_staff(
    client_at, outbox, campaign_app, location: StoreLocation, views: bool
) -> None:  # type: ignore[no-untyped-def]
    client = client_at(views=views)
    assert post(client, GOOD).status_code == 303
    person = applicant(campaign_app)
    claim = ["--category", "travel", "--amount", "12.40", "--receipt", "TR-1", "--by", "amy"]
    claimed = run_panel("pay", "claim-expense", person.ref, "--engagement", "vested-youth-panel", *claim,
                        env=store_env(location))  # fmt: skip
    assert claimed.code == 0, claimed.err
    me = me_link(outbox)
    page = client.get(f"{me}/erase")
    assert "We cannot delete them straight away" in page.text
    held = client.post(f"{me}/erase", data={"confirm": "yes", "csrf_token": csrf_of(page.text)})
    assert held.status_code == 200 and "We have your request" in held.text
    assert not Queries(campaign_app).participant(person.id).personal.erased
    (waiting,) = json.loads(run_panel("participant", "erasure-requests", "--json", env=store_env(location)).out)[
        "requests"
    ]
    assert waiting["participant"] == person.ref and waiting["blocked_by"][0].endswith("is accrued")
    text = run_panel("participant", "erasure-requests", env=store_env(location)).out
    assert person.ref in text and "is accrued" in text
