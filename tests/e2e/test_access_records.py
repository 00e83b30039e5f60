"""Access records on SQLite and PostgreSQL: showing personal data is recorded first (who, what, whose,
why), `panel audit access` answers "who has seen my data", and the records hold no personal data."""

from __future__ import annotations

import json

from panel.config import StoreLocation
from tests.helpers.store import table_rows

REGISTER = ["participant", "register", "--ref", "VES-001", "--channel", "online", "--name", "Sam Patel",
            "--email", "sam@example.org"]  # fmt: skip


def access(panel, *args: str) -> list[dict]:  # type: ignore[no-untyped-def]
    return json.loads(panel("audit", "access", *args, "--json").out)["access"]  # type: ignore[no-any-return]


def test_who_has_seen_my_data(panel, location: StoreLocation) -> None:  # type: ignore[no-untyped-def]
    panel("init")
    panel(*REGISTER)
    panel("participant", "register", "--ref", "VES-002", "--channel", "online", "--name", "Bo Chen")
    assert access(panel, "--participant", "VES-001") == []
    assert "Sam Patel" in panel("participant", "show", "VES-001", env={"PANEL_USER": "amy.khan"}).out
    panel("participant", "list", "--purpose", "checking who to phone", env={"PANEL_USER": "bo.lee"})
    panel("participant", "show", "VES-002", "--json", env={"PANEL_USER": "amy.khan"})
    seen = access(panel, "--participant", "VES-001")
    assert [(e["actor"], e["what"], e["purpose"], e["people_shown"], e["channel"]) for e in seen] == [
        ("amy.khan", "participant show", None, 1, "cli"),
        ("bo.lee", "participant list", "checking who to phone", 2, "cli"),
    ]
    assert [e["what"] for e in access(panel, "--actor", "amy.khan")] == ["participant show", "participant show"]
    text = panel("audit", "access", "--participant", "VES-001").out
    assert "amy.khan" in text and "checking who to phone" in text
    before = table_rows(location)
    panel("participant", "show", "NOBODY", code=1)  # nothing shown, nothing recorded
    assert panel("audit", "access", code=2).err.count("give --participant REF, --actor NAME, or both") == 1
    assert table_rows(location) == before


def test_the_records_hold_no_personal_data(panel, location: StoreLocation) -> None:  # type: ignore[no-untyped-def]
    from tests.helpers.events import events_of_topic

    panel("init")
    panel(*REGISTER)
    panel("participant", "show", "VES-001")
    (state,) = events_of_topic(location, "panel.domain.access:DataAccess.Recorded")
    assert "Sam" not in json.dumps(state) and "sam@example.org" not in json.dumps(state)
    assert state["what"] == "participant show" and len(state["participant_ids"]) == 1


def test_the_names_of_a_drawn_panel(panel) -> None:  # type: ignore[no-untyped-def]
    panel("demo", "--people", "150")
    (draw,) = [
        d for d in json.loads(panel("draw", "list", "--json").out)["draws"] if d["engagement"] == "vested-youth-panel"
    ]
    panel("draw", "show", draw["id"], "--json", env={"PANEL_USER": "auditor.one"})  # references only
    assert access(panel, "--actor", "auditor.one") == []
    panel("draw", "show", draw["id"], env={"PANEL_USER": "auditor.one"})
    (entry,) = access(panel, "--actor", "auditor.one")
    assert entry["what"] == "draw show" and entry["people_shown"] == draw["size"]
