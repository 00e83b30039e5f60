"""Version 4's walk: each face's LP is asked for a panel before the panel ILP (selection/face_lp.py)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import pytest
from threadpoolctl import threadpool_limits

from selection import Candidate, Quota, carath, select, verify
from selection.carath import face_of
from selection.face_lp import FaceLP, round_to_size
from selection.pool import build_pool
from selection.pricing import Pricer
from selection.repair import Repairer
from selection.xspace import XSpace
from tests.helpers.selection_helpers import satisfies, share_households, six_features

INSTANCES = [(600, 30, 1, False), (900, 40, 2, True), (1500, 60, 3, False)]


@pytest.mark.parametrize(("n", "k", "seed", "households"), INSTANCES)
def test_version_4_reaches_the_same_optimum_as_version_3_with_fewer_ilps(n, k, seed, households):
    candidates, quotas = six_features(n, k, seed)
    if households:
        candidates = share_households(candidates, seed + 100)
    old = select(candidates, quotas, k, rng=np.random.default_rng(5), algorithm_version=3)
    new = select(candidates, quotas, k, rng=np.random.default_rng(5), algorithm_version=4)
    assert new.algorithm_version == 4 and old.algorithm_version == 3
    for person, best in old.optimal_probabilities.items():  # the leximin optimum is unique: both walks reach it,
        # each to within the walk's 5e-7 (carath.walk)
        assert new.optimal_probabilities[person] == pytest.approx(best, abs=1e-6), person
    assert new.report["face_lps"] > 0 and "face_lps" not in old.report
    assert new.report["ilp_calls"] < old.report["ilp_calls"]
    lottery = new.report["lottery"]
    assert lottery["bound_met"] and lottery["at_zero"] == 0
    assert all(satisfies(panel, candidates, quotas, k) for panel in new.lottery)
    assert verify(candidates, quotas, k, new.to_dict()) == []
    assert verify(candidates, quotas, k, old.to_dict()) == []  # a version-3 record still re-runs as version 3


def test_a_version_3_record_does_not_verify_as_version_4():
    candidates, quotas = six_features(1500, 60, 3)
    old = select(candidates, quotas, 60, rng=np.random.default_rng(5), algorithm_version=3).to_dict()
    assert verify(candidates, quotas, 60, old) == []
    old["algorithm_version"] = 4  # the walk finds other panels: the record no longer matches
    assert verify(candidates, quotas, 60, old) != []


@pytest.mark.parametrize("seed", range(6))
def test_rounding_a_vertex_keeps_the_size_and_the_bounds(seed):
    rng = np.random.default_rng(seed)
    high = rng.integers(0, 5, size=40).astype(float)
    x = rng.random(40) * high
    k = int(np.floor(x.sum()))
    x *= k / x.sum()  # a point summing to k within [0, high]
    counts = round_to_size(x, high, k)
    assert counts.sum() == k
    assert np.all(counts >= np.floor(x + 1e-9)) and np.all(counts <= np.ceil(x - 1e-9)) and np.all(counts <= high)


@pytest.mark.parametrize(("households", "seed"), [(False, 7), (True, 8)])
def test_every_panel_from_the_face_lp_lies_on_its_face(households, seed):
    candidates, quotas = six_features(800, 40, seed)
    if households:
        candidates = share_households(candidates, seed)
    pool = build_pool(candidates, sorted(quotas, key=lambda q: (q.feature, q.value)))
    target = XSpace(pool, 40).leximin() * pool.sizes
    face_lp, repairer, rng = FaceLP(pool, 40), Repairer(pool), np.random.default_rng(seed)
    found = 0
    for _ in range(30):  # points between the target and random corners of the box: faces of several sizes
        corner = np.where(rng.random(len(target)) < 0.5, 0.0, pool.sizes.astype(float))
        y = target + rng.random() * 0.02 * (corner - target)
        face = face_of(pool, y)
        weights = y / pool.sizes + 1e-3 / pool.sizes
        panel = face_lp.panel(face, weights, repairer)
        if panel is not None:
            found += 1
            assert panel.sum() == 40
            assert repairer.violation(panel, face) < 0.5
    assert found > 0


def _bench_people(n: int) -> tuple[list, list]:
    """The benchmark's pool (bench/selection_bench.py: six response-biased features, a fifth in households)."""
    spec = importlib.util.spec_from_file_location(
        "selection_bench", Path(__file__).parents[2] / "bench/selection_bench.py"
    )
    assert spec is not None and spec.loader is not None
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    rows = bench.make_people(n, households=True)
    candidates = [Candidate(r["id"], {f: r[f] for f in bench.FEATURES}, r["address"]) for r in rows]
    return candidates, [Quota(*q) for q in bench.make_quotas(100)]


def test_the_walk_allows_for_rounding_noise_in_its_last_steps():
    """On this pool the walk's residual mass reaches about 1.3e-6 with a step of 1e-13: a bound 1e-7 from
    the point (TIGHT) is still "not tight" though r / m carries more noise than that, so a panel off the
    bound gets no room. Counting bounds within NOISE / m as tight lets the walk finish (version 4)."""
    candidates, quotas = _bench_people(4000)
    with threadpool_limits(limits=1, user_api="blas"):
        pool = build_pool(candidates, sorted(quotas, key=lambda q: (q.feature, q.value)))
        target = XSpace(pool, 100).leximin()
        pricer = Pricer(pool, 100, mip_gap=carath.WALK_GAP)
        pricer.model.setOptionValue("presolve", "on")
        columns, weights = carath.walk(
            pool, 100, target, pricer, 4 * len(target) + 100, None, FaceLP(pool, 100), carath.NOISE
        )
    assert weights is not None  # walked to the end: no column generation needed
    achieved = (np.array(columns).T @ weights) / pool.sizes
    assert np.abs(achieved - target).max() <= carath.EXACT
