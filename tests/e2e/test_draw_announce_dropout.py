"""Announced draws with dropout-aware reserves: `panel draw announce ... --reserves-model dropout` (issue 14).

Through the real `panel` script on SQLite and PostgreSQL: the announcement freezes the dropout model
(settings, rates, history counts, a probability per type); `check-announcement` recomputes the reserve
order from the document and the numbers alone, and the reveal records exactly that order; the draw
verifies; a document whose frozen model was changed (and re-hashed) fails the check; a bad setting is
one line with nothing written. Plain announcements carry no model (tests/e2e/test_draw_announce.py).
"""

from __future__ import annotations

import json
from pathlib import Path
from uuid import UUID

from panel.application import PanelApp
from panel.config import StoreLocation
from panel.draws import Draws
from panel.draws.announce_rule import document_sha256
from panel.draws.record import claim_slots
from tests.e2e.test_draw_announce import ANNOUNCE, NUMBERS
from tests.e2e.test_draw_dropout import history
from tests.helpers.draw_case import populate
from tests.helpers.store import table_rows

DROPOUT = ["--reserves-model", "dropout", "--model-setting", "scenarios=100", "--model-setting", "report_scenarios=40"]


def test_an_announced_dropout_draw_is_recomputed_from_the_document(  # type: ignore[no-untyped-def]
    app: PanelApp, location: StoreLocation, panel, tmp_path: Path
) -> None:
    populate(app)
    history(app)
    before = table_rows(location)
    bad = panel(*ANNOUNCE, *DROPOUT, "--model-setting", "features=shoe_size", code=1)
    assert bad.err.startswith("Error: --model-setting features=shoe_size") and len(bad.err.strip().splitlines()) == 1
    assert table_rows(location) == before

    document = json.loads(panel(*ANNOUNCE, *DROPOUT, "--json").out)
    model = document["reserves_model"]
    assert model["name"] == "dropout" and model["settings"]["scenarios"] == 100
    assert len(model["type_dropout"]) == len(document["types"])
    rates = {r["value"]: r["rate"] for r in model["model"]["rates"] if r["feature"] == "age_band"}
    assert rates["18-21"] > rates["22-25"] + 0.2, rates  # learnt from the history as of the announcement
    young = [p for row, p in zip(document["types"], model["type_dropout"], strict=True) if "18-21" in row[0]]
    older = [p for row, p in zip(document["types"], model["type_dropout"], strict=True) if "22-25" in row[0]]
    assert min(young) > max(older)
    path = tmp_path / "announcement.json"
    path.write_text(json.dumps(document), encoding="utf-8")
    predicted = json.loads(panel("draw", "check-announcement", str(path), "--numbers", NUMBERS, "--json").out)
    assert predicted["valid"] is True and predicted["reserves_model"] == "dropout"
    assert len(predicted["reserve_slots"]) == 3 and len(predicted["chain_reserve_slots"]) == 3
    assert not set(predicted["reserve_slots"]) & set(predicted["panel_slots"])
    text = panel("draw", "check-announcement", str(path), "--numbers", NUMBERS).out
    assert "chosen by the announced dropout model" in text

    revealed = json.loads(panel("draw", "reveal", document["announcement"][:8], "--seed-from", NUMBERS, "--json").out)
    draw = Draws(app).get(UUID(revealed["id"]))
    ids = [UUID(str(row[0])) for row in draw.pool]
    slot_of = claim_slots(draw.id, draw.pool, app.keys.get_keys(ids)).slot_of
    assert [slot_of[UUID(pid)] for pid in draw.drawn_reserves] == predicted["reserve_slots"]  # the order predicted
    verified = panel("draw", "verify", revealed["id"][:8])
    assert verified.out.startswith(f"Verified draw {revealed['id']}"), verified.out + verified.err

    for name, change in {
        "a type's dropout probability": lambda d: d["reserves_model"]["type_dropout"].__setitem__(0, 0.5),
        "a rate": lambda d: d["reserves_model"]["model"]["rates"][0].__setitem__("rate", 0.01),
        "a setting": lambda d: d["reserves_model"]["settings"].__setitem__("prior_strength", 2.0),
    }.items():
        changed = json.loads(json.dumps(document))
        change(changed)
        changed["announcement_sha256"] = document_sha256(changed)  # a forger re-hashes: the model still fails
        path.write_text(json.dumps(changed), encoding="utf-8")
        ran = panel("draw", "check-announcement", str(path), "--numbers", NUMBERS, code=1)
        assert "FAILED: the " in ran.err and "dropout" in ran.err and not ran.traceback, (name, ran.err)
