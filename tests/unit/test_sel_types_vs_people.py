"""The leximin over types gives every person what the leximin over people gives them (within 1e-8).

The solver collapses interchangeable people (same quota values, no shared household) into types and
works with count vectors; people in a shared household stay their own type. The reference is
``enumerated_leximin``: every feasible panel of people enumerated, leximin by linear programmes over
them, no types anywhere.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from selection import InfeasibleQuotasError, PoolTooSmallError, Quota, UnknownFeatureError, select
from selection.pool import build_pool, validate_quotas
from tests.helpers.selection_helpers import enumerated_leximin, people

GENDERS = ("f", "m")
AGES = ("young", "mid", "old")


@settings(max_examples=25, deadline=None)
@given(
    rows=st.lists(st.tuples(st.sampled_from(GENDERS), st.sampled_from(AGES)), min_size=7, max_size=11),
    housemates=st.lists(st.integers(min_value=0, max_value=10), max_size=4),
    k=st.integers(min_value=2, max_value=4),
)
def test_per_person_probabilities_equal_the_leximin_over_people(rows, housemates, k):
    households = {i: "shared" for i in housemates if i < len(rows)}
    candidates = people(rows, households=households)
    quotas = [Quota("gender", g, 1, k - 1) for g in GENDERS] + [Quota("age", a, 0, 2) for a in AGES]
    try:
        result = select(candidates, quotas, k, rng=np.random.default_rng(3))
    except (
        InfeasibleQuotasError,
        PoolTooSmallError,
        UnknownFeatureError,
    ):  # a random infeasible instance is not the point
        return
    pool = build_pool(candidates, validate_quotas(candidates, quotas))
    assert len(pool.types) < len(candidates)  # people were collapsed: the comparison means something
    expected = enumerated_leximin(candidates, quotas, k)
    for person, probability in expected.items():
        assert result.optimal_probabilities[person] == pytest.approx(probability, abs=1e-8), person
    for kind in pool.types:  # members of one type share its probability
        values = {result.optimal_probabilities[m] for m in kind.members}
        assert max(values) - min(values) <= 1e-12, kind.key
