"""`panel draw ... --dry-run`: the pool, quota check and lottery printed as a real draw prints them,
nothing recorded and nobody invited. Runs the real `panel` script on SQLite and PostgreSQL."""

from __future__ import annotations

import json

from panel.application import PanelApp
from panel.config import StoreLocation
from panel.queries import Queries
from tests.helpers.draw_case import populate
from tests.helpers.paths import ROOT
from tests.helpers.store import table_rows

QUOTAS = str(ROOT / "examples" / "vested-quotas.csv")
DRAW = ["draw", "vested-youth-panel", "--size", "6", "--quotas", QUOTAS, "--seed", "11", "--reserves", "2"]
DRAW += ["--at", "2026-02-01"]


def test_a_dry_run_prints_the_draw_and_writes_nothing(app: PanelApp, location: StoreLocation, panel) -> None:  # type: ignore[no-untyped-def]
    populate(app)
    panel(*DRAW, "--dry-run")  # brings the consent views up to date (they are read models, not the record)
    before = table_rows(location)
    shown = panel(*DRAW, "--dry-run").out
    assert shown.startswith("Dry run: nothing was recorded and nobody was invited")
    assert "Lottery of" in shown and "Panel" in shown and "Reserves in order:" in shown
    preview = json.loads(panel(*DRAW, "--dry-run", "--json").out)
    assert preview["dry_run"] is True and len(preview["selected"]) == 6 and preview["lottery"]["at_zero"] == 0
    assert table_rows(location) == before
    assert json.loads(panel("draw", "list", "--json").out)["draws"] == []
    assert not any(p.participations for p in Queries(app).participants())  # nobody invited
    real = json.loads(panel(*DRAW, "--json").out)
    assert real["selected"] == preview["selected"] and real["reserves"] == preview["reserves"]
    assert real["lottery_index"] == preview["lottery_index"] and real["id"] == preview["id"]
