"""The three ways ``select`` draws a panel from a prepared problem: uniform, the legacy greedy, and leximin
rounded to a lottery. Each returns what was drawn; ``selection.api`` turns it into a SelectionResult."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from selection import baselines, lottery, rounding
from selection.certificate import build_certificate
from selection.checks import check_pool_size, ensure_feasible
from selection.errors import PoolTooSmallError, SelectionError, UnsupportedOptionError
from selection.leximin import leximin
from selection.model import Candidate, Quota
from selection.pool import build_pool
from selection.pricing import Pricer

Progress = Callable[[str, int, int], None]


@dataclass(frozen=True)
class Problem:
    candidates: tuple[Candidate, ...]  # everyone, sorted by id
    quotas: tuple[Quota, ...]  # validated, sorted
    k: int
    fixed: tuple[Candidate, ...]  # must_include
    rest: tuple[Candidate, ...]  # still drawable
    rest_quotas: tuple[Quota, ...]  # quotas for the k - len(fixed) remaining seats
    excluded: tuple[str, ...]  # must_exclude


@dataclass(frozen=True)
class Drawn:
    selected: tuple[str, ...]
    probabilities: dict[str, float]
    optimal: dict[str, float]
    panels: tuple[tuple[str, ...], ...]
    index: int
    distribution: tuple[Any, ...] = ()
    types: tuple[Any, ...] = ()
    extra: dict[str, Any] | None = None
    certificate: dict[str, Any] | None = None


def generator(rng: np.random.Generator, seed_from: str | None) -> np.random.Generator:
    if seed_from is None:
        return rng
    digest = hashlib.sha256(seed_from.encode("utf-8")).digest()
    return np.random.default_rng(int.from_bytes(digest, "big"))


def with_fixed(problem: Problem, panel: Sequence[str]) -> tuple[str, ...]:
    return tuple(sorted([*panel, *(c.id for c in problem.fixed)]))


def person_probabilities(problem: Problem, drawn: dict[str, float]) -> dict[str, float]:
    fixed = {c.id for c in problem.fixed}
    return {c.id: 1.0 if c.id in fixed else drawn.get(c.id, 0.0) for c in problem.candidates}


def run_uniform(problem: Problem, rng: np.random.Generator, seed_from: str | None) -> Drawn:
    if problem.quotas:
        raise UnsupportedOptionError("algorithm uniform ignores quotas; remove the quotas or use algorithm leximin.")
    groups = baselines.household_groups(problem.rest)
    seats = problem.k - len(problem.fixed)
    if seats > len(groups):
        raise PoolTooSmallError(
            f"panel size {problem.k} needs {seats} more people but the pool "
            f"has only {len(groups)} households left; lower the panel size."
        )
    probs = person_probabilities(problem, baselines.uniform_probabilities(groups, seats))
    panel = with_fixed(problem, baselines.uniform_draw(groups, seats, generator(rng, seed_from)))
    return Drawn(panel, probs, dict(probs), (panel,), 0, extra={"draw": "direct uniform draw"})


def run_legacy(problem: Problem, rng: np.random.Generator, seed_from: str | None, draws: int) -> Drawn:
    seats = problem.k - len(problem.fixed)
    pool = build_pool(problem.rest, problem.rest_quotas)
    check_pool_size(pool, seats)
    ensure_feasible(pool, seats)
    greedy = baselines.Legacy(problem.rest, problem.rest_quotas, seats)
    panel = with_fixed(problem, greedy.draw(generator(rng, seed_from)))
    counts: dict[str, int] = {}
    for _ in range(draws):
        for person in greedy.draw(rng):
            counts[person] = counts.get(person, 0) + 1
    estimate = {person: count / max(draws, 1) for person, count in counts.items()}
    probs = person_probabilities(problem, estimate)
    return Drawn(
        panel,
        probs,
        dict(probs),
        (panel,),
        0,
        extra={"draw": "direct greedy draw", "probability_estimate": f"Monte Carlo over {draws} draws"},
    )


ROUNDING = {
    2: "floor/ceil of L x weight per composition, deficit-balanced, swap-repaired, checked exactly",
    3: "floor/ceil of L x weight per composition, deficit-balanced, swap-repaired, "
    "new panels swapped in where a type is short, checked exactly",
}


def run_leximin(
    problem: Problem,
    rng: np.random.Generator,
    seed_from: str | None,
    size: int | None,
    progress: Progress,
    version: int,
) -> Drawn:
    seats = problem.k - len(problem.fixed)
    progress("checking", 0, 1)
    pool = build_pool(problem.rest, problem.rest_quotas)
    check_pool_size(pool, seats)
    ensure_feasible(pool, seats)
    progress("checking", 1, 1)
    outcome = leximin(pool, seats, progress, version)
    order = sorted(range(len(outcome.columns)), key=lambda i: tuple(-outcome.columns[i]))
    columns = [outcome.columns[i] for i in order]
    weights = outcome.weights[order]
    progress("lottery", 0, 1)
    lottery_columns, added = columns, 0
    if version == 1:
        if size is None:
            raise SelectionError("internal: the lottery size was not chosen", code="internal")
        counts, rule = lottery.balanced_counts(columns, weights, pool.sizes, size), "given"
    else:
        fill = Pricer(pool, seats).within if version >= 3 else None
        rounded = rounding.round_lottery(
            columns, weights, pool.sizes, outcome.type_probabilities, size, fill, pool.households
        )
        counts, size, rule, added = rounded.counts, rounded.size, rounded.rule, len(rounded.added)
        lottery_columns = rounding.every_column(columns, rounded)
    panels = tuple(with_fixed(problem, p) for p in lottery.expand(lottery_columns, counts, pool.types, rng))
    progress("lottery", 1, 1)
    ids = [c.id for c in problem.candidates]
    optimal = person_probabilities(
        problem,
        {person: float(outcome.type_probabilities[t]) for t, kind in enumerate(pool.types) for person in kind.members},
    )
    index = lottery.draw_index(size, rng, seed_from)
    distribution = tuple(
        (tuple((pool.types[t].key, int(c[t])) for t in np.flatnonzero(c)), float(w))
        for c, w in zip(columns, weights, strict=True)
    )
    probabilities = lottery.marginals(panels, ids)
    extra: dict[str, Any] = {key: outcome.stats[key] for key in ("columns", "rounds", "levels", "cuts", "ilp_calls")}
    if version >= 4:
        extra["face_lps"] = outcome.stats["face_lps"]
    extra.update(
        {
            "solve_seconds": outcome.stats["seconds"],
            "types": len(pool.types),
            "support": len(columns),
            "draw": "uniform index into the lottery",
        }
    )
    certificate = None
    if version >= 2:
        extra["lottery"] = {
            **rounding.deviation(probabilities, optimal, size),
            "size_rule": rule,
            "rounding": ROUNDING[min(version, 3)],
        }
        if version >= 3:
            extra["lottery"]["new_panels"] = added
        if not problem.fixed:
            certificate = build_certificate(
                pool,
                seats,
                columns,
                weights,
                outcome.type_probabilities,
                outcome.levels,
                outcome.cuts,
                panels,
                probabilities,
                index,
                extra["lottery"],
            )
    return Drawn(panels[index], probabilities, optimal, panels, index, distribution, pool.types, extra, certificate)
