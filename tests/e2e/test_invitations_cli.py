"""`panel invitations send|remind|status` as real processes, on SQLite and PostgreSQL, reading the .eml files.

After a draw, recruiters email the invitations; a second run sends nothing twice; a declined panel member
shows as a replacement due until `panel draw replace` brings a reserve in, whose invitation the next run
emails; reminders go to those who accepted, once per session and day.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, date, datetime
from email import message_from_bytes, policy
from pathlib import Path

import pytest

from panel.application import PanelApp
from panel.config import StoreLocation
from panel.engagements import Engagements
from panel.registration import Registration
from panel.validation import ConsentSpec, SignUp
from tests.helpers.store import table_rows

T0 = datetime(2026, 1, 10, 9, tzinfo=UTC)
ENGAGEMENT = "vested-youth-panel"
BASE = "https://apply.example.org"


@pytest.fixture
def store(app: PanelApp) -> PanelApp:
    consents = (
        ConsentSpec("contact", "v3", "online", "self", T0),
        ConsentSpec("panel_membership", "v3", "online", "self", T0),
    )
    Registration(app).register_many(
        [
            SignUp(
                ref=f"V-{i}",
                channel="online",
                personal={"name": f"Person {i}", "email": f"p{i}@example.org"},
                attributes={"age_band": "18-21"},
                consents=consents,
                at=T0,
            )
            for i in range(8)
        ]  # fmt: skip
    )
    Engagements(app).open_engagement(
        name="Vested youth panel", ref=ENGAGEMENT, purpose="Shape youth services", kind="involve",
        sessions=[date(2026, 4, 2), date(2026, 4, 9)], day_rate_pence=35000, at=T0,
    )  # fmt: skip
    return app


def mails(folder: Path) -> list[tuple[str, str, str]]:
    """(to, subject, body) of each message in the outbox folder, oldest first."""
    found = []
    for path in sorted(folder.glob("*.eml")):
        mail = message_from_bytes(path.read_bytes(), policy=policy.default)
        found.append((str(mail["To"]), str(mail["Subject"]), mail.get_content()))
    return found


def test_invitations_after_a_draw(store, panel, location: StoreLocation, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    outbox = tmp_path / "outbox"
    env = {"PANEL_OUTBOX_DIR": str(outbox), "PANEL_WEB_BASE_URL": "", "PANEL_SMTP_URL": ""}
    drawn = json.loads(panel("draw", ENGAGEMENT, "--size", "3", "--seed", "1", "--reserves", "2",
                             "--at", "2026-03-01T09:00:00Z", "--json").out)  # fmt: skip
    members, did = [p["ref"] for p in drawn["panel"]], drawn["id"]

    before = table_rows(location)
    no_url = panel("invitations", "send", ENGAGEMENT, code=2, env=env)
    assert "give --base-url or set PANEL_WEB_BASE_URL" in no_url.err and no_url.out == ""
    bad_url = panel("invitations", "send", ENGAGEMENT, "--base-url", "apply.example.org", code=2, env=env)
    assert "is not a web address" in bad_url.err
    unknown = panel("invitations", "send", "nope", "--base-url", BASE, code=1, env=env)
    assert unknown.err.strip().splitlines()[-1].startswith("Error: no engagement has id or reference 'nope'")
    assert table_rows(location) == before and not outbox.exists()

    sent = panel("invitations", "send", ENGAGEMENT, "--at", "2026-03-01T10:00:00Z", "--json",
                 env={**env, "PANEL_WEB_BASE_URL": BASE}).out  # fmt: skip
    assert sorted(s["ref"] for s in json.loads(sent)["sent"]) == sorted(members)
    letters = mails(outbox)
    assert sorted(to for to, _, _ in letters) == sorted(f"p{m.split('-')[1]}@example.org" for m in members)
    to, subject, body = letters[0]
    assert subject == "You are invited: Vested youth panel"
    for shown in ("Shape youth services", "Thursday 2 April 2026", "Thursday 9 April 2026", "Wednesday 1 April 2026"):
        assert shown in body, shown
    assert len(re.findall(rf"{re.escape(BASE)}/invitation/(?:accept|decline)\.[0-9a-f]{{32}}\.\d+\.\S+", body)) == 2
    assert "Person" not in body  # no personal data beyond the address it goes to

    again = panel("invitations", "send", ENGAGEMENT, "--base-url", BASE, "--at", "2026-03-01T11:00:00Z", env=env)
    assert again.out.startswith(f"Sent 0 emails about {ENGAGEMENT}")
    skipped = next(line for line in again.out.splitlines() if "not sent, already emailed: " in line)
    assert sorted(skipped.split(": ", 1)[1].split(", ")) == sorted(members)
    assert len(mails(outbox)) == 3

    dropout, stays = members[0], members[1:]
    panel("decline", ENGAGEMENT, dropout, "--at", "2026-03-03T09:00:00Z")
    for ref in stays:
        panel("accept", ENGAGEMENT, ref, "--at", "2026-03-03T09:00:00Z")
    status = panel("invitations", "status", ENGAGEMENT).out
    assert f"Replacement due: {dropout} declined (panel draw replace {did[:8]} {dropout}" in status
    assert "1 declined" in status and "2 accepted" in status
    listed = json.loads(panel("invitations", "status", ENGAGEMENT, "--json").out)["invitations"]
    assert [p["ref"] for p in listed if p["replacement_due"]] == [dropout]
    assert all(p["emailed_at"] == "2026-03-01T10:00:00+00:00" for p in listed)

    panel("draw", "replace", did, dropout, "--reason", "declined", "--at", "2026-03-04T09:00:00Z")
    status = panel("invitations", "status", ENGAGEMENT).out
    assert "Replacement due" not in status
    reserve = panel("invitations", "send", ENGAGEMENT, "--base-url", BASE, "--at", "2026-03-04T10:00:00Z",
                    "--json", env=env).out  # fmt: skip
    assert [s["what"] for s in json.loads(reserve)["sent"]] == ["invitation"] and len(mails(outbox)) == 4

    remind = ["invitations", "remind", ENGAGEMENT, "--at", "2026-03-26T08:00:00Z", "--json"]
    first = json.loads(panel(*remind, env=env).out)
    assert sorted(s["ref"] for s in first["sent"]) == sorted(stays)
    assert {s["what"] for s in first["sent"]} == {"reminder of 2026-04-02 (7 days before)"}
    assert json.loads(panel(*remind, env=env).out)["sent"] == []  # once per session and day
    assert len(mails(outbox)) == 6 and mails(outbox)[-1][1] == "Reminder: Vested youth panel on Thursday 2 April 2026"
    before = table_rows(location)
    bad_days = panel("invitations", "remind", ENGAGEMENT, "--days", "7,0", code=2, env=env)
    assert "--days" in bad_days.err and "7,0" in bad_days.err
    assert table_rows(location) == before
    listed_out = panel("outbox", "--json", env=env).out
    assert {e["kind"] for e in json.loads(listed_out)["messages"]} == {"invitation", "reminder"}
