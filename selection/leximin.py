"""Exact leximin over types: relaxed leximin, then decomposition into panels, cut, repeat.

1. Leximin over the LP relaxation (plus cuts) gives target type probabilities that are an
   upper bound for what any lottery of feasible panels can reach (xspace.py).
2. Column generation writes the target as a lottery over feasible panel compositions
   (decompose.py). If it succeeds the target is achievable, so it is the true leximin
   (the leximin point of a convex set is unique and the panel hull lies inside the bound).
3. Otherwise the LP duals give a valid inequality the target violates; it is added as a
   cut and step 1 runs again.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from selection import carath
from selection.decompose import Decomposer
from selection.errors import SolverError
from selection.face_lp import FaceLP
from selection.model import ALGORITHM_VERSION
from selection.neighbours import Swapper
from selection.pool import Pool
from selection.pricing import Pricer
from selection.xspace import XSpace

EXACT_TOL = 1e-8
PRICE_TOL = 1e-9
SWAP_COLUMNS = 3
BASIS_STARTS = 8
MAX_CUT_ROUNDS = 500

Progress = Callable[[str, int, int], None]


@dataclass
class LeximinOutcome:
    """Compositions with positive weight, their weights, type probabilities and statistics."""

    columns: list[np.ndarray]
    weights: np.ndarray
    type_probabilities: np.ndarray
    stats: dict[str, float] = field(default_factory=dict)
    levels: list[dict[str, object]] = field(default_factory=list)  # relaxed leximin levels with their duals
    cuts: list[tuple[np.ndarray, np.ndarray, float]] = field(default_factory=list)  # (types, weights, bound)


FACE_LP_FROM = 4  # the algorithm version whose walk asks each face's LP before the ILP and allows for noise


class _Run:
    def __init__(self, pool: Pool, k: int, progress: Progress | None, version: int) -> None:
        self.pool = pool
        self.k = k
        self.face_lp = FaceLP(pool, k) if version >= FACE_LP_FROM else None
        self.pricer = Pricer(pool, k)
        self.swapper = Swapper(pool)
        self.relaxed = XSpace(pool, k)
        self.progress = progress or (lambda stage, done, total: None)
        self.rounds = 0
        self.face_ilp_calls = 0

    def run(self) -> LeximinOutcome:
        started = time.perf_counter()
        self.progress("relaxed leximin", 0, 1)
        target = self.relaxed.leximin()
        self.progress("relaxed leximin", 1, 1)
        face_pricer = Pricer(self.pool, self.k, mip_gap=carath.WALK_GAP)
        face_pricer.model.setOptionValue("presolve", "on")  # faces fix many counts
        limit = 4 * len(target) + 100
        noise = carath.NOISE if self.face_lp is not None else 0.0
        walked = carath.walk(self.pool, self.k, target, face_pricer, limit, self.progress, self.face_lp, noise)
        self.face_ilp_calls = face_pricer.calls
        if walked[1] is not None:
            return self._finish(walked[0], walked[1], time.perf_counter() - started)
        self.master = Decomposer(self.pool.sizes, target)
        for column in walked[0]:
            self.master.add(column)
        self._seed(target)
        for _ in range(MAX_CUT_ROUNDS):
            shortfall, weights, bound = self._converge()
            if shortfall <= EXACT_TOL:
                return self._outcome(time.perf_counter() - started)
            self.relaxed.add_cut(weights, bound + PRICE_TOL)
            target = self.relaxed.leximin()
            self.master.retarget(target)
            self.progress("leximin cuts", self.relaxed.cuts, 0)
        raise SolverError(f"leximin did not converge after {MAX_CUT_ROUNDS} cuts; please report this instance.")

    def _seed(self, target: np.ndarray) -> None:
        found = self.pricer.best(1.0 / self.pool.sizes)
        if found is None:
            raise SolverError("no feasible panel exists although the quota check passed; please report this instance.")
        self.master.add(found[1])
        self.master.add(self.swapper.climb(found[1], target))

    def _converge(self) -> tuple[float, np.ndarray, float]:
        """Column generation until the shortfall is zero or no panel can reduce it."""
        while True:
            self.rounds += 1
            shortfall, duals, mu = self.master.solve()
            self.progress("leximin", self.rounds, 0)
            weights = duals / self.pool.sizes
            if shortfall <= EXACT_TOL:
                return shortfall, weights, mu
            threshold = mu + PRICE_TOL * max(1.0, abs(mu))
            if self._add_climbs(weights, threshold):
                continue
            best = self.pricer.best(weights)
            if best is None:
                raise SolverError("the pricing ILP became infeasible; please report this instance.")
            if best[0] <= threshold or not self.master.add(best[1]):
                return shortfall, weights, best[0]
            for column in self.swapper.neighbours(best[1], weights, threshold, SWAP_COLUMNS):
                self.master.add(column)

    def _add_climbs(self, weights: np.ndarray, threshold: float) -> bool:
        lam = self.master.weights()
        added = False
        for index in np.argsort(-lam, kind="stable")[:BASIS_STARTS]:
            if lam[index] <= 0:
                break
            top = self.swapper.climb(self.master.columns[int(index)], weights)
            if float(weights @ top) > threshold:
                added |= self.master.add(top)
        return added

    def _outcome(self, seconds: float) -> LeximinOutcome:
        lam = np.maximum(self.master.weights(), 0.0)
        return self._finish(self.master.columns, lam, seconds)

    def _finish(self, all_columns: list[np.ndarray], lam: np.ndarray, seconds: float) -> LeximinOutcome:
        keep = np.flatnonzero(lam > 1e-12)
        weights = lam[keep] / lam[keep].sum()
        columns = [all_columns[int(i)] for i in keep]
        probs = (np.array(columns).T @ weights) / self.pool.sizes
        stats = {
            "columns": float(len(all_columns)),
            "rounds": float(self.rounds),
            "levels": float(self.relaxed.levels),
            "cuts": float(self.relaxed.cuts),
            "ilp_calls": float(self.pricer.calls + self.face_ilp_calls),
            "face_lps": float(self.face_lp.calls if self.face_lp is not None else 0),
            "seconds": seconds,
        }
        return LeximinOutcome(columns, weights, probs, stats, list(self.relaxed.history), list(self.relaxed.cut_rows))


def leximin(pool: Pool, k: int, progress: Progress | None = None, version: int = ALGORITHM_VERSION) -> LeximinOutcome:
    """Return the leximin lottery over compositions of ``pool`` for panel size ``k``.

    ``version`` is the algorithm version: before 4 the walk asks the ILP for every face the swap
    repair cannot reach (the same lottery as those versions drew); from 4 it asks the face's LP first.
    """
    return _Run(pool, k, progress, version).run()
