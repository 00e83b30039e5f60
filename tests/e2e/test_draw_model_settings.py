"""`panel draw --reserves-model dropout --model-setting NAME=VALUE`: the dropout model's settings from the CLI.

Through the real `panel` script on SQLite and PostgreSQL: the settings given are used (prior strength,
the features learnt from, the simulation sizes), recorded on the draw and shown; `panel draw verify`
re-runs with the recorded settings, and fails when a recorded setting is changed; a draw recorded
before settings existed verifies with the defaults; every bad setting is one line, exit 1, nothing written.
"""

from __future__ import annotations

import json
from typing import Any
from uuid import UUID

from panel.application import PanelApp
from panel.config import StoreLocation
from panel.draws import Draws
from tests.e2e.test_draw_dropout import DRAW, history
from tests.helpers.draw_case import populate
from tests.helpers.events import rewrite
from tests.helpers.store import table_rows

SETTINGS = ["prior_strength=5", "features=age_band", "scenarios=120", "report_scenarios=300", "shortlist=4"]
GIVEN = [arg for s in SETTINGS for arg in ("--model-setting", s)]
COMPLETED = lambda topic, _: topic.endswith("Completed")  # noqa: E731


def test_the_settings_given_are_used_recorded_and_verified(app: PanelApp, location: StoreLocation, panel) -> None:  # type: ignore[no-untyped-def]
    populate(app)
    history(app)
    data = json.loads(panel(*DRAW, "--reserves", "3", "--reserves-model", "dropout", *GIVEN, "--json").out)
    model = data["reserves_model"]
    assert model["settings"] == {
        "prior_strength": 5.0, "default_rate": 0.15, "shrink": 1.0, "scenarios": 120, "report_scenarios": 300,
        "shortlist": 4, "features": ["age_band"],
    }  # fmt: skip
    assert model["model"]["prior_strength"] == 5.0 and model["scenarios"] == 300
    assert {r["feature"] for r in model["model"]["history"]["by_value"]} == {"age_band"}  # gender not learnt from
    did = data["id"]
    recorded = Draws(app).get(UUID(did)).reserves_model
    assert recorded is not None and recorded["settings"]["features"] == ["age_band"]
    shown = panel("draw", "show", did).out
    assert "settings prior_strength=5.0 scenarios=120 report_scenarios=300 shortlist=4 features=age_band" in shown
    assert panel("draw", "verify", did).code == 0

    default = json.loads(panel(*DRAW, "--reserves", "3", "--reserves-model", "dropout", "--new-round", "--json").out)
    assert default["reserves_model"]["model"]["prior_strength"] == 20.0  # not the first draw's settings
    assert {r["feature"] for r in default["reserves_model"]["model"]["history"]["by_value"]} > {"age_band", "gender"}
    assert "settings " not in panel("draw", "show", default["id"]).out

    def change(name: str, value: Any) -> None:
        rewrite(location, UUID(did), COMPLETED, lambda state: state["reserves_model"]["settings"].update({name: value}))

    change("report_scenarios", 301)
    failed = panel("draw", "verify", did, code=1)
    assert "the expected-shortfall report of the reserves differs from the re-run" in failed.err, failed.err
    change("report_scenarios", 300)
    change("features", ["age_band", "gender"])
    failed = panel("draw", "verify", did, code=1)
    assert "the dropout history counts differ from the history as of the draw" in failed.err, failed.err
    change("features", ["age_band"])
    change("prior_strength", 6.0)
    failed = panel("draw", "verify", did, code=1)
    assert "the dropout model's recorded parameters differ from the draw's recorded settings" in failed.err
    change("prior_strength", 5.0)
    assert panel("draw", "verify", did).code == 0

    # A dropout draw recorded before settings were recorded used the defaults, and verifies with them.
    rewrite(location, UUID(default["id"]), COMPLETED, lambda state: state["reserves_model"].pop("settings"))
    assert "settings" not in (Draws(app).get(UUID(default["id"])).reserves_model or {})
    assert panel("draw", "verify", default["id"]).code == 0


def test_a_bad_setting_is_one_line_and_writes_nothing(app: PanelApp, location: StoreLocation, panel) -> None:  # type: ignore[no-untyped-def]
    populate(app)
    before = table_rows(location)
    for setting, message in (
        ("prior_strength=-1", "--model-setting prior_strength=-1: out of range; prior_strength is pseudo-"),
        ("default_rate=1", "--model-setting default_rate=1: out of range"),
        ("shrink=nan", "--model-setting shrink=nan: out of range"),
        ("scenarios=1", "--model-setting scenarios=1: out of range; scenarios is dropout scenarios"),
        ("scenarios=2.5", "--model-setting scenarios=2.5: not a whole number"),
        ("shortlist=many", "--model-setting shortlist=many: not a whole number"),
        ("features=postcode", "--model-setting features=postcode: give distinct quota features, comma-separated, from"),
        ("colour=red", "--model-setting 'colour=red': give NAME=VALUE with NAME one of prior_strength"),
        ("prior_strength", "give NAME=VALUE"),
    ):
        ran = panel(*DRAW, "--reserves", "2", "--reserves-model", "dropout", "--model-setting", setting, code=1)
        lines = ran.err.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("Error: ") and message in lines[0], (setting, ran.err)
    twice = panel(*DRAW, "--reserves", "2", "--reserves-model", "dropout", "--model-setting", "shrink=0.5",
                  "--model-setting", "shrink=0.6", code=1)  # fmt: skip
    assert "--model-setting shrink is given twice" in twice.err
    plain = panel(*DRAW, "--reserves", "2", "--model-setting", "shrink=0.5", code=1)
    assert "use it with --reserves-model dropout" in plain.err
    assert table_rows(location) == before
