"""Round an optimal lottery over panel compositions to L equally likely panels, with an exact check.

The target (algorithm versions 2 and 3): every person i with optimal probability pi_i appears in a_i of
the L panels with

    a_i >= 1 if pi_i > 0     (nobody with a positive chance ends at zero: always enforced)
    a_i >= L * pi_i - 1      (nobody falls more than 1/L below their optimal probability)

Members of a type are interchangeable and ``lottery.expand`` fills each type's seats round-robin,
so each member of type t (n_t members, S_t seats over the lottery) gets floor(S_t / n_t) or
ceil(S_t / n_t) panels. Both conditions hold for the whole type once S_t >= n_t * need_t with
need_t = max(ceil(L pi_t - 1), 1 if pi_t > 0).

The rounding: floor or ceil of L lambda_P panels of every composition P, the spare panels given
one by one to the composition whose types are furthest below their share (``balanced_counts``),
then one-for-one panel swaps that lower the total shortfall against n_t need_t, the types short
first. Version 3 then swaps in new feasible panels while a type is still short (``topup``), so the
lottery may hold panels outside the optimal lottery's support. The outcome is checked exactly in
integers, and the bound actually met (``deviation``) is what the report states: the 1/L target,
or (1 + D)/L when some member misses it by D panels.
This is a deterministic heuristic for a discrepancy problem, not a theorem: with three or more
quota features a lottery meeting 1/L need not exist for a given L. "Nobody at zero" is enforced:
a lottery leaving someone with a positive chance out of every panel is never returned.
With ``size=None`` (auto) L starts at max(support, ceil(1 / smallest positive pi), 1,000); a few larger
sizes are tried until the 1/L target is met, and the best of them is kept otherwise.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from selection.errors import SolverError, UnsupportedOptionError
from selection.lottery import balanced_counts
from selection.topup import Fill, top_up

TOL = 1e-9
GROWTH = (1.0, 2.0)
MAX_AUTO = 50_000
MIN_AUTO = 1_000  # a small draw keeps a fine lottery: every probability within 0.1% of its optimum
REPAIR_STEPS = 80
REPAIR_CHOICES = 6


@dataclass(frozen=True)
class Rounded:
    """Panels per composition, the lottery size, how it was chosen and the panels short of the bound.

    ``counts`` covers the optimal lottery's compositions, then ``added``: the new panels version 3
    swapped in (``topup``)."""

    counts: np.ndarray
    size: int
    rule: str  # "auto" or "given"
    shortfall: int  # the largest number of panels a member misses of the 1/L bound (0 = met)
    added: tuple[np.ndarray, ...] = ()


def needs(type_probabilities: np.ndarray, size: int) -> np.ndarray:
    """Panels each member of a type must appear in for the bound: max(ceil(L pi - 1), [pi > 0])."""
    probs = np.asarray(type_probabilities, dtype=float)
    need = np.ceil(size * probs - 1.0 - TOL).clip(min=0.0)
    need[probs > TOL] = np.maximum(need[probs > TOL], 1.0)
    return need.astype(np.int64)


def auto_start(support: int, type_probabilities: np.ndarray) -> int:
    """The smallest lottery size worth trying: the support, enough for everyone positive to reach 1, and
    at least MIN_AUTO panels, so the 1/L bound is tight on the small draws most engagements make."""
    positive = np.asarray(type_probabilities)[np.asarray(type_probabilities) > TOL]
    reach = math.ceil(1.0 / float(positive.min()) - TOL) if positive.size else 1
    return max(support, reach, MIN_AUTO)


class _State:
    """Counts per composition and each type's slack over its requirement (negative = short)."""

    def __init__(self, matrix: np.ndarray, sizes: np.ndarray, counts: np.ndarray, required: np.ndarray) -> None:
        self.matrix = matrix
        self.sizes = sizes.astype(np.int64)
        self.counts = counts
        self.slack = matrix @ counts - required
        self.reach = matrix.max(axis=1, initial=0)  # per type: the most one panel can take away
        rows, cols = np.nonzero(matrix.T)  # the compositions' entries, composition by composition
        self.entry_col, self.entry_type = rows, cols
        self.entry_value = matrix.T[rows, cols]

    def _tight(self) -> np.ndarray:
        return np.flatnonzero(self.slack < self.reach)

    def move(self, out: int | None, into: int | None) -> None:
        if out is not None:
            self.counts[out] -= 1
            self.slack -= self.matrix[:, out]
        if into is not None:
            self.counts[into] += 1
            self.slack += self.matrix[:, into]

    def repair(self, steps: int) -> None:
        """One-for-one swaps, each lowering the total shortfall, the types at zero first."""
        for step in range(steps):
            short = np.flatnonzero(self.slack < 0)
            if not short.size:
                return
            total = int(np.maximum(0, -self.slack).sum())
            target = short[step % short.size]
            best: tuple[int, int, int] | None = None
            for into in np.argsort(-self.matrix[target], kind="stable")[:REPAIR_CHOICES]:
                if self.matrix[target, into] <= 0:
                    break
                raised = self.slack + self.matrix[:, into]
                active = np.flatnonzero(self.counts > 0)
                left = self._left(raised)[active]
                j = int(np.argmin(left))
                if int(left[j]) < total and (best is None or int(left[j]) < best[0]):
                    best = (int(left[j]), int(active[j]), int(into))
            if best is not None:
                self.move(best[1], best[2])

    def _left(self, raised: np.ndarray) -> np.ndarray:
        """Per composition: the total shortfall sum_t max(0, -(raised_t - c_t)) once one panel of it goes.

        Only the types in a composition change their term, so the sum is the shortfall of ``raised``
        plus a correction over the composition's entries (exact integers)."""
        short = np.maximum(0, -raised)
        value = raised[self.entry_type]
        change = np.maximum(0, self.entry_value - value) - short[self.entry_type]
        per = np.bincount(self.entry_col, weights=change, minlength=self.matrix.shape[1])
        return np.rint(per).astype(np.int64) + int(short.sum())

    def shortfall(self) -> int:
        """The most panels any member misses of the requirement (0 = met)."""
        gap = np.maximum(0, -self.slack)
        return int(np.ceil(gap / self.sizes).max(initial=0))


