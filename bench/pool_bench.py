"""Benchmark: a draw's pool, the draw and its verification at scale, narrowed by the read models,
against the full replay of every participant (the named baseline) in the same run.

Run:  nice -n 10 .venv/bin/python bench/pool_bench.py --people 100000 --backends sqlite,postgres

The store is generated once and cached (SQLite in --cache-dir, PostgreSQL in a schema named after
the size) with the project's own aggregates and ``save``: people with both pool consents and
attributes, a share invited to earlier engagements (accepting, attending), a few withdrawals,
leavers and erasures; global fatigue rules (one engagement in 12 months); and an engagement whose
eligibility (``imd_decile in 1`` by default) keeps about a tenth of them; ``--eligible-deciles 1-5``
makes it ``imd_decile in 1,2,3,4,5``, about half of them (a store of its own: the cache's name
carries the deciles). Its views are rebuilt once after generation. Each run then times, for one
draw of --size under six age-band quotas:

* ``full replay``: the pool as ``Draws(app)`` builds it with no read model (every participant
  replayed, one ``repository.get`` each): the baseline;
* ``consent view only``: the earlier narrowing (consent view, then one ``get`` per candidate);
* ``narrowed``: consent + reach + fatigue views, candidates read back in batches;
* the recorded draw end to end (narrowed) and ``draw verify`` narrowed and by full replay.

The narrowed pool is checked to be the full replay's (same members and versions) in the run.
"""

from __future__ import annotations

import argparse
import os
import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from projections_bench import AGES, START, PeakMemory, attributes

import selection
from cli.wiring import Wiring
from panel.application import PanelApp
from panel.config import StoreLocation
from panel.domain.engagement import Engagement
from panel.domain.participant import Participant
from panel.draws import Draws
from panel.draws.history import current_position
from panel.draws.narrowed import narrowed_pool
from panel.draws.pool_builder import build_pool
from panel.fatigue import Fatigue
from panel.participation import Participation
from panel.store.sealing import seal
from projections import Projector, make_engine
from projections.consent_report import pool_candidates
from projections.pool_narrowing import ViewNarrowing

REF = "bench-national-panel"


def ref(i: int) -> str:
    return f"P{i:07d}"


def person(app: PanelApp, rng: random.Random, i: int, key: bytes, earlier: list[Engagement]) -> Participant:
    pid = app.participant_id_for(ref(i), "bench")
    at = START + timedelta(seconds=30 * i)
    attrs = attributes(rng)
    p = Participant.register(
        id=pid,
        source="bench",
        external_ref=ref(i),
        channel="online",
        captured_by=None,
        at=at,
        sealed=seal(
            key, pid, {"personal": {"name": f"Person {i}", "postcode": f"LS{i % 30} 1AA"}, "attributes": attrs}
        ),
    )
    for purpose in ("panel_membership", "contact"):
        p.grant_consent(purpose=purpose, notice_version="v1", method="online", captured_by="self", at=at)
    if rng.random() < 0.3:
        e = rng.choice(earlier)
        invited = datetime.combine(e.sessions[0], datetime.min.time(), UTC) - timedelta(days=20)
        p.invite(engagement_id=e.id, at=max(invited, at))
        if rng.random() < 0.6:
            p.respond(engagement_id=e.id, accept=True, at=max(invited, at) + timedelta(days=1))
            if rng.random() < 0.7:
                p.attend(engagement_id=e.id, session_date=e.sessions[0], half_day=False, at=max(invited, at))
    if rng.random() < 0.05:
        p.withdraw_consent(purpose="contact", captured_by=None, at=at + timedelta(days=30))
    if rng.random() < 0.01:
        p.leave_panel(reason="bench", at=at + timedelta(days=40))
    return p


def deciles(text: str) -> tuple[int, ...]:
    """The IMD deciles of ``--eligible-deciles``: ``1-5`` or ``1,3,5`` (each 1 to 10)."""
    low, dash, high = text.partition("-")
    try:
        found = tuple(range(int(low), int(high) + 1)) if dash else tuple(int(v) for v in text.split(","))
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r}: give deciles as 1-5 or 1,3,5") from None
    if not found or any(not 1 <= d <= 10 for d in found):
        raise argparse.ArgumentTypeError(f"{text!r}: deciles run from 1 to 10, e.g. 1-5")
    return found


