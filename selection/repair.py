"""Move a panel onto a face of the relaxation by greedy swaps (a cheap ILP substitute).

A face is given by bounds on type counts, quota rows and household rows. The violation
of a panel is the total amount by which it misses these bounds; each step applies the
one-for-one swap that lowers the violation most (ties: the higher weight), until the
panel is on the face or no swap helps.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from selection.pool import Pool


@dataclass
class Face:
    """Bounds defining a face: per type, per quota row, per household row."""

    type_low: np.ndarray
    type_high: np.ndarray
    row_low: np.ndarray
    row_high: np.ndarray
    house_low: np.ndarray
    house_high: np.ndarray


def _excess(value: np.ndarray, low: np.ndarray, high: np.ndarray) -> np.ndarray:
    return np.asarray(np.maximum(0.0, low - value) + np.maximum(0.0, value - high))


class Repairer:
    """Greedy swap search for a panel meeting a face's bounds."""

    def __init__(self, pool: Pool) -> None:
        self.inc = pool.incidence.astype(np.float64)
        self.sizes = pool.sizes.astype(np.float64)
        self.house = np.full(len(pool.types), -1, dtype=np.int64)
        for h, members in enumerate(pool.households):
            self.house[list(members)] = h
        self.houses = len(pool.households)

    def _house_counts(self, counts: np.ndarray) -> np.ndarray:
        inside = self.house >= 0
        return np.bincount(self.house[inside], weights=counts[inside], minlength=self.houses)

    def violation(self, counts: np.ndarray, face: Face) -> float:
        """Return how far the panel is from the face (0 = on it)."""
        total = _excess(counts, face.type_low, face.type_high).sum()
        total += _excess(self.inc @ counts, face.row_low, face.row_high).sum()
        if self.houses:
            total += _excess(self._house_counts(counts), face.house_low, face.house_high).sum()
        return float(total)

    def _deltas(self, value: np.ndarray, low: np.ndarray, high: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        now = _excess(value, low, high)
        return _excess(value + 1, low, high) - now, _excess(value - 1, low, high) - now

    def step(self, counts: np.ndarray, face: Face, weights: np.ndarray) -> np.ndarray | None:
        """Return the panel after the best violation-lowering swap, or None if none lowers it."""
        support = np.flatnonzero(counts > 0)
        targets = np.flatnonzero((counts < self.sizes) & (counts < face.type_high))
        if targets.size == 0:
            return None
        add_t, rem_t = self._deltas(counts, face.type_low, face.type_high)
        up, down = self._deltas(self.inc @ counts, face.row_low, face.row_high)
        rows = np.flatnonzero((up != 0) | (down != 0))
        inc_s, inc_t = self.inc[np.ix_(rows, support)], self.inc[np.ix_(rows, targets)]
        up, down = up[rows], down[rows]
        delta = (rem_t[support] + inc_s.T @ down)[:, None] + (add_t[targets] + inc_t.T @ up)[None, :]
        delta -= (inc_s.T * (up + down)) @ inc_t
        if self.houses:
            hup, hdown = self._deltas(self._house_counts(counts), face.house_low, face.house_high)
            hup, hdown = np.append(hup, 0.0), np.append(hdown, 0.0)  # index -1: no household
            hs, ht = self.house[support], self.house[targets]
            delta += hdown[hs][:, None] + hup[ht][None, :]
            delta -= np.where(hs[:, None] == ht[None, :], (hup + hdown)[ht][None, :], 0.0)
        delta -= 1e-9 * (weights[targets][None, :] - weights[support][:, None])
        delta[support[:, None] == targets[None, :]] = np.inf
        best = int(np.argmin(delta))
        s, t = divmod(best, delta.shape[1])
        if not delta[s, t] < -1e-12:
            return None
        moved = counts.copy()
        moved[support[s]] -= 1
        moved[targets[t]] += 1
        return moved

    def repair(self, counts: np.ndarray, face: Face, weights: np.ndarray, steps: int = 50) -> np.ndarray | None:
        """Return a panel on the face reached by greedy swaps from ``counts``, or None."""
        current = counts.astype(np.int64)
        for _ in range(steps):
            if self.violation(current, face) < 0.5:
                return current
            moved = self.step(current, face, weights)
            if moved is None:
                return None
            current = moved
        return current if self.violation(current, face) < 0.5 else None
