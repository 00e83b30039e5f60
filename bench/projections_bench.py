"""Benchmark: rebuild every view over a large store, against a plain decoded read of the same log.

Run:  .venv/bin/python bench/projections_bench.py --events 1000000 --backends sqlite,postgres --workers 1,2

The store is generated once (people with consents, invitations, acceptances, attendance,
withdrawals, leavers and erasures, saved in big batches) and cached: SQLite in --cache-dir,
PostgreSQL in a schema named after the size. Both timings read the whole log in pages of
--batch notifications; the rebuild also unseals attributes and writes every view table with its
tracking row (a bulk load into fresh generations, in this process or split by participant over
worker processes, see projections/bulk/). Each rebuild is timed with every --workers count, and
the peak memory of the benchmark's process and all its children together is sampled from /proc
during each rebuild (the sum of their resident sets, every 20 ms). --bucket-events sets how many
events the rebuild holds in memory at once (projections.bulk.spill.BUCKET_EVENTS; a number above
the log's length gives the one-pass load, every row in memory until the end).
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import threading
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from panel.application import PanelApp
from panel.config import StoreLocation
from panel.domain.engagement import Engagement
from panel.domain.participant import Participant
from panel.participation import Participation
from panel.store.sealing import seal
from projections import Projector, make_engine
from projections.bulk import spill

START = datetime(2024, 1, 1, 9, tzinfo=UTC)
AGES = ["18-21", "22-25", "26-34", "35-49", "50-64", "65+"]
ETHNICITY = ["White British", "White other", "Asian", "Black", "Mixed", "Other"]


def attributes(rng: random.Random) -> dict[str, str]:
    """A person's self-described attributes (age band, ethnicity, IMD decile, disability), drawn from ``rng``."""
    return {
        "age_band": rng.choice(AGES),
        "ethnicity": rng.choice(ETHNICITY),
        "imd_decile": str(rng.randint(1, 10)),
        "disability": rng.choice(["yes", "no", "no", "no"]),
    }


def bench_engagements() -> list[Engagement]:
    """The twenty engagements ``person`` invites to, two session days each."""
    return [
        Engagement.open(
            name=f"bench {n}",
            purpose="bench",
            kind="consult",
            day_rate_pence=0,
            at=START,
            sessions=[date(2024, 2, 1) + timedelta(days=30 * n + k) for k in range(2)],
        )
        for n in range(20)
    ]


def person(app: PanelApp, rng: random.Random, i: int, key: bytes, engagements: list[Engagement]) -> Participant:
    pid = app.participant_id_for(f"B{i:07d}", "bench")
    at = START + timedelta(minutes=i)
    attrs = attributes(rng)
    p = Participant.register(
        id=pid,
        source="bench",
        external_ref=f"B{i:07d}",
        channel="online",
        captured_by=None,
        at=at,
        sealed=seal(key, pid, {"personal": {}, "attributes": attrs}),
    )
    for purpose in ("panel_membership", "contact"):
        p.grant_consent(purpose=purpose, notice_version="v1", method="online", captured_by="self", at=at)
    if rng.random() < 0.4:
        e = rng.choice(engagements)
        p.invite(engagement_id=e.id, at=at + timedelta(days=20))
        if rng.random() < 0.6:
            p.respond(engagement_id=e.id, accept=True, at=at + timedelta(days=21))
            for day in e.sessions[: rng.randint(0, len(e.sessions))]:
                p.attend(engagement_id=e.id, session_date=day, half_day=rng.random() < 0.2, at=at + timedelta(days=30))
    if rng.random() < 0.05:
        p.withdraw_consent(purpose="contact", captured_by=None, at=at + timedelta(days=60))
    return p


