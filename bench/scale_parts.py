"""The parts of the scale benchmark (bench/scale_bench.py), each timed against its own baseline in the same run.

Every part returns result rows: what was measured, at how many events, the figure and its baseline,
and the peak resident memory of the benchmark's process tree (worker processes included) while it ran.
"""

from __future__ import annotations

import argparse
import csv
import random
import tempfile
import time
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path
from typing import Any
from uuid import UUID

from national_store import ref
from projections_bench import ETHNICITY
from scale_measure import capped, decoded_read, isolated, peak_memory, percentiles, timed
from sqlalchemy import select

import selection
from panel.application import PanelApp
from panel.domain.engagement import Engagement
from panel.importer import import_csv
from panel.queries import Queries
from projections import Projector, make_engine
from projections.consent_report import consent_report
from projections.fatigue_report import fatigue_report
from projections.reach import reach_report

NOW = datetime(2026, 12, 1, 12, tzinfo=UTC)
Row = dict[str, Any]


def row(part: str, what: str, events: int, value: float, unit: str, baseline: float | None, peak_mb: float) -> Row:
    ratio = None if not baseline else (value / baseline if unit == "ev/s" else baseline / value)
    return {
        "part": part,
        "what": what,
        "events": events,
        "value": value,
        "unit": unit,
        "baseline": baseline,
        "ratio": ratio,
        "peak_mb": round(peak_mb, 1),
    }


def measure_read(env: dict[str, str], cap: int, batch: int, start: int = 0) -> tuple[int, float, float]:
    """In its own process: a decoded read of the log from ``start`` to ``cap``; (events, seconds, peak MB)."""
    app = PanelApp(env=env)
    with capped(app, cap), peak_memory() as peak:
        seconds, n = timed(lambda: decoded_read(app, batch, start))
    app.close()
    return n, seconds, peak.mb


def measure_views(
    env: dict[str, str], views: str, cap: int, workers: int, batch: int, how: str
) -> tuple[int, float, float]:
    """In its own process: rebuild every view (``how`` 'rebuild') or catch them up ('catchup') to ``cap``."""
    app = PanelApp(env=env)
    engine = make_engine(views_url=views)
    projector = Projector(app, engine, batch_size=batch, bulk_workers=workers)
    with capped(app, cap), peak_memory() as peak:
        seconds, n = timed(projector.rebuild if how == "rebuild" else projector.catch_up)
    engine.dispose()
    app.close()
    return n, seconds, peak.mb


def positions(env: dict[str, str], views: str) -> int:
    """The lowest position of the views (0 if any is empty or missing)."""
    app = PanelApp(env=env)
    engine = make_engine(views_url=views)
    found = min(s.position for s in Projector(app, engine).status())
    engine.dispose()
    app.close()
    return found


def head_of(env: dict[str, str]) -> int:
    """The store's head now (the cache may be growing while the benchmark runs)."""
    app = PanelApp(env=env)
    head = int(app.recorder.max_notification_id() or 0)
    app.close()
    return head


def rebuild(env: dict[str, str], views: str, args: argparse.Namespace) -> list[Row]:
    """Rebuild every view over the store's first N events (each size), against a decoded read of the same events;
    each measurement in a fresh process, so its peak memory is its own."""
    rows = []
    for size in args.sizes:
        head = head_of(env)
        if size > head:
            print(f"rebuild: {size:,} events asked, the store holds {head:,}: skipped", flush=True)
            continue
        n, seconds, mb = isolated(measure_read, env, size, args.batch)
        read = n / seconds
        rows.append(row("rebuild", "decoded read (baseline)", n, read, "ev/s", None, mb))
        print(f"rebuild: decoded read of {n:,} events: {read:,.0f} ev/s, peak {mb:,.0f} MB", flush=True)
        for workers in args.workers:
            n, seconds, mb = isolated(measure_views, env, views, size, workers, args.batch, "rebuild")
            what = f"rebuild, {workers} process{'es' if workers > 1 else ''}"
            rows.append(row("rebuild", what, n, n / seconds, "ev/s", read, mb))
            print(f"rebuild: {what} over {n:,}: {n / seconds:,.0f} ev/s, peak {mb:,.0f} MB", flush=True)
    return rows


