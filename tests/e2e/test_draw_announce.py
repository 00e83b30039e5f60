"""Announced draws: `panel draw announce`, then `panel draw reveal` with the public numbers.

Runs the real `panel` script on SQLite and PostgreSQL: the announcement invites nobody, the reveal
gives the panel the published rule predicts and a draw that verifies, the same numbers always give
the same panel, a changed announcement fails the check, a second reveal and bad numbers are refused
with nothing written, and a member who withdrew consent in between is not invited but replaced.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any
from uuid import UUID

from panel.application import PanelApp
from panel.config import StoreLocation
from panel.draws import Draws
from panel.draws.announce import Announcements
from panel.draws.announce_rule import check_document
from panel.draws.record import claim_slots, slot_ids, slot_rows
from panel.queries import Queries
from tests.helpers.draw_case import populate
from tests.helpers.paths import ROOT
from tests.helpers.store import table_rows
from tests.helpers.tamper import edit_state

QUOTAS = str(ROOT / "examples" / "vested-quotas.csv")
RANDOMNESS = "the numbers of the UK Lotto on 2026-02-04"
ANNOUNCE = ["draw", "announce", "vested-youth-panel", "--size", "6", "--quotas", QUOTAS, "--reserves", "3"]
ANNOUNCE += ["--randomness", RANDOMNESS, "--seed", "11", "--at", "2026-02-01"]
NUMBERS = "04 11 23 35 41 49"


def announce(panel: Any) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    document: dict[str, Any] = json.loads(panel(*ANNOUNCE, "--json").out)
    return document


def rows_of(document: dict[str, Any], slots: list[str]) -> list[int]:
    counts = [int(row[2]) for row in document["types"]]
    row_at = dict(zip(slot_ids(counts), slot_rows(counts), strict=True))
    return sorted(row_at[s] for s in slots)


def test_announce_then_reveal_gives_the_predicted_panel_and_a_draw_that_verifies(  # type: ignore[no-untyped-def]
    app: PanelApp, panel, tmp_path: Path
) -> None:
    populate(app)
    document = announce(panel)
    assert document["pool"]["members"] == 36 and document["randomness"] == RANDOMNESS
    assert document["lottery"]["size"] == len(document["lottery"]["panels"]) >= 1000
    assert "V-0" not in json.dumps(document)  # no reference, name or attribute of a member is published
    assert json.loads(panel("draw", "list", "--json").out)["draws"] == []
    assert not any(p.participations for p in Queries(app).participants())  # the announcement invites nobody
    assert json.loads(panel("draw", "announcement", document["announcement"][:8], "--json").out) == document
    path = tmp_path / "announcement.json"
    path.write_text(json.dumps(document), encoding="utf-8")
    predicted = json.loads(panel("draw", "check-announcement", str(path), "--numbers", NUMBERS, "--json").out)
    assert predicted["valid"] is True and len(predicted["panel_slots"]) == 6 and len(predicted["reserve_slots"]) == 3

    revealed = json.loads(panel("draw", "reveal", document["announcement"][:8], "--seed-from", NUMBERS, "--json").out)
    assert revealed["lottery_index"] == predicted["lottery_index"] == revealed["reveal"]["lottery_index"]
    assert revealed["reveal"]["h0"] == predicted["h0"] and revealed["seed_from"] == "4 11 23 35 41 49"
    assert len(revealed["selected"]) == 6 and len(revealed["reserves"]) == 3
    draw = Draws(app).get(UUID(revealed["id"]))
    assert draw.drawn_panel_rows == rows_of(document, predicted["panel_slots"])  # the panel the rule predicted
    invited = {p.ref for p in Queries(app).participants() if p.participations}
    assert invited == set(revealed["selected"])
    verified = panel("draw", "verify", revealed["id"][:8])
    assert verified.out.startswith(f"Verified draw {revealed['id']}")
    assert f"revealed from announcement {document['announcement'][:8]} by its published rule" in verified.out


def test_the_same_numbers_always_give_the_same_panel(app: PanelApp, panel, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    populate(app)
    document = announce(panel)
    path = tmp_path / "announcement.json"
    path.write_text(json.dumps(document), encoding="utf-8")
    seen = []
    for numbers in (NUMBERS, "49, 41, 35, 23, 11, 4", "4 11 23 35 41 49"):
        seen.append(json.loads(panel("draw", "check-announcement", str(path), "--numbers", numbers, "--json").out))
    assert all(s["lottery_index"] == seen[0]["lottery_index"] for s in seen)
    assert all(
        (s["panel_slots"], s["reserve_slots"]) == (seen[0]["panel_slots"], seen[0]["reserve_slots"]) for s in seen
    )
    other = json.loads(panel("draw", "check-announcement", str(path), "--numbers", "04 11 23 35 41 48", "--json").out)
    assert other["h0"] != seen[0]["h0"]
    revealed = json.loads(panel("draw", "reveal", document["announcement"], "--seed-from", NUMBERS, "--json").out)
    draw = Draws(app).get(UUID(revealed["id"]))
    assert draw.drawn_panel_rows == rows_of(document, seen[0]["panel_slots"])


def test_a_changed_announcement_fails_the_check(app: PanelApp, panel, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    populate(app)
    document = announce(panel)
    path = tmp_path / "announcement.json"
    path.write_text(json.dumps(document), encoding="utf-8")
    assert (
        panel("draw", "check-announcement", str(path), "--numbers", NUMBERS)
        .out.rstrip()
        .endswith("matches its content")
    )
    changes = {
        "a commitment": lambda d: d["pool"]["commitments"].__setitem__(0, "0" * 64),
        "a lottery panel": lambda d: d["lottery"]["panels"][0].reverse(),
        "the randomness": lambda d: d.__setitem__("randomness", "the numbers of another lottery"),
        "the lottery size": lambda d: d["lottery"].__setitem__("size", d["lottery"]["size"] - 1),
    }
    for name, change in changes.items():
        changed = json.loads(json.dumps(document))
        change(changed)
        path.write_text(json.dumps(changed), encoding="utf-8")
        ran = panel("draw", "check-announcement", str(path), "--numbers", NUMBERS, code=1)
        assert "FAILED: " in ran.err and not ran.traceback, name
    path.write_text("{not json", encoding="utf-8")
    ran = panel("draw", "check-announcement", str(path), "--numbers", NUMBERS, code=1)
    assert ran.err.startswith("Error: ") and len(ran.err.strip().splitlines()) == 1


def test_a_member_checks_their_own_inclusion(app: PanelApp, panel, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    populate(app)
    document = announce(panel)
    path = tmp_path / "announcement.json"
    path.write_text(json.dumps(document), encoding="utf-8")
    mine = json.loads(panel("draw", "commitment", document["announcement"][:8], "--participant", "V-000", "--json").out)
    assert mine["in_pool"] is True and mine["commitment"] in document["pool"]["commitments"]
    check = ["draw", "check-announcement", str(path), "--numbers", NUMBERS, "--participant-id", mine["participant_id"]]
    assert json.loads(panel(*check, "--salt", mine["salt"], "--json").out)["in_pool"] is True
    assert "in the committed pool" in panel(*check, "--salt", mine["salt"]).out
    panel(*check, "--salt", "0" * 64, code=1)  # a wrong salt does not open anyone's commitment
    outside = json.loads(panel("draw", "commitment", document["announcement"], "--participant", "V-009", "--json").out)
    assert outside["in_pool"] is False  # V-009 holds no panel_membership consent: not in the pool


def test_a_second_reveal_and_bad_numbers_are_refused_with_nothing_written(  # type: ignore[no-untyped-def]
    app: PanelApp, location: StoreLocation, panel
) -> None:
    populate(app)
    aid = announce(panel)["announcement"]
    before = table_rows(location)
    for bad in ("four eleven", "", "04 11 x 35"):
        ran = panel("draw", "reveal", aid, "--seed-from", bad, code=1)
        assert ran.err.startswith("Error: ") and len(ran.err.strip().splitlines()) == 1 and not ran.traceback
    panel("draw", "reveal", "ffffffff", "--seed-from", NUMBERS, code=1)
    assert table_rows(location) == before
    panel("draw", "reveal", aid, "--seed-from", NUMBERS)
    after = table_rows(location)
    ran = panel("draw", "reveal", aid, "--seed-from", "01 02 03 04 05 06", code=1)
    assert "revealed once" in ran.err and len(ran.err.strip().splitlines()) == 1 and not ran.traceback
    assert table_rows(location) == after
    for again in (ANNOUNCE, [*ANNOUNCE, "--new-round", "--algorithm", "uniform"]):
        ran = panel(*again, code=1)  # the round is drawn now; a lottery-less algorithm has nothing to announce
        assert ran.err.startswith("Error: ") and len(ran.err.strip().splitlines()) == 1 and not ran.traceback
    assert "announce a leximin draw" in ran.err


def _holders(app: PanelApp, aid: str) -> tuple[dict[str, UUID], dict[str, Any]]:
    found = Announcements(Draws(app)).get(UUID(aid))
    pool = found.frozen["pool"]
    claims = claim_slots(found.draw_id, pool, app.keys.get_keys(UUID(str(r[0])) for r in pool))
    return {slot: pid for pid, slot in claims.slot_of.items()}, found.document


def test_a_member_who_withdrew_consent_before_the_reveal_is_not_invited_but_replaced(  # type: ignore[no-untyped-def]
    app: PanelApp, panel
) -> None:
    populate(app)
    aid = json.loads(panel(*ANNOUNCE, "--reserves", "6", "--json").out)["announcement"]  # one per panel member
    holder, document = _holders(app, aid)
    predicted = check_document(document, NUMBERS)
    leaving = Queries(app).participant(holder[predicted["panel_slots"][0]]).ref
    panel("consent", "withdraw", leaving, "--purpose", "panel_membership", "--at", "2026-02-03")
    revealed = json.loads(panel("draw", "reveal", aid, "--seed-from", NUMBERS, "--at", "2026-02-05", "--json").out)
    assert leaving in revealed["selected"]  # the draw is the announced one ...
    assert revealed["reveal"]["not_invited"] == [{"ref": leaving, "why": "no active panel_membership consent"}]
    assert len(revealed["reveal"]["replacements"]) == 1 and not revealed["reveal"]["problems"]
    current = [p["ref"] for p in revealed["panel"]]
    assert leaving not in current and len(current) == 6  # ... and a reserve of the committed chain took the seat
    joined = next(r for r in current if r not in revealed["selected"])
    assert joined in revealed["reserves"] or joined in [r["replacement"] for r in revealed["replacements"]]
    invited = {p.ref for p in Queries(app).participants() if p.participations}
    assert leaving not in invited and invited == set(current)
    assert panel("draw", "verify", revealed["id"]).out.startswith("Verified draw")


def test_a_revealed_draw_whose_stored_announcement_was_changed_does_not_verify(  # type: ignore[no-untyped-def]
    app: PanelApp, location: StoreLocation, panel
) -> None:
    populate(app)
    aid = announce(panel)["announcement"]
    did = json.loads(panel("draw", "reveal", aid, "--seed-from", NUMBERS, "--json").out)["id"]
    panel("draw", "verify", did)

    def another_randomness(state: dict[str, Any]) -> None:
        state["document"]["randomness"] = "the numbers of a lottery chosen afterwards"

    edit_state(location, "panel.domain.announcement:Announcement.Published", another_randomness)
    ran = panel("draw", "verify", did, code=1)
    assert "the announcement no longer matches its published hash" in ran.err and not ran.traceback
