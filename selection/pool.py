"""Validate quotas against candidates and aggregate interchangeable people into types."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from functools import cached_property

import numpy as np

from selection.errors import QuotaBoundsError, UnknownCandidateError, UnknownFeatureError
from selection.model import Candidate, PersonType, Quota, normalize


@dataclass(frozen=True)
class Pool:
    """The optimisation view of a pool: types, quota incidence and household groups."""

    quotas: tuple[Quota, ...]
    features: tuple[str, ...]
    types: tuple[PersonType, ...]
    sizes: np.ndarray  # people per type
    incidence: np.ndarray  # quotas x types, 1 where the type has the quota's value
    households: tuple[tuple[int, ...], ...]  # type indices sharing a household (>= 2)

    @property
    def n(self) -> int:
        """Return the number of people."""
        return int(self.sizes.sum())

    @cached_property
    def house_members(self) -> np.ndarray:
        """Return the type indices of every shared household, household after household."""
        if not self.households:
            return np.zeros(0, dtype=np.int64)
        return np.concatenate([np.asarray(h, dtype=np.int64) for h in self.households])

    @cached_property
    def house_starts(self) -> np.ndarray:
        """Return where each household's types start in ``house_members``."""
        return np.cumsum([0] + [len(h) for h in self.households[:-1]]).astype(np.int64)

    @cached_property
    def house_of(self) -> np.ndarray:
        """Return, per type, the index of its shared household, or -1 when it has none."""
        house = np.full(len(self.types), -1, dtype=np.int64)
        for h, members in enumerate(self.households):
            house[list(members)] = h
        return house

    @property
    def qmin(self) -> np.ndarray:
        """Return quota minimums as an array."""
        return np.array([q.min for q in self.quotas], dtype=float)

    @property
    def qmax(self) -> np.ndarray:
        """Return quota maximums as an array."""
        return np.array([q.max for q in self.quotas], dtype=float)


def feature_values(candidate: Candidate) -> dict[str, str]:
    """Return the candidate's features with normalised names and values."""
    return {normalize(name): normalize(value) for name, value in candidate.features.items()}


def household_key(candidate: Candidate) -> str | None:
    """Return the normalised household key, or None when the candidate lives alone."""
    if candidate.household is None:
        return None
    key = normalize(candidate.household)
    return key or None


def check_ids(candidates: Sequence[Candidate], ids: Iterable[str], option: str) -> set[str]:
    """Return ``ids`` as a set, raising when one is not a candidate."""
    known = {c.id for c in candidates}
    wanted = set(ids)
    unknown = sorted(wanted - known)
    if unknown:
        raise UnknownCandidateError(
            f"{option} names {', '.join(unknown[:5])} which is not in the pool of "
            f"{len(known)} candidates; check the ids."
        )
    return wanted


def validate_quotas(candidates: Sequence[Candidate], quotas: Iterable[Quota]) -> tuple[Quota, ...]:
    """Check quotas against the pool and return them sorted by (feature, value).

    Raises UnknownFeatureError, QuotaBoundsError.
    """
    seen_values: dict[str, set[str]] = defaultdict(set)
    for candidate in candidates:
        for name, value in feature_values(candidate).items():
            seen_values[name].add(value)
    result: dict[tuple[str, str], Quota] = {}
    for quota in quotas:
        _check_bounds(quota)
        feature, value = normalize(quota.feature), normalize(quota.value)
        if feature not in seen_values:
            known = ", ".join(sorted(seen_values)) or "none"
            raise UnknownFeatureError(
                f"quota {quota.label}: no candidate has a feature {quota.feature!r} "
                f"(known features: {known}); fix the feature name."
            )
        if value not in seen_values[feature] and quota.min == 0:
            continue  # nobody has it and nobody is required: the quota holds trivially (see unused_quotas)
        if value not in seen_values[feature]:
            known = ", ".join(sorted(seen_values[feature]))
            raise UnknownFeatureError(
                f"quota {quota.label}: no candidate has {quota.feature}={quota.value} "
                f"(known values: {known}); fix the value or remove the quota."
            )
        if (feature, value) in result:
            raise QuotaBoundsError(f"quota {quota.label} is given twice; keep one row.")
        result[(feature, value)] = quota
    return tuple(result[key] for key in sorted(result))


def unused_quotas(candidates: Sequence[Candidate], quotas: Iterable[Quota]) -> list[str]:
    """Quotas with min 0 on a value no candidate has: they hold trivially, but may be a typo."""
    seen = {(normalize(n), v) for c in candidates for n, v in feature_values(c).items()}
    return [
        f"{q.label} (nobody in the pool has it; check the spelling)"
        for q in quotas
        if q.min == 0
        and (normalize(q.feature), normalize(q.value)) not in seen
        and any(normalize(q.feature) == f for f, _ in seen)
    ]


