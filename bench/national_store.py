"""A national panel's store for the scale benchmark: a million people over years of engagements and payments.

Run alone to generate (or finish generating) the cached store, e.g. in the background:
    nice -n 10 .venv/bin/python bench/national_store.py --people 1000000

Each person is made by the projections benchmark's generator (``projections_bench.person``: a
registration with sealed attributes, two consents, sometimes an invitation to a local engagement
with attendance, sometimes a withdrawn contact consent) and then given a national history with the
domain's own methods: invitations to regional engagements over the years, accepted or declined,
attendance, withdrawals, leavers, and for each attended session a payment line through the payment
ledger's own aggregate (accrued, approved, issued, most of them reconciled). A few people in every
batch are erased through ``Participation.erase`` (the event and the destroyed key). Every batch is
one transaction and its randomness comes from the batch number, so an interrupted generation is
finished by the next run from the first batch not saved, with the same store as one uninterrupted run.
With ``--jobs N``, N processes write every Nth batch each (the same batches, in another order in the log).
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import random
import time
from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta
from typing import Any

from projections_bench import START, bench_engagements, person

from panel.application import PanelApp
from panel.config import StoreLocation
from panel.domain.engagement import Engagement
from panel.domain.participant import Participant
from panel.participation import Participation
from panel.payments import payment_reference
from panel.payments.domain.payment import Payment
from panel.payments.domain.values import payment_id
from panel.payments.rules import session_fee

SEED = 20261202
BATCH = 500
DAY_RATE = 7500  # pence: £75 a day
REGIONS = 12
MONTHS = 33  # national engagements every month from January 2024 to September 2026
ERASED_PER_BATCH = 1
DEFAULT_PG = "postgresql://postgres@127.0.0.1:5432/test"


def schema_for(people: int) -> str:
    return f"bench_scale_{people}"


def location(people: int, pg_url: str) -> StoreLocation:
    """The cached store of ``people`` participants: a PostgreSQL schema named after the size."""
    import psycopg

    with psycopg.connect(pg_url, autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA IF NOT EXISTS "{schema_for(people)}"')
    return StoreLocation.postgres(pg_url, schema_for(people))


def analyze(pg_url: str, people: int) -> None:
    """Give the planner the store's statistics, as autovacuum would in time (this machine runs with it off).
    Without them PostgreSQL guessed 200,000 events per aggregate id on the 11M-event store, and planned each
    aggregate's read as a parallel scan, JIT-compiled: 40-150 ms a read instead of 0.1 ms."""
    import psycopg

    with psycopg.connect(pg_url, autocommit=True) as conn:
        for table in ("panel_events", "panel_events_chain"):
            conn.execute(f'ANALYZE "{schema_for(people)}".{table}')


def ref(i: int) -> str:
    return f"B{i:07d}"