def _round(
    columns: Sequence[np.ndarray],
    weights: np.ndarray,
    sizes: np.ndarray,
    probs: np.ndarray,
    size: int,
    fill: Fill | None,
    households: Sequence[Sequence[int]] = (),
) -> Rounded:
    matrix = np.array(columns, dtype=np.int64).T
    counts = balanced_counts(columns, weights, sizes, size)
    state = _State(matrix, sizes, counts, sizes.astype(np.int64) * needs(probs, size))
    state.repair(REPAIR_STEPS)
    if fill is None or state.shortfall() == 0:
        return Rounded(state.counts, size, "given", state.shortfall())
    counts, added, slack = top_up(matrix, state.counts, state.slack, state.sizes, fill, households)
    shortfall = int(np.ceil(np.maximum(0, -slack) / state.sizes).max(initial=0))
    return Rounded(counts, size, "given", shortfall, tuple(added))


def every_column(columns: Sequence[np.ndarray], rounded: Rounded) -> list[np.ndarray]:
    """The compositions ``rounded.counts`` counts: the optimal lottery's, then the new panels."""
    return [*columns, *rounded.added]


def at_zero(columns: Sequence[np.ndarray], counts: np.ndarray, sizes: np.ndarray, probs: np.ndarray) -> int:
    """Types with a positive optimal probability whose members do not all appear at least once."""
    seats = np.array(columns, dtype=np.int64).T @ counts
    return int(((np.asarray(probs) > TOL) & (seats < sizes)).sum())


def round_lottery(
    columns: Sequence[np.ndarray],
    weights: np.ndarray,
    sizes: np.ndarray,
    type_probabilities: np.ndarray,
    size: int | None,
    fill: Fill | None = None,
    households: Sequence[Sequence[int]] = (),
) -> Rounded:
    """Return panel counts per composition for ``size`` panels or (None) an automatically chosen size.

    ``fill`` (version 3) finds a feasible panel within per-type bounds, so a type still short after
    the swaps gets a new panel (``topup``; ``households`` are the pool's groups of types of which a
    panel holds at most one); without it the rounding is version 2's."""
    start = auto_start(len(columns), type_probabilities)
    if size is not None:
        rounded = _round(columns, weights, sizes, type_probabilities, size, fill, households)
        if at_zero(every_column(columns, rounded), rounded.counts, sizes, type_probabilities):
            raise UnsupportedOptionError(
                f"a lottery of {size} panels leaves someone with a positive chance out of every panel "
                f"(the optimal lottery has {len(columns)} distinct panels; try at least {start}); "
                "use lottery size auto or a larger size."
            )
        return rounded
    best: Rounded | None = None
    for factor in GROWTH:
        candidate = min(MAX_AUTO, math.ceil(start * factor))
        rounded = _round(columns, weights, sizes, type_probabilities, candidate, fill, households)
        if at_zero(every_column(columns, rounded), rounded.counts, sizes, type_probabilities):
            continue
        if best is None or rounded.shortfall < best.shortfall:
            best = Rounded(rounded.counts, candidate, "auto", rounded.shortfall, rounded.added)
        if rounded.shortfall == 0:
            break
    if best is None:
        raise SolverError("no lottery size tried keeps everyone with a positive chance in a panel; please report this.")
    return best


def deviation(probabilities: dict[str, float], optimal: dict[str, float], size: int) -> dict[str, float | int]:
    """The realised rounding numbers the report states: bound, worst shortfall and worst deviation."""
    ids = list(optimal)
    got = np.array([probabilities.get(i, 0.0) for i in ids])
    best = np.array([optimal[i] for i in ids])
    gap = best - got
    worst = float(max(gap.max(initial=0.0), 0.0))
    return {
        "size": size,
        "bound": 1.0 / size,
        "bound_met": bool(worst <= 1.0 / size + TOL),
        "worst_shortfall": worst,
        "worst_deviation": float(np.abs(gap).max(initial=0.0)),
        "below_optimal": int((gap > TOL).sum()),
        "below_bound": int((gap > 1.0 / size + TOL).sum()),
        "at_zero": int(((best > TOL) & (got <= 0.0)).sum()),
    }
