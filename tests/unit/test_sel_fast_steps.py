"""The fast inner steps of the walk and of the rounding agree with their plain definitions.

``Repairer.step`` and the rounding's ``_State._left`` compute in a few array passes what the
definitions compute swap by swap (resp. composition by composition); recorded draws re-run them
and must get the same panels, so the fast forms must pick exactly what the definitions pick.
"""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from selection import Candidate, Quota
from selection.lottery import balanced_counts
from selection.pool import build_pool
from selection.repair import Face, Repairer
from selection.reserves import draw_reserves
from selection.rounding import _State, needs

VALUES = {"gender": ("f", "m", "x"), "age": ("a", "b", "c", "d"), "area": ("n", "s")}


def _pool(seed: int, n: int):
    rng = np.random.default_rng(seed)
    candidates = []
    for i in range(n):
        features = {f: str(rng.choice(v)) for f, v in VALUES.items() if f != "area" or rng.random() < 0.9}
        features.setdefault("area", "n")
        house = f"h{rng.integers(n // 3)}" if rng.random() < 0.4 else None
        candidates.append(Candidate(f"p{i:03d}", features, house))
    quotas = [Quota(f, v, 0, 9) for f, values in VALUES.items() for v in values[:-1] if (f, v) != ("age", "b")]
    return build_pool(candidates, quotas), rng


def _face(pool, rng) -> Face:
    sizes = pool.sizes.astype(float)
    rows = len(pool.quotas)
    low = rng.integers(0, 3, rows).astype(float)
    return Face(
        type_low=np.where(rng.random(len(sizes)) < 0.1, sizes, 0.0),
        type_high=np.where(rng.random(len(sizes)) < 0.2, 0.0, sizes),
        row_low=low,
        row_high=low + rng.integers(0, 3, rows),
        house_low=(rng.random(len(pool.households)) < 0.3).astype(float),
        house_high=np.ones(len(pool.households)),
    )


def _plain_step(repairer: Repairer, counts, face, weights):
    """The definition: try every swap, keep the lowest violation change, ties to the higher weight, first wins."""
    before = repairer.violation(counts, face)
    best, best_delta = None, np.inf
    for s in np.flatnonzero(counts > 0):
        for t in np.flatnonzero((counts < repairer.sizes) & (counts < face.type_high)):
            if s == t:
                continue
            moved = counts.copy()
            moved[s] -= 1
            moved[t] += 1
            delta = float(round(repairer.violation(moved, face) - before)) - 1e-9 * (weights[t] - weights[s])
            if delta < best_delta:
                best, best_delta = moved, delta
    return best if best_delta < -1e-12 else None


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(min_value=0, max_value=2**31), n=st.integers(min_value=6, max_value=40))
def test_the_repair_step_takes_the_swap_its_definition_takes(seed, n):
    pool, rng = _pool(seed, n)
    repairer = Repairer(pool)
    for _ in range(5):
        counts = np.minimum(rng.integers(0, 3, len(pool.types)), pool.sizes).astype(np.int64)
        if not counts.any():
            counts[0] = 1
        face = _face(pool, rng)
        weights = rng.random(len(pool.types))
        fast, plain = repairer.step(counts, face, weights), _plain_step(repairer, counts, face, weights)
        assert (fast is None) == (plain is None)
        if fast is not None:
            assert fast.tolist() == plain.tolist()


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(min_value=0, max_value=2**31), n=st.integers(min_value=6, max_value=40))
def test_every_swap_change_the_repair_step_scores_is_its_change_of_violation(seed, n):
    """The whole support x targets matrix, not only the swap taken: each entry is the violation after that
    one swap minus the violation before (the shared quota rows counted by a matrix product)."""
    pool, rng = _pool(seed, n)
    repairer = Repairer(pool)
    for _ in range(5):
        counts = np.minimum(rng.integers(0, 4, len(pool.types)), pool.sizes).astype(np.int64)
        if not counts.any():
            counts[0] = 1
        face = _face(pool, rng)
        support = np.flatnonzero(counts > 0)
        targets = np.flatnonzero((counts < repairer.sizes) & (counts < face.type_high))
        if not targets.size:
            continue
        change = repairer._changes(counts, face, support, targets)
        before = repairer.violation(counts, face)
        for i, s in enumerate(support):
            for j, t in enumerate(targets):
                if s == t:
                    assert change[i, j] == np.iinfo(np.int32).max
                    continue
                moved = counts.copy()
                moved[s] -= 1
                moved[t] += 1
                assert change[i, j] == round(repairer.violation(moved, face) - before)


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(min_value=0, max_value=2**31), types=st.integers(min_value=1, max_value=12))
def test_the_rounding_scores_each_composition_as_its_definition_does(seed, types):
    rng = np.random.default_rng(seed)
    columns = [rng.integers(0, 3, types) for _ in range(int(rng.integers(1, 8)))]
    for column in columns:  # a composition seats somebody
        column[int(rng.integers(types))] += 1
    sizes = np.array([max(1, int(c)) for c in np.max(columns, axis=0)], dtype=np.int64) + rng.integers(0, 3, types)
    weights = rng.random(len(columns))
    weights /= weights.sum()
    probs = (np.array(columns).T @ weights) / sizes
    size = int(rng.integers(3, 30))
    state = _State(
        np.array(columns).T, sizes, balanced_counts(columns, weights, sizes, size), sizes * needs(probs, size)
    )
    for into in range(len(columns)):
        raised = state.slack + state.matrix[:, into]
        plain = [int(np.maximum(0, state.matrix[:, j] - raised).sum()) for j in range(len(columns))]
        assert state._left(raised).tolist() == plain


