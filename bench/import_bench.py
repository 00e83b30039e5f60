"""Benchmark: bulk import of sign-ups with consents, against a raw insert of the same rows.

For each backend it imports N sign-ups (each with three consents, so 4 events per person) through
PanelApp.register_many (on 4 batches or more, batches are prepared in two worker processes, see
panel/store/bulk_import.py; --sequential keeps them in one process, to compare), then, in the same run, writes
the same number of rows of the same size into a plain table with the same primary key: one
``executemany`` in one transaction on SQLite, and multi-row ``INSERT ... VALUES`` statements of
1,000 rows in one transaction on PostgreSQL.
It then times the auditor's query, consent history as of a date, on a store of about --history-events
events (in process, median over 200 random participants, and the whole `panel consent history`
command as a process).

Run:  .venv/bin/python bench/import_bench.py --people 100000 --history-events 1000000
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psycopg

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from panel.application import PanelApp
from panel.config import StoreLocation  # noqa: E402
from panel.queries import Queries
from panel.registration import Registration
from panel.validation import ConsentSpec, SignUp

PG_URL = os.environ.get("PANEL_TEST_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/test")
T0 = datetime(2025, 1, 1, tzinfo=UTC)
PURPOSES = ("contact", "panel_membership", "data_processing")


def signups(n: int, prefix: str, seed: int = 1) -> list[SignUp]:
    rng = random.Random(seed)
    out = []
    for i in range(n):
        at = T0 + timedelta(minutes=rng.randint(0, 500_000))
        consents = tuple(
            ConsentSpec(p, "v3", "online", "self", at + timedelta(minutes=k)) for k, p in enumerate(PURPOSES)
        )
        out.append(
            SignUp(
                ref=f"{prefix}{i:07d}",
                channel="online",
                personal={"name": f"Person {i}", "email": f"person{i}@example.org", "postcode": "LS6 1AA"},
                attributes={
                    "age_band": rng.choice(["18-21", "22-25", "26-34", "35-49"]),
                    "gender": rng.choice(["woman", "man"]),
                    "imd_decile": str(rng.randint(1, 10)),
                },
                consents=consents,
                at=at,
                source="bench",
            )
        )
    return out


def location(backend: str, workdir: Path, name: str) -> StoreLocation:
    if backend == "sqlite":
        path = workdir / f"{name}.db"
        for p in workdir.glob(f"{name}.db*"):
            p.unlink()
        return StoreLocation.sqlite(str(path))
    schema = f"bench_{name}"
    with psycopg.connect(PG_URL, autocommit=True) as conn:
        conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
        conn.execute(f'CREATE SCHEMA "{schema}"')
    return StoreLocation.postgres(PG_URL, schema)


def import_rate(backend: str, people: int, workdir: Path) -> tuple[float, int, list[tuple[bytes, int, str, bytes]]]:
    loc = location(backend, workdir, "import")
    app = PanelApp(env=loc.env())
    data = signups(people, "I")
    start = time.perf_counter()
    _, _, events = Registration(app).register_many(data)
    elapsed = time.perf_counter() - start
    sample = [
        (n.originator_id.bytes, n.originator_version, n.topic, n.state)  # type: ignore[union-attr]
        for n in app.recorder.select_notifications(start=None, limit=events)
    ]
    app.close()
    return events / elapsed, events, sample


def raw_rate(backend: str, rows: list[tuple[bytes, int, str, bytes]], workdir: Path) -> float:
    """The same rows into a plain table with the same key, as fast as the driver allows."""
    fresh = [(uuid.uuid4().hex, v, t, s) for _, v, t, s in rows]
    if backend == "sqlite":
        import sqlite3

        path = workdir / "raw.db"
        for p in workdir.glob("raw.db*"):
            p.unlink()
        conn = sqlite3.connect(path, isolation_level=None)
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute(
            "CREATE TABLE raw (originator_id TEXT, originator_version INTEGER, topic TEXT, state BLOB, "
            "PRIMARY KEY (originator_id, originator_version))"
        )
        start = time.perf_counter()
        conn.execute("BEGIN")
        conn.executemany("INSERT INTO raw VALUES (?,?,?,?)", fresh)
        conn.execute("COMMIT")
        elapsed = time.perf_counter() - start
        conn.close()
        return len(fresh) / elapsed
    with psycopg.connect(PG_URL) as conn:
        conn.execute("DROP TABLE IF EXISTS bench_raw")
        conn.execute(
            "CREATE TABLE bench_raw (originator_id uuid, originator_version bigint, topic text, state bytea, "
            "notification_id bigserial, PRIMARY KEY (originator_id, originator_version))"
        )
        conn.execute("CREATE UNIQUE INDEX ON bench_raw (notification_id)")
        conn.commit()
        start = time.perf_counter()
        with conn.cursor() as cur:
            for i in range(0, len(fresh), 1000):
                chunk = fresh[i : i + 1000]
                values = ",".join(["(%s,%s,%s,%s)"] * len(chunk))
                cur.execute(
                    f"INSERT INTO bench_raw (originator_id, originator_version, topic, state) VALUES {values}",
                    [x for row in chunk for x in row],
                )
        conn.commit()
        elapsed = time.perf_counter() - start
        conn.execute("DROP TABLE bench_raw")
        conn.commit()
    return len(fresh) / elapsed


def history_latency(backend: str, events: int, workdir: Path) -> tuple[float, float, float, int]:
    loc = location(backend, workdir, "history")
    app = PanelApp(env=loc.env())
    people = events // 4
    Registration(app).register_many(signups(people, "H", seed=2), batch=2000)
    total = app.recorder.max_notification_id()
    rng = random.Random(3)
    refs = [f"H{rng.randrange(people):07d}" for _ in range(200)]
    ids = [app.participant_id_for(r, "bench") for r in refs]
    as_of = T0 + timedelta(days=200)
    timings = []
    for pid in ids:
        start = time.perf_counter()
        Queries(app).consent_history(pid, as_of)
        timings.append((time.perf_counter() - start) * 1000)
    app.close()
    env = dict(os.environ)
    env.update(
        {"PANEL_DB": loc.target, "PANEL_DATABASE_URL": ""}
        if backend == "sqlite"
        else {"PANEL_DATABASE_URL": loc.target, "PANEL_PG_SCHEMA": loc.schema}
    )
    command = [
        str(Path(sys.executable).with_name("panel")),
        "consent",
        "history",
        f"bench:{refs[0]}",
        "--as-of",
        as_of.date().isoformat(),
        "--json",
    ]
    whole = []
    for _ in range(5):
        start = time.perf_counter()
        subprocess.run(command, env=env, check=True, capture_output=True)
        whole.append((time.perf_counter() - start) * 1000)
    return statistics.median(timings), sorted(timings)[int(len(timings) * 0.95)], statistics.median(whole), total


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--people", type=int, default=100_000)
    parser.add_argument("--history-events", type=int, default=1_000_000)
    parser.add_argument("--backends", default="sqlite,postgres")
    parser.add_argument("--sequential", action="store_true", help="prepare every batch in this process")
    args = parser.parse_args()
    if args.sequential:
        from panel.store import bulk_import as bulk

        bulk.PARALLEL_FROM = sys.maxsize
    workdir = Path(tempfile.mkdtemp(prefix="panel-bench-"))
    targets = {"sqlite": 0.3, "postgres": 0.5}
    mode = "sequential" if args.sequential else "batches prepared in worker processes"
    print(f"Import of {args.people:,} sign-ups with 3 consents each (4 events per person), {mode}\n")
    print("| backend | panel import (events/s) | baseline: raw insert (rows/s) | ratio | target |")
    print("|---|---:|---:|---:|---:|")
    for backend in args.backends.split(","):
        rate, events, rows = import_rate(backend, args.people, workdir)
        raw = raw_rate(backend, rows, workdir)
        print(f"| {backend} | {rate:,.0f} | {raw:,.0f} | {rate / raw:.2f} | >= {targets[backend]} |", flush=True)
    if args.history_events:
        print(f"\n`consent history --as-of` on a store of ~{args.history_events:,} events\n")
        print("| backend | events in store | query median (ms) | query p95 (ms) | whole command median (ms) |")
        print("|---|---:|---:|---:|---:|")
        for backend in args.backends.split(","):
            median, p95, whole, total = history_latency(backend, args.history_events, workdir)
            print(f"| {backend} | {total:,} | {median:.2f} | {p95:.2f} | {whole:.0f} |", flush=True)


if __name__ == "__main__":
    main()
