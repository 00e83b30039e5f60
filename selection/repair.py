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


def _housemates(hs: np.ndarray, ht: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Return the (support, target) positions of every pair of types in the same shared household.

    ``hs`` and ``ht`` hold each support and target type's household (-1: none); households are
    small, so the pairs are few and found by a sort instead of a support x targets comparison.
    """
    inside = np.flatnonzero(hs >= 0)
    order = np.argsort(ht, kind="stable")
    ranked = ht[order]
    low = np.searchsorted(ranked, hs[inside], "left")
    count = np.searchsorted(ranked, hs[inside], "right") - low
    total = int(count.sum())
    before = np.cumsum(count) - count
    within = np.arange(total) - np.repeat(before, count)
    return np.repeat(inside, count), order[np.repeat(low, count) + within]


class Repairer:
    """Greedy swap search for a panel meeting a face's bounds."""

    def __init__(self, pool: Pool) -> None:
        self.inc = pool.incidence.astype(np.float64)
        self.inc_t = np.ascontiguousarray(self.inc.T)  # types x rows: the rows of a few types at once
        self.inc_t32 = self.inc_t.astype(np.float32)  # the same 0/1 entries; products of small integers stay exact
        self.sizes = pool.sizes.astype(np.float64)
        self.house = pool.house_of
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
        """Return the panel after the best violation-lowering swap, or None if none lowers it.

        A swap's change of violation is an integer D[s, t]; the weight term below is a tie-break
        smaller than 1e-8, so the best swap has the smallest D and, among those, the best weight term.
        """
        support = np.flatnonzero(counts > 0)
        targets = np.flatnonzero((counts < self.sizes) & (counts < face.type_high))
        if targets.size == 0:
            return None
        change = self._changes(counts, face, support, targets)
        lowest = int(change.min())
        if lowest > 0:
            return None
        ties = np.flatnonzero(change.ravel() == lowest)
        s, t = np.divmod(ties, targets.size)
        delta = float(lowest) - 1e-9 * (weights[targets][t] - weights[support][s])
        best = int(np.argmin(delta))
        if not delta[best] < -1e-12:
            return None
        moved = counts.copy()
        moved[support[s[best]]] -= 1
        moved[targets[t[best]]] += 1
        return moved

    def _changes(self, counts: np.ndarray, face: Face, support: np.ndarray, targets: np.ndarray) -> np.ndarray:
        """The integer change of violation of every swap (support x targets; a type for itself: never)."""
        add_t, rem_t = self._deltas(counts, face.type_low, face.type_high)
        up, down = self._deltas(self.inc @ counts, face.row_low, face.row_high)
        out_part = np.rint(rem_t[support] + self.inc_t[support] @ down).astype(np.int32)
        in_part = np.rint(add_t[targets] + self.inc_t[targets] @ up).astype(np.int32)
        change = out_part[:, None] + in_part[None, :]
        both = np.rint(up + down).astype(np.float32)  # per row: removing a member and adding one, together
        rows = np.flatnonzero(both)
        if rows.size:  # the rows both types of a swap count towards: sum_r inc[r, s] both[r] inc[r, t], in integers
            shared = (self.inc_t32[np.ix_(support, rows)] * both[rows]) @ self.inc_t32[np.ix_(targets, rows)].T
            change -= np.rint(shared).astype(np.int32)
        if self.houses:
            hup, hdown = self._deltas(self._house_counts(counts), face.house_low, face.house_high)
            hup = np.rint(np.append(hup, 0.0)).astype(np.int32)  # index -1: no household
            hdown = np.rint(np.append(hdown, 0.0)).astype(np.int32)
            hs, ht = self.house[support], self.house[targets]
            change += hdown[hs][:, None] + hup[ht][None, :]
            pairs_s, pairs_t = _housemates(hs, ht)  # a swap inside one household leaves its count as it was
            change[pairs_s, pairs_t] -= (hup + hdown)[hs[pairs_s]]
        at = np.minimum(np.searchsorted(targets, support), targets.size - 1)  # both sorted: a type for itself
        same = np.flatnonzero(targets[at] == support)
        change[same, at[same]] = np.iinfo(np.int32).max
        return change

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