def _check_bounds(quota: Quota) -> None:
    if quota.min < 0 or quota.max < 0:
        raise QuotaBoundsError(f"quota {quota.label}: bounds must not be negative.")
    if quota.min > quota.max:
        raise QuotaBoundsError(
            f"quota {quota.label}: min {quota.min} is greater than max {quota.max}; swap or fix the bounds."
        )


def shift_quotas(quotas: Sequence[Quota], fixed: Sequence[Candidate]) -> tuple[Quota, ...]:
    """Return quotas for the rest of the panel once ``fixed`` people are on it."""
    counts = count_quota_members(quotas, fixed)
    return tuple(replace(q, min=max(0, q.min - c), max=q.max - c) for q, c in zip(quotas, counts, strict=True))


def count_quota_members(quotas: Sequence[Quota], people: Sequence[Candidate]) -> list[int]:
    """Return, for each quota, how many of ``people`` have its value."""
    tally = Counter(pair for p in people for pair in feature_values(p).items())
    return [tally[(normalize(q.feature), normalize(q.value))] for q in quotas]


def build_pool(candidates: Sequence[Candidate], quotas: Sequence[Quota]) -> Pool:
    """Aggregate candidates into types; people sharing a household stay singletons."""
    features = tuple(dict.fromkeys(q.feature for q in quotas))
    norm_features = [normalize(f) for f in features]
    shared = _shared_households(candidates)
    groups: dict[tuple[str, ...], list[str]] = defaultdict(list)
    singles: list[tuple[tuple[str, ...], str, str]] = []
    display: dict[tuple[str, ...], tuple[str, ...]] = {}
    for candidate in sorted(candidates, key=lambda c: c.id):
        values = feature_values(candidate)
        key = tuple(values.get(f, "") for f in norm_features)
        if key not in display:  # the first member's spelling names the type
            display[key] = tuple(_raw_value(candidate, f) for f in norm_features)
        house = household_key(candidate)
        if house in shared:
            singles.append((key, candidate.id, house or ""))
        else:
            groups[key].append(candidate.id)
    entries = [(key, tuple(ids), "") for key, ids in groups.items()]
    entries += [(key, (cid,), house) for key, cid, house in singles]
    entries.sort(key=lambda e: (e[0], e[1][0]))
    width = len(str(len(entries)))
    types = tuple(
        PersonType(f"t{i:0{width}d}", tuple(zip(features, display[key], strict=True)), ids)
        for i, (key, ids, _) in enumerate(entries)
    )
    incidence = np.zeros((len(quotas), len(entries)), dtype=np.int8)
    position = {f: i for i, f in enumerate(norm_features)}
    for qi, quota in enumerate(quotas):
        col, value = position[normalize(quota.feature)], normalize(quota.value)
        for ti, (key, _, _) in enumerate(entries):
            incidence[qi, ti] = key[col] == value
    houses: dict[str, list[int]] = defaultdict(list)
    for ti, (_, _, house) in enumerate(entries):
        if house:
            houses[house].append(ti)
    sizes = np.array([len(ids) for _, ids, _ in entries], dtype=np.int64)
    households = tuple(tuple(v) for _, v in sorted(houses.items()) if len(v) > 1)
    return Pool(tuple(quotas), features, types, sizes, incidence, households)


def _raw_value(candidate: Candidate, norm_feature: str) -> str:
    for name, value in candidate.features.items():
        if normalize(name) == norm_feature:
            return str(value).strip()
    return ""


def _shared_households(candidates: Sequence[Candidate]) -> set[str]:
    counts: dict[str, int] = defaultdict(int)
    for candidate in candidates:
        house = household_key(candidate)
        if house is not None:
            counts[house] += 1
    return {house for house, count in counts.items() if count > 1}


Rows = list[tuple[np.ndarray, np.ndarray]]


def size_and_household_rows(pool: Pool, k: int, rows: Rows, lower: list[float], upper: list[float]) -> None:
    """Append the panel-size row (exactly k) and one row per shared household (at most one member)."""
    types = len(pool.types)
    rows.append((np.arange(types), np.ones(types)))
    lower.append(k)
    upper.append(k)
    for house in pool.households:
        rows.append((np.array(house), np.ones(len(house))))
        lower.append(0.0)
        upper.append(1.0)


def panel_rows(pool: Pool, k: int) -> tuple[Rows, list[float], list[float]]:
    """The rows of the panel polytope over type counts: quotas, size and households."""
    rows: Rows = [(np.flatnonzero(r), np.ones(int(r.sum()))) for r in pool.incidence]
    lower, upper = [float(x) for x in pool.qmin], [float(x) for x in pool.qmax]
    size_and_household_rows(pool, k, rows, lower, upper)
    return rows, lower, upper
