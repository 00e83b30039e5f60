"""Leximin over types by column generation (HiGHS master LP + ILP pricing).

Level by level: maximise the smallest free type probability z over lotteries of
feasible compositions; types whose dual weight is positive are at z in every optimal
lottery (complementary slackness), so they are fixed at z and the next level starts.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from selection.errors import SolverError
from selection.master import Master
from selection.neighbours import Swapper
from selection.pool import Pool
from selection.pricing import Pricer

DUAL_EPS = 1e-7
PRICE_TOL = 1e-9
SWAP_COLUMNS = 0
BASIS_STARTS = int(__import__("os").environ.get("BS", "10"))
CLIMB = __import__("os").environ.get("CL", "1") == "1"

Progress = Callable[[str, int, int], None]


@dataclass
class LeximinOutcome:
    """Compositions with positive weight, their weights, type probabilities and statistics."""

    columns: list[np.ndarray]
    weights: np.ndarray
    type_probabilities: np.ndarray
    stats: dict[str, float] = field(default_factory=dict)


class _Run:
    def __init__(self, pool: Pool, k: int, progress: Progress | None) -> None:
        self.pool = pool
        self.pricer = Pricer(pool, k)
        self.master = Master(pool.sizes)
        self.swapper = Swapper(pool)
        self.progress = progress
        self.rounds = 0
        self.levels = 0

    def start(self) -> None:
        found = self.pricer.best(1.0 / self.pool.sizes)
        if found is None:
            raise SolverError("no feasible panel exists although the quota check passed; "
                              "please report this instance.")
        self.master.add(found[1])
        self.master.add(self.swapper.climb(found[1], -1.0 / self.pool.sizes))

    def converge(self) -> tuple[float, np.ndarray]:
        """Column generation until no composition improves the current level."""
        while True:
            self.rounds += 1
            z, duals, mu = self.master.solve()
            weights = duals / self.pool.sizes
            threshold = mu + PRICE_TOL * max(1.0, abs(mu))
            if self._add_swaps(weights, threshold):
                continue
            best = self.pricer.best(weights)
            if best is None or best[0] <= threshold:
                return z, duals
            added = self.master.add(best[1])
            for column in self.swapper.neighbours(best[1], weights, threshold, SWAP_COLUMNS):
                added |= self.master.add(column)
            if not added:
                return z, duals  # numerically converged: the best column is already in

    def _add_swaps(self, weights: np.ndarray, threshold: float) -> bool:
        lam = self.master.weights()
        starts = np.argsort(-lam, kind="stable")[:BASIS_STARTS]
        added = False
        for index in starts:
            if lam[index] <= 0:
                break
            column = self.master.columns[int(index)]
            if CLIMB:
                top = self.swapper.climb(column, weights)
                if float(weights @ top) > threshold:
                    added |= self.master.add(top)
                    for new in self.swapper.neighbours(top, weights, threshold, SWAP_COLUMNS):
                        added |= self.master.add(new)
                continue
            for new in self.swapper.neighbours(column, weights, threshold, SWAP_COLUMNS):
                added |= self.master.add(new)
        return added

    def run(self) -> LeximinOutcome:
        started = time.perf_counter()
        self.start()
        total = len(self.pool.types)
        while self.master.free.any():
            self.levels += 1
            z, duals = self.converge()
            free = self.master.free
            chosen = np.flatnonzero(free & (duals > DUAL_EPS))
            if chosen.size == 0:
                chosen = np.flatnonzero(free)[[int(np.argmax(duals[free]))]]
            self.master.fix(chosen, z)
            if self.progress is not None:
                self.progress("leximin", int((~self.master.free).sum()), total)
        self.master.solve()
        return self._outcome(time.perf_counter() - started)

    def _outcome(self, seconds: float) -> LeximinOutcome:
        lam = np.maximum(self.master.weights(), 0.0)
        keep = np.flatnonzero(lam > 1e-12)
        weights = lam[keep] / lam[keep].sum()
        columns = [self.master.columns[int(i)] for i in keep]
        probs = (np.array(columns).T @ weights) / self.pool.sizes
        stats = {"columns": float(len(self.master.columns)), "rounds": float(self.rounds),
                 "levels": float(self.levels), "ilp_calls": float(self.pricer.calls),
                 "seconds": seconds}
        return LeximinOutcome(columns, weights, probs, stats)


def leximin(pool: Pool, k: int, progress: Progress | None = None) -> LeximinOutcome:
    """Return the leximin lottery over compositions of ``pool`` for panel size ``k``."""
    return _Run(pool, k, progress).run()
