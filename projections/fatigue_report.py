"""Fatigue figures from the fatigue view: per person, panel-wide, and a what-if of the rules.

A *participation* is an engagement the person attended at least once; half days count fully.
Panel-level figures are over everyone registered (erased people included, anonymously, so
the figures stay right); per-person lists leave erased people out. Both read the view a person at a
time (``_streams``); the people listed are kept compactly (``projections.fatigue_people``).
"""

from __future__ import annotations

import heapq
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select

from panel.fatigue import FatigueRules, Taking, check, gini, top_share
from panel.paging import Page
from projections.engine import Projector
from projections.fatigue_people import COLUMNS, FIRST_COLUMN, WINDOWS, ListedPeople, PersonFatigue, RankedPeople
from projections.ledger import STREAM_ROWS, code_point_order
from projections.people import utc

__all__ = ["WINDOWS", "Exclusion", "FatigueReport", "PersonFatigue", "RankedPeople", "Simulation", "fatigue_report",
           "simulate"]  # fmt: skip


@dataclass(frozen=True)
class FatigueReport:
    """The figures. ``people`` and ``usual_suspects`` are made as they are read (``RankedPeople``): write them out
    as they come; ``dataclasses.asdict`` would deep-copy them, not list them."""

    at: datetime
    population: int
    participations: int
    top10_share: float
    gini: float
    distribution: list[int]
    people: Sequence[PersonFatigue]  # most engagements first, then most invitations in 365 days, then by reference
    usual_suspects: Sequence[PersonFatigue] = field(default_factory=list)  # the top of ``people``


@dataclass(frozen=True)
class Exclusion:
    participant_id: str
    ref: str | None
    engagement_id: str
    invited_at: datetime
    reason: str


@dataclass(frozen=True)
class Simulation:
    """The invitations the rules would have refused: ``exclusions`` is one page of them (``page``), in the order
    they were sent; ``excluded`` and ``people`` count all of them, and the people they were sent to."""

    rules: FatigueRules
    invitations: int
    excluded: int
    people: int
    exclusions: list[Exclusion]
    page: Page = field(default_factory=Page)
    more: bool = False


def _streams(projector: Projector) -> Iterator[tuple[str, tuple[str | None, datetime, bool] | None, list[Any]]]:
    """Each participant in id order: (id, (ref, registered, erased) or None when the people table does not hold
    them, their activity rows (engagement, kind, time, log position) in log order). Both tables are read as
    streams, side by side, so one person's rows are held at a time."""
    tables = projector.tables("fatigue")
    people, activity = tables["people"], tables["activity"]
    a, p, engine = activity.c, people.c, projector.engine
    by_person = code_point_order(p.participant_id, engine)  # as Python compares the ids, in both streams
    with engine.connect() as conn, engine.connect() as other:
        who = iter(conn.execution_options(yield_per=STREAM_ROWS).execute(
            select(p.participant_id, p.ref, p.registered_at, p.erased_at).order_by(by_person)
        ))  # fmt: skip
        rows = iter(other.execution_options(yield_per=STREAM_ROWS).execute(
            select(a.participant_id, a.engagement_id, a.kind, a.at, a.position)
            .order_by(code_point_order(a.participant_id, engine), a.position)
        ))  # fmt: skip
        person, row = next(who, None), next(rows, None)
        while person is not None or row is not None:
            pid = min(x[0] for x in (person, row) if x is not None)
            found = None
            if person is not None and person[0] == pid:
                found = (person[1], utc(person[2]), person[3] is not None)
                person = next(who, None)
            mine = []
            while row is not None and row[0] == pid:
                mine.append((row[1], row[2], utc(row[3]), row[4]))
                row = next(rows, None)
            yield pid, found, mine
        conn.rollback()
        other.rollback()


