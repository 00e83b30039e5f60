"""Benchmark: the hash chain's cost on import, and `audit verify` against a plain decoded read.

For each backend, in the same run:

1. imports --people sign-ups (two events each) through ``Registration.register_many`` twice, into
   two fresh stores: once as shipped (chain rows written in each insert's transaction) and once with
   the chain write switched off (the baseline); prints both rates and the slowdown;
2. on the chained store, times ``Audit.verify()`` (reads every event and chain row, two SHA-256 per
   event) against a plain decoded read of the same log (``notification_log.select`` pages of 1,000
   and ``mapper.to_domain_event`` on each), and prints verify's rate as a fraction of the read's.

Run:  .venv/bin/python bench/audit_bench.py --people 50000 --backends sqlite,postgres [--rounds 10]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import psycopg

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from panel.application import PanelApp  # noqa: E402
from panel.audit import Audit  # noqa: E402
from panel.config import StoreLocation  # noqa: E402
from panel.registration import Registration  # noqa: E402
from panel.store.chained import ChainedRecorder  # noqa: E402
from panel.validation import ConsentSpec, SignUp  # noqa: E402

PG_URL = os.environ.get("PANEL_TEST_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/test")
T0 = datetime(2026, 1, 1, tzinfo=UTC)


def signups(n: int) -> list[SignUp]:
    return [
        SignUp(
            ref=f"A-{i:07d}",
            channel="online",
            personal={"name": f"Person {i}", "email": f"p{i}@example.org"},
            attributes={"age_band": "18-21" if i % 2 else "22-25"},
            consents=(ConsentSpec("contact", "v1", "online", "self", T0 + timedelta(seconds=i)),),
            at=T0 + timedelta(seconds=i),
        )
        for i in range(n)
    ]


@contextmanager
def store(backend: str, folder: str) -> Iterator[PanelApp]:
    if backend == "sqlite":
        location = StoreLocation.sqlite(os.path.join(folder, f"{uuid.uuid4().hex}.db"))
        app = PanelApp(env=location.env())
        yield app
        app.close()
        return
    schema = f"bench_audit_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(PG_URL, autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA "{schema}"')
    app = PanelApp(env=StoreLocation.postgres(PG_URL, schema).env())
    try:
        yield app
    finally:
        app.close()
        with psycopg.connect(PG_URL, autocommit=True) as conn:
            conn.execute(f'DROP SCHEMA "{schema}" CASCADE')


def timed(run: Callable[[], Any]) -> tuple[float, Any]:
    start = time.perf_counter()
    result = run()
    return time.perf_counter() - start, result


def decoded_read(app: PanelApp) -> int:
    count, start = 0, 1
    while page := app.notification_log.select(start, 1000):
        for notification in page:
            app.mapper.to_domain_event(notification)
        count += len(page)
        start = page[-1].id + 1
    return count


def run(backend: str, people: int, folder: str, rounds: int = 1) -> list[tuple[str, str, str]]:
    """Import into a store without the chain (baseline) and one with it; then read and verify the chained one.

    With ``rounds`` > 1 the sign-ups are imported in that many slices, alternating which store goes
    first (ABBA), so that a change in the machine's load during the run falls on both sides alike.
    """
    rows = []
    people_list = signups(people)
    chain_rows = ChainedRecorder.chain_rows
    size = -(-people // rounds)
    slices = [people_list[i : i + size] for i in range(0, people, size)]
    plain = chained = 0.0
    events = 0

    def unchained(app: PanelApp, chunk: list[SignUp]) -> tuple[float, int]:
        ChainedRecorder.chain_rows = lambda self, c, positions, stored: None  # type: ignore[method-assign]
        try:
            took, (_, _, written) = timed(lambda: Registration(app).register_many(chunk))
        finally:
            ChainedRecorder.chain_rows = chain_rows  # type: ignore[method-assign]
        return took, written

    with store(backend, folder) as base, store(backend, folder) as app:
        for i, chunk in enumerate(slices):
            if i % 2 == 0:
                took, written = unchained(base, chunk)
                chained += timed(lambda: Registration(app).register_many(chunk))[0]  # noqa: B023 (called at once)
            else:
                chained += timed(lambda: Registration(app).register_many(chunk))[0]  # noqa: B023 (called at once)
                took, written = unchained(base, chunk)
            plain, events = plain + took, events + written
        read, count = timed(lambda: decoded_read(app))
        verify, report = timed(lambda: Audit(app).verify())
        assert report.ok and report.checked == count >= events, report
    rows.append((backend, "import, no chain (baseline)", f"{events / plain:,.0f} ev/s"))
    rows.append((backend, "import, chained", f"{events / chained:,.0f} ev/s ({chained / plain - 1:+.1%} time)"))
    rows.append((backend, "decoded read (baseline)", f"{count / read:,.0f} ev/s"))
    rows.append((backend, "audit verify", f"{count / verify:,.0f} ev/s ({read / verify:.2f}x the read)"))
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, default=50_000)
    parser.add_argument("--backends", default="sqlite,postgres")
    parser.add_argument("--rounds", type=int, default=1, help="import in this many slices, alternating the stores")
    args = parser.parse_args()
    rows = []
    with tempfile.TemporaryDirectory() as folder:
        for backend in args.backends.split(","):
            rows += run(backend, args.people, folder, args.rounds)
    width = max(len(r[1]) for r in rows)
    print(f"{'backend':9} {'scenario':{width}} rate")
    for backend, what, rate in rows:
        print(f"{backend:9} {what:{width}} {rate}")


if __name__ == "__main__":
    main()
