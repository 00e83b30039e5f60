"""Benchmark: `panel participant import` of a CSV file, against a raw insert of the same rows, with peak memory.

For each backend and each size it writes a CSV file of N sign-ups (each with three consents, so 4
events per person), imports it in a child process with the same code as `panel participant import`
(``panel.importer.import_csv``: a first read checks every row, a second writes them in batches, in
one transaction; on 4 batches or more the batches are sealed and encoded in two worker processes),
and samples the resident memory of that process and its workers together every 50 ms. Then, in
the same run, it writes the rows the import stored into a plain table with the same primary key,
as fast as the driver allows: ``executemany`` on SQLite, multi-row ``INSERT ... VALUES`` of 1,000
rows on PostgreSQL, in one transaction (read from the store a page at a time; only the inserts
are timed). Peak memory that stays flat from the smallest size to the largest is the point.

It then times the auditor's query, consent history as of a date, on a store of about --history-events
events (in process, median over 200 random participants, and the whole `panel consent history`
command as a process); --history-events 0 skips it.

Run:  nice -n 10 .venv/bin/python bench/import_bench.py --people 50000,200000 --history-events 0
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
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

from raw_insert import PG_URL, raw_rate

from panel.application import PanelApp
from panel.config import StoreLocation
from panel.queries import Queries
from panel.registration import Registration
from panel.validation import ConsentSpec, SignUp

RUN = f"{os.getpid()}_{uuid.uuid4().hex[:8]}"  # in this run's schema names: two runs at once never share one
STORES = ("import", "history")  # the stores a run makes (``location``): schemas bench_NAME_RUN on PostgreSQL
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
    schema = schema_name(name)
    with psycopg.connect(PG_URL, autocommit=True) as conn:
        conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
        conn.execute(f'CREATE SCHEMA "{schema}"')
    return StoreLocation.postgres(PG_URL, schema)


def schema_name(name: str) -> str:
    """The PostgreSQL schema of this run's store ``name`` (one of ``STORES``)."""
    return f"bench_{name}_{RUN}"


def drop_schemas() -> None:
    """Drop the schemas this run made (at the end, whether it finished or failed)."""
    with psycopg.connect(PG_URL, autocommit=True) as conn:
        for name in STORES:
            conn.execute(f'DROP SCHEMA IF EXISTS "{schema_name(name)}" CASCADE')


def write_file(path: Path, n: int, seed: int = 1) -> int:
    """A sign-up file of ``n`` rows, each with three consents; returns its size in bytes."""
    rng = random.Random(seed)
    header = "ref,channel,name,email,postcode,age_band,gender,imd_decile,consent_at," + ",".join(
        f"consent_{p}" for p in PURPOSES
    )
    with path.open("w", encoding="utf-8") as out:
        out.write(header + "\n")
        for i in range(n):
            at = (T0 + timedelta(minutes=rng.randint(0, 500_000))).isoformat()
            band = rng.choice(["18-21", "22-25", "26-34", "35-49"])
            gender = rng.choice(["woman", "man"])
            out.write(
                f"F{i:07d},online,Person {i},person{i}@example.org,LS6 1AA,{band},{gender},{rng.randint(1, 10)},"
                f"{at},v3,v3,v3\n"
            )
    return path.stat().st_size


def run_import(env: dict[str, str], path: Path, batch: int) -> dict[str, float]:
    """Import ``path`` in a child process (this script with --child), sampling its tree's memory (``PeakMemory``)."""
    child = subprocess.Popen(
        [sys.executable, __file__, "--child", json.dumps({"env": env, "path": str(path), "batch": batch})],
        stdout=subprocess.PIPE,
        text=True,
    )
    from scale_measure import peak_memory  # here, not at the top: the child does not load the sampler

    with peak_memory(0.05, root=child.pid) as peak:
        out, _ = child.communicate()
    if child.returncode:
        raise SystemExit(f"the import failed ({child.returncode})")
    result: dict[str, float] = json.loads(out.strip().splitlines()[-1])
    result["peak_all"] = peak.peak
    return result


def child(arg: str) -> None:
    """In the child: open the store, import the file, print seconds, events and this process's peak RSS."""
    import resource

    from panel.importer import import_csv

    spec = json.loads(arg)
    app = PanelApp(env=spec["env"])
    start = time.perf_counter()
    report = import_csv(app, Path(spec["path"]), batch=spec["batch"])
    elapsed = time.perf_counter() - start
    app.close()
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    print(json.dumps({"seconds": elapsed, "events": report.events, "created": report.created, "peak_self": peak}))


def import_row(backend: str, people: int, workdir: Path, batch: int) -> str:
    path = workdir / f"signups-{people}.csv"
    size = write_file(path, people)
    loc = location(backend, workdir, "import")
    PanelApp(env=loc.env()).close()  # the tables, as `panel init` makes them
    result = run_import(loc.env(), path, batch)
    app = PanelApp(env=loc.env())
    raw = raw_rate(backend, app, workdir)
    app.close()
    path.unlink()
    rate = result["events"] / result["seconds"]
    mb = 1024 * 1024
    return (
        f"| {backend} | {people:,} | {size / mb:,.0f} | {int(result['events']):,} | {result['seconds']:,.1f} "
        f"| {rate:,.0f} | {raw:,.0f} | {rate / raw:.2f} | {result['peak_all'] / mb:,.0f} "
        f"| {result['peak_self'] / mb:,.0f} |"
    )


def history_latency(backend: str, events: int, workdir: Path) -> tuple[float, float, float, int]:
    loc = location(backend, workdir, "history")
    app = PanelApp(env=loc.env())
    people = events // 4
    Registration(app).register_many(signups(people, "H", seed=2), batch=2000)
    total = app.recorder.max_notification_id() or 0
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
    parser.add_argument("--people", default="50000,200000", help="sizes, comma-separated")
    parser.add_argument("--history-events", type=int, default=0)
    parser.add_argument("--backends", default="sqlite,postgres")
    parser.add_argument("--batch", type=int, default=2500, help="sign-ups per batch (the importer's default: 2500)")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child)
        return
    workdir = Path(tempfile.mkdtemp(prefix="panel-bench-"))
    sizes = [int(n) for n in args.people.split(",")]
    print(
        "`panel participant import` of a CSV file, sign-ups with 3 consents each (4 events per person), "
        f"batches of {args.batch:,}\n"
    )
    print(
        "| backend | sign-ups | file (MB) | events | import (s) | import (events/s) | baseline: raw insert (rows/s) "
        "| ratio | peak RSS, all processes (MB) | peak RSS, importing process (MB) |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    try:
        tables(args, sizes, workdir)
    finally:
        if "postgres" in args.backends.split(","):
            drop_schemas()
        shutil.rmtree(workdir, ignore_errors=True)


def tables(args: argparse.Namespace, sizes: list[int], workdir: Path) -> None:
    for backend in args.backends.split(","):
        for people in sizes:
            print(import_row(backend, people, workdir, args.batch), flush=True)
    if args.history_events:
        print(f"\n`consent history --as-of` on a store of ~{args.history_events:,} events\n")
        print("| backend | events in store | query median (ms) | query p95 (ms) | whole command median (ms) |")
        print("|---|---:|---:|---:|---:|")
        for backend in args.backends.split(","):
            median, p95, whole, total = history_latency(backend, args.history_events, workdir)
            print(f"| {backend} | {total:,} | {median:.2f} | {p95:.2f} | {whole:.0f} |", flush=True)


if __name__ == "__main__":
    main()
