"""uniform and legacy draws, reserves, quota-aware replacement and verification."""

from __future__ import annotations

import itertools
import json

import numpy as np
import pytest

from selection import Candidate, Quota, replace, select, verify
from tests.helpers.selection_helpers import people, satisfies

ROWS = [
    ("f", "y"),
    ("f", "o"),
    ("f", "o"),
    ("m", "y"),
    ("m", "o"),
    ("m", "o"),
    ("m", "o"),
    ("f", "o"),
    ("x", "y"),
    ("m", "y"),
]
QUOTAS = [Quota("gender", "f", 2, 3), Quota("gender", "m", 1, 3), Quota("age", "y", 2, 3), Quota("age", "o", 1, 3)]
RNG = np.random.default_rng


def test_uniform_without_households_is_k_over_n():
    result = select(people(ROWS), [], 4, rng=RNG(1), algorithm="uniform")
    assert list(result.probabilities.values()) == pytest.approx([0.4] * 10)
    assert len(result.selected) == 4


def test_uniform_with_households_gives_exact_probabilities():
    houses = {0: "a", 1: "a", 2: "a", 3: "b", 4: "b"}
    candidates = people(ROWS, households=houses)
    result = select(candidates, [], 3, rng=RNG(1), algorithm="uniform")
    panels = [p for p in itertools.combinations(sorted(c.id for c in candidates), 3) if satisfies(p, candidates, [], 3)]
    for person, probability in result.probabilities.items():
        share = sum(person in p for p in panels) / len(panels)
        assert probability == pytest.approx(share)
    assert satisfies(result.selected, candidates, [], 3)


def test_legacy_meets_quotas_and_estimates_probabilities():
    result = select(people(ROWS), QUOTAS, 4, rng=RNG(3), algorithm="legacy", monte_carlo_draws=300)
    assert satisfies(result.selected, people(ROWS), QUOTAS, 4)
    assert sum(result.probabilities.values()) == pytest.approx(4.0)
    assert "300 draws" in result.report["probability_estimate"]


def test_must_include_and_exclude():
    result = select(people(ROWS), QUOTAS, 4, rng=RNG(3), must_include=["p08"], must_exclude=["p00"])
    assert result.optimal_probabilities["p08"] == 1.0 and result.probabilities["p00"] == 0.0
    assert all("p08" in panel and "p00" not in panel for panel in result.lottery)
    assert all(satisfies(panel, people(ROWS), QUOTAS, 4) for panel in result.lottery)


def test_a_must_include_persons_housemates_are_never_drawn_nor_reserves():
    candidates = people(ROWS, households={8: "a", 3: "A ", 9: "b", 0: "b"})  # p03 shares p08's household (spelt apart)
    result = select(candidates, QUOTAS, 4, rng=RNG(4), must_include=["p08"], reserves=5)
    assert result.probabilities["p03"] == 0.0 and result.optimal_probabilities["p03"] == 0.0
    assert "p03" not in result.reserves and all("p03" not in panel for panel in result.lottery)
    assert result.probabilities["p09"] > 0.0 and result.probabilities["p00"] > 0.0  # another household still draws
    assert all(satisfies(panel, candidates, QUOTAS, 4) for panel in result.lottery)


def test_reserves_then_quota_keeping_replacement():
    candidates = people(ROWS)
    result = select(candidates, QUOTAS, 4, rng=RNG(5), reserves=4)
    assert len(result.reserves) == 4 and not set(result.reserves) & set(result.selected)
    dropout = result.selected[0]
    outcome = replace(candidates, QUOTAS, result, dropout)
    if outcome.quota_ok:
        assert satisfies(outcome.panel, candidates, QUOTAS, 4)
        assert outcome.chosen == next(
            r for r in result.reserves if satisfies(tuple(sorted([*result.selected[1:], r])), candidates, QUOTAS, 4)
        )


def test_replacement_that_must_break_a_quota_says_which():
    candidates = [Candidate("a", {"g": "f"}), Candidate("b", {"g": "m"}), Candidate("c", {"g": "m"})]
    quotas = [Quota("g", "f", 1, 1), Quota("g", "m", 1, 1)]
    outcome = replace(candidates, quotas, ["a", "b"], dropout="a", reserves=["c"])
    assert outcome.chosen == "c" and not outcome.quota_ok
    assert "g=f would have 0, below its min 1" in outcome.message
    assert "g=m would have 2, above its max 1" in outcome.message


def test_verify_replays_a_recorded_selection():
    candidates = people(ROWS)
    result = select(candidates, QUOTAS, 4, rng=RNG(9), reserves=2, seed_from="ball 17")
    recorded = json.loads(json.dumps(result.to_dict()))
    assert verify(candidates, QUOTAS, 4, recorded) == []
    recorded["selected"] = ["p00", "p01", "p02", "p03"]
    assert verify(candidates, QUOTAS, 4, recorded)[0].startswith("selected differs")
    assert any(d.startswith("inputs_sha256") for d in verify(candidates[1:], QUOTAS, 4, recorded))
