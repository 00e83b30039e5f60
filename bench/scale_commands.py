"""The scale benchmark's `fatigue-cli` part: the real `panel fatigue` commands, each in a process of its own with
its output sent to /dev/null, against a process that only reads the same view's rows, measured the same way.

Each process is timed from start to exit (wall time) and its peak resident memory is the kernel's own figure,
``ru_maxrss`` from ``os.wait4`` for that one process: the whole process, interpreter and imports included
(any processes it started are not counted; these commands start none). With ``--repeat N`` the commands run
N times, interleaved with the baseline; the best time and the highest peak are kept. With ``--before-panel
PATH`` (another checkout's ``panel`` console script, in its own venv) its commands run too, in the same rounds,
each labelled with the checkout it came from.

The baseline's process runs this file: ``python bench/scale_commands.py plain-read``, with the CLI's
environment. It opens the store and the views as the CLI does and reads every row of the fatigue view's tables
as a stream, holding nothing.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

BASELINE = "a plain read of the fatigue view's rows, streamed"
SIMULATE = ["fatigue", "simulate", "--cooldown-days", "90", "--max-per-year", "2", "--json"]
COMMANDS: tuple[tuple[str, list[str]], ...] = (
    ("`panel fatigue` (the report)", ["fatigue"]),
    ("`panel fatigue --json`", ["fatigue", "--json"]),
    ("`panel fatigue --csv`", ["fatigue", "--csv"]),
    (f"`panel {' '.join(SIMULATE)}`", SIMULATE),
)


@dataclass(frozen=True)
class Run:
    """One process: its wall time and its peak resident memory (``ru_maxrss``, KiB on Linux)."""

    seconds: float
    peak_kib: int


def summarise(runs: Sequence[Run]) -> tuple[float, float]:
    """The best wall time (seconds) and the highest peak resident memory (MiB) of a command's runs."""
    if not runs:
        raise ValueError("no runs to summarise")
    return min(r.seconds for r in runs), max(r.peak_kib for r in runs) / 1024


def run_once(command: list[str], env: dict[str, str]) -> Run:
    """Run ``command`` with its output to /dev/null; its wall time and peak RSS. A failure stops the benchmark."""
    with open(os.devnull, "wb") as devnull, tempfile.TemporaryFile() as err:
        start = time.perf_counter()
        proc = subprocess.Popen(command, env=env, stdout=devnull, stderr=err)
        _, status, usage = os.wait4(proc.pid, 0)
        seconds = time.perf_counter() - start
        proc.returncode = os.waitstatus_to_exitcode(status)
        if proc.returncode:
            err.seek(0)
            tail = err.read().decode(errors="replace").strip()[-500:]
            raise SystemExit(f"{' '.join(command[1:4])} failed ({proc.returncode}): {tail}")
    return Run(seconds, usage.ru_maxrss)


def fatigue_cli(args: argparse.Namespace, views: str, head: int) -> list[dict[str, Any]]:
    """Every `panel fatigue` command in COMMANDS against the baseline's process, ``args.repeat`` times each (and
    the same commands of ``args.before_panel``, if given)."""
    from scale_parts import row

    panels = [("", str(Path(sys.executable).with_name("panel")))]
    if args.before_panel:
        panels.insert(0, (f"{args.before_name}: ", str(args.before_panel)))
    env = {**os.environ, "PANEL_DATABASE_URL": args.pg_url, "PANEL_PG_SCHEMA": f"bench_scale_{args.people}",
           "PANEL_VIEWS_URL": views, "PANEL_USER": "bench.analyst"}  # fmt: skip
    commands = {f"{name}{label}": [panel, *argv] for label, argv in COMMANDS for name, panel in panels}
    baseline_command = [sys.executable, str(Path(__file__).resolve()), "plain-read"]
    runs: dict[str, list[Run]] = {BASELINE: [], **{label: [] for label in commands}}
    for _ in range(args.repeat):  # interleaved, so that a busy spell on the machine falls on all of them
        runs[BASELINE].append(run_once(baseline_command, env))
        for label, command in commands.items():
            runs[label].append(run_once(command, env))
    base_s, base_mb = summarise(runs[BASELINE])
    print(f"\n`panel fatigue`, {args.people:,} people, each command in its own process, its output to /dev/null")
    print(f"(best time and highest peak RSS of {args.repeat}; the baseline: {BASELINE}, in its own process)\n")
    print("| command | wall time | ratio (the baseline's time over it) | peak RSS | over the baseline's peak |")
    print("|---|---:|---:|---:|---:|")
    rows = [row("fatigue-cli", f"{BASELINE}, own process (baseline)", head, base_s * 1000, "ms", None, base_mb)]
    for label in runs:
        seconds, mb = summarise(runs[label])
        print(f"| {label} | {seconds:,.2f} s | {base_s / seconds:.2f} | {mb:,.0f} MB | {mb / base_mb:.2f} |")
        if label != BASELINE:
            rows.append(row("fatigue-cli", f"{label}, own process", head, seconds * 1000, "ms", base_s * 1000, mb))
    return rows


def plain_read() -> int:
    """The baseline's process: the store and the views opened as the CLI opens them, then every row of the
    fatigue view's tables read as a stream (as the report reads them), nothing held."""
    from sqlalchemy import select

    from cli.wiring import Wiring, views_url
    from projections import Projector, make_engine
    from projections.ledger import STREAM_ROWS

    wiring = Wiring()
    engine = make_engine(wiring.location, views_url())
    projector = Projector(wiring.app, engine)
    count = 0
    with engine.connect() as conn:
        for table in projector.tables("fatigue").values():
            count += sum(1 for _ in conn.execution_options(yield_per=STREAM_ROWS).execute(select(table)))
        conn.rollback()
    engine.dispose()
    return count


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    if sys.argv[1:] != ["plain-read"]:
        raise SystemExit("usage: scale_commands.py plain-read   (the fatigue-cli part's baseline process)")
    print(f"{plain_read():,} rows read")
