"""Write target type probabilities as a lottery over real panels (column generation).

Master LP: minimise the shortfall s such that sum_P lambda_P c_P,t / n_t + s >= target_t for
every type, sum lambda = 1. Columns are panel compositions from the pricing ILP and cheap
swap neighbours. At s = 0 the target is achievable; otherwise the duals give a cut
w . x <= max_panels w . c that the target violates.
"""

from __future__ import annotations

import highspy
import numpy as np

from selection import highs_util
from selection.errors import SolverError


class Decomposer:
    """The shortfall master LP, warm between rounds and between targets."""

    def __init__(self, sizes: np.ndarray, target: np.ndarray) -> None:
        self.sizes = sizes.astype(float)
        self.size = len(sizes)
        self.columns: list[np.ndarray] = []
        self._seen: set[bytes] = set()
        h = highs_util.new_model()
        h.setOptionValue("presolve", "off")
        h.setOptionValue("primal_feasibility_tolerance", 1e-9)
        h.setOptionValue("dual_feasibility_tolerance", 1e-9)
        highs_util.add_columns(h, np.zeros(1), np.full(1, highs_util.INF), np.ones(1))
        rows = [(np.zeros(0, dtype=np.int32), np.zeros(0))]
        rows += [(np.zeros(1, dtype=np.int32), np.ones(1)) for _ in range(self.size)]
        highs_util.add_rows(h, rows, [1.0, *target], [1.0] + [highs_util.INF] * self.size)
        self.model = h

    def retarget(self, target: np.ndarray) -> None:
        """Change the target probabilities, keeping the columns and basis."""
        index = np.arange(1, self.size + 1, dtype=np.int32)
        self.model.changeRowsBounds(  # type: ignore[attr-defined]
            self.size, index, target.astype(float), np.full(self.size, highs_util.INF)
        )

    def add(self, counts: np.ndarray) -> bool:
        """Add a composition as a column; return False if it was already there."""
        key = counts.astype(np.int64).tobytes()
        if key in self._seen:
            return False
        self._seen.add(key)
        self.columns.append(counts.astype(np.int64))
        nz = np.flatnonzero(counts)
        idx = np.concatenate([[0], nz + 1]).astype(np.int32)
        val = np.concatenate([[1.0], counts[nz] / self.sizes[nz]])
        self.model.addCols(
            1, np.zeros(1), np.zeros(1), np.full(1, highs_util.INF), len(idx), np.zeros(1, dtype=np.int32), idx, val
        )
        return True

    def solve(self) -> tuple[float, np.ndarray, float]:
        """Return (shortfall s, type duals y >= 0, price mu a column must beat)."""
        h = self.model
        h.run()
        if h.getModelStatus() != highspy.HighsModelStatus.kOptimal:
            h.clearSolver()
            h.run()
        if h.getModelStatus() != highspy.HighsModelStatus.kOptimal:
            status = h.modelStatusToString(h.getModelStatus())
            raise SolverError(
                f"HiGHS stopped with status {status} on the lottery master LP; please report this instance."
            )
        solution = h.getSolution()
        duals = np.asarray(solution.row_dual)
        return float(solution.col_value[0]), np.maximum(duals[1:], 0.0), -float(duals[0])

    def weights(self) -> np.ndarray:
        """Return the current weight of each column."""
        return np.asarray(self.model.getSolution().col_value)[1:]
