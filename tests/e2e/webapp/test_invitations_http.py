"""Invitation emails and their accept/decline links, and session reminders, on SQLite and PostgreSQL.

An invitation is emailed once, only to people who hold contact consent and gave an email address; the
link's page writes nothing until a button is pressed; the answer is recorded with channel self_service;
a second answer, a tampered, expired or misused link and a missing CSRF token write nothing.
Reminders go once per (session, days before), never to anyone without contact consent.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from uuid import UUID

import pytest

from panel.application import PanelApp
from panel.config import StoreLocation
from panel.domain.participant import Participant
from panel.invitations import Invitations
from panel.links import make_token, store_secret
from panel.outbox import MemoryOutbox
from panel.participation import Participation
from panel.registration import Registration
from panel.validation import ConsentSpec, SignUp
from tests.e2e.webapp.test_apply_http import csrf_of
from tests.helpers.store import table_rows
from web.site import load_copy

INVITED = datetime(2026, 3, 10, 9, tzinfo=UTC)
SENT = datetime(2026, 3, 10, 10, tzinfo=UTC)
ANSWERED = datetime(2026, 3, 12, 18, tzinfo=UTC)
SESSION = "Thursday 2 April 2026"  # the example engagement's only session
BASE = "https://testserver"
WORDS = load_copy()["email"]


def person(app: PanelApp, ref: str, email: str | None, at: datetime = INVITED - timedelta(days=30)) -> UUID:
    personal = {"name": f"Person {ref}", **({"email": email} if email else {"phone": "07700 900123"})}
    consents = (
        ConsentSpec("contact", "v3", "online", "self", at),
        ConsentSpec("panel_membership", "v3", "online", "self", at),
    )
    return Registration(app).register(SignUp(ref=ref, channel="online", personal=personal, consents=consents, at=at))


@pytest.fixture
def invited(campaign_app: PanelApp) -> dict[str, UUID]:
    app = campaign_app
    ids = {"A": person(app, "INV-A", "ann@example.org"), "B": person(app, "INV-B", None),
           "C": person(app, "INV-C", "cy@example.org"), "D": person(app, "INV-D", "dee@example.org")}  # fmt: skip
    eid = app.resolve_engagement("vested-youth-panel")
    Participation(app).invite(eid, list(ids.values()), at=INVITED)
    Participation(app).withdraw_consent(ids["C"], "contact", "self_service", INVITED + timedelta(minutes=5))
    return ids


def send(app: PanelApp, outbox: MemoryOutbox, at: datetime = SENT):  # type: ignore[no-untyped-def]
    key = store_secret(app.keys, "web_signing")
    eid = app.resolve_engagement("vested-youth-panel")
    return Invitations(app).send(eid, outbox, WORDS, key=key, base_url=BASE, at=at)


def links_to(outbox: MemoryOutbox, address: str) -> dict[str, str]:
    (message,) = [m for m in outbox.sent if m.to == address and m.kind == "invitation"]
    return dict(re.findall(rf"{BASE}/invitation/((accept|decline)\.\S+)", message.body)[i][::-1] for i in range(2))


def answers(app: PanelApp, pid: UUID) -> list[tuple[str, str | None]]:
    kinds = (Participant.InvitationAccepted, Participant.InvitationDeclined)
    return [(type(e).__name__, e.channel) for e in app.events.get(pid) if isinstance(e, kinds)]  # type: ignore[attr-defined]


def test_invitations_are_emailed_once_to_those_who_can_be(campaign_app, invited, outbox) -> None:  # type: ignore[no-untyped-def]
    run = send(campaign_app, outbox)
    assert sorted(run.sent) == [("INV-A", "invitation"), ("INV-D", "invitation")]
    assert run.skipped == {"no email address": ["INV-B"], "no contact consent": ["INV-C"]}
    message = next(m for m in outbox.sent if m.to == "ann@example.org")
    assert message.subject == "You are invited: Vested youth panel"
    for shown in ("Vested youth panel", "Shape youth services", SESSION, "until the end of Wednesday 1 April 2026"):
        assert shown in message.body, shown
    assert "Person INV-A" not in message.body and "INV-A" not in message.body
    assert set(links_to(outbox, "ann@example.org")) == {"accept", "decline"}
    again = send(campaign_app, outbox, SENT + timedelta(hours=1))
    assert again.sent == [] and again.skipped["already emailed"] == ["INV-A", "INV-D"]
    assert len(outbox.sent) == 2
    status = {
        p.ref: (p.status, p.emailed_at)
        for p in Invitations(campaign_app).status(campaign_app.resolve_engagement("vested-youth-panel"))
    }
    assert status["INV-A"] == ("invited", SENT) and status["INV-B"] == ("invited", None)


def test_accepting_through_the_link(client_at, campaign_app, invited, outbox, location: StoreLocation) -> None:  # type: ignore[no-untyped-def]
    send(campaign_app, outbox)
    accept = links_to(outbox, "ann@example.org")["accept"]
    client = client_at(ANSWERED)
    before = table_rows(location)
    page = client.get(f"/invitation/{accept}")  # opening the link (a mail scanner does too) changes nothing
    assert page.status_code == 200 and page.headers["cache-control"] == "no-store"
    for shown in ("You are invited: Vested youth panel", "Shape youth services", SESSION, "Yes, I can take part",
                  "No, I cannot take part"):  # fmt: skip
        assert shown in page.text, shown
    assert "ann@example.org" not in page.text
    assert table_rows(location) == before
    done = client.post(f"/invitation/{accept}", data={"csrf_token": csrf_of(page.text), "answer": "accept"})
    assert done.status_code == 303 and done.headers["location"] == f"/invitation/{accept}"
    assert answers(campaign_app, invited["A"]) == [("InvitationAccepted", "self_service")]
    assert "You said yes" in client.get(f"/invitation/{accept}").text
    after = table_rows(location)
    for answer in ("accept", "decline"):  # a second answer, by either button: nothing written
        twice = client.post(f"/invitation/{accept}", data={"csrf_token": csrf_of(page.text), "answer": answer})
        assert twice.status_code == 409 and "You have already answered" in twice.text
    assert table_rows(location) == after


def test_declining_through_the_link(client_at, campaign_app, invited, outbox) -> None:  # type: ignore[no-untyped-def]
    send(campaign_app, outbox)
    decline = links_to(outbox, "dee@example.org")["decline"]
    client = client_at(ANSWERED)
    page = client.get(f"/invitation/{decline}")
    assert page.text.index('value="decline"') < page.text.index('value="accept"')  # the link's answer comes first
    done = client.post(f"/invitation/{decline}", data={"csrf_token": csrf_of(page.text), "answer": "decline"})
    assert done.status_code == 303
    assert answers(campaign_app, invited["D"]) == [("InvitationDeclined", "self_service")]
    assert "You said no" in client.get(f"/invitation/{decline}").text


def test_bad_links_and_posts_write_nothing(client_at, campaign_app, invited, outbox, location: StoreLocation) -> None:  # type: ignore[no-untyped-def]
    send(campaign_app, outbox)
    accept = links_to(outbox, "ann@example.org")["accept"]
    client = client_at(ANSWERED)
    csrf = csrf_of(client.get(f"/invitation/{accept}").text)
    kind, subject, expires, signature = accept.split(".")
    flipped = signature[:-1] + ("A" if signature[-1] != "A" else "B")
    key = store_secret(campaign_app.keys, "web_signing")
    never_sent = make_token(key, "accept", UUID(int=7), ANSWERED + timedelta(days=1))
    me = make_token(key, "me", invited["A"], ANSWERED + timedelta(days=1))
    before = table_rows(location)
    refused = {
        "tampered signature": f"/invitation/{kind}.{subject}.{expires}.{flipped}",
        "longer life": f"/invitation/{kind}.{subject}.{int(expires) + 86400}.{signature}",
        "accept made decline": f"/invitation/decline.{subject}.{expires}.{signature}",
        "another invitation": f"/invitation/{kind}.{'0' * 32}.{expires}.{signature}",
        "an invitation never sent": f"/invitation/{never_sent}",
        "a /me link": f"/invitation/{me}",
        "cut short": f"/invitation/{kind}.{subject}",
        "huge": f"/invitation/{'a' * 5000}",
    }
    for what, path in refused.items():
        assert client.get(path).status_code == 400, what
        assert client.post(path, data={"csrf_token": csrf, "answer": "accept"}).status_code == 400, what
    assert client.post(f"/invitation/{accept}", data={"answer": "accept"}).status_code == 403  # no CSRF token
    assert client.post(f"/invitation/{accept}", data={"csrf_token": "x" * 64, "answer": "accept"}).status_code == 403
    for answer in ({"answer": "maybe"}, {}, {"answer": ["accept", "decline"]}):
        assert client.post(f"/invitation/{accept}", data={"csrf_token": csrf, **answer}).status_code == 400, answer
    late = client_at(datetime(2026, 4, 2, tzinfo=UTC))  # the first session has begun: the links have expired
    late.cookies = client.cookies
    assert late.get(f"/invitation/{accept}").status_code == 410
    expired = late.post(f"/invitation/{accept}", data={"csrf_token": csrf, "answer": "accept"})
    assert expired.status_code == 410 and "This link has expired" in expired.text
    assert table_rows(location) == before


def test_a_new_invitation_after_a_decline_is_emailed_again(campaign_app, invited, outbox) -> None:  # type: ignore[no-untyped-def]
    send(campaign_app, outbox)
    eid = campaign_app.resolve_engagement("vested-youth-panel")
    Participation(campaign_app).respond(eid, invited["A"], accept=False, at=ANSWERED)
    Participation(campaign_app).invite(eid, [invited["A"]], at=ANSWERED + timedelta(days=1))
    run = send(campaign_app, outbox, ANSWERED + timedelta(days=1, hours=1))
    assert run.sent == [("INV-A", "invitation")]
    old = next(m for m in outbox.sent if m.to == "ann@example.org")
    old_link = re.search(rf"{BASE}/invitation/(accept\.\S+)", old.body).group(1)  # type: ignore[union-attr]
    assert Invitations(campaign_app).page(UUID(hex=old_link.split(".")[1])).status == "replaced"


def test_reminders_go_once_per_session_and_day(campaign_app, invited, outbox) -> None:  # type: ignore[no-untyped-def]
    app = campaign_app
    eid = app.resolve_engagement("vested-youth-panel")
    for who in ("A", "D"):
        Participation(app).respond(eid, invited[who], accept=True, at=ANSWERED)
    Participation(app).withdraw_consent(invited["D"], "contact", "self_service", ANSWERED + timedelta(days=1))
    service = Invitations(app)

    def remind(day: int) -> list[tuple[str, str]]:
        return service.remind(eid, outbox, WORDS, days=(7, 1), at=datetime(2026, 3, day, 8, tzinfo=UTC)).sent

    assert remind(20) == []  # 13 days before: nothing due
    assert remind(26) == [("INV-A", "reminder of 2026-04-02 (7 days before)")]
    assert remind(27) == [] and remind(31) == []
    last = service.remind(eid, outbox, WORDS, at=datetime(2026, 4, 1, 8, tzinfo=UTC))
    assert last.sent == [("INV-A", "reminder of 2026-04-02 (1 day before)")]
    assert last.skipped == {"no contact consent": ["INV-D"]}
    assert service.remind(eid, outbox, WORDS, at=datetime(2026, 4, 2, 8, tzinfo=UTC)).sent == []  # the day itself
    reminders = [m for m in outbox.sent if m.kind == "reminder"]
    assert [m.to for m in reminders] == ["ann@example.org", "ann@example.org"]
    assert reminders[0].subject == f"Reminder: Vested youth panel on {SESSION}"
    assert "in 7 days" in reminders[0].body and "tomorrow" in reminders[1].body