def national_engagements() -> list[Engagement]:
    """One engagement per region and month, each with three session days in that month."""
    found = []
    for month in range(MONTHS):
        first = date(2024 + month // 12, month % 12 + 1, 3)
        for region in range(REGIONS):
            found.append(
                Engagement.open(
                    name=f"national {month:02d} region {region:02d}",
                    purpose="national programme",
                    kind="consult",
                    day_rate_pence=DAY_RATE,
                    at=START,
                    sessions=[first + timedelta(days=7 * k + region % 5) for k in range(3)],
                )
            )
    return found


def local_engagements() -> list[Engagement]:
    """The twenty engagements ``projections_bench.person`` invites to (opened as its ``generate`` opens them)."""
    return bench_engagements()


def pay(p: Participant, e: Engagement, day: date, half_day: bool, rng: random.Random) -> Payment:
    """One session's fee through the payment ledger's aggregate: accrued, approved, issued, maybe reconciled."""
    amount, quantity = session_fee("day", DAY_RATE, half_day)
    at = datetime(day.year, day.month, day.day, 17, tzinfo=UTC) + timedelta(days=7)
    line = Payment.accrue(
        id=payment_id(e.id, p.id, "involvement_fee", day.isoformat()),
        engagement_id=e.id,
        engagement_ref=e.ref,
        participant_id=p.id,
        participant_ref=p.external_ref,
        kind="involvement_fee",
        category="day",
        earned_on=day,
        quantity=quantity,
        gross_pence=amount,
        rate_card="engagement day rate",
        budget_code="NAT-01",
        created_by="coordinator.ali",
        at=at,
    )
    line.approve(by="finance.lee", four_eyes_above_pence=50_000, budget_code="NAT-01", over_budget=False, at=at)
    batch_ref = f"BACS-{day.isoformat()}"
    line.issue(
        route="bank_transfer",
        reference=payment_reference([line]),
        batch_ref=batch_ref,
        by="finance.sam",
        at=at + timedelta(days=7),
    )
    if rng.random() < 0.6:
        line.reconcile(
            account="main",
            statement_line=f"{batch_ref}/{p.external_ref}",
            statement_date=(at + timedelta(days=9)).date(),
            amount_pence=line.amount_pence,
            matched_by="reconcile",
            at=at + timedelta(days=14),
        )
    return line


def national_history(
    p: Participant, rng: random.Random, engagements: list[Engagement], registered: datetime
) -> list[Payment]:
    """Invitations to national engagements after ``registered``, answers, attendance and payments."""
    lines: list[Payment] = []
    first = (registered.year - 2024) * 12 + registered.month + 1  # two months after registration, at least
    months = list(range(first, MONTHS))
    for month in sorted(rng.sample(months, min(len(months), rng.randint(0, 2)))):
        e = engagements[month * REGIONS + rng.randrange(REGIONS)]
        invited = datetime(e.sessions[0].year, e.sessions[0].month, 1, 10, tzinfo=UTC) - timedelta(days=20)
        if p.left_panel_at is not None or p.consent_at("contact", invited) is None:
            break
        p.invite(engagement_id=e.id, at=invited)
        if rng.random() < 0.35:
            p.respond(engagement_id=e.id, accept=False, at=invited + timedelta(days=3))
            continue
        p.respond(engagement_id=e.id, accept=True, at=invited + timedelta(days=3))
        if rng.random() < 0.08:
            p.withdraw_from(engagement_id=e.id, reason="other", at=invited + timedelta(days=10))
            continue
        for day in e.sessions[: rng.randint(1, len(e.sessions))]:
            half = rng.random() < 0.15
            p.attend(engagement_id=e.id, session_date=day, half_day=half, at=datetime.combine(day, START.timetz()))
            lines.append(pay(p, e, day, half, rng))
    if rng.random() < 0.02 and p.left_panel_at is None:
        p.leave_panel(reason="moved away", at=registered + timedelta(days=400))
    return lines


def write_batch(app: PanelApp, b: int, local: list[Engagement], national: list[Engagement]) -> int:
    """People ``b * BATCH`` to ``(b + 1) * BATCH - 1`` with their histories, in one transaction; returns events."""
    rng = random.Random(SEED * 1_000_003 + b)
    span = range(b * BATCH, (b + 1) * BATCH)
    keys = app.keys.ensure_keys(app.participant_id_for(ref(i), "bench") for i in span)
    saved: list[Any] = []
    for i in span:
        p = person(app, rng, i, keys[app.participant_id_for(ref(i), "bench")], local)
        saved.append(p)
        saved += national_history(p, rng, national, START + timedelta(minutes=i))
    app.save(*saved)
    erasing = Participation(app)
    for i in rng.sample(list(span), ERASED_PER_BATCH):
        erasing.erase(app.participant_id_for(ref(i), "bench"), "bench erasure", at=datetime(2026, 11, 1, tzinfo=UTC))
    return sum(a.version for a in saved) + ERASED_PER_BATCH


def batches_saved(app: PanelApp, batches: Sequence[int]) -> int:
    """How many of ``batches`` (written in this order, each one transaction) are in the store already: a binary
    search on each batch's first person."""
    low, high = 0, len(batches)  # batches[:low] saved; batches[high:] not
    while low < high:
        mid = (low + high) // 2
        if app.exists(app.participant_id_for(ref(batches[mid] * BATCH), "bench")):
            low = mid + 1
        else:
            high = mid
    return low


def people_saved(app: PanelApp, people: int) -> int:
    """How many of the first ``people`` are in the store as an unbroken run of whole batches (parallel
    generation may have left later batches saved beyond a gap: those are not counted)."""
    total = people // BATCH
    saved = 0
    while saved < total and app.exists(app.participant_id_for(ref(saved * BATCH), "bench")):
        saved += 1
    return saved * BATCH


def ensure(app: PanelApp, people: int, report: bool = True, part: int = 0, parts: int = 1) -> tuple[int, float]:
    """Generate what is missing of the store of ``people`` (of its batches ``part``, ``part + parts``, ...);
    returns (events written now, seconds taken)."""
    local, national = local_engagements(), national_engagements()
    if not app.exists(local[0].id):
        app.save(*local, *national)
    mine = range(part, people // BATCH, parts)
    written, t0 = 0, time.perf_counter()
    for n, b in enumerate(mine[batches_saved(app, mine) :], start=1):
        written += write_batch(app, b, local, national)
        if report and n % 100 == 0:
            rate = written / (time.perf_counter() - t0)
            print(f"  [{part + 1}/{parts}] batch {b:,}, {written:,} events written now ({rate:,.0f} ev/s)", flush=True)
    return written, time.perf_counter() - t0


def _generate_part(pg_url: str, people: int, part: int, parts: int) -> tuple[int, float]:
    # the parent made the tables: a process that opened the store with CREATE_TABLE would run the library's DDL
    # at the same moment as its sibling ("tuple concurrently updated"), as no command but `panel init` does
    app = PanelApp(env={**location(people, pg_url).env(), "CREATE_TABLE": "no"})
    try:
        return ensure(app, people, part=part, parts=parts)
    finally:
        app.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--people", type=int, default=1_000_000)
    parser.add_argument("--pg-url", default=os.environ.get("PANEL_TEST_DATABASE_URL", DEFAULT_PG))
    parser.add_argument("--jobs", type=int, default=1, help="processes writing batches side by side")
    args = parser.parse_args()
    app = PanelApp(env=location(args.people, args.pg_url).env())
    if args.jobs == 1:
        written, seconds = ensure(app, args.people)
    else:
        ensure(app, 0)  # the engagements, once, before the processes start
        t0 = time.perf_counter()
        with multiprocessing.get_context("spawn").Pool(args.jobs) as pool:
            done = pool.starmap(_generate_part, [(args.pg_url, args.people, k, args.jobs) for k in range(args.jobs)])
        written, seconds = sum(w for w, _ in done), time.perf_counter() - t0
    analyze(args.pg_url, args.people)
    head = int(app.recorder.max_notification_id() or 0)
    print(f"{schema_for(args.people)}: {written:,} events written in {seconds:,.0f} s; the store holds {head:,}")
    app.close()


if __name__ == "__main__":
    main()
