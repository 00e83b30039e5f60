"""Feasibility checks with actionable messages: cheap counts first, then a relaxation ILP."""

from __future__ import annotations

import numpy as np

from selection import highs_util
from selection.errors import InfeasibleQuotasError, PoolTooSmallError
from selection.model import Quota
from selection.pool import Pool, size_and_household_rows


def check_pool_size(pool: Pool, k: int) -> None:
    """Raise PoolTooSmallError when k exceeds the pool or the number of households."""
    if k < 0:
        raise PoolTooSmallError(f"panel size {k} is negative; ask for at least 0 people.")
    if k > pool.n:
        raise PoolTooSmallError(
            f"panel size {k} is larger than the pool of {pool.n} candidates; lower the panel size or add candidates."
        )
    groups = pool.n - sum(len(h) - 1 for h in pool.households)
    if k > groups:
        raise PoolTooSmallError(
            f"panel size {k} is larger than the {groups} households in the "
            "pool (at most one person per household); lower the panel size."
        )


def cheap_problems(pool: Pool, k: int) -> list[str]:
    """Return plain-count reasons why the quotas cannot be met (empty when none found)."""
    problems = []
    counts = pool.incidence @ pool.sizes
    for quota, count in zip(pool.quotas, counts, strict=True):
        if count < quota.min:
            problems.append(f"only {int(count)} candidates have {quota.label} but its min is {quota.min}")
    for feature in pool.features:
        rows = [i for i, q in enumerate(pool.quotas) if q.feature == feature]
        total_min = sum(pool.quotas[i].min for i in rows)
        if total_min > k:
            problems.append(f"the mins of {feature} add up to {total_min}, more than the panel size {k}")
        covered = pool.incidence[rows].sum(axis=0) > 0
        total_max = sum(pool.quotas[i].max for i in rows)
        if covered.all() and total_max < k:
            problems.append(f"the maxes of {feature} add up to {total_max}, less than the panel size {k}")
    return problems


def ensure_feasible(pool: Pool, k: int) -> None:
    """Raise InfeasibleQuotasError with the smallest relaxation when no panel meets the quotas."""
    problems = cheap_problems(pool, k)
    suggestions = smallest_relaxation(pool, k)
    if not problems and suggestions == []:
        return
    reason = "; ".join(problems) if problems else f"no panel of size {k} meets every quota"
    if suggestions is None:
        raise InfeasibleQuotasError(
            f"the quotas cannot be met: {reason}; even the min_flex/max_flex limits do not allow a panel, widen them."
        )
    raise InfeasibleQuotasError(f"the quotas cannot be met: {reason}.", suggestions=suggestions)


def smallest_relaxation(pool: Pool, k: int) -> list[str] | None:
    """Return the changes of least total size that make the quotas feasible.

    An empty list means the quotas are feasible; None means even the flex limits are not enough.
    """
    types, quotas = len(pool.types), len(pool.quotas)
    h = highs_util.new_model(mip_gap=0.0)
    lower_room = np.array([_room(q.min, q.min_flex, q.min) for q in pool.quotas], dtype=float)
    upper_room = np.array([_room(q.max_flex, q.max, k) for q in pool.quotas], dtype=float)
    highs_util.add_columns(h, np.zeros(types), pool.sizes.astype(float), np.zeros(types))
    highs_util.add_columns(h, np.zeros(2 * quotas), np.concatenate([lower_room, upper_room]), np.ones(2 * quotas))
    h.changeColsIntegrality(
        types + 2 * quotas,
        np.arange(types + 2 * quotas, dtype=np.int32),
        np.full(types + 2 * quotas, 1, dtype=np.uint8),
    )
    rows: list[tuple[np.ndarray, np.ndarray]] = []
    lower: list[float] = []
    upper: list[float] = []
    for qi, (quota, row) in enumerate(zip(pool.quotas, pool.incidence, strict=True)):
        members = np.flatnonzero(row)
        rows.append((np.append(members, types + qi), np.append(np.ones(len(members)), 1.0)))
        lower.append(quota.min)
        upper.append(highs_util.INF)
        rows.append((np.append(members, types + quotas + qi), np.append(np.ones(len(members)), -1.0)))
        lower.append(-highs_util.INF)
        upper.append(quota.max)
    size_and_household_rows(pool, k, rows, lower, upper)
    highs_util.add_rows(h, rows, lower, upper)
    if not highs_util.is_optimal(highs_util.run(h, "quota relaxation ILP")):
        return None
    values = np.rint(np.asarray(h.getSolution().col_value)).astype(np.int64)
    return _describe(pool.quotas, values[types : types + quotas], values[types + quotas :])


def _room(high: int | None, low: int | None, default: int) -> float:
    if high is None or low is None:
        return float(max(default, 0))
    return float(max(high - low, 0))


def _describe(quotas: tuple[Quota, ...], lowered: np.ndarray, raised: np.ndarray) -> list[str]:
    changes = []
    for quota, down, up in zip(quotas, lowered, raised, strict=True):
        if down > 0:
            changes.append(f"lower min of {quota.label} from {quota.min} to {quota.min - down}")
        if up > 0:
            changes.append(f"raise max of {quota.label} from {quota.max} to {quota.max + up}")
    return changes