def _plain_reserves(candidates, quotas, selected, count, rng):
    """The definition: panel members in seeded order, each gets a random available person whose profile differs
    in the fewest quota features (compared as strings), housemates of the panel never."""
    from selection.pool import feature_values, household_key

    members = [selected[int(i)] for i in rng.permutation(len(selected))]
    features = list(dict.fromkeys(q.feature.strip().casefold() for q in quotas))
    houses = {household_key(c) for c in candidates if c.id in selected} - {None}
    pool = sorted(
        (c for c in candidates if c.id not in selected and household_key(c) not in houses), key=lambda c: c.id
    )
    profile = {c.id: [feature_values(c).get(f, "") for f in features] for c in candidates}
    taken: set[str] = set()
    reserves: list[str] = []
    while len(reserves) < min(count, len(pool)) and members:
        for member in members:
            if len(reserves) >= min(count, len(pool)):
                break
            distance = {
                c.id: sum(a != b for a, b in zip(profile[c.id], profile[member], strict=True))
                for c in pool
                if c.id not in taken
            }
            nearest = [c.id for c in pool if c.id in distance and distance[c.id] == min(distance.values())]
            pick = nearest[int(rng.integers(len(nearest)))]
            taken.add(pick)
            reserves.append(pick)
    return tuple(reserves)


@settings(max_examples=40, deadline=None)
@given(
    seed=st.integers(min_value=0, max_value=2**31),
    n=st.integers(min_value=6, max_value=40),
    count=st.integers(min_value=0, max_value=45),
)
def test_reserves_are_the_ones_their_definition_draws_and_use_the_generator_alike(seed, n, count):
    rng = np.random.default_rng(seed)
    candidates = []
    for i in range(n):
        features = {f: str(rng.choice(v)) for f, v in VALUES.items()}
        features["Area "] = features.pop("area").upper()  # other spellings of a feature and a value
        house = f"h{rng.integers(n // 3)}" if rng.random() < 0.4 else None
        candidates.append(Candidate(f"p{i:03d}", features, house))
    quotas = [Quota(f, v, 0, 9) for f, values in VALUES.items() for v in values]
    selected = sorted(str(c.id) for c in rng.choice(np.array(candidates, dtype=object), n // 3, replace=False))
    fast_rng, plain_rng = np.random.default_rng(seed + 1), np.random.default_rng(seed + 1)
    fast = draw_reserves(candidates, quotas, selected, count, fast_rng)
    assert fast == _plain_reserves(candidates, quotas, selected, count, plain_rng)
    assert fast_rng.integers(1 << 62) == plain_rng.integers(1 << 62)  # the same draws were made
