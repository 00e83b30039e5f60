"""`panel audit log` on SQLite and PostgreSQL: every event records who did it (`--by`, else PANEL_USER),
the filters and paging work, bad input is one line and writes nothing, and the actor is covered by the
hash chain: rewriting it in the database makes `panel audit verify` fail."""

from __future__ import annotations

import json
from typing import Any

from panel.config import StoreLocation
from tests.helpers.store import table_rows
from tests.helpers.tamper import edit_state

REGISTER = ("participant", "register", "--channel", "online", "--name")
OPEN = ("engagement", "open", "Vested youth panel", "--type", "involve", "--purpose", "Shape youth services",
        "--ref", "vested")  # fmt: skip


def as_user(name: str) -> dict[str, str]:
    return {"PANEL_USER": name}


def log(panel, *args: str) -> list[dict[str, Any]]:  # type: ignore[no-untyped-def]
    return json.loads(panel("audit", "log", *args, "--json").out)["events"]  # type: ignore[no-any-return]


def story(panel) -> None:  # type: ignore[no-untyped-def]
    panel("init", env=as_user("setup.admin"))
    panel(*REGISTER, "Sam Patel", "--ref", "VES-001", env=as_user("amy.khan"))
    panel(*REGISTER, "Bo Chen", "--ref", "VES-002", env=as_user("bo.lee"))
    panel(*OPEN, "--by", "sam.lee", env=as_user("amy.khan"))  # --by wins over PANEL_USER
    panel("participant", "show", "VES-001", env=as_user("dpo.lee"))  # an access record naming VES-001
    panel("participant", "erase", "VES-002", "--reason", "ER-12", "--by", "dpo.kim", env=as_user("amy.khan"))


def test_every_event_records_who_did_it(panel) -> None:  # type: ignore[no-untyped-def]
    story(panel)
    everything = log(panel)
    assert [e["position"] for e in everything] == list(range(1, len(everything) + 1))
    rows = [(e["actor"], e["aggregate"], e["event"], e["participant"]) for e in everything]
    assert rows == [
        ("amy.khan", "Participant", "Registered", "VES-001"),
        ("amy.khan", "AttributeCatalogue", "Started", None),
        ("bo.lee", "Participant", "Registered", "VES-002"),
        ("sam.lee", "Engagement", "Opened", None),
        ("dpo.lee", "DataAccess", "Recorded", "VES-001"),
        ("dpo.kim", "Participant", "Erased", "VES-002"),
    ]
    assert all(e["at"].endswith("+00:00") for e in everything)
    text = panel("audit", "log").out
    assert "Participant.Erased" in text and "dpo.kim" in text and "Sam Patel" not in text and "Bo Chen" not in text


def test_filters_and_paging(panel) -> None:  # type: ignore[no-untyped-def]
    story(panel)
    everything = log(panel)
    mine = log(panel, "--participant", "VES-001")
    assert [(e["event"], e["actor"]) for e in mine] == [("Registered", "amy.khan"), ("Recorded", "dpo.lee")]
    assert [e["event"] for e in log(panel, "--actor", "amy.khan")] == ["Registered", "Started"]
    assert log(panel, "--actor", "nobody") == []
    middle = everything[3]["at"]
    assert [e["position"] for e in log(panel, "--from", middle)] == [4, 5, 6]
    assert [e["position"] for e in log(panel, "--from", everything[0]["at"], "--to", middle)] == [1, 2, 3]
    today = middle[:10]
    assert len(log(panel, "--from", today, "--to", today)) == len(everything)  # a --to date includes its day
    assert log(panel, "--to", "2000-01-01") == []
    first = log(panel, "--limit", "4")
    assert [e["position"] for e in first] == [1, 2, 3, 4]
    assert [e["position"] for e in log(panel, "--after", "4", "--limit", "4")] == [5, 6]
    assert "read on with --after 4" in panel("audit", "log", "--limit", "4").out
    assert [e["position"] for e in log(panel, "--participant", "VES-001", "--after", "1")] == [5]


def test_bad_input_is_one_line_and_writes_nothing(panel, location: StoreLocation) -> None:  # type: ignore[no-untyped-def]
    story(panel)
    before = table_rows(location)
    for args, fragment in (
        (("--from", "yesterday"), "--from 'yesterday' is not a date: use ISO 8601"),
        (("--to", "31/12/2026"), "--to '31/12/2026' is not a date"),
        (("--from", "2026-03-02", "--to", "2026-03-01"), "is not after --from"),
        (("--participant", "NOPE"), "no participant has id or reference 'NOPE'"),
    ):
        ran = panel("audit", "log", *args, code=1)
        assert ran.out == "" and ran.err.strip().count("\n") == 0 and fragment in ran.err, (args, ran.err)
    assert table_rows(location) == before


def test_the_actor_is_covered_by_the_chain(panel, location: StoreLocation) -> None:  # type: ignore[no-untyped-def]
    story(panel)
    panel("audit", "verify")
    edit_state(location, "panel.domain.engagement:Engagement.Opened", lambda state: state.update(_by="amy.khan"))
    assert [e["actor"] for e in log(panel, "--actor", "amy.khan")][-1] == "amy.khan"  # the forged name reads back
    failed = panel("audit", "verify", code=1)
    assert "position 4" in failed.err and "changed" in failed.err, failed.err


def test_events_stored_before_actors_show_a_dash(panel, location: StoreLocation) -> None:  # type: ignore[no-untyped-def]
    story(panel)
    edit_state(location, "panel.domain.engagement:Engagement.Opened", lambda state: state.pop("_by"))
    (opened,) = [e for e in log(panel) if e["event"] == "Opened"]
    assert opened["actor"] is None
    row = next(line for line in panel("audit", "log").out.splitlines() if "Engagement.Opened" in line)
    assert " - " in row.replace("│", " ")
