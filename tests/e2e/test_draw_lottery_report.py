"""What a draw and `panel select` state about the lottery: its size, the 1/L bound and the realised deviation.

Runs the real `panel` script in subprocesses on SQLite and PostgreSQL.
"""

from __future__ import annotations

import json
import re

from panel.application import PanelApp
from panel.config import StoreLocation
from tests.helpers.draw_case import populate
from tests.helpers.paths import FIXTURES, ROOT
from tests.helpers.proc import run_panel
from tests.helpers.selection_helpers import six_features
from tests.helpers.store import table_rows

QUOTAS = str(ROOT / "examples" / "vested-quotas.csv")
LINE = re.compile(r"Lottery of (\d+) panels \(auto\); bound 1/L met: .* realised worst shortfall [\d.]+%")
DRAW = ["draw", "vested-youth-panel", "--size", "6", "--quotas", QUOTAS, "--seed", "9", "--at", "2026-02-01"]


def test_a_draw_states_its_lottery_size_bound_and_deviation(app: PanelApp, panel) -> None:  # type: ignore[no-untyped-def]
    populate(app)
    data = json.loads(panel(*DRAW, "--json").out)
    lottery = data["lottery"]
    assert lottery["size_rule"] == "auto" and lottery["size"] == data["lottery_size"] >= data["report"]["support"]
    assert lottery["bound"] == 1 / lottery["size"] and lottery["at_zero"] == 0
    assert lottery["worst_shortfall"] <= lottery["bound"] + 1e-12 and lottery["bound_met"] is True
    shown = panel("draw", "show", data["id"]).out
    found = LINE.search(shown)
    assert found and int(found.group(1)) == lottery["size"], shown
    assert f"panel {data['lottery_index'] + 1} of a {lottery['size']}-panel lottery" in shown
    panel("draw", "verify", data["id"])


def test_a_lottery_size_that_leaves_someone_at_zero_is_refused_and_writes_nothing(
    app: PanelApp, location: StoreLocation, panel
) -> None:  # type: ignore[no-untyped-def]
    populate(app)
    panel(*DRAW, "--lottery-size", "1", code=1)  # the first run brings the consent views up to date
    before = table_rows(location)
    ran = panel(*DRAW, "--lottery-size", "1", code=1)
    assert ran.err.startswith("Error:") and "lottery size auto" in ran.err and len(ran.err.strip().splitlines()) == 1
    assert table_rows(location) == before
    bad = panel(*DRAW, "--lottery-size", "many", code=2)
    assert "use auto or a whole number" in bad.err


def test_select_states_the_lottery_in_text_and_json() -> None:
    people = str(FIXTURES / "selection" / "people.csv")
    quotas = str(FIXTURES / "selection" / "quotas.csv")
    args = ["select", "--people", people, "--quotas", quotas, "--size", "4", "--household-by", "household"]
    text = run_panel(*args)
    assert text.code == 0 and LINE.search(text.out), text.out + text.err
    data = json.loads(run_panel(*args, "--json").out)
    assert data["lottery_size"] == data["report"]["lottery"]["size"] and data["report"]["lottery"]["at_zero"] == 0


def test_select_says_how_many_new_panels_the_bound_needed(tmp_path) -> None:  # type: ignore[no-untyped-def]
    candidates, quotas = six_features(200, 20, 6)  # version 4 needs two new panels here to meet 1/L
    names = list(candidates[0].features)
    people, limits = tmp_path / "people.csv", tmp_path / "quotas.csv"
    people.write_text(
        "\n".join([",".join(["id", *names])] + [",".join([c.id, *(c.features[f] for f in names)]) for c in candidates])
        + "\n"
    )
    limits.write_text("feature,value,min,max\n" + "".join(f"{q.feature},{q.value},{q.min},{q.max}\n" for q in quotas))
    args = ["select", "--people", str(people), "--quotas", str(limits), "--size", "20", "--seed", "1"]
    data = json.loads(run_panel(*args, "--json").out)
    lottery = data["report"]["lottery"]
    assert lottery["bound_met"] and lottery["below_bound"] == 0 and lottery["new_panels"] > 0
    text = run_panel(*args)
    assert text.code == 0 and LINE.search(text.out), text.out + text.err
    added = lottery["new_panels"]
    assert (
        f"; {added} panel{'s' if added != 1 else ''} added beyond the optimal lottery's to meet the bound" in text.out
    )
