"""Draws recorded by earlier rounding versions (1: greedy to 1000 panels; 2: no new panels) still verify."""

from __future__ import annotations

from functools import partial
from pathlib import Path

import panel.draws.compose as compose_module
from panel.application import PanelApp
from panel.draws import Draws
from tests.helpers.draw_case import DRAW_AT, loose_quotas, populate


def test_a_draw_made_with_the_greedy_rounding_verifies_after_the_change(
    app: PanelApp, tmp_path: Path, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    eid = populate(app)
    before = compose_module.run_selection

    def as_version_1(*args, **kwargs):  # type: ignore[no-untyped-def]
        return partial(before, algorithm_version=1)(*args, **{**kwargs, "lottery_size": 1000})

    monkeypatch.setattr(compose_module, "run_selection", as_version_1)
    outcome = Draws(app).draw(eid, 6, loose_quotas(tmp_path), seed=3, reserves=2, at=DRAW_AT)
    monkeypatch.setattr(compose_module, "run_selection", before)
    draw = Draws(app).get(outcome.draw_id)
    assert draw.algorithm_version == 1 and draw.lottery_size == 1000 and draw.keeps_types
    found = Draws(app).verify(outcome.draw_id)  # re-run with the recorded version 1 and 1000 panels
    assert found.differences == []


def test_a_draw_made_before_the_new_panels_of_version_3_verifies_after_the_change(
    app: PanelApp, tmp_path: Path, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    eid = populate(app)
    before = compose_module.run_selection
    monkeypatch.setattr(compose_module, "run_selection", partial(before, algorithm_version=2))
    outcome = Draws(app).draw(eid, 6, loose_quotas(tmp_path), seed=3, reserves=2, at=DRAW_AT)
    monkeypatch.setattr(compose_module, "run_selection", before)
    draw = Draws(app).get(outcome.draw_id)
    assert draw.algorithm_version == 2 and "new_panels" not in draw.report["lottery"]
    assert Draws(app).verify(outcome.draw_id).differences == []  # re-run as version 2, not as the current one