def catchup(env: dict[str, str], views: str, args: argparse.Namespace) -> list[Row]:
    """Catch the views up over N events after where they stand (rebuilt up to head - N first if they stand
    elsewhere: setup), against a decoded read of the same N events."""
    start, head = positions(env, views), head_of(env)
    if start == 0 or start + args.catchup_events > head:
        start = head - args.catchup_events
        _, seconds, _ = isolated(measure_views, env, views, start, max(args.workers), args.batch, "rebuild")
        print(f"catch-up: views rebuilt up to {start:,} first ({seconds:,.0f} s, setup)", flush=True)
    stop = start + args.catchup_events
    n, seconds, mb = isolated(measure_views, env, views, stop, 1, args.batch, "catchup")
    read_n, read_seconds, read_mb = isolated(measure_read, env, stop, args.batch, start)
    print(f"catch-up: {n:,} events in {seconds:,.1f} s; decoded read {read_n:,} in {read_seconds:,.1f} s", flush=True)
    read = read_n / read_seconds
    return [
        row("catchup", "decoded read of the new events (baseline)", read_n, read, "ev/s", None, read_mb),
        row("catchup", f"catch-up of {n:,} new events after {start:,}", stop, n / seconds, "ev/s", read, mb),
    ]


def ready_views(app: PanelApp, engine: Any, args: argparse.Namespace, to_head: bool = False) -> tuple[Projector, int]:
    """The views as they stand (bulk-rebuilt first if empty: setup, not measured) and their position; the
    queries then read the store up to that position, so a growing cache needs no long catch-up first.
    ``to_head`` catches views that stand short of the head up to it (setup): a draw's engagement, saved
    just before, must be in them."""
    projector = Projector(app, engine, batch_size=args.batch, bulk_workers=max(args.workers))
    position = min(s.position for s in projector.status())
    if position == 0:
        seconds, _ = timed(projector.rebuild)
        print(f"views rebuilt ({seconds:,.0f} s, setup)", flush=True)
    elif to_head and position < projector.head():
        seconds, _ = timed(projector.catch_up)
        print(f"views caught up to the head ({seconds:,.1f} s, setup)", flush=True)
    return projector, min(s.position for s in projector.status())


def people_sample(app: PanelApp, n: int, head_people: int) -> list[Any]:
    """``n`` different people among the first ``head_people`` (seeded: the same people every run)."""
    chosen = random.Random(7).sample(range(head_people), min(n, head_people))
    return [app.participant_id_for(ref(i), "bench") for i in chosen]


