"""Attendance for a whole session in one command: `panel attend ENGAGEMENT --date D --roster FILE`.

All or nothing (every entry checked first, every bad entry named with its line), idempotent (the
same roster again changes nothing, and says so), half days in the roster; `panel no-show` the same.
Run as the real `panel` script in a subprocess on SQLite and PostgreSQL.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

from panel.application import PanelApp
from panel.config import StoreLocation
from panel.engagements import Engagements
from panel.participation import Participation
from panel.queries import Queries
from panel.registration import Registration
from panel.validation import ConsentSpec, SignUp
from tests.helpers.store import table_rows

T0 = datetime(2026, 1, 10, tzinfo=UTC)
DAY = "2026-03-02"


def vested(app: PanelApp, people: int = 7) -> list[str]:
    """Seven people invited to vested-youth-panel; the first six accepted, the last did not answer."""
    both = (ConsentSpec("contact", "v1", "online", "self"), ConsentSpec("panel_membership", "v1", "online", "self"))
    refs = [f"VES-{i:03d}" for i in range(1, people + 1)]
    pids = [Registration(app).register(SignUp(ref=ref, channel="online", consents=both, at=T0)) for ref in refs]
    eid = Engagements(app).open_engagement(
        name="Vested youth panel",
        purpose="p",
        kind="involve",
        sessions=[date(2026, 3, 2), date(2026, 3, 3)],
        day_rate_pence=35000,
        at=T0,
    )
    Participation(app).invite(eid, pids, at=datetime(2026, 2, 1, tzinfo=UTC))
    for pid in pids[:-1]:
        Participation(app).respond(eid, pid, accept=True, at=datetime(2026, 2, 2, tzinfo=UTC))
    return refs


def attended(app: PanelApp, ref: str) -> list[tuple[str, bool]]:
    return [tuple(a) for a in Queries(app).participant(app.resolve_participant(ref)).participations[0].attended]  # type: ignore[misc]


def test_a_roster_is_recorded_in_one_command_and_again_changes_nothing(
    app: PanelApp, panel, location: StoreLocation, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    panel("init")
    refs = vested(app)
    roster = tmp_path / "attended.csv"
    roster.write_text("ref,half_day\n" + "".join(f"{r},{'yes' if r == 'VES-002' else ''}\n" for r in refs[:6]))

    ran = panel("attend", "vested-youth-panel", "--date", DAY, "--roster", str(roster))
    assert ran.out.strip() == f"Recorded attendance at vested-youth-panel on {DAY} for 6 people (1 half day)"
    assert attended(app, "VES-001") == [(DAY, False)] and attended(app, "VES-002") == [(DAY, True)]

    before = table_rows(location)
    again = panel("attend", "vested-youth-panel", "--date", DAY, "--roster", str(roster))
    assert (
        again.out.strip()
        == f"Unchanged: attendance at vested-youth-panel on {DAY} is already recorded for all 6 people"
    )
    assert table_rows(location) == before  # idempotent: not one row written


def test_one_bad_entry_and_nothing_is_recorded_with_every_bad_entry_named(
    app: PanelApp, panel, location: StoreLocation, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    panel("init")
    vested(app)
    roster = tmp_path / "attended.csv"
    roster.write_text("ref,half_day\nVES-001,\nVES-099,\nVES-003,maybe\nVES-007,\nVES-001,yes\nVES-004,no\n")
    before = table_rows(location)

    ran = panel("attend", "vested-youth-panel", "--date", DAY, "--roster", str(roster), code=1)
    problems = ran.err.splitlines()
    assert problems[:4] == [
        f"{roster}:3: no participant has id or reference 'VES-099': check it with `panel participant list`",
        f"{roster}:4: half_day 'maybe' is not yes or no",
        f"{roster}:5: participant VES-007 cannot attend: their status for this engagement is invited (needs accepted)",
        f"{roster}:6: VES-001 is listed twice (first at {roster}:2)",
    ]
    assert problems[4] == (
        f"Error: {roster}: 4 of 6 entries cannot be recorded, nothing was recorded: fix them and run it again"
    )
    assert len(problems) == 5 and ran.out == ""
    assert table_rows(location) == before and attended(app, "VES-001") == []  # not even the good rows


def test_several_people_on_the_command_line_half_days_and_conflicts(app: PanelApp, panel, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    panel("init")
    vested(app)
    ran = panel("attend", "vested-youth-panel", "VES-001", "VES-002", "--date", DAY, "--half-day")
    assert ran.out.strip() == f"Recorded attendance at vested-youth-panel on {DAY} for 2 people (2 half days)"
    roster = tmp_path / "r.csv"
    roster.write_text("ref,half_day\nVES-001,yes\nVES-003,no\n")
    ran = panel("attend", "vested-youth-panel", "VES-004", "--date", DAY, "--roster", str(roster))
    assert ran.out.strip() == (
        f"Recorded attendance at vested-youth-panel on {DAY} for 2 people; 1 already recorded, unchanged"
    )
    conflict = panel("attend", "vested-youth-panel", "VES-001", "--date", DAY, code=1)  # a full day now?
    assert f"{DAY} is already recorded as a half day for VES-001" in conflict.err
    assert attended(app, "VES-001") == [(DAY, True)]
    single = panel("attend", "vested-youth-panel", "VES-005", "--date", DAY)
    assert single.out.strip() == f"VES-005 attended {DAY} (full day)"


def test_no_shows_by_roster_the_same_way(app: PanelApp, panel, location: StoreLocation, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    panel("init")
    vested(app)
    panel("attend", "vested-youth-panel", "VES-001", "--date", "2026-03-03")
    roster = tmp_path / "absent.csv"
    roster.write_text("ref\nVES-002\nVES-003\n")
    ran = panel("no-show", "vested-youth-panel", "--date", "2026-03-03", "--roster", str(roster))
    assert ran.out.strip() == "Recorded no-show at vested-youth-panel on 2026-03-03 for 2 people"
    before = table_rows(location)
    assert "Unchanged" in panel("no-show", "vested-youth-panel", "--date", "2026-03-03", "--roster", str(roster)).out
    clash = panel("no-show", "vested-youth-panel", "VES-001", "VES-004", "--date", "2026-03-03", code=1)
    assert "command line: 2026-03-03 is already recorded as a full day for VES-001" in clash.err
    assert table_rows(location) == before
    record = Queries(app).participant(app.resolve_participant("VES-002")).participations[0]
    assert record.no_shows == ["2026-03-03"] and record.attended == []
