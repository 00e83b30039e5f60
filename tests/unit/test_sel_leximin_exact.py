"""Leximin probabilities equal an independent brute-force leximin over enumerated panels."""

from __future__ import annotations

import numpy as np
import pytest

from selection import Quota, select
from tests.helpers.selection_helpers import enumerated_leximin, people

SKEWED = [
    ("f", "young"),
    ("f", "old"),
    ("f", "old"),
    ("f", "old"),
    ("f", "mid"),
    ("m", "young"),
    ("m", "old"),
    ("m", "mid"),
    ("m", "mid"),
    ("x", "young"),
    ("f", "mid"),
    ("m", "old"),
    ("f", "young"),
]
QUOTAS = [
    Quota("gender", "f", 2, 3),
    Quota("gender", "m", 1, 2),
    Quota("gender", "x", 0, 1),
    Quota("age", "young", 2, 2),
    Quota("age", "old", 1, 2),
    Quota("age", "mid", 1, 2),
]


@pytest.fixture(params=["walk", "column-generation"])
def path(request, monkeypatch):
    """Run each comparison through the fast walk and through the column-generation fallback."""
    if request.param == "column-generation":
        monkeypatch.setattr("selection.carath.walk", lambda *args, **kwargs: ([], None))
    return request.param


def _compare(candidates, quotas, k):
    result = select(candidates, quotas, k, rng=np.random.default_rng(7), lottery_size=50)
    expected = enumerated_leximin(candidates, quotas, k)
    for person, probability in expected.items():
        assert result.optimal_probabilities[person] == pytest.approx(probability, abs=1e-6), person


def test_leximin_matches_enumeration_on_a_skewed_pool(path):
    _compare(people(SKEWED), QUOTAS, 5)


def test_leximin_matches_enumeration_with_households(path):
    households = {0: "a", 5: "a", 9: "a", 1: "b", 2: "b", 6: "c", 12: "c"}
    _compare(people(SKEWED, households=households), QUOTAS, 5)


def test_leximin_matches_enumeration_with_three_features(path):
    rows = [(g, a, r) for g, a, r in zip("ffmmfmfmfmfmmf", "yyoomyomymooyo", "nnsnssnnsnnsss")]
    quotas = [
        Quota("g", "f", 2, 3),
        Quota("g", "m", 2, 3),
        Quota("a", "y", 1, 2),
        Quota("a", "o", 1, 3),
        Quota("r", "n", 2, 3),
        Quota("r", "s", 2, 3),
    ]
    _compare(people(rows, names=("g", "a", "r"), households={0: "h", 3: "h", 7: "h"}), quotas, 5)


def test_distribution_is_consistent_with_its_marginals():
    candidates = people(SKEWED)
    result = select(candidates, QUOTAS, 5, rng=np.random.default_rng(1), lottery_size=200)
    sizes = {t.key: len(t.members) for t in result.types}
    marginal = {t.key: 0.0 for t in result.types}
    for composition, weight in result.distribution:
        assert sum(count for _, count in composition) == 5
        for key, count in composition:
            marginal[key] += weight * count / sizes[key]
    for kind in result.types:
        for person in kind.members:
            assert result.optimal_probabilities[person] == pytest.approx(marginal[kind.key], abs=1e-9)
    assert sum(w for _, w in result.distribution) == pytest.approx(1.0)
    assert sum(result.optimal_probabilities.values()) == pytest.approx(5.0, abs=1e-6)


def test_leximin_matches_enumeration_when_the_relaxation_is_not_integral(path):
    """Found by random search: the relaxed leximin is not achievable, so cuts are needed."""
    rows = ["aaa", "bba", "abb", "bba", "aaa", "aaa", "bab"]
    quotas = [
        Quota("x", "a", 2, 3),
        Quota("x", "b", 1, 1),
        Quota("y", "a", 1, 2),
        Quota("y", "b", 1, 2),
        Quota("z", "a", 2, 3),
        Quota("z", "b", 0, 1),
    ]
    candidates = people([tuple(r) for r in rows], names=("x", "y", "z"))
    _compare(candidates, quotas, 3)
    result = select(candidates, quotas, 3, rng=np.random.default_rng(0), lottery_size=10)
    assert result.report["cuts"] >= 1
