"""Benchmark: what the reach report holds of the ids at its pool, invited, selected and attended stages, against sets.

Run:  .venv/bin/python bench/reach_stages_bench.py --ids 1000000 --people 1100000 --missing 10000

Each stage is ``--ids`` ids: ``--ids - --missing`` picked at random (seeded) from the ``--people`` of the people
table, and ``--missing`` the people table does not hold. Both ways are given the same ids as the report gets
them (a fresh 32-digit hex string for every row, as the database driver makes them), then read the people
table in pages of ``STREAM_ROWS`` ids, taking each person's stages, then the ids left, in id order. Reported: the
time to gather the stages, to read the people and to list what is left (one run), the Python allocations held
once the stages are gathered and their peak over the whole (a second run, under ``tracemalloc``), and whether
the two gave every person, and every id left, the same stages in the same order.

The named baseline is the sets of strings the report used before (``projections.reach._Stages`` up to this
change, copied below); the new way is ``projections.reach_stages.StageIds``: sorted 16-byte ids with a "seen" mark.
"""

from __future__ import annotations

import argparse
import datetime
import gc
import hashlib
import random
import sys
import time
import tracemalloc
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from panel.id_bytes import IdCollector  # noqa: E402
from projections.ledger import STREAM_ROWS  # noqa: E402
from projections.reach_stages import MARKED, StageIds, stage_names  # noqa: E402

SEED = 20261203
Rows = Callable[[], Iterator[str]]  # a stage's ids, or the people table's, each a fresh hex string
Way = Callable[[dict[str, Rows], Rows, Callable[[list[str]], None]], Iterator[None]]


@dataclass
class SetStages:
    """The baseline: the reach report's stages before this change (sets of ids, emptied as the people are read)."""

    pool: set[str]
    invited: set[str]
    selected: set[str]
    attended: set[str]

    def of(self, pid: str, registered: bool, holds: Callable[[], bool]) -> list[str]:
        found = ["registered"] if registered else []
        if pid in self.pool:
            self.pool.discard(pid)
            if holds():
                found.append("pool")
        for name in ("invited", "selected", "attended"):
            ids = getattr(self, name)
            if pid in ids:
                ids.discard(pid)
                found.append(name)
        return found


def the_baseline(stages: dict[str, Rows], people: Rows, seal: Callable[[list[str]], None]) -> Iterator[None]:
    held = SetStages(*({pid for pid in stages[name]()} for name in MARKED))
    yield  # the stages are gathered
    for pid in people():
        seal(held.of(pid, False, lambda: True))
    yield  # the people are read
    for pid in sorted(held.pool | held.invited | held.selected | held.attended):
        seal(held.of(pid, False, lambda: True))


def stage_ids(stages: dict[str, Rows], people: Rows, seal: Callable[[list[str]], None]) -> Iterator[None]:
    held = StageIds(*(IdCollector().extend(stages[name]()).done() for name in MARKED))
    yield
    page: list[str] = []
    for pid in people():
        page.append(pid)
        if len(page) == STREAM_ROWS:
            for marks in held.take(page):
                seal(stage_names(False, marks, lambda: True))
            page = []
    for marks in held.take(page):
        seal(stage_names(False, marks, lambda: True))
    yield
    for marks in held.left():
        seal(stage_names(False, marks, lambda: True))


def measure(way: Way, stages: dict[str, Rows], people: Rows) -> tuple[list[float], float, float, str]:
    """([gather s, read s, left s], held MB after gathering, peak MB, a digest of every answer in order)."""
    digest = hashlib.blake2b(digest_size=16)

    def seal(at: list[str]) -> None:
        digest.update(("|".join(at) + "\n").encode())

    gc.collect()
    times, began = [], time.perf_counter()
    for _ in way(stages, people, seal):
        times.append(time.perf_counter() - began)
        began = time.perf_counter()
    times.append(time.perf_counter() - began)
    gc.collect()
    tracemalloc.start()
    steps = way(stages, people, lambda at: None)
    next(steps)
    held = tracemalloc.get_traced_memory()[0]
    for _ in steps:
        pass
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return times, held / 2**20, peak / 2**20, digest.hexdigest()


def rows_of(raw: bytes) -> Rows:
    return lambda: (raw[i : i + 16].hex() for i in range(0, len(raw), 16))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--ids", type=int, default=1_000_000, help="ids at each of the four stages")
    parser.add_argument("--people", type=int, default=1_100_000, help="rows of the people table")
    parser.add_argument("--missing", type=int, default=10_000, help="ids at each stage the people table lacks")
    args = parser.parse_args()
    rng = random.Random(SEED)
    people = [rng.randbytes(16) for _ in range(args.people)]
    people += [bytes(15) + b"\x01", people[0][:14] + bytes(2)]  # ids ending in zero bytes among them
    stages = {}
    for name in MARKED:
        ids = rng.sample(people, args.ids - args.missing) + [rng.randbytes(16) for _ in range(args.missing)]
        stages[name] = rows_of(b"".join(ids))
    people_rows = rows_of(b"".join(people))
    del people, ids
    answers = {}
    print(
        "| way | ids a stage | people | gather (s) | read the people (s) | what is left (s) | held (MB) | peak (MB) |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    for name, way in (("baseline: sets of strings", the_baseline), ("StageIds: sorted 16-byte ids", stage_ids)):
        times, held, peak, answers[name] = measure(way, stages, people_rows)
        gather, read, left = times
        print(
            f"| {name} | {args.ids:,} | {args.people + 2:,} | {gather:.1f} | {read:.1f} | {left:.2f} "
            f"| {held:,.0f} | {peak:,.0f} |"
        )
    if len(set(answers.values())) != 1:
        raise SystemExit("the two ways disagree")
    print(
        f"\n# {datetime.datetime.now(datetime.UTC):%Y-%m-%d %H:%MZ}; both ways gave every person and id the same stages"
    )


if __name__ == "__main__":
    main()
