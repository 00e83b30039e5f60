"""``select``: candidates, quotas and a seeded generator in; a SelectionResult out."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np
from threadpoolctl import threadpool_limits

from selection.algorithms import Problem, Progress, run_legacy, run_leximin, run_uniform
from selection.errors import InfeasibleQuotasError, PoolTooSmallError, SelectionError, UnsupportedOptionError
from selection.highs_util import solver_version
from selection.model import ALGORITHM_VERSION, Candidate, Quota, SelectionResult
from selection.pool import check_ids, household_key, shift_quotas, unused_quotas, validate_quotas
from selection.report import build_report
from selection.reserves import draw_reserves

ALGORITHMS = ("leximin", "uniform", "legacy")


def select(
    candidates: Iterable[Candidate],
    quotas: Iterable[Quota],
    k: int,
    *,
    rng: np.random.Generator,
    algorithm: str = "leximin",
    must_include: Iterable[str] = (),
    must_exclude: Iterable[str] = (),
    lottery_size: int | None = None,
    reserves: int = 0,
    seed_from: str | None = None,
    progress: Progress | None = None,
    monte_carlo_draws: int = 1000,
    algorithm_version: int = ALGORITHM_VERSION,
) -> SelectionResult:
    """Select a panel of ``k`` people meeting every quota; deterministic given the inputs.

    ``lottery_size`` None chooses the lottery size from the instance (``rounding.round_lottery``).
    ``algorithm_version`` re-runs a selection recorded by an earlier version (1: the greedy rounding
    to ``lottery_size`` panels, without the 1/L bound; 2: the rounding within the optimal lottery's
    panels, without version 3's new panels; 3: the walk's ILP for every face the swap repair cannot reach,
    without version 4's face LP), so recorded draws stay verifiable.
    Raises a SelectionError subclass with a code and a one-line fix when it cannot.
    """
    if algorithm not in ALGORITHMS:
        raise UnsupportedOptionError(f"unknown algorithm {algorithm!r}; use one of {', '.join(ALGORITHMS)}.")
    if algorithm_version not in range(1, ALGORITHM_VERSION + 1):
        raise UnsupportedOptionError(f"algorithm version {algorithm_version} is unknown; use 1 to {ALGORITHM_VERSION}.")
    if algorithm_version == 1 and lottery_size is None:
        lottery_size = 1000  # version 1's default
    if lottery_size is not None and lottery_size < 1:
        raise UnsupportedOptionError("lottery_size must be at least 1.")
    options = {
        "algorithm": algorithm,
        "must_include": sorted(set(must_include)),
        "must_exclude": sorted(set(must_exclude)),
        "lottery_size": lottery_size,
        "reserves": reserves,
        "seed_from": seed_from,
        "monte_carlo_draws": monte_carlo_draws,
        "rng_state": rng.bit_generator.state,
    }
    quota_list = list(quotas)
    problem = _prepare(list(candidates), quota_list, k, options)
    report = progress or (lambda stage, done, total: None)
    # One BLAS thread: the products here are small, so a BLAS thread pool only waits on itself (on a busy
    # 2-core machine the repair step's products ran 4x slower with two), and a product's rounding cannot
    # depend on how many cores the machine that re-runs a draw has.
    with threadpool_limits(limits=1, user_api="blas"):
        if algorithm == "uniform":
            draw = run_uniform(problem, rng, seed_from)
        elif algorithm == "legacy":
            draw = run_legacy(problem, rng, seed_from, monte_carlo_draws)
        else:
            draw = run_leximin(problem, rng, seed_from, lottery_size, report, algorithm_version)
        report("reserves", 0, reserves)
        excluded = set(problem.excluded)
        drawable = [c for c in problem.candidates if c.id not in excluded]
        reserve_ids = draw_reserves(drawable, problem.quotas, draw.selected, reserves, rng)
        report("reserves", len(reserve_ids), reserves)
    if algorithm_version >= 2:  # the realised size determines the result; how it was chosen is in the report
        options["lottery_size"] = len(draw.panels)
    extra = {
        "lottery_size": len(draw.panels),
        **(draw.extra or {}),
        "unused_quotas": unused_quotas(problem.candidates, quota_list),
    }
    return SelectionResult(
        algorithm=algorithm,
        algorithm_version=algorithm_version,
        solver="HiGHS",
        solver_version=solver_version(),
        k=k,
        selected=draw.selected,
        reserves=reserve_ids,
        probabilities=draw.probabilities,
        optimal_probabilities=draw.optimal,
        lottery=draw.panels,
        lottery_index=draw.index,
        distribution=draw.distribution,
        types=draw.types,
        report=build_report(
            problem.candidates, problem.quotas, k, draw.selected, draw.probabilities, draw.optimal, extra
        ),
        inputs_sha256=inputs_digest(problem.candidates, problem.quotas, k, options, algorithm_version),
        options=options,
        certificate=draw.certificate,
    )


def inputs_digest(
    candidates: Sequence[Candidate],
    quotas: Sequence[Quota],
    k: int,
    options: dict[str, Any],
    algorithm_version: int = ALGORITHM_VERSION,
) -> str:
    """Return a sha256 over a canonical JSON of everything that determines the result."""
    payload = {
        "candidates": [
            [c.id, sorted((str(a), str(b)) for a, b in c.features.items()), c.household]
            for c in sorted(candidates, key=lambda c: c.id)
        ],
        "quotas": [[q.feature, q.value, q.min, q.max, q.min_flex, q.max_flex] for q in quotas],
        "k": k,
        "options": options,
        "algorithm_version": algorithm_version,
    }
    text = json.dumps(payload, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _prepare(candidates: list[Candidate], quotas: list[Quota], k: int, options: dict[str, Any]) -> Problem:
    everyone = tuple(sorted(candidates, key=lambda c: c.id))
    if len({c.id for c in everyone}) != len(everyone):
        raise SelectionError("two candidates share an id; ids must be unique.", code="duplicate_id")
    checked = validate_quotas(everyone, quotas)
    include = check_ids(everyone, options["must_include"], "must_include")
    exclude = check_ids(everyone, options["must_exclude"], "must_exclude")
    if include & exclude:
        raise UnsupportedOptionError(
            f"{min(include & exclude)} is both in must_include and must_exclude; keep it in one."
        )
    fixed = tuple(c for c in everyone if c.id in include)
    houses = [household_key(c) for c in fixed if household_key(c) is not None]
    if len(houses) != len(set(houses)):
        raise UnsupportedOptionError("must_include holds two people of one household; keep one.")
    if len(fixed) > k:
        raise PoolTooSmallError(
            f"must_include names {len(fixed)} people but the panel has only "
            f"{k} seats; raise the panel size or shorten the list."
        )
    drop, taken = include | exclude, set(houses)  # hoisted: the same test for each candidate
    rest = tuple(c for c in everyone if c.id not in drop and household_key(c) not in taken)
    shifted = shift_quotas(checked, fixed)
    over = [q for q in shifted if q.max < 0]
    if over:
        raise InfeasibleQuotasError(
            f"the must_include people alone exceed the max of {over[0].label}; raise it or shorten must_include."
        )
    return Problem(everyone, checked, k, fixed, rest, shifted, tuple(sorted(exclude)))
