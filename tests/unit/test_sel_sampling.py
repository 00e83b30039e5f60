"""Drawing from the lottery: frequencies match the reported probabilities; determinism."""

from __future__ import annotations

import math

import numpy as np
import pytest

from selection import Quota, select
from selection.lottery import draw_index
from tests.helpers.selection_helpers import people

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
    ("f", "y"),
    ("m", "o"),
]
QUOTAS = [Quota("gender", "f", 2, 3), Quota("gender", "m", 1, 3), Quota("age", "y", 2, 3), Quota("age", "o", 1, 3)]


def _frequencies(result, draws: int, seed: int) -> dict[str, float]:
    rng = np.random.default_rng(seed)
    counts = dict.fromkeys(result.probabilities, 0)
    for _ in range(draws):
        for person in result.lottery[int(rng.integers(len(result.lottery)))]:
            counts[person] += 1
    return {p: c / draws for p, c in counts.items()}


def _within_four_sigma(frequencies, probabilities, draws):
    for person, p in probabilities.items():
        sigma = math.sqrt(max(p * (1 - p), 1e-12) / draws)
        assert abs(frequencies[person] - p) <= 4 * sigma + 1e-12, person


def test_empirical_frequencies_match_lottery_probabilities():
    result = select(people(ROWS), QUOTAS, 4, rng=np.random.default_rng(3), lottery_size=1000)
    draws = 10_000
    _within_four_sigma(_frequencies(result, draws, 11), result.probabilities, draws)


def test_a_wrong_sampler_fails_the_frequency_check():
    result = select(people(ROWS), QUOTAS, 4, rng=np.random.default_rng(3), lottery_size=1000)
    draws = 10_000
    biased = _frequencies(result, draws, 11)
    rng = np.random.default_rng(5)
    counts = dict.fromkeys(result.probabilities, 0)
    for _ in range(draws):  # biased sampler: only the first half of the lottery
        for person in result.lottery[int(rng.integers(len(result.lottery) // 2))]:
            counts[person] += 1
    biased = {p: c / draws for p, c in counts.items()}
    with pytest.raises(AssertionError):
        _within_four_sigma(biased, result.probabilities, draws)


def test_lottery_marginals_are_close_to_the_optimum():
    result = select(people(ROWS), QUOTAS, 4, rng=np.random.default_rng(3), lottery_size=1000)
    for person, p in result.probabilities.items():
        assert abs(p - result.optimal_probabilities[person]) < 0.01
    assert result.report["rounding_cost"] < 0.01


def test_same_seed_gives_an_identical_result():
    first = select(people(ROWS), QUOTAS, 4, rng=np.random.default_rng(42), reserves=3)
    second = select(people(ROWS), QUOTAS, 4, rng=np.random.default_rng(42), reserves=3)
    a, b = first.to_dict(), second.to_dict()
    for key in ("report",):
        a[key].pop("solve_seconds"), b[key].pop("solve_seconds")
    assert a == b


def test_input_order_does_not_matter():
    first = select(people(ROWS), QUOTAS, 4, rng=np.random.default_rng(42))
    second = select(list(reversed(people(ROWS))), list(reversed(QUOTAS)), 4, rng=np.random.default_rng(42))
    assert first.selected == second.selected
    assert first.lottery == second.lottery
    assert first.probabilities == second.probabilities


def test_seed_from_text_picks_the_index():
    result = select(people(ROWS), QUOTAS, 4, rng=np.random.default_rng(1), seed_from="2026-11-22 lottery ball 31")
    assert result.lottery_index == draw_index(1000, np.random.default_rng(0), "2026-11-22 lottery ball 31")
    indices = {draw_index(1000, np.random.default_rng(0), f"text {i}") for i in range(20)}
    assert len(indices) > 15


def test_progress_reports_each_stage():
    seen = []
    select(
        people(ROWS),
        QUOTAS,
        4,
        rng=np.random.default_rng(1),
        reserves=2,
        progress=lambda stage, done, total: seen.append((stage, done, total)),
    )
    stages = [stage for stage, _, _ in seen]
    for stage in ("checking", "relaxed leximin", "lottery", "reserves"):
        assert stage in stages
    assert all(0 <= done <= total or total == 0 for _, done, total in seen)
