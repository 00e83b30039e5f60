"""Monte Carlo of a panel and an ordered reserve list under dropout: the expected quota shortfall.

A scenario says who drops out (each person independently, with their modelled probability).
Every seat left by a dropped panel member is then filled, one seat after another, by the
reserve who is themselves present, not yet called, and restores the quotas best (the fewest
people below minimums plus above maximums after joining); ties go to the earlier reserve in
the list. The scenario's shortfall is ``sum over quotas of max(0, min - count)`` at the end.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from selection.dropout import DropoutModel
from selection.model import Candidate, Quota, normalize
from selection.pool import feature_values


@dataclass(frozen=True)
class Quotas:
    """Quota bounds as arrays, and a way to turn people into quota incidence rows."""

    labels: tuple[str, ...]
    keys: tuple[tuple[str, str], ...]
    qmin: np.ndarray
    qmax: np.ndarray

    @classmethod
    def of(cls, quotas: Sequence[Quota]) -> Quotas:
        """Return the arrays for ``quotas`` (feature and value normalised)."""
        keys = tuple((normalize(q.feature), normalize(q.value)) for q in quotas)
        return cls(
            tuple(q.label for q in quotas),
            keys,
            np.array([q.min for q in quotas], dtype=float),
            np.array([q.max for q in quotas], dtype=float),
        )

    def incidence(self, people: Sequence[Candidate]) -> np.ndarray:
        """Return a people x quotas 0/1 matrix: 1 where the person counts towards the quota."""
        rows = np.zeros((len(people), len(self.keys)), dtype=float)
        for i, person in enumerate(people):
            values = feature_values(person)
            for j, (feature, value) in enumerate(self.keys):
                rows[i, j] = values.get(feature) == value
        return rows


def fill_seats(
    quotas: Quotas, base: np.ndarray, seats: np.ndarray, reserves: np.ndarray, present: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Fill the empty seats of every scenario from the reserves; return (final counts, empty seats).

    ``base`` (scenarios x quotas) counts the panel members still present, ``seats`` how many
    dropped out, ``reserves`` (list x quotas) is the list's incidence in order and
    ``present`` (scenarios x list) says which reserves are themselves present.
    """
    counts = base.astype(float).copy()
    seats = seats.astype(int).copy()
    available = present.copy()
    for _ in range(reserves.shape[0]):
        rows = np.flatnonzero((seats > 0) & available.any(axis=1))
        if rows.size == 0:
            break
        joined = counts[rows][:, None, :] + reserves[None, :, :]
        score = np.maximum(quotas.qmin - joined, 0).sum(axis=2) + np.maximum(joined - quotas.qmax, 0).sum(axis=2)
        score = np.where(available[rows], score, np.inf)
        pick = score.argmin(axis=1)  # the first of the best on ties
        counts[rows] += reserves[pick]
        available[rows, pick] = False
        seats[rows] -= 1
    return counts, seats


def simulate(
    quotas: Quotas,
    panel: np.ndarray,
    panel_out: np.ndarray,
    reserves: np.ndarray,
    reserves_out: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """Return per-scenario (shortfall per quota, empty seats) given who is out (scenarios x people)."""
    base = (~panel_out).astype(float) @ panel
    counts, empty = fill_seats(quotas, base, panel_out.sum(axis=1), reserves, ~reserves_out)
    return np.maximum(quotas.qmin - counts, 0), empty


def expected_shortfall(
    candidates: Sequence[Candidate],
    quotas: Sequence[Quota],
    selected: Sequence[str],
    lists: Mapping[str, Sequence[str]],
    model: DropoutModel,
    *,
    scenarios: int,
    seed: int,
    baseline: str | None = None,
) -> dict[str, Any]:
    """Evaluate each named reserve list on the same ``scenarios`` dropout scenarios.

    Each person has one uniform number per scenario (from ``seed`` and their id only), so a
    person who drops out in a scenario does so whichever list they are on: the lists are
    compared on the same worlds, and a list evaluated alone gets the same numbers.
    Returns per list (and for no reserves at all) the expected shortfall, its standard
    error, the expected number of empty seats, the chance of any shortfall and the
    expected shortfall per quota; with ``baseline`` each other list also gets its paired
    difference to the baseline and that difference's standard error.
    """
    if scenarios < 2:
        raise ValueError("scenarios must be at least 2")
    by_id = {c.id: c for c in candidates}
    q = Quotas.of(quotas)
    people = sorted(set(selected).union(*(set(v) for v in lists.values())))
    column = {pid: i for i, pid in enumerate(people)}
    chances = np.array([model.probability(by_id[pid]) for pid in people])
    out = person_uniforms(people, scenarios, seed) < chances
    panel_out = out[:, [column[p] for p in selected]]
    panel = q.incidence([by_id[p] for p in selected])
    runs = {"no reserves": simulate(q, panel, panel_out, np.zeros((0, len(q.keys))), out[:, :0])}
    for name, ids in lists.items():
        incidence = q.incidence([by_id[r] for r in ids])
        runs[name] = simulate(q, panel, panel_out, incidence, out[:, [column[r] for r in ids]])
    result: dict[str, Any] = {"scenarios": scenarios, "seed": seed, "lists": {}}
    for name, (per_quota, empty) in runs.items():
        total = per_quota.sum(axis=1)
        row: dict[str, Any] = {
            "expected_shortfall": float(total.mean()),
            "standard_error": _se(total),
            "expected_empty_seats": float(empty.mean()),
            "shortfall_probability": float((total > 0).mean()),
            "per_quota": {label: float(v) for label, v in zip(q.labels, per_quota.mean(axis=0), strict=True) if v},
        }
        if baseline is not None and name not in (baseline, "no reserves") and baseline in runs:
            diff = total - runs[baseline][0].sum(axis=1)
            row["difference_to_" + baseline] = float(diff.mean())
            row["difference_standard_error"] = _se(diff)
        result["lists"][name] = row
    return result


def person_uniforms(ids: Sequence[str], scenarios: int, seed: int) -> np.ndarray:
    """Return a scenarios x people matrix of uniform numbers, each column fixed by (seed, id)."""
    columns = np.empty((scenarios, len(ids)))
    for i, pid in enumerate(ids):
        key = int.from_bytes(hashlib.sha256(pid.encode()).digest()[:8], "big")
        columns[:, i] = np.random.default_rng([seed, key]).random(scenarios)
    return columns


def _se(values: np.ndarray) -> float:
    return float(values.std(ddof=1) / np.sqrt(values.size)) if values.size > 1 else 0.0
