"""Version 3 of the rounding: where swaps within the optimal lottery leave a type short, swap in a new panel.

After the version-2 rounding (``rounding``) some types can still have fewer seats than the 1/L bound
asks (S_t < n_t need_t): the swaps it tries only move panels between compositions of the optimal
lottery. Here one panel of the lottery is taken out and a new feasible panel is put in its place,
found by an ILP over type counts (quotas, panel size, households, n_t members per type):

- no type may lose ground: each type's count in the new panel is at least what removing the old
  panel takes from it beyond its spare seats, so a type at or above its requirement stays there;
- among those panels, the one giving the short types the most of their missing seats (each short
  type's count capped at what it misses, so no seat is wasted on a type already served).

A swap is made only when the total number of missing seats falls, so the loop ends after at most
that many swaps. The panels taken out are tried in order of the missing seats their replacement
could still give (a household's member is out of reach while the panel holds a housemate who
cannot give up a seat), then of the fewest requirement-bound seats they hold (removing them costs
least); the first that gives a gain is used. Every step is exact
integer arithmetic and the ILP runs with HiGHS's deterministic settings, so a re-run gives the same
lottery. It does not prove that a lottery meeting 1/L exists; what the draw states is checked on
the final lottery (``rounding.deviation``) and by the certificate checker.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

CHOICES = 8  # panels tried for removal per swap, cheapest first
MAX_SWAPS = 2_000  # a bound on the loop; each swap lowers the missing seats by at least one
SPARE_SEAT = 1e-4  # the ILP's tie-break: fewer seats of types the swap does not need

# (weights, lower, upper) per type -> the best panel's counts within the bounds, or None
Fill = Callable[[np.ndarray, np.ndarray, np.ndarray], "np.ndarray | None"]


def top_up(
    matrix: np.ndarray,
    counts: np.ndarray,
    slack: np.ndarray,
    sizes: np.ndarray,
    fill: Fill,
    households: Sequence[Sequence[int]] = (),
) -> tuple[np.ndarray, list[np.ndarray], np.ndarray]:
    """Swap panels for new ones while that lowers the missing seats; return (counts, new panels, slack).

    ``matrix`` is types x compositions, ``counts`` the panels per composition, ``slack`` each type's
    seats minus its requirement, ``households`` the groups of types of which a panel holds at most
    one. The returned counts cover the compositions, then the new panels."""
    matrix, counts, slack = matrix.copy(), counts.copy(), slack.copy()
    added: list[np.ndarray] = []
    known = {column.tobytes(): j for j, column in enumerate(matrix.T)}
    for _ in range(MAX_SWAPS):
        missing = np.maximum(0, -slack)
        total = int(missing.sum())
        if total == 0:
            break
        swap = _best_swap(matrix, counts, slack, sizes, fill, total, households)
        if swap is None:
            break
        out, panel = swap
        counts[out] -= 1
        slack += panel - matrix[:, out]
        key = panel.tobytes()
        if key not in known:  # a new composition (an existing one just gains a panel)
            known[key] = matrix.shape[1]
            matrix = np.column_stack([matrix, panel])
            counts = np.append(counts, 0)
            added.append(panel)
        counts[known[key]] += 1
    return counts, added, slack


def _best_swap(
    matrix: np.ndarray,
    counts: np.ndarray,
    slack: np.ndarray,
    sizes: np.ndarray,
    fill: Fill,
    total: int,
    households: Sequence[Sequence[int]],
) -> tuple[int, np.ndarray] | None:
    """The first panel to take out with a new panel that lowers the missing seats: those leaving the
    most missing seats within reach first, then the cheapest."""
    missing = np.maximum(0, -slack)
    short = missing > 0
    spare = np.maximum(slack, 0)
    active = np.flatnonzero(counts > 0)
    tight = np.flatnonzero(spare < matrix.max(axis=1))  # only these types can lose seats they need
    cost = np.maximum(0, matrix[np.ix_(tight, active)] - spare[tight, None]).sum(axis=0)
    reach = _within_reach(matrix, active, missing, spare, households)
    for out in active[np.lexsort((cost, -reach))][:CHOICES]:
        lower = np.maximum(0, matrix[:, out] - spare)
        upper = sizes.astype(np.int64).copy()
        upper[short] = np.minimum(upper[short], lower[short] + missing[short])
        weights = short.astype(float) - SPARE_SEAT * (lower == 0)
        panel = fill(weights, lower, upper)
        if panel is None:
            continue
        panel = np.asarray(panel, dtype=np.int64)
        left = int(np.maximum(0, -(slack - matrix[:, out] + panel)).sum())
        if left < total:
            return int(out), panel
    return None


def _within_reach(
    matrix: np.ndarray,
    active: np.ndarray,
    missing: np.ndarray,
    spare: np.ndarray,
    households: Sequence[Sequence[int]],
) -> np.ndarray:
    """Per panel that could be taken out: the missing seats its replacement could still give.

    A household's short members are out of reach when the panel holds a housemate the swap may not
    take a seat from (a tight one): the new panel must keep that housemate, and a panel holds at most
    one member of a household."""
    reach = np.full(active.size, float(missing.sum()))
    for group in households:
        members = np.asarray(group, dtype=np.int64)
        lost = float(missing[members].sum())
        if lost:
            kept = np.maximum(0, matrix[np.ix_(members, active)] - spare[members, None]).sum(axis=0)
            reach -= lost * (kept >= 1)
    return reach
