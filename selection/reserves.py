"""Ordered reserve lists and quota-aware replacement of panel members who drop out."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from selection.errors import UnknownCandidateError
from selection.model import Candidate, Quota, Replacement, SelectionResult, normalize
from selection.pool import feature_values, household_key


def _profile(candidate: Candidate, features: Sequence[str]) -> tuple[str, ...]:
    values = feature_values(candidate)
    return tuple(values.get(f, "") for f in features)


def draw_reserves(
    candidates: Sequence[Candidate],
    quotas: Sequence[Quota],
    selected: Sequence[str],
    count: int,
    rng: np.random.Generator,
) -> tuple[str, ...]:
    """Return ``count`` reserves: for panel members in seeded order, a random unselected person
    with the nearest quota profile (same profile first), never a housemate of the panel."""
    members = [selected[int(i)] for i in rng.permutation(len(selected))]  # drawn even for no reserves
    if count <= 0:
        return ()
    by_id = {c.id: c for c in candidates}
    chosen_houses = {household_key(by_id[i]) for i in selected} - {None}
    on_panel = set(selected)
    pool = [
        c
        for c in sorted(candidates, key=lambda c: c.id)
        if c.id not in on_panel and household_key(c) not in chosen_houses
    ]
    features = list(dict.fromkeys(normalize(q.feature) for q in quotas))
    spellings: list[dict[str, int]] = [{} for _ in features]  # per feature, a code per value: equal codes, equal values
    profiles = np.array(
        [
            [codes.setdefault(v, len(codes)) for codes, v in zip(spellings, _profile(c, features), strict=True)]
            for c in pool
        ],
        dtype=np.int64,
    ).reshape(len(pool), len(features))
    available = np.ones(len(pool), dtype=bool)
    reserves: list[str] = []
    while len(reserves) < min(count, len(pool)) and members:
        for member in members:
            if len(reserves) >= min(count, len(pool)):
                break
            target = np.array(
                [codes.get(v, -1) for codes, v in zip(spellings, _profile(by_id[member], features), strict=True)],
                dtype=np.int64,
            )
            distance = (profiles != target).sum(axis=1) if profiles.size else np.zeros(len(pool))
            distance = np.where(available, distance, np.iinfo(np.int64).max)
            nearest = np.flatnonzero(distance == distance.min())
            pick = int(nearest[int(rng.integers(nearest.size))])
            available[pick] = False
            reserves.append(pool[pick].id)
    return tuple(reserves)


def _broken(candidates: dict[str, Candidate], quotas: Sequence[Quota], panel: Sequence[str]) -> list[str]:
    problems = []
    values = [feature_values(candidates[i]) for i in panel]
    for quota in quotas:
        count = sum(v.get(normalize(quota.feature)) == normalize(quota.value) for v in values)
        if count < quota.min:
            problems.append(f"{quota.label} would have {count}, below its min {quota.min}")
        elif count > quota.max:
            problems.append(f"{quota.label} would have {count}, above its max {quota.max}")
    houses = [household_key(candidates[i]) for i in panel]
    known = [h for h in houses if h is not None]
    if len(known) != len(set(known)):
        problems.append("two panel members would share a household")
    return problems


def replace(
    candidates: Sequence[Candidate],
    quotas: Sequence[Quota],
    panel: Sequence[str] | SelectionResult,
    dropout_id: str | None = None,
    reserves: Sequence[str] | None = None,
    *,
    dropout: str | None = None,
) -> Replacement:
    """Replace ``dropout_id`` (alias ``dropout``) by the first reserve keeping every quota.

    ``panel`` is the current panel's ids or a SelectionResult (whose reserves are then the
    default). When no reserve keeps every quota and household rule, the reserve breaking the
    fewest is chosen, ``quota_ok`` is False and the message names what breaks.
    """
    if isinstance(panel, SelectionResult):
        reserves = panel.reserves if reserves is None else reserves
        panel = panel.selected
    dropout_id = dropout_id if dropout_id is not None else dropout
    if dropout_id is None:
        raise UnknownCandidateError("replace needs the id of the person who dropped out.")
    reserves = tuple(reserves or ())
    by_id = {c.id: c for c in candidates}
    if dropout_id not in panel:
        raise UnknownCandidateError(f"{dropout_id} is not on the panel; check the id.")
    rest = [p for p in panel if p != dropout_id]
    options = [r for r in reserves if r in by_id and r not in panel]
    if not options:
        return Replacement(
            dropout_id,
            None,
            False,
            f"no reserve left to replace {dropout_id}; draw more reserves.",
            tuple(rest),
            tuple(reserves),
        )
    best: tuple[int, str, list[str]] | None = None
    for reserve in options:
        problems = _broken(by_id, quotas, rest + [reserve])
        if not problems:
            return _replacement(dropout_id, reserve, rest, reserves, [])
        if best is None or len(problems) < best[0]:
            best = (len(problems), reserve, problems)
    if best is None:
        raise RuntimeError("internal: no reserve order was scored")
    return _replacement(dropout_id, best[1], rest, reserves, best[2])


def _replacement(
    dropout: str, reserve: str, rest: list[str], reserves: Sequence[str], problems: list[str]
) -> Replacement:
    panel = tuple(sorted(rest + [reserve]))
    left = tuple(r for r in reserves if r != reserve)
    if not problems:
        message = f"{reserve} replaces {dropout}; every quota still holds."
    else:
        message = f"{reserve} replaces {dropout} but no reserve keeps every quota: " + "; ".join(problems) + "."
    return Replacement(dropout, reserve, not problems, message, panel, left, tuple(problems))