def consent(app: PanelApp, projector: Projector, args: argparse.Namespace, head: int, people: int) -> list[Row]:
    """`consent history --as-of` per person (p50/p99) against reading the person's events; the consent report.

    The first read of a person touches pages no query has read yet (cold); a second read finds them cached
    (warm). Whichever of the two ways ran first would get the cold read, so each way reads its own half of the
    sample first (cold against cold), then both ways read every person again (warm against warm)."""
    as_of = datetime(2025, 6, 1, tzinfo=UTC)
    ids = people_sample(app, 2 * args.queries, people)
    history_first, raw_first = ids[0::2], ids[1::2]
    record = partial(Queries(app).consent_record, as_of=as_of)
    with peak_memory() as peak:
        cold_history = [timed(partial(record, pid))[0] * 1000 for pid in history_first]
        cold_raw = [timed(partial(events_of, app, pid))[0] * 1000 for pid in raw_first]
        warm_history = [timed(partial(record, pid))[0] * 1000 for pid in ids]
        warm_raw = [timed(partial(events_of, app, pid))[0] * 1000 for pid in ids]
    (k50, k99), (q50, q99) = percentiles(cold_history), percentiles(cold_raw)
    (h50, h99), (r50, r99) = percentiles(warm_history), percentiles(warm_raw)
    dates = [datetime(2024 + k // 4, 3 * (k % 4) + 1, 1, tzinfo=UTC) for k in range(args.reports)]
    with peak_memory() as report_peak:
        reports = [timed(partial(consent_report, projector, d))[0] * 1000 for d in dates]
    state = projector.tables("consent")["state"]
    scans = [timed(lambda: scan(projector, state))[0] * 1000 for _ in dates]
    (c50, c99), (s50, s99) = percentiles(reports), percentiles(scans)
    print(
        f"consent: history --as-of first read p50 {k50:.1f} ms p99 {k99:.1f} ms (events alone {q50:.1f} / {q99:.1f}); "
        f"again p50 {h50:.1f} ms p99 {h99:.1f} ms (events alone {r50:.1f} / {r99:.1f}); report p50 {c50:,.0f} ms",
        flush=True,
    )
    n = len(history_first)
    return [
        row("consent", f"consent history --as-of, first read, p50 of {n} people", head, k50, "ms", q50, peak.mb),
        row("consent", f"consent history --as-of, first read, p99 of {n} people", head, k99, "ms", q99, peak.mb),
        row("consent", f"consent history --as-of, read again, p50 of {len(ids)} people", head, h50, "ms", r50, peak.mb),
        row("consent", f"consent history --as-of, read again, p99 of {len(ids)} people", head, h99, "ms", r99, peak.mb),
        row("consent", f"consent report --as-of, p50 of {len(dates)} dates", head, c50, "ms", s50, report_peak.mb),
        row("consent", f"consent report --as-of, p99 of {len(dates)} dates", head, c99, "ms", s99, report_peak.mb),
    ]


def events_of(app: PanelApp, pid: UUID) -> list[Any]:
    """A person's stored events, decoded (the baseline of their consent history)."""
    return list(app.events.get(pid))


def scan(projector: Projector, *tables: Any) -> int:
    """Read every row of the tables (the baseline of a view's report: the plain read of its rows)."""
    count = 0
    with projector.engine.connect() as conn:
        for table in tables:
            count += sum(1 for _ in conn.execute(select(table)))
        conn.rollback()
    return count


def reach_fatigue(app: PanelApp, projector: Projector, args: argparse.Namespace, head: int) -> list[Row]:
    """The reach report by two attributes and the fatigue report, each against a plain read of its view's rows."""
    rows = []
    for name, report in (
        ("reach", lambda: reach_report(projector, by=["age_band", "imd_decile"], until=NOW)),
        ("fatigue", lambda: fatigue_report(projector, NOW)),
    ):
        with peak_memory() as peak:
            seconds = min(timed(report)[0] for _ in range(args.repeat))
        tables = projector.tables(name).values()
        baseline = min(timed(partial(scan, projector, *tables))[0] for _ in range(args.repeat))
        print(f"{name}: report {seconds:,.2f} s, plain read of its rows {baseline:,.2f} s", flush=True)
        rows.append(
            row(name, f"{name} report (best of {args.repeat})", head, seconds * 1000, "ms", baseline * 1000, peak.mb)
        )
    return rows


STAYS = 0.9  # about the share of the people a rule lets through who are still in the pool (consent, leavers, fatigue)


def pool_rule(people: int, eligible: int) -> tuple[int, int]:
    """The IMD deciles (1 to k) and ethnic groups (the first j) that, with disability, let through the fewest
    people at or above ``eligible`` / STAYS: a quarter of the people are disabled, a tenth are in each decile
    and a sixth in each of the generator's six groups (``ETHNICITY``). Falls back to all ten deciles and six
    groups when even those are too few."""
    aim = eligible / STAYS
    fits = [(k * j, k, j) for k in range(1, 11) for j in range(1, 7) if people * 0.25 * k * j / 60 >= aim]
    _, deciles, groups = min(fits, default=(60, 10, 6))
    return deciles, groups


def draw_engagement(app: PanelApp, people: int, eligible: int, name: str = "scale draw") -> Engagement:
    """An engagement whose eligibility lets about ``eligible`` of ``people`` through (disabled people in the
    first k IMD deciles and the first j ethnic groups, ``pool_rule``); saved once, its id coming from its name."""
    deciles, groups = pool_rule(people, eligible)
    name = f"{name} {deciles} deciles" + ("" if groups == 6 else f" {groups} groups")
    rules = ["disability = yes", "imd_decile in " + ",".join(str(d) for d in range(1, deciles + 1))]
    if groups < 6:
        rules.append("ethnicity in " + ",".join(ETHNICITY[:groups]))
    e = Engagement.open(
        name=name,
        purpose="national draw",
        kind="consult",
        day_rate_pence=7500,
        at=NOW - timedelta(days=1),
        sessions=[NOW.date() + timedelta(days=30)],
        eligibility=rules,
    )
    if not app.exists(e.id):
        app.save(e)
    return app.load(e.id, Engagement)


def draw(app: PanelApp, projector: Projector, args: argparse.Namespace, head: int, people: int) -> list[Row]:
    """A dry-run draw of 30 under six quotas through the draw service (narrowed by the consent, reach and
    fatigue views, as the CLI's wiring does), against loading every pool member's history."""
    from panel.draws import Draws
    from projections.pool_narrowing import ViewNarrowing

    e = draw_engagement(app, people, args.eligible)
    quotas = [selection.Quota("age_band", band, 2, 9) for band in ("18-21", "22-25", "26-34", "35-49", "50-64", "65+")]
    service = Draws(app, narrowing=ViewNarrowing(projector))
    with peak_memory() as peak:
        seconds, outcome = timed(lambda: service.draw(e.id, 30, quotas, seed=1, at=NOW, dry_run=True))
    pool = len(outcome.pool)
    load_seconds, _ = timed(lambda: [app.repository.get(m.id) for m in outcome.pool])
    print(f"draw: pool of {pool:,}, end to end {seconds:,.1f} s; loading the pool's histories {load_seconds:,.1f} s")
    return [
        row("draw", f"draw of 30 under 6 quotas, pool {pool:,} (dry run, end to end)", head, seconds * 1000, "ms",
            load_seconds * 1000, peak.mb),
    ]  # fmt: skip


def import_part(args: argparse.Namespace, fresh_location: Any) -> list[Row]:
    """`participant import` of a CSV of sign-ups (import_csv) into an empty store, against a raw insert
    (in a fresh process, so its peak memory is its own)."""
    return [isolated(measure_import, fresh_location.env(), args.import_rows)]


def measure_import(env: dict[str, str], import_rows: int) -> Row:
    from raw_insert import raw_rate

    app = PanelApp(env=env)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "signups.csv"
        write_signups(path, import_rows)
        with peak_memory() as peak:
            seconds, report = timed(lambda: import_csv(app, path, source="scale"))
        raw = raw_rate("postgres", app, Path(tmp))  # the stored rows, read back a page at a time
    app.close()
    rate = report.events / seconds
    print(f"import: {report.created:,} sign-ups, {report.events:,} events at {rate:,.0f} ev/s; raw {raw:,.0f}")
    return row("import", f"import of {report.created:,} sign-ups (CSV)", report.events, rate, "ev/s", raw, peak.mb)


def write_signups(path: Path, n: int) -> None:
    rng = random.Random(11)
    start = datetime(2025, 1, 1, tzinfo=UTC)
    with path.open("w", newline="", encoding="utf-8") as f:
        out = csv.writer(f)
        out.writerow(
            ["ref", "registered_at", "name", "email", "postcode", "consent_panel_membership", "consent_contact",
             "consent_method", "age_band", "imd_decile", "disability"]
        )  # fmt: skip
        for i in range(n):
            at = start + timedelta(minutes=i)
            out.writerow(
                [f"S{i:07d}", at.isoformat(), f"Person {i}", f"person{i}@example.org", "LS6 1AA", "v3", "v3", "online",
                 rng.choice(["18-21", "22-25", "26-34", "35-49", "50-64", "65+"]), rng.randint(1, 10),
                 rng.choice(["yes", "no", "no", "no"])]
            )  # fmt: skip


def people_in(app: PanelApp, wanted: int) -> int:
    """How many of the ``wanted`` people the cached store holds so far (whole batches)."""
    from national_store import people_saved

    return people_saved(app, wanted)


def now_utc() -> str:
    return time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())


def cli_draw_and_verify(
    app: PanelApp, projector: Projector, args: argparse.Namespace, views: str, people: int
) -> list[Row]:
    """The real commands, end to end, each in its own process as a recruiter and an auditor run them:
    ``panel draw run`` (30 under six quotas, recorded, the panel invited) and ``panel draw verify`` of that
    draw, against loading every pool member's history. The engagement is drawn once; later runs start a
    new round."""
    import json
    import os
    import sys

    from panel.draws import Draws
    from projections.pool_narrowing import ViewNarrowing

    e = draw_engagement(app, people, args.eligible, name="scale verify")
    drawn = any(d.engagement_id == e.id for d in Draws(app).recorded())
    panel = str(Path(sys.executable).with_name("panel"))
    env = {**os.environ, "PANEL_DATABASE_URL": args.pg_url, "PANEL_PG_SCHEMA": f"bench_scale_{args.people}",
           "PANEL_VIEWS_URL": views, "PANEL_USER": "bench.recruiter"}  # fmt: skip
    with tempfile.TemporaryDirectory() as tmp:
        quotas = Path(tmp) / "quotas.csv"
        bands = ("18-21", "22-25", "26-34", "35-49", "50-64", "65+")
        quotas.write_text("feature,value,min,max\n" + "".join(f"age_band,{b},2,9\n" for b in bands))
        run = [panel, "draw", "run", e.ref, "--size", "30", "--quotas", str(quotas), "--seed", "1", "--json"]
        run += ["--new-round"] if drawn else []
        draw_s, draw_mb, out = _timed_command(run, env)
    drawn_now = json.loads(out)
    verify_s, verify_mb, _ = _timed_command([panel, "draw", "verify", drawn_now["id"]], env)
    pool = drawn_now["pool_size"]
    service = Draws(app, narrowing=ViewNarrowing(projector))
    head = int(app.recorder.max_notification_id() or 0)
    members = [m.id for m in service.pool(app.load(e.id, Engagement), NOW, head, ["age_band"], None).members]
    load_s, _ = timed(lambda: [app.repository.get(pid) for pid in members])
    print(f"cli: draw run {draw_s:,.1f} s, draw verify {verify_s:,.1f} s (pool {pool:,}); histories {load_s:,.1f} s")
    return [
        row("verify", f"`panel draw run`: 30 under 6 quotas, pool {pool:,} (recorded, end to end)", head,
            draw_s * 1000, "ms", load_s * 1000, draw_mb),
        row("verify", f"`panel draw verify` of that draw, pool {pool:,} (end to end)", head, verify_s * 1000, "ms",
            load_s * 1000, verify_mb),
    ]  # fmt: skip


def _timed_command(command: list[str], env: dict[str, str]) -> tuple[float, float, str]:
    """Run a command; (seconds, peak MB of its process tree, stdout). A failure stops the benchmark."""
    import subprocess

    start = time.perf_counter()
    proc = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    with peak_memory(root=proc.pid) as peak:
        out, err = proc.communicate()
    seconds = time.perf_counter() - start
    if proc.returncode:
        raise SystemExit(f"{' '.join(command[1:4])} failed ({proc.returncode}): {err.strip()[-500:]}")
    return seconds, peak.mb, out


def audit_verify(app: PanelApp, args: argparse.Namespace) -> list[Row]:
    """``panel audit verify`` over the whole log, the real command in its own process (on PostgreSQL the chain is
    checked inside the database), against the same check walked in Python in this process (how it ran before)."""
    import os
    import sys

    from panel.audit import Audit

    panel = str(Path(sys.executable).with_name("panel"))
    env = {**os.environ, "PANEL_DATABASE_URL": args.pg_url, "PANEL_PG_SCHEMA": f"bench_scale_{args.people}"}
    seconds, mb, out = _timed_command([panel, "audit", "verify"], env)
    real = app.recorder.chain_span_agrees
    app.recorder.chain_span_agrees = lambda after, upto: None  # the walk alone
    try:
        with peak_memory() as walk_peak:
            walk_seconds, report = timed(lambda: Audit(app).verify())
    finally:
        app.recorder.chain_span_agrees = real
    print(f"audit verify: {seconds:,.1f} s ({out.strip()[:60]}...); the walk alone {walk_seconds:,.1f} s")
    return [
        row("audit", "`panel audit verify`, the chain checked in the database (end to end)", report.checked,
            seconds * 1000, "ms", walk_seconds * 1000, mb),
        row("audit", "the same check walked in Python (baseline; before)", report.checked, walk_seconds * 1000, "ms",
            None, walk_peak.mb),
    ]  # fmt: skip