def store_name(people: int, eligible: tuple[int, ...]) -> str:
    """The cached store's name: the size, and the deciles when they are not the default (1)."""
    suffix = "" if eligible == (1,) else "_imd" + "_".join(str(d) for d in eligible)
    return f"pool_bench_{people}{suffix}"


def generate(app: PanelApp, people: int, batch: int = 1000, eligible: tuple[int, ...] = (1,)) -> None:
    rng = random.Random(20261202)
    earlier = [
        Engagement.open(
            name=f"earlier {n}",
            purpose="bench",
            kind="consult",
            day_rate_pence=0,
            at=START,
            sessions=[date(2024, 3, 1) + timedelta(days=30 * n)],
        )
        for n in range(24)
    ]
    target = Engagement.open(
        name="national panel",
        ref=REF,
        purpose="bench",
        kind="consult",
        day_rate_pence=0,
        at=START,
        sessions=[date(2026, 3, 1)],
        eligibility=["imd_decile in " + ",".join(str(d) for d in eligible)],
    )
    app.save(*earlier, target)
    Fatigue(app).set_fatigue_rules(None, cooldown_days=90, max_per_year=1, at=START)
    t0 = time.perf_counter()
    for i in range(0, people, batch):
        ids = [app.participant_id_for(ref(j), "bench") for j in range(i, min(people, i + batch))]
        keys = app.keys.ensure_keys(ids)
        app.save(*[person(app, rng, j, keys[pid], earlier) for j, pid in zip(range(i, i + batch), ids, strict=False)])
        if (i + batch) % 20000 == 0:
            print(f"  {i + batch:,} people ({(i + batch) / (time.perf_counter() - t0):,.0f}/s)", flush=True)
    for j in range(0, people, 500):  # a few erasures (event + key destroyed)
        Participation(app).erase(app.participant_id_for(ref(j), "bench"), "bench erasure")
    took, events = time.perf_counter() - t0, current_position(app)
    print(f"  generated {people:,} people, {events:,} events: {people / took:,.0f} people/s, {events / took:,.0f} ev/s")


