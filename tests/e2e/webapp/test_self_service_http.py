"""Double opt-in and self-service through the signed links in the confirmation email, on both stores.

Following the confirmation link records EmailConfirmed once; /me shows what we hold and withdraws
a consent (channel self_service). Tampered, expired, replayed or misused links write nothing.
"""

from __future__ import annotations

import re
from datetime import timedelta

from panel.application import PanelApp
from panel.config import StoreLocation
from panel.confirmations import Confirmations
from panel.links import make_token
from panel.outbox import MemoryOutbox
from panel.queries import Queries
from tests.e2e.webapp.conftest import DURING
from tests.e2e.webapp.test_apply_http import GOOD, csrf_of, post
from tests.helpers.store import table_rows


def links(outbox: MemoryOutbox) -> tuple[str, str]:
    (message,) = outbox.sent
    found = dict(re.findall(r"https://testserver/(confirm|me)/(\S+)", message.body))
    return found["confirm"], found["me"]


def applicant(app: PanelApp):  # type: ignore[no-untyped-def]
    (person,) = [p for p in Queries(app).participants() if p.ref.startswith("APP-")]
    return person


def test_an_applicant_confirms_their_email_once(client_at, outbox, campaign_app, location: StoreLocation) -> None:  # type: ignore[no-untyped-def]
    client = client_at()
    assert post(client, GOOD).status_code == 303
    (message,) = outbox.sent
    assert message.to == "sam@example.org" and message.kind == "confirm"
    assert "Vested youth panel" in message.body
    confirm, _ = links(outbox)
    pid = applicant(campaign_app).id
    before = table_rows(location)
    page = client.get(f"/confirm/{confirm}")  # opening the link (a mail scanner does too) changes nothing
    assert page.status_code == 200 and "Confirm my email address" in page.text
    assert page.headers["cache-control"] == "no-store"
    assert table_rows(location) == before and Confirmations(campaign_app).confirmed_at(pid) is None
    done = client.post(f"/confirm/{confirm}", data={"csrf_token": csrf_of(page.text)})
    assert done.status_code == 200 and "Your email address is confirmed" in done.text
    assert Confirmations(campaign_app).confirmed_at(pid) == DURING
    after = table_rows(location)
    replay = client.post(f"/confirm/{confirm}", data={"csrf_token": csrf_of(page.text)})
    assert replay.status_code == 200 and "already confirmed" in replay.text
    assert "already confirmed" in client.get(f"/confirm/{confirm}").text
    assert table_rows(location) == after


def test_no_email_no_message(client_at, outbox) -> None:  # type: ignore[no-untyped-def]
    assert post(client_at(), {**GOOD, "email": ""}).status_code == 303
    assert outbox.sent == []


def test_bad_links_are_refused_and_write_nothing(client_at, outbox, campaign_app, location: StoreLocation) -> None:  # type: ignore[no-untyped-def]
    client = client_at()
    post(client, GOOD)
    confirm, me = links(outbox)
    csrf = csrf_of(client.get(f"/confirm/{confirm}").text)
    before = table_rows(location)
    kind, pid, expires, signature = confirm.split(".")
    flipped = signature[:-1] + ("A" if signature[-1] != "A" else "B")
    other = make_token(b"x" * 32, "confirm", applicant(campaign_app).id, DURING + timedelta(days=1))
    refused = {
        "tampered signature": (f"/confirm/{kind}.{pid}.{expires}.{flipped}", 400),
        "longer life": (f"/confirm/{kind}.{pid}.{int(expires) + 86400}.{signature}", 400),
        "another person": (f"/confirm/{kind}.{'0' * 32}.{expires}.{signature}", 400),
        "another store's key": (f"/confirm/{other}", 400),
        "the /me link used to confirm": (f"/confirm/{me}", 400),
        "cut short": (f"/confirm/{kind}.{pid}", 400),
        "huge": (f"/confirm/{'a' * 5000}", 400),
    }
    for what, (path, status) in refused.items():
        assert client.get(path).status_code == status, what
        assert client.post(path, data={"csrf_token": csrf}).status_code == status, what
    late = client_at(DURING + timedelta(days=7, seconds=1))
    late.cookies = client.cookies
    assert late.get(f"/confirm/{confirm}").status_code == 410
    expired = late.post(f"/confirm/{confirm}", data={"csrf_token": csrf})
    assert expired.status_code == 410 and "This link has expired" in expired.text
    assert client.post(f"/confirm/{confirm}", data={}).status_code == 403  # no CSRF token
    assert client.post(f"/me/{me}/withdraw", data={"purpose": "contact"}).status_code == 403
    assert client.post(f"/me/{confirm}/withdraw", data={"purpose": "contact", "csrf_token": csrf}).status_code == 400
    unknown = client.post(f"/me/{me}/withdraw", data={"purpose": "everything", "csrf_token": csrf})
    assert unknown.status_code == 400
    assert table_rows(location) == before


def test_an_applicant_sees_their_data_and_withdraws_a_consent(client_at, outbox, campaign_app) -> None:  # type: ignore[no-untyped-def]
    client = client_at()
    post(client, GOOD)
    _, me = links(outbox)
    page = client.get(f"/me/{me}")
    assert page.status_code == 200 and page.headers["cache-control"] == "no-store"
    for shown in ("Sam Patel", "sam@example.org", "+447700900123", "LS6 1AA", "genderqueer", "Prefer not to say"):
        assert shown in page.text, shown
    assert page.text.count("Take back") == 2 and "Privacy notice v3" in page.text
    gone = client.post(f"/me/{me}/withdraw", data={"purpose": "contact", "csrf_token": csrf_of(page.text)})
    assert gone.status_code == 303 and gone.headers["location"] == f"/me/{me}"
    pid = applicant(campaign_app).id
    contact = [c for c in Queries(campaign_app).consent_history(pid) if c.purpose == "contact"]
    assert [(c.withdrawn_at, c.withdrawn_by) for c in contact] == [(DURING, "self_service")]
    assert Queries(campaign_app).participant(pid).active_consents(DURING) == ["panel_membership"]
    again = client.post(f"/me/{me}/withdraw", data={"purpose": "contact", "csrf_token": csrf_of(page.text)})
    assert again.status_code == 409
    assert "You took this back on 5 March 2026" in client.get(f"/me/{me}").text
