"""Peak memory of `panel pay export --by KEY --lines` as the ledger grows: before and after issue 15, same run.

    .venv/bin/python bench/export_bench.py [--lines 20000 40000 80000] [--key engagement] [--postgres]

Each size gets a fresh store whose ledger view holds that many payment lines (200 engagements, 2,000
people, four budget codes, four routes, two tax years). The rows are written straight into the view's
table: the export reads only the view, and writing a million payment events through the domain first
would take the bench an hour. Then, each in a fresh process whose peak resident memory (ru_maxrss, from
wait4) is read when it ends:

- ``before``: the export as it was at commit 0307fd7: every line read from the view, sorted in memory by
  its group, then written (``BEFORE`` below is that code);
- ``after``: the real `panel pay export --by KEY --lines` console script of this checkout.

Both write the CSV to /dev/null; their outputs are compared (sha256) at every size.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from cli.wiring import Wiring  # noqa: E402
from panel.config import StoreLocation  # noqa: E402
from projections import Projector, make_engine  # noqa: E402
from projections.ledger_view import LedgerView, to_db  # noqa: E402
from tests.helpers.proc import panel_script, store_env  # noqa: E402

PG_URL = os.environ.get("PANEL_TEST_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/test")
ROUTES = ("bank_transfer", "payroll", "voucher", None)
BEFORE = """
import sys
from cli.pay_reports import EXPORT_KEYS, LEDGER_COLUMNS, ledger_row
from cli.wiring import Wiring, views_url
from panel.csv_out import write_csv
from projections.connection import make_engine
from projections.ledger import stream_ledger_lines

key = sys.argv[1]
wiring = Wiring()
engine = make_engine(wiring.location, views_url())
group = EXPORT_KEYS[key]
lines = sorted(stream_ledger_lines(wiring.app, engine), key=group)  # cli/pay_reports.py at 0307fd7
write_csv(sys.stdout, (key, *LEDGER_COLUMNS), ([group(line), *ledger_row(line)] for line in lines))
"""


def fill(location: StoreLocation, lines: int) -> None:
    """A store whose ledger view holds ``lines`` payment lines."""
    app = Wiring(location).create_store().app
    engine = make_engine(location)
    table = Projector(app, engine, views=[LedgerView]).tables("ledger")["lines"]
    start = datetime(2025, 3, 1, tzinfo=UTC)
    engagements = [uuid.uuid5(uuid.NAMESPACE_OID, f"e{n}") for n in range(200)]
    batch = []
    for n in range(lines):
        earned = start + timedelta(days=n % 90)
        route = ROUTES[n % 4]
        batch.append(
            to_db(
                {
                    "id": uuid.uuid5(uuid.NAMESPACE_OID, f"line{n}"), "engagement_id": engagements[n % 200],
                    "engagement_ref": f"eng-{n % 200:03d}",
                    "participant_id": uuid.uuid5(uuid.NAMESPACE_OID, f"p{n % 2000}"),
                    "participant_ref": f"P-{n % 2000:05d}", "kind": "involvement_fee", "category": "session",
                    "earned_on": earned.date(), "quantity": "1 day", "gross_pence": 35000, "amount_pence": 35000,
                    "status": "issued" if route else "accrued", "receipt": None, "voucher_code": None,
                    "voucher_state": None, "rate_card": None, "budget_code": f"B-{n % 4}", "created_by": "sam",
                    "accrued_at": earned, "approved_by": "lee" if route else None,
                    "approved_at": earned if route else None, "over_budget": False, "route": route,
                    "reference": f"PP-{n:08X}" if route else None, "batch_ref": None,
                    "issued_at": earned + timedelta(days=3) if route else None, "statement_line": None,
                    "statement_date": None, "reconciled_at": None, "reason": None, "closed_at": None,
                    "accrued_position": n + 1,
                }
            )
        )  # fmt: skip
        if len(batch) == 5000 or n == lines - 1:
            with engine.begin() as conn:
                conn.execute(table.insert(), batch)
            batch = []
    engine.dispose()
    app.close()


def peak(argv: list[str], env: dict[str, str]) -> tuple[float, float, str]:
    """Run ``argv`` with its stdout hashed; (peak RSS in MB, seconds, sha256 of stdout)."""
    began = time.perf_counter()
    with tempfile.TemporaryFile() as out:
        proc = subprocess.Popen(argv, env={**os.environ, **env}, stdout=out, stderr=subprocess.PIPE)
        _, status, usage = os.wait4(proc.pid, 0)
        seconds = time.perf_counter() - began
        if os.waitstatus_to_exitcode(status) != 0:
            raise RuntimeError(f"{argv} failed: {proc.stderr.read().decode() if proc.stderr else ''}")
        out.seek(0)
        digest = hashlib.sha256(out.read()).hexdigest()
    return usage.ru_maxrss / 1024, seconds, digest


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--lines", type=int, nargs="+", default=[20_000, 40_000, 80_000])
    parser.add_argument("--key", default="engagement", choices=["engagement", "budget", "route", "tax-year"])
    parser.add_argument("--postgres", action="store_true", help="PostgreSQL (PANEL_TEST_DATABASE_URL), not SQLite")
    args = parser.parse_args()
    print(f"load average at start: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    print("| store | lines | before: peak MB | after: peak MB | before s | after s | same output |")
    print("|---|---:|---:|---:|---:|---:|---|")
    for lines in args.lines:
        with tempfile.TemporaryDirectory() as tmp:
            if args.postgres:
                import psycopg

                schema = f"bench_{uuid.uuid4().hex[:10]}"
                with psycopg.connect(PG_URL, autocommit=True) as conn:
                    conn.execute(f'CREATE SCHEMA "{schema}"')
                location = StoreLocation.postgres(PG_URL, schema)
            else:
                location = StoreLocation.sqlite(str(Path(tmp) / "panel.db"))
            try:
                fill(location, lines)
                env = store_env(location)
                before = peak([sys.executable, "-c", BEFORE, args.key], env)
                after = peak([panel_script(), "pay", "export", "--by", args.key, "--lines"], env)
            finally:
                if args.postgres:
                    with psycopg.connect(PG_URL, autocommit=True) as conn:
                        conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
        print(
            f"| {'PostgreSQL' if args.postgres else 'SQLite'} | {lines:,} | {before[0]:.0f} | {after[0]:.0f} | "
            f"{before[1]:.1f} | {after[1]:.1f} | {'yes' if before[2] == after[2] else 'NO'} |",
            flush=True,
        )
    print(f"load average at end: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