def location_for(backend: str, name: str, cache: Path, pg_url: str) -> StoreLocation:
    if backend == "sqlite":
        cache.mkdir(parents=True, exist_ok=True)
        return StoreLocation.sqlite(str(cache / f"{name}.db"))
    import psycopg

    schema = name.replace("pool_bench_", "bench_pool_", 1)  # bench_pool_100000 as before for the default
    with psycopg.connect(pg_url, autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA IF NOT EXISTS "{schema}"')
    return StoreLocation.postgres(pg_url, schema)


@dataclass(frozen=True)
class Measure:
    """One step's wall time, this process's CPU time (the database server's is not in it), and the peak
    resident memory of this process and its children (sampled from /proc, ``projections_bench.PeakMemory``)."""

    wall: float
    cpu: float
    peak_mb: float

    def __str__(self) -> str:
        return f"{self.wall:,.1f} ({self.cpu:,.1f})"


def timed(label: str, work: Callable[[], Any]) -> tuple[Measure, Any]:
    with PeakMemory() as memory:
        t0, c0 = time.perf_counter(), time.process_time()
        result = work()
        measure = Measure(time.perf_counter() - t0, time.process_time() - c0, memory.mb)
    print(f"  {label}: {measure.wall:,.1f} s, CPU {measure.cpu:,.1f} s, peak {measure.peak_mb:,.0f} MB", flush=True)
    return measure, result


def quotas(size: int) -> list[selection.Quota]:
    return [selection.Quota("age_band", band, size // 10, size // 3) for band in AGES]


def run(backend: str, args: argparse.Namespace) -> dict[str, Any]:
    location = location_for(backend, store_name(args.people, args.eligible), Path(args.cache_dir), args.pg_url)
    app = Wiring(location).create_store().app
    engine = make_engine(location)
    projector = Projector(app, engine, batch_size=2000)
    try:
        eid = app.resolve_engagement(REF)
    except Exception:  # noqa: BLE001 - not generated yet
        print(f"{backend}: generating {args.people:,} people (cached for later runs)...", flush=True)
        timed("generation", lambda: generate(app, args.people, eligible=args.eligible))
        timed("views rebuilt", projector.rebuild)
        eid = app.resolve_engagement(REF)
    projector.catch_up()
    engagement = app.load(eid, Engagement)
    at = START + timedelta(days=800)
    position = current_position(app)
    print(f"{backend}: {args.people:,} people, {position:,} events", flush=True)
    r: dict[str, Any] = {"people": args.people, "events": position}
    features = ["age_band"]
    r["narrowed"], narrowed = timed(
        "pool, narrowed",
        lambda: narrowed_pool(app, engagement, at, ViewNarrowing(projector), position=position, features=features),
    )
    r["eligible"] = len(narrowed.members)
    r["consent"], consent_only = timed(
        "pool, consent view only",
        lambda: build_pool(
            app,
            engagement,
            at,
            features=features,
            position=position,
            candidate_ids=pool_candidates(projector, at),
        ),
    )
    assert [m.id for m in consent_only.members] == [m.id for m in narrowed.members]
    if args.full:
        r["full"], full = timed(
            "pool, full replay", lambda: build_pool(app, engagement, at, features=features, position=position)
        )
        assert [(m.id, m.version) for m in full.members] == [(m.id, m.version) for m in narrowed.members]
    draws = Draws(app, narrowing=ViewNarrowing(projector))
    again = any(d.engagement_id == eid for d in draws.recorded())
    r["draw"], outcome = timed(
        "draw, narrowed, end to end" if args.record else "draw, narrowed, dry run (all but the save)",
        lambda: draws.draw(eid, args.size, quotas(args.size), seed=1, at=at, new_round=again, dry_run=not args.record),
    )
    if outcome.draw is not None:
        events = outcome.draw.collect_events()
        print(f"  Draw.Completed: {len(app.mapper.to_stored_event(events[-1]).state):,} bytes stored", flush=True)
    if not args.record:
        engine.dispose()
        app.close()
        return r
    r["verify"], found = timed("verify, narrowed", lambda: draws.verify(outcome.draw_id))
    assert found.differences == [], found.differences
    if args.full:
        r["verify_full"], found = timed("verify, full replay", lambda: Draws(app).verify(outcome.draw_id))
        assert found.differences == [], found.differences
    engine.dispose()
    app.close()
    return r


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--people", type=int, default=100_000)
    parser.add_argument("--size", type=int, default=30)
    parser.add_argument("--backends", default="sqlite,postgres")
    parser.add_argument(
        "--eligible-deciles",
        dest="eligible",
        type=deciles,
        default=(1,),
        help="IMD deciles the engagement's eligibility keeps: 1 (default, about a tenth) or e.g. 1-5 (about half)",
    )
    parser.add_argument("--no-full", dest="full", action="store_false", help="skip the full replay (baseline)")
    parser.add_argument(
        "--no-record",
        dest="record",
        action="store_false",
        help="time the draw as a dry run (pool, selection, record composed, nothing saved) and skip verify",
    )
    parser.add_argument("--cache-dir", default=os.environ.get("PANEL_BENCH_CACHE", "/tmp/panel-bench"))
    parser.add_argument(
        "--pg-url", default=os.environ.get("PANEL_TEST_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/test")
    )
    args = parser.parse_args()
    results = {b: run(b, args) for b in args.backends.split(",")}

    def cell(r: dict[str, Any], key: str) -> str:
        return str(r[key]) if key in r else "-"

    print("\nwall seconds (CPU seconds of the bench process); peak: resident MB of the bench process, draw and verify")
    print(
        "| backend | people | events | eligible | pool: full replay | pool: consent view only "
        "| pool: narrowed | speed-up vs full | draw end to end | verify narrowed | verify full | peak MB |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for backend, r in results.items():
        speedup = f"{r['full'].wall / r['narrowed'].wall:.1f}x" if "full" in r else "-"
        peak = max(r[key].peak_mb for key in ("draw", "verify") if key in r)
        print(
            f"| {backend} | {r['people']:,} | {r['events']:,} | {r['eligible']:,} | {cell(r, 'full')} | "
            f"{cell(r, 'consent')} | {cell(r, 'narrowed')} | {speedup} | {cell(r, 'draw')} | {cell(r, 'verify')} | "
            f"{cell(r, 'verify_full')} | {peak:,.0f} |"
        )


if __name__ == "__main__":
    main()
