"""Cheap improving columns: panels one swap away from a known panel.

Swapping one member of type s for one of type t changes only the quotas on which s and
t differ; the swap is valid when no such quota leaves its bounds, t has people left and
no household gets two members. Its value changes by w_t - w_s.
"""

from __future__ import annotations

import numpy as np

from selection.pool import Pool


class Swapper:
    """Find the best single-swap neighbours of a composition for given type weights."""

    def __init__(self, pool: Pool) -> None:
        self.inc = pool.incidence.astype(np.float64)
        self.out = 1.0 - self.inc
        self.qmin = pool.qmin
        self.qmax = pool.qmax
        self.sizes = pool.sizes
        self.house = np.full(len(pool.types), -1, dtype=np.int64)
        for h, members in enumerate(pool.households):
            self.house[list(members)] = h

    def gains(self, counts: np.ndarray, weights: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Return (support types S, gain matrix S x T with -inf for invalid swaps)."""
        support = np.flatnonzero(counts)
        per_quota = self.inc @ counts
        at_min = per_quota <= self.qmin + 0.5
        at_max = per_quota >= self.qmax - 0.5
        losing = (self.inc[:, support] * at_min[:, None]).T @ self.out
        gaining = self.out[:, support].T @ (self.inc * at_max[:, None])
        valid = (losing < 0.5) & (gaining < 0.5) & (counts < self.sizes)[None, :]
        valid[np.arange(len(support)), support] = False
        houses = self.house[support]
        occupied = houses[houses >= 0]
        if occupied.size:
            blocked = np.isin(self.house, occupied)
            same = self.house[None, :] == houses[:, None]
            valid &= ~blocked[None, :] | same
        gain = weights[None, :] - weights[support][:, None]
        return support, np.where(valid, gain, -np.inf)

    def neighbours(self, counts: np.ndarray, weights: np.ndarray, threshold: float, limit: int) -> list[np.ndarray]:
        """Return up to ``limit`` one-swap neighbours whose value exceeds ``threshold``."""
        support, gain = self.gains(counts, weights)
        value = float(weights @ counts)
        flat = np.flatnonzero(value + gain.ravel() > threshold)
        if flat.size == 0:
            return []
        order = flat[np.argsort(-gain.ravel()[flat], kind="stable")][: limit * 4]
        result, used = [], set()
        for index in order:
            s, t = divmod(int(index), gain.shape[1])
            if (s, t) in used:
                continue
            used.add((s, t))
            new = counts.copy()
            new[support[s]] -= 1
            new[t] += 1
            result.append(new)
            if len(result) >= limit:
                break
        return result

    def climb(self, counts: np.ndarray, weights: np.ndarray, steps: int = 50) -> np.ndarray:
        """Return a local optimum reached by repeatedly taking the best swap."""
        current = counts.copy()
        for _ in range(steps):
            support, gain = self.gains(current, weights)
            best = int(np.argmax(gain))
            s, t = divmod(best, gain.shape[1])
            if not gain[s, t] > 1e-12:
                break
            current[support[s]] -= 1
            current[t] += 1
        return current
