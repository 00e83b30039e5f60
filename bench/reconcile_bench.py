"""Peak memory and time of `panel pay reconcile` and `panel pay show REF` as the ledger's history grows: a
baseline checkout (before issue 15's reconcile and finder) and this checkout, same run, same store.

    .venv/bin/python bench/reconcile_bench.py --baseline /work/wt/recon-base [--lines 10000 30000 60000]
        [--postgres]

The baseline is a checkout of another commit (``git worktree add /work/wt/recon-base main``); its code runs
with this venv's interpreter and libraries (PYTHONPATH=BASELINE), against the same store.

Each size gets a fresh store with that many payment lines, two lines to a transfer, written through the
Payment aggregate (accrued, approved, issued; 95% of the transfers reconciled, the history; 5% issued and
open), saved 400 aggregates at a time, and the ledger view caught up. A statement of 60 lines (40 open
transfers by reference, 10 amount mismatches, 10 lines with no payment) is then reconciled:

1. by the baseline once, which records the 40 matches (its time and peak are shown as "recording");
2. by the baseline again, and by this checkout: both find the same 40 matches already recorded and record
   nothing, so they do the same reading; their outputs (--json) must be the same.

`pay show REF --json` is run with an old transfer's reference (its two lines share it, so both versions find
two payments and refuse it in the same words, exit 1: the search is what is timed) and with a payment's id
prefix (found: one payment). Each command runs in a fresh process; peak resident memory is ru_maxrss (wait4),
which on SQLite includes the database's page cache and sorter (they grow with what is read, up to their
ceilings); each is then run again under tracemalloc for the peak of what Python itself held.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

# The measuring process imports only the standard library, and fills each store in a child of its own: a child's
# peak resident memory (ru_maxrss) starts at its parent's resident size when it is forked.

PG_URL = os.environ.get("PANEL_TEST_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/test")
ACCOUNT = "fund"
T0 = datetime(2026, 1, 5, 9, tzinfo=UTC)
SAVE = 400  # aggregates a save


Run = tuple[float, float, str, int]
Row = tuple[str, Run, Run | None, tuple[float, float]]


def reference(transfer: int) -> str:
    return f"PP-{transfer:08X}"


def fill(location: Any, lines: int) -> tuple[list[int], str]:
    """The store; (open transfers' numbers, one payment's id)."""
    from cli.wiring import Wiring
    from panel.payments.domain.payment import Payment
    from projections import Projector, make_engine
    from projections.ledger_view import LedgerView

    app = Wiring(location).create_store().app
    engagement = uuid.uuid5(uuid.NAMESPACE_OID, "bench-engagement")
    transfers = lines // 2
    open_ = [t for t in range(transfers) if t % 20 == 7]
    batch: list[Any] = []
    first = ""
    for n in range(transfers * 2):
        t = n // 2
        day = T0 + timedelta(days=t % 300)
        p = Payment.accrue(
            id=uuid.uuid5(uuid.NAMESPACE_OID, f"line{n}"), engagement_id=engagement, engagement_ref="bench",
            participant_id=uuid.uuid5(uuid.NAMESPACE_OID, f"p{t}"), participant_ref=f"P-{t:06d}",
            kind="involvement_fee", category="session", earned_on=day.date(), quantity="1 day", gross_pence=35000,
            receipt=None, voucher_code=None, rate_card=None, budget_code="B-1", created_by="sam", at=day,
        )  # fmt: skip
        first = first or str(p.id)
        p.approve(by="lee", four_eyes_above_pence=10**9, budget_code="B-1", over_budget=False, at=day)
        p.issue(route="bank_transfer", reference=reference(t), batch_ref=None, by="kim", at=day + timedelta(days=1))
        if t % 20 != 7:
            p.reconcile(
                account=ACCOUNT, statement_line=f"{t:024x}", statement_date=(day + timedelta(days=2)).date(),
                amount_pence=35000, matched_by="reference", at=day + timedelta(days=3),
            )  # fmt: skip
        batch.append(p)
        if len(batch) == SAVE:
            app.save(*batch)
            batch = []
    if batch:
        app.save(*batch)
    engine = make_engine(location)
    Projector(app, engine, views=[LedgerView]).catch_up()
    engine.dispose()
    app.close()
    return open_, first


def filled(location_args: list[str], lines: int) -> tuple[list[int], str, dict[str, str]]:
    """Fill the store in a child process: (open transfers, one payment's id, the store's environment)."""
    out = subprocess.run(
        [sys.executable, __file__, "--fill", str(lines), *location_args], check=True, capture_output=True, text=True
    ).stdout
    found = json.loads(out.strip().splitlines()[-1])
    return found["open"], found["first"], found["env"]


def fill_here(lines: int, location_args: list[str]) -> None:
    from panel.config import StoreLocation
    from tests.helpers.proc import store_env

    kind, target, *schema = location_args
    location = StoreLocation.postgres(target, schema[0]) if kind == "postgres" else StoreLocation.sqlite(target)
    open_, first = fill(location, lines)
    print(json.dumps({"open": open_, "first": first, "env": store_env(location)}))


def statement(open_: list[int]) -> str:
    rows = ["date,amount,reference,payee"]
    day = date(2026, 12, 1)
    rows += [f"{day},-700.00,{reference(t)} BENCH,P" for t in open_[:40]]
    rows += [f"{day},-699.99,{reference(t)},P" for t in open_[40:50]]
    rows += [f"{day},-{12 + k}.00,STANDING ORDER {k},COUNCIL" for k in range(10)]
    return "\n".join(rows) + "\n"


def run(argv: list[str], env: dict[str, str]) -> tuple[float, float, str, int]:
    """(peak RSS in MB, seconds, sha256 of stdout and stderr, exit code) of one process."""
    began = time.perf_counter()
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        proc = subprocess.Popen(argv, env={**os.environ, **env}, stdout=out, stderr=err)
        _, status, usage = os.wait4(proc.pid, 0)
        seconds = time.perf_counter() - began
        code = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        both = out.read() + b"|" + err.read()
        if code not in (0, 1, 3) or b"Traceback" in both:
            raise RuntimeError(f"{argv} failed ({code}): {both[-2000:].decode()}")
    return usage.ru_maxrss / 1024, seconds, hashlib.sha256(both).hexdigest(), code


def python_peak(argv: list[str], env: dict[str, str]) -> float:
    """The command again, under tracemalloc: the peak of memory Python allocated, in MB (a database's own page
    cache and sorter, which count in the resident size, are not in it)."""
    traced = [sys.executable, "-P", "-c", TRACED, *argv[4:]]
    proc = subprocess.run(traced, env={**os.environ, **env}, capture_output=True, text=True, check=False)
    peak = [line for line in proc.stderr.splitlines() if line.startswith("PYPEAK ")]
    if not peak:
        raise RuntimeError(f"{traced} failed: {proc.stderr[-2000:]}")
    return int(peak[-1].split()[1]) / 2**20


def panel() -> list[str]:
    return [sys.executable, "-P", "-c", COMMAND]  # -P: the checkout comes from PYTHONPATH, not the current directory


COMMAND = "import sys; sys.argv[0] = 'panel'; from cli.main import main; main()"
TRACED = (
    "import atexit, sys, tracemalloc; tracemalloc.start(); "
    "atexit.register(lambda: sys.stderr.write(f'PYPEAK {tracemalloc.get_traced_memory()[1]}\\n')); " + COMMAND
)


def load() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--baseline", type=Path, help="a checkout of the commit to compare with (required)")
    parser.add_argument("--lines", type=int, nargs="+", default=[10_000, 30_000, 60_000])
    parser.add_argument("--postgres", action="store_true", help="PostgreSQL (PANEL_TEST_DATABASE_URL), not SQLite")
    parser.add_argument("--fill", type=int, help=argparse.SUPPRESS)  # the child that fills a store
    parser.add_argument("store", nargs="*", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.fill:
        fill_here(args.fill, args.store)
        return
    if args.baseline is None:
        parser.error("--baseline CHECKOUT is required")
    print(
        f"{datetime.now(UTC):%Y-%m-%d %H:%M}Z; load average at start: {' '.join(f'{x:.2f}' for x in os.getloadavg())}"
    )
    print(
        "| store | lines | command | baseline: peak RSS MB | this: peak RSS MB | baseline: Python peak MB | "
        "this: Python peak MB | baseline s | this s | same output |"
    )
    print("|---|---:|---|---:|---:|---:|---:|---:|---:|---|")
    for lines in args.lines:
        with tempfile.TemporaryDirectory() as tmp:
            if args.postgres:
                import psycopg

                schema = f"bench_{uuid.uuid4().hex[:10]}"
                with psycopg.connect(PG_URL, autocommit=True) as conn:
                    conn.execute(f'CREATE SCHEMA "{schema}"')
                where = ["postgres", PG_URL, schema]
            else:
                where = ["sqlite", str(Path(tmp) / "panel.db")]
            try:
                began = time.perf_counter()
                open_, first, env = filled(where, lines)
                took = time.perf_counter() - began
                path = Path(tmp) / "statement.csv"
                path.write_text(statement(open_), encoding="utf-8")
                base = {**env, "PYTHONPATH": str(args.baseline.resolve())}
                this = {**env, "PYTHONPATH": str(ROOT)}
                reconcile = [*panel(), "pay", "reconcile", str(path), "--account", ACCOUNT, "--json"]
                rows: list[Row] = [("pay reconcile (recording)", run(reconcile, base), None, (0.0, 0.0))]
                peaks = (python_peak(reconcile, base), python_peak(reconcile, this))
                rows.append(("pay reconcile (again)", run(reconcile, base), run(reconcile, this), peaks))
                for name, text in (("pay show REF", reference(3)), ("pay show PREFIX", first[:8])):
                    show = [*panel(), "pay", "show", text, "--json"]
                    peaks = (python_peak(show, base), python_peak(show, this))
                    rows.append((name, run(show, base), run(show, this), peaks))
            finally:
                if args.postgres:
                    with psycopg.connect(PG_URL, autocommit=True) as conn:
                        conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
        store = "PostgreSQL" if args.postgres else "SQLite"
        for name, b, a, (pb, pa) in rows:
            if a is None:
                print(f"| {store} | {lines:,} | {name} | {b[0]:.0f} | | | | {b[1]:.1f} | | (exit {b[3]}) |")
            else:
                same = "yes" if (a[2], a[3]) == (b[2], b[3]) else "NO"
                print(
                    f"| {store} | {lines:,} | {name} | {b[0]:.0f} | {a[0]:.0f} | {pb:.1f} | {pa:.1f} | "
                    f"{b[1]:.2f} | {a[1]:.2f} | {same} |"
                )
        print(f"(store of {lines:,} lines filled in {took:.0f} s)", flush=True)
    print(f"{datetime.now(UTC):%Y-%m-%d %H:%M}Z; load average at end: {load()}")


if __name__ == "__main__":
    main()