def generate(app: PanelApp, events: int, batch: int = 500) -> int:
    rng = random.Random(20261122)
    engagements = bench_engagements()
    app.save(*engagements)
    i, written, t0 = 0, len(engagements), time.perf_counter()
    while written < events:
        keys = app.keys.ensure_keys(app.participant_id_for(f"B{j:07d}", "bench") for j in range(i, i + batch))
        people = [
            person(app, rng, j, keys[app.participant_id_for(f"B{j:07d}", "bench")], engagements)
            for j in range(i, i + batch)
        ]
        app.save(*people)
        written += sum(p.version for p in people)
        i += batch
        if i % 50000 == 0:
            print(f"  generated {written:,} events ({written / (time.perf_counter() - t0):,.0f} ev/s)", flush=True)
    for j in range(0, i, max(1, i // 50)):  # a few erasures (event + key destroyed)
        Participation(app).erase(app.participant_id_for(f"B{j:07d}", "bench"), "bench erasure")
    return int(app.recorder.max_notification_id() or 0)


class PeakMemory:
    """The peak of the summed resident memory of a process (``root``, this one by default) and all its
    descendants, sampled from /proc."""

    def __init__(self, every: float = 0.02, root: int | None = None) -> None:
        self.every, self.peak, self.root = every, 0, os.getpid() if root is None else root
        self.each: dict[int, int] = {}  # each process's own peak (this one and every child), by pid
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def __enter__(self) -> PeakMemory:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self._take()  # once more at the end: a short measurement may fall between two samples

    @property
    def mb(self) -> float:
        return self.peak / 2**20

    def _take(self) -> None:
        now = {pid: _rss(pid) for pid in _tree(self.root)}
        self.peak = max(self.peak, sum(now.values()))
        for pid, rss in now.items():
            self.each[pid] = max(self.each.get(pid, 0), rss)

    def apart(self) -> str:
        """Each process's own peak in MB, this one first, then its children, largest first."""
        own = self.each.get(self.root, 0)
        children = sorted((rss for pid, rss in self.each.items() if pid != self.root and rss), reverse=True)
        return ", ".join([f"this process {own / 1e6:,.0f}", *(f"{rss / 1e6:,.0f}" for rss in children)])

    def _sample(self) -> None:
        while not self._stop.is_set():
            self._take()
            self._stop.wait(self.every)


def _tree(root: int) -> list[int]:
    """``root`` and every process descended from it (by the parent ids in /proc)."""
    parents: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as f:
                    ppid = int(f.read().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            parents.setdefault(ppid, []).append(int(entry))
    found, todo = [], [root]
    while todo:
        pid = todo.pop()
        found.append(pid)
        todo.extend(parents.get(pid, ()))
    return found


def _rss(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


def decoded_read(app: PanelApp, batch: int) -> int:
    start, count = 0, 0
    while page := app.recorder.select_notifications(start, limit=batch, inclusive_of_start=False):
        for n in page:
            app.mapper.to_domain_event(n)
        count += len(page)
        start = page[-1].id
    return count


def location_for(backend: str, events: int, cache: Path, pg_url: str) -> StoreLocation:
    if backend == "sqlite":
        cache.mkdir(parents=True, exist_ok=True)
        return StoreLocation.sqlite(str(cache / f"projections_bench_{events}.db"))
    import psycopg

    schema = f"bench_projections_{events}"
    with psycopg.connect(pg_url, autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA IF NOT EXISTS "{schema}"')
    return StoreLocation.postgres(pg_url, schema)


def run(backend: str, args: argparse.Namespace) -> dict[str, float]:
    location = location_for(backend, args.events, Path(args.cache_dir), args.pg_url)
    app = PanelApp(env=location.env())
    head = int(app.recorder.max_notification_id() or 0)
    if head < args.events:
        print(f"{backend}: generating a store of ~{args.events:,} events (cached for later runs)...", flush=True)
        t0 = time.perf_counter()
        head = generate(app, args.events - head)
        print(f"{backend}: {head:,} events generated in {time.perf_counter() - t0:,.0f} s", flush=True)
        # the generator's objects leave this process's heap larger than a rebuild's own: measure in a fresh one
        print("restarting in a fresh process, so the peak memory is the rebuild's alone", flush=True)
        app.close()
        os.execv(sys.executable, [sys.executable, *sys.argv])  # noqa: S606 - this same script, its own arguments
    engine = make_engine(location)
    reads: list[float] = []
    rebuilds: dict[int, list[float]] = {w: [] for w in args.workers}
    peaks: dict[int, list[int]] = {w: [] for w in args.workers}
    for _ in range(args.repeat):
        t0 = time.perf_counter()
        n = decoded_read(app, args.batch)
        reads.append(n / (time.perf_counter() - t0))
        print(f"{backend}: decoded read {reads[-1]:,.0f} ev/s", flush=True)
        for workers in args.workers:
            projector = Projector(app, engine, batch_size=args.batch, bulk_workers=workers)
            with PeakMemory() as memory:
                t0 = time.perf_counter()
                n = projector.rebuild()
                rebuilds[workers].append(n / (time.perf_counter() - t0))
            peaks[workers].append(memory.peak)
            print(
                f"{backend}: rebuild of all views, {workers} process(es): {rebuilds[workers][-1]:,.0f} ev/s, "
                f"peak memory of all processes {memory.peak / 1e6:,.0f} MB (each process's own peak, MB: "
                f"{memory.apart()})",
                flush=True,
            )
    engine.dispose()
    app.close()
    result = {"events": float(head), "read": statistics.median(reads)}
    for workers, rates in rebuilds.items():
        result[f"rebuild{workers}"] = statistics.median(rates)
        result[f"peak{workers}"] = max(peaks[workers])
        paired = ", ".join(f"{rate / read:.2f}" for rate, read in zip(rates, reads, strict=True))
        print(f"{backend}: {workers} process(es), ratio of each run to its own decoded read: {paired}", flush=True)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--backends", default="sqlite,postgres")
    parser.add_argument("--batch", type=int, default=2000, help="notifications per page and per transaction")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument(
        "--workers",
        default="1,2",
        type=lambda text: [int(w) for w in text.split(",")],
        help="bulk rebuild processes to time, comma-separated (1: in the benchmark's own process)",
    )
    parser.add_argument("--cache-dir", default=os.environ.get("PANEL_BENCH_CACHE", "/tmp/panel-bench"))
    parser.add_argument(
        "--pg-url", default=os.environ.get("PANEL_TEST_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/test")
    )
    parser.add_argument(
        "--bucket-events",
        type=int,
        default=spill.BUCKET_EVENTS,
        help="events a rebuild holds in memory at once, all processes together (projections.bulk.spill)",
    )
    args = parser.parse_args()
    spill.BUCKET_EVENTS = args.bucket_events
    results = {b: run(b, args) for b in args.backends.split(",")}
    head = "| backend | events | decoded read (ev/s) |"
    head += "".join(
        f" rebuild, {w} process{'es' if w > 1 else ''} (ev/s) | ratio | peak memory (MB) |" for w in args.workers
    )
    print(f"\nbucket events: {args.bucket_events:,}; ratio: median rebuild rate over median decoded read rate")
    print(head)
    print("|---|---:|---:|" + "---:|---:|---:|" * len(args.workers))
    for backend, r in results.items():
        line = f"| {backend} | {r['events']:,.0f} | {r['read']:,.0f} |"
        line += "".join(
            f" {r[f'rebuild{w}']:,.0f} | {r[f'rebuild{w}'] / r['read']:.2f} | {r[f'peak{w}'] / 1e6:,.0f} |"
            for w in args.workers
        )
        print(line)


if __name__ == "__main__":
    main()