def fatigue_report(projector: Projector, at: datetime, suspects_min: int = 2) -> FatigueReport:
    """Per-person windows, the top-10% share, the Gini coefficient and the usual suspects at ``at``: the views
    read one person at a time (``_streams``). What is held is one count per person registered and, per person
    listed, a row of numbers, their id and their reference (``ListedPeople``, about 150 bytes); the people come out of
    the report in order as they are read (``RankedPeople``)."""
    per_person: list[int] = []
    listed = ListedPeople()
    since = [at - timedelta(days=days) for days in WINDOWS]
    for pid, found, rows in _streams(projector):
        figures, active = _figures(rows, at, since)
        ref, registered, erased = found if found is not None else (None, at, False)
        if found is not None and registered <= at:
            per_person.append(figures[0])
        if active and not erased:
            listed.add(pid, ref, figures)
    per_person.sort()
    cut = max(1, round(len(per_person) * 0.1))
    threshold = per_person[-cut] if per_person else 0
    people = listed.ranked()
    suspects = people[: listed.at_least(max(threshold, suspects_min))]  # the list opens with the most engagements
    return FatigueReport(
        at,
        len(per_person),
        sum(per_person),
        top_share(per_person),
        gini(per_person),
        per_person,
        people,
        suspects,
    )


def _figures(rows: list[Any], at: datetime, since: list[datetime]) -> tuple[list[int], bool]:
    """One person's row of figures (``COLUMNS``; -1 days since last: never attended) from their activity, and
    whether they have any activity in a window or any attendance by ``at``."""
    figures = [0] * len(COLUMNS)
    attended: set[str] = set()
    last: datetime | None = None
    windowed = False
    for eid, kind, moment, _position in rows:
        if moment > at:
            continue
        first = FIRST_COLUMN.get(kind)
        for w, start in enumerate(since):
            if moment > start:
                windowed = True
                if first is not None:
                    figures[first + w] += 1
        if kind == "attended":
            attended.add(eid)
            last = moment if last is None else max(last, moment)
    figures[0] = len(attended)
    figures[-1] = (at - last).days if last is not None else -1
    return figures, windowed or bool(attended)


def simulate(projector: Projector, rules: FatigueRules, page: Page | None = None) -> Simulation:
    """Replay every invitation in the history and list those the rules would have excluded, a page at a time
    in the order they were sent (``page``; default the first 100). A person's exclusions depend on their own
    history only, so the view is read a person at a time (``_streams``) and only the page's exclusions (and
    the ones before it) are kept, by log position: memory holds a page, never the history."""
    page = page or Page()
    counts = {"invitations": 0, "excluded": 0, "people": 0}

    def every() -> Iterator[tuple[int, Exclusion]]:
        for pid, found, rows in _streams(projector):
            mine = list(_excluded(pid, found[0] if found else None, rows, rules, counts))
            counts["excluded"] += len(mine)
            counts["people"] += bool(mine)
            yield from mine

    kept = heapq.nsmallest(page.offset + page.limit + 1, every(), key=lambda pair: pair[0])
    shown, more = page.window(exclusion for _, exclusion in kept)
    return Simulation(rules, counts["invitations"], counts["excluded"], counts["people"], shown, page, more)


def _excluded(
    pid: str, ref: str | None, rows: Sequence[Any], rules: FatigueRules, counts: dict[str, int]
) -> Iterator[tuple[int, Exclusion]]:
    """One person's invitations the rules would have refused, with their log positions; their invitations are
    counted into ``counts``."""
    history: dict[str, dict[str, Any]] = {}
    for eid, kind, moment, position in rows:
        if kind == "invited":
            counts["invitations"] += 1
            takings = [Taking(e, r["invited_at"], r["took_part"], tuple(r["attended"])) for e, r in history.items()]
            reason = check(rules, takings, eid, moment)
            if reason:
                yield position, Exclusion(pid, ref, eid, moment, reason)
            history[eid] = {"invited_at": moment, "took_part": False, "attended": []}
            continue
        record = history.get(eid)
        if record is None:
            continue
        if kind == "accepted":
            record["took_part"] = True
        elif kind in ("declined", "withdrew"):
            record["took_part"] = bool(record["attended"])
        elif kind == "attended":
            record["attended"].append(moment.date())
            record["took_part"] = True
