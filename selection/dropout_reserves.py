"""Dropout-aware reserves: choose the ordered reserve list minimising the expected quota shortfall.

Greedy on the simulated objective (see ``selection.dropout_sim``): the list is built one
place at a time; for each place every kind of person still available (same quota
incidence and same dropout probability) is tried at the end of the list, and the kind
giving the lowest expected shortfall over ``scenarios`` training scenarios is kept (ties:
fewer expected empty seats, then the lower dropout probability, then the first kind).
With more than ``shortlist`` kinds, only the ``shortlist`` kinds with the best first-order
gain are simulated: (chance of being present) x (how often the quotas the kind counts
towards end short with the list so far). A
random available person of that kind takes the place. The training scenarios are drawn
per list place (common random numbers), so kinds are compared on the same dropouts.
If the plain list (today's ``draw_reserves``) scores better on the same training scenarios,
it is kept instead, so the chooser never does worse than the plain list there. The report
then evaluates both lists on fresh scenarios (``report_scenarios``), per person.

The household rule is kept as ``draw_reserves`` keeps it (no reserve shares a household
with a panel member) and, more strictly, no two reserves share a household either.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from selection.dropout import DropoutModel
from selection.dropout_sim import Quotas, expected_shortfall, fill_seats
from selection.model import Candidate, Quota
from selection.pool import check_ids, household_key
from selection.reserves import draw_reserves

METHOD = "greedy-simulated-shortfall"
METHOD_VERSION = 1
"""Bump whenever ``choose_reserves`` can return a different list for the same inputs."""


@dataclass(frozen=True)
class DropoutReserves:
    """The chosen reserve list, the plain list it was compared with, and the report."""

    reserves: tuple[str, ...]
    plain: tuple[str, ...]
    report: dict[str, Any]


@dataclass
class _Kinds:
    """Available people grouped by (quota incidence, dropout probability)."""

    incidence: np.ndarray  # kinds x quotas
    chance: np.ndarray  # per kind
    members: list[list[int]]  # pool indices per kind, in id order


def _kinds(incidence: np.ndarray, chance: np.ndarray) -> tuple[_Kinds, np.ndarray]:
    keys: dict[tuple[bytes, float], int] = {}
    kind_of = np.zeros(len(chance), dtype=int)
    members: list[list[int]] = []
    for i in range(len(chance)):
        key = (incidence[i].tobytes(), round(float(chance[i]), 12))
        if key not in keys:
            keys[key] = len(members)
            members.append([])
        kind_of[i] = keys[key]
        members[kind_of[i]].append(i)
    first = [m[0] for m in members]
    return _Kinds(incidence[first], chance[first], members), kind_of


def choose_reserves(
    candidates: Sequence[Candidate],
    quotas: Sequence[Quota],
    selected: Sequence[str],
    count: int,
    model: DropoutModel,
    rng: np.random.Generator,
    *,
    scenarios: int = 400,
    report_scenarios: int = 2000,
    shortlist: int = 32,
    plain: Sequence[str] | None = None,
) -> DropoutReserves:
    """Return up to ``count`` reserves minimising the expected quota shortfall after dropouts.

    ``plain`` is the plain ordered list to compare with (a draw passes the list its selection
    drew, so the report compares with exactly what a plain draw records); by default it is
    drawn here with ``draw_reserves``.
    """
    if scenarios < 2 or report_scenarios < 2:
        raise ValueError("scenarios and report_scenarios must be at least 2")
    if count < 0:
        raise ValueError(f"reserves {count} is negative: use 0 or more")
    check_ids(candidates, selected, "the panel")
    plain = tuple(plain) if plain is not None else draw_reserves(candidates, quotas, selected, count, rng)
    by_id = {c.id: c for c in candidates}
    q = Quotas.of(quotas)
    panel = q.incidence([by_id[p] for p in selected])
    panel_chance = np.array([model.probability(by_id[p]) for p in selected])
    houses = {household_key(by_id[p]) for p in selected} - {None}
    chosen_set = set(selected)
    pool = [
        c for c in sorted(candidates, key=lambda c: c.id) if c.id not in chosen_set and household_key(c) not in houses
    ]
    pool_incidence = q.incidence(pool)
    pool_chance = np.array([model.probability(c) for c in pool])
    kinds, kind_of = _kinds(pool_incidence, pool_chance)
    train = np.random.default_rng(rng.integers(2**63))
    panel_out = train.random((scenarios, len(selected))) < panel_chance
    base = (~panel_out).astype(float) @ panel  # the members still present, counted once
    seats = panel_out.sum(axis=1)
    slots = train.random((scenarios, max(count, len(plain))))

    def score(incidence: np.ndarray, chance: np.ndarray) -> tuple[float, float]:
        counts, empty = fill_seats(q, base, seats, incidence, slots[:, : len(chance)] >= chance)
        per_quota = np.maximum(q.qmin - counts, 0)
        return float(per_quota.sum(axis=1).mean()), float(empty.mean())

    left = np.ones(len(pool), dtype=bool)
    picks: list[int] = []
    for _ in range(min(count, len(pool))):
        open_kinds = [int(k) for k in np.unique(kind_of[left])]
        if not open_kinds:
            break
        if len(open_kinds) > shortlist:
            counts, _ = fill_seats(q, base, seats, pool_incidence[picks], slots[:, : len(picks)] >= pool_chance[picks])
            per_quota = np.maximum(q.qmin - counts, 0)
            short = (per_quota > 0).mean(axis=0)  # how often each quota ends short
            gain = (kinds.incidence[open_kinds] @ short) * (1 - kinds.chance[open_kinds])
            open_kinds = [open_kinds[i] for i in np.lexsort((kinds.chance[open_kinds], -gain))[:shortlist]]
        best = min(
            open_kinds,
            key=lambda k: (
                *score(pool_incidence[picks + [kinds.members[k][0]]], pool_chance[picks + [kinds.members[k][0]]]),
                kinds.chance[k],
                k,
            ),
        )
        options = [i for i in kinds.members[best] if left[i]]
        pick = options[int(rng.integers(len(options)))]
        picks.append(pick)
        house = household_key(pool[pick])
        left[pick] = False
        if house is not None:  # no two reserves from one household
            left &= np.array([household_key(c) != house for c in pool])
    greedy = tuple(pool[i].id for i in picks)
    greedy_score = score(pool_incidence[picks], pool_chance[picks])
    plain_index = {c.id: i for i, c in enumerate(pool)}
    plain_rows = [plain_index[r] for r in plain]
    plain_score = score(pool_incidence[plain_rows], pool_chance[plain_rows])
    reserves = plain if plain_score < greedy_score else greedy
    evaluation = expected_shortfall(
        candidates,
        quotas,
        selected,
        {"dropout-aware": reserves, "plain": plain},
        model,
        scenarios=report_scenarios,
        seed=int(rng.integers(2**63)),
        baseline="plain",
    )
    report = {
        "method": METHOD,
        "method_version": METHOD_VERSION,
        "training_scenarios": scenarios,
        "shortlist": shortlist,
        "training": {"dropout-aware": greedy_score[0], "plain": plain_score[0]},
        "kept": "plain" if reserves == plain else "dropout-aware",
        "evaluation": evaluation,
        "model": model.to_dict(),
    }
    return DropoutReserves(reserves, plain, report)
