"""Every panel the library can return meets every quota and household rule."""

from __future__ import annotations

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from selection import Candidate, InfeasibleQuotasError, Quota, SelectionError, select
from tests.helpers.selection_helpers import satisfies


@st.composite
def instances(draw):
    n = draw(st.integers(4, 14))
    genders = draw(st.lists(st.sampled_from("fmx"), min_size=n, max_size=n))
    ages = draw(st.lists(st.sampled_from("yom"), min_size=n, max_size=n))
    houses = draw(st.lists(st.one_of(st.none(), st.sampled_from("abc")), min_size=n, max_size=n))
    candidates = [
        Candidate(f"p{i:02d}", {"gender": g, "age": a}, h) for i, (g, a, h) in enumerate(zip(genders, ages, houses))
    ]
    k = draw(st.integers(1, max(1, n // 2)))
    quotas = []
    for feature, values in (("gender", genders), ("age", ages)):
        for value in sorted(set(values)):
            low = draw(st.integers(0, 2))
            quotas.append(Quota(feature, value, low, low + draw(st.integers(0, k))))
    return candidates, quotas, k


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(instances(), st.integers(0, 2**32 - 1))
def test_every_panel_meets_the_quotas(instance, seed):
    candidates, quotas, k = instance
    try:
        result = select(candidates, quotas, k, rng=np.random.default_rng(seed), lottery_size=40, reserves=2)
    except InfeasibleQuotasError as error:
        assert error.suggestions or "flex" in str(error)
        return
    except SelectionError as error:
        assert error.code in ("pool_too_small",)
        return
    assert len(result.lottery) == 40
    for panel in result.lottery:
        assert satisfies(panel, candidates, quotas, k)
    assert satisfies(result.selected, candidates, quotas, k)
    assert result.selected == result.lottery[result.lottery_index]
    assert not set(result.reserves) & set(result.selected)
    sizes = {t.key: t for t in result.types}
    by_id = {c.id: c for c in candidates}
    for composition, _ in result.distribution:
        members = [sizes[key].members[0] for key, count in composition for _ in range(count)]
        counts = {}
        for key, count in composition:
            assert count <= len(sizes[key].members)
        for q in quotas:
            counts[q] = sum(by_id[p].features[q.feature] == q.value for p in members)
            assert q.min <= counts[q] <= q.max
    for person, p in result.probabilities.items():
        assert abs(p - result.optimal_probabilities[person]) <= 1.0 + 1e-9
