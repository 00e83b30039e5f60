"""Benchmark: what `panel retention plan` holds to know whose draws each person was in, against a dict of lists.

Run:  .venv/bin/python bench/retention_pools_bench.py --people 1000000 --draws 10,40 --pool 50000

The retention rules keep a person while a draw whose pool they were in can still be re-verified, so the plan
needs, for each person, the draws whose pools held them. For each number of draws, every draw's pool is
``--pool`` people picked at random (seeded) from ``--people``; both ways are built from the same pools (each
pool arriving as a list of ids, as a draw's pool is loaded) and then asked for every person's draws, once
each, as the plan asks. Reported: the time to build and the time to ask (one run), the peak of Python's
allocations while building and asking (a second run, under ``tracemalloc``: the pools' own lists, freed after
each draw, are in it too), and whether the two answered the same for everyone.

The named baseline is the dict of lists the retention plan used before (``person id -> [draw, ...]``, the
ids as ``uuid.UUID``); ``DrawPools`` keeps 16 bytes and a draw number for each membership, sorted by id.
"""

from __future__ import annotations

import argparse
import datetime
import gc
import random
import sys
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path
from typing import Any
from uuid import UUID

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from panel.retention.facts import ID_BYTES, DrawPools  # noqa: E402
from panel.retention.rules import DrawFact  # noqa: E402

SEED = 20261203
T0 = datetime.datetime(2025, 1, 1, tzinfo=datetime.UTC)


def the_baseline(facts: list[DrawFact], pools: Callable[[], Any]) -> Callable[[UUID], tuple[DrawFact, ...]]:
    found: dict[UUID, list[DrawFact]] = {}
    for fact, pool in zip(facts, pools(), strict=True):
        for pid in pool:
            found.setdefault(UUID(pid), []).append(fact)
    return lambda pid: tuple(found.get(pid, ()))


def draw_pools(facts: list[DrawFact], pools: Callable[[], Any]) -> Callable[[UUID], tuple[DrawFact, ...]]:
    arrays = (np.array([UUID(pid).bytes for pid in pool], dtype=ID_BYTES) for pool in pools())
    return DrawPools(facts, arrays).of  # the pools one at a time, as RetentionFacts gives them


def measure(build: Callable[..., Any], facts: list[DrawFact], pools: Callable[[], Any], people: list[UUID]) -> tuple:
    """(peak MB, build s, ask s, each person's number of draws): timed in one run, the peak taken in a second
    (tracing every allocation slows both ways, numpy's small ones the most)."""
    gc.collect()
    began = time.perf_counter()
    of = build(facts, pools)
    built = time.perf_counter() - began
    began = time.perf_counter()
    answers = [len(of(pid)) for pid in people]
    asked = time.perf_counter() - began
    del of
    gc.collect()
    tracemalloc.start()
    of = build(facts, pools)
    for pid in people:
        of(pid)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return peak / 2**20, built, asked, answers


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--people", type=int, default=1_000_000)
    parser.add_argument("--draws", default="10,40", help="numbers of draws, comma-separated")
    parser.add_argument("--pool", type=int, default=50_000)
    args = parser.parse_args()
    rng = random.Random(SEED)
    people = [UUID(int=rng.getrandbits(128)) for _ in range(args.people)]
    texts = [str(p) for p in people]
    print("| draws | memberships | way | peak (MB) | build (s) | every person's draws (s) |")
    print("|---:|---:|---|---:|---:|---:|")
    for count in (int(n) for n in args.draws.split(",")):
        facts = [DrawFact(f"engagement-{d} round 1", T0 + datetime.timedelta(days=d)) for d in range(count)]
        seeds = [rng.getrandbits(32) for _ in range(count)]

        def pools(seeds: list[int] = seeds) -> Any:  # each pool made when asked for, as loading a draw does
            for seed in seeds:
                yield random.Random(seed).sample(texts, args.pool)

        rows = {}
        for name, build in (("baseline: dict of lists", the_baseline), ("DrawPools", draw_pools)):
            peak, built, asked, answers = measure(build, facts, pools, people)
            rows[name] = answers
            print(f"| {count} | {count * args.pool:,} | {name} | {peak:,.0f} | {built:.1f} | {asked:.1f} |")
        if rows["baseline: dict of lists"] != rows["DrawPools"]:
            raise SystemExit("the two ways disagree")
    print(f"\n# {datetime.datetime.now(datetime.UTC):%Y-%m-%d %H:%MZ}; both ways gave every person the same draws")


if __name__ == "__main__":
    main()
