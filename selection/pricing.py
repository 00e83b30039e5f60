"""The pricing problem: the best feasible panel composition for given type weights."""

from __future__ import annotations

import numpy as np

from selection import highs_util
from selection.pool import Pool, panel_rows


class Pricer:
    """An ILP over integer type counts: 0 <= c_t <= n_t, quotas, sum c = k, households <= 1."""

    def __init__(self, pool: Pool, k: int, *, mip_gap: float = 1e-9) -> None:
        self.pool = pool
        self.k = k
        self.size = len(pool.types)
        self.calls = 0
        h = highs_util.new_model(mip_gap=mip_gap)
        h.setOptionValue("presolve", "off")
        highs_util.add_columns(h, np.zeros(self.size), pool.sizes.astype(float), np.zeros(self.size))
        highs_util.set_integer(h, self.size)
        rows, lower, upper = panel_rows(pool, k)
        highs_util.add_rows(h, rows, lower, upper)
        self.model = h

    def best(self, weights: np.ndarray) -> tuple[float, np.ndarray] | None:
        """Return (value, counts) maximising weights . counts, or None when infeasible."""
        self.calls += 1
        h = self.model
        h.changeColsCost(self.size, np.arange(self.size, dtype=np.int32), -np.asarray(weights, float))
        status = highs_util.run(h, "panel pricing ILP")
        if not highs_util.is_optimal(status):
            return None
        counts = np.rint(np.asarray(h.getSolution().col_value)).astype(np.int64)
        return float(np.dot(weights, counts)), counts

    def within(self, weights: np.ndarray, lower: np.ndarray, upper: np.ndarray) -> np.ndarray | None:
        """``best`` among panels with lower <= counts <= upper per type, or None when there is none."""
        index = np.arange(self.size, dtype=np.int32)
        self.model.changeColsBounds(self.size, index, np.asarray(lower, float), np.asarray(upper, float))
        try:
            found = self.best(weights)
        finally:
            self.model.changeColsBounds(self.size, index, np.zeros(self.size), self.pool.sizes.astype(float))
        return None if found is None else found[1]
