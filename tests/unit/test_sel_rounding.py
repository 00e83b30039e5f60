"""The rounding to an L-panel lottery: nobody at zero, the stated bound holds, L chosen from the instance."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from selection import (
    ALGORITHM_VERSION,
    InfeasibleQuotasError,
    PersonType,
    PoolTooSmallError,
    Quota,
    UnsupportedOptionError,
    select,
    verify,
)
from selection.lottery import expand, marginals
from selection.rounding import at_zero, round_lottery
from tests.helpers.selection_helpers import enumerated_leximin, people, satisfies

GENDERS = ("f", "m", "x")
AGES = ("young", "mid", "old")


def _check(result, candidates, quotas, k):
    size = len(result.lottery)
    lot = result.report["lottery"]
    assert lot["size"] == size >= result.report["support"]
    assert all(satisfies(panel, candidates, quotas, k) for panel in result.lottery)
    gaps = [result.optimal_probabilities[i] - result.probabilities[i] for i in result.optimal_probabilities]
    assert max(max(gaps), 0.0) == pytest.approx(lot["worst_shortfall"], abs=1e-12)
    assert lot["bound_met"] == (lot["worst_shortfall"] <= 1 / size + 1e-9)
    for person, best in result.optimal_probabilities.items():
        if best > 1e-9:
            assert result.probabilities[person] > 0, person


@settings(max_examples=60, deadline=None)
@given(
    rows=st.lists(st.tuples(st.sampled_from(GENDERS), st.sampled_from(AGES)), min_size=8, max_size=13),
    k=st.integers(min_value=2, max_value=5),
    seed=st.integers(min_value=0, max_value=2**32 - 1),
)
def test_the_lottery_keeps_everyone_positive_and_states_its_worst_shortfall(rows, k, seed):
    candidates = people(rows)
    quotas = [Quota("gender", g, 0, k) for g in GENDERS] + [Quota("age", a, 0, max(1, k - 1)) for a in AGES]
    try:
        result = select(candidates, quotas, k, rng=np.random.default_rng(seed))
    except (InfeasibleQuotasError, PoolTooSmallError):  # an infeasible random instance is not the point here
        return
    _check(result, candidates, quotas, k)
    assert result.report["lottery"]["bound_met"], result.report["lottery"]  # small instances meet 1/L


SKEWED = [("f", "young"), ("f", "old"), ("f", "old"), ("f", "old"), ("f", "mid"), ("m", "young"), ("m", "old")]
SKEWED += [("m", "mid"), ("m", "mid"), ("x", "young"), ("f", "mid"), ("m", "old"), ("f", "young")]
QUOTAS = [Quota("gender", "f", 2, 3), Quota("gender", "m", 1, 2), Quota("gender", "x", 0, 1)]
QUOTAS += [Quota("age", "young", 2, 2), Quota("age", "old", 1, 2), Quota("age", "mid", 1, 2)]


@pytest.mark.parametrize("households", [None, {0: "a", 5: "a", 9: "a", 1: "b", 2: "b", 6: "c", 12: "c"}])
def test_small_instances_meet_the_one_over_l_bound_against_the_exact_distribution(households):
    candidates = people(SKEWED, households=households)
    result = select(candidates, QUOTAS, 5, rng=np.random.default_rng(4))
    exact = enumerated_leximin(candidates, QUOTAS, 5)
    size = len(result.lottery)
    for person, best in exact.items():
        assert result.optimal_probabilities[person] == pytest.approx(best, abs=1e-6)
        assert result.probabilities[person] >= best - 1 / size - 1e-9, person
        assert best <= 1e-9 or result.probabilities[person] > 0
    assert result.report["lottery"]["bound_met"] and result.report["lottery"]["size_rule"] == "auto"
    _check(result, candidates, QUOTAS, 5)


def test_a_given_lottery_size_too_small_for_everyone_is_refused():
    with pytest.raises(UnsupportedOptionError, match="lottery size auto"):
        select(people(SKEWED), QUOTAS, 5, rng=np.random.default_rng(4), lottery_size=2)


def test_a_given_lottery_size_is_used_and_reported():
    result = select(people(SKEWED), QUOTAS, 5, rng=np.random.default_rng(4), lottery_size=400)
    assert len(result.lottery) == 400 and result.report["lottery"]["size_rule"] == "given"
    assert result.options["lottery_size"] == 400


def test_a_version_1_record_re_runs_with_the_greedy_rounding_and_verifies():
    candidates = people(SKEWED)
    old = select(candidates, QUOTAS, 5, rng=np.random.default_rng(4), algorithm_version=1)
    assert old.algorithm_version == 1 and len(old.lottery) == 1000 and "lottery" not in old.report
    assert verify(candidates, QUOTAS, 5, old.to_dict()) == []
    new = select(candidates, QUOTAS, 5, rng=np.random.default_rng(4))
    assert new.algorithm_version == ALGORITHM_VERSION and verify(candidates, QUOTAS, 5, new.to_dict()) == []
    assert old.inputs_sha256 != new.inputs_sha256


def test_a_support_above_one_thousand_gets_a_larger_lottery_with_nobody_at_zero():
    rng = np.random.default_rng(11)
    types, k, support = 400, 12, 1300
    sizes = rng.integers(1, 4, size=types)
    columns = []
    while len(columns) < support:
        column = np.zeros(types, dtype=np.int64)
        for t in rng.choice(types, size=k, replace=False):
            column[t] = 1
        columns.append(column)
    weights = rng.dirichlet(np.ones(support))
    probs = (np.array(columns).T @ weights) / sizes
    rounded = round_lottery(columns, weights, sizes, probs, None)
    assert rounded.size >= support > 1000
    assert at_zero(columns, rounded.counts, sizes, probs) == 0
    kinds = [PersonType(f"t{t}", (), tuple(f"t{t}p{i}" for i in range(sizes[t]))) for t in range(types)]
    panels = expand(columns, rounded.counts, kinds, np.random.default_rng(0))
    got = marginals(panels, [m for kind in kinds for m in kind.members])
    for t, kind in enumerate(kinds):
        for member in kind.members:
            assert got[member] > 0
            assert got[member] >= probs[t] - (1 + rounded.shortfall) / rounded.size - 1e-9
