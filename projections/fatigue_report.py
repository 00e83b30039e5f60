"""Fatigue figures from the fatigue view: per person, panel-wide, and a what-if of the rules.

A *participation* is an engagement the person attended at least once; half days count fully.
Panel-level figures are over everyone registered (erased people included, anonymously, so
the figures stay right); per-person lists leave erased people out.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select

from panel.fatigue import FatigueRules, Taking, check, gini, top_share
from projections.engine import Projector
from projections.ledger import STREAM_ROWS, code_point_order
from projections.people import utc

WINDOWS = (30, 90, 365)


@dataclass(frozen=True)
class PersonFatigue:
    participant_id: str
    ref: str | None
    invitations: dict[int, int]
    acceptances: dict[int, int]
    attendances: dict[int, int]
    participations: int
    days_since_last: int | None


@dataclass(frozen=True)
class FatigueReport:
    at: datetime
    population: int
    participations: int
    top10_share: float
    gini: float
    distribution: list[int]
    people: list[PersonFatigue]
    usual_suspects: list[PersonFatigue] = field(default_factory=list)


@dataclass(frozen=True)
class Exclusion:
    participant_id: str
    ref: str | None
    engagement_id: str
    invited_at: datetime
    reason: str


@dataclass(frozen=True)
class Simulation:
    rules: FatigueRules
    invitations: int
    exclusions: list[Exclusion]

    @property
    def people(self) -> int:
        return len({e.participant_id for e in self.exclusions})


def _load(projector: Projector) -> tuple[dict[str, tuple[str | None, datetime, bool]], list[tuple[Any, ...]]]:
    tables = projector.tables("fatigue")
    people, activity = tables["people"], tables["activity"]
    with projector.engine.connect() as conn:
        who = {
            pid: (ref, utc(reg), erased is not None)
            for pid, ref, reg, erased in conn.execute(
                select(people.c.participant_id, people.c.ref, people.c.registered_at, people.c.erased_at)
            )
        }
        rows = [
            (pid, eid, kind, utc(at), half)
            for pid, eid, kind, at, half in conn.execute(
                select(
                    activity.c.participant_id,
                    activity.c.engagement_id,
                    activity.c.kind,
                    activity.c.at,
                    activity.c.half_day,
                ).order_by(activity.c.position)
            )
        ]
        conn.rollback()
    return who, rows


def _streams(projector: Projector) -> Iterator[tuple[str, tuple[str | None, datetime, bool] | None, list[Any]]]:
    """Each participant in id order: (id, (ref, registered, erased) or None when the people table does not hold
    them, their activity rows (engagement, kind, time) in log order). Both tables are read as streams, side by
    side, so one person's rows are held at a time."""
    tables = projector.tables("fatigue")
    people, activity = tables["people"], tables["activity"]
    a, p, engine = activity.c, people.c, projector.engine
    by_person = code_point_order(p.participant_id, engine)  # as Python compares the ids, in both streams
    with engine.connect() as conn, engine.connect() as other:
        who = iter(conn.execution_options(yield_per=STREAM_ROWS).execute(
            select(p.participant_id, p.ref, p.registered_at, p.erased_at).order_by(by_person)
        ))  # fmt: skip
        rows = iter(other.execution_options(yield_per=STREAM_ROWS).execute(
            select(a.participant_id, a.engagement_id, a.kind, a.at)
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
                mine.append((row[1], row[2], utc(row[3])))
                row = next(rows, None)
            yield pid, found, mine
        conn.rollback()
        other.rollback()


def fatigue_report(projector: Projector, at: datetime, suspects_min: int = 2) -> FatigueReport:
    """Per-person windows, the top-10% share, the Gini coefficient and the usual suspects at ``at``: the views
    read one person at a time (``_streams``); what is held is one count per person and the people listed."""
    per_person: list[int] = []
    people = []
    for pid, found, rows in _streams(projector):
        counts: dict[str, dict[int, int]] = defaultdict(lambda: dict.fromkeys(WINDOWS, 0))
        attended: set[str] = set()
        last: datetime | None = None
        windowed = False
        for eid, kind, moment in rows:
            if moment > at:
                continue
            for days in WINDOWS:
                if moment > at - timedelta(days=days):
                    counts[kind][days] += 1
                    windowed = True
            if kind == "attended":
                attended.add(eid)
                last = moment if last is None else max(last, moment)
        ref, registered, erased = found if found is not None else (None, at, False)
        if found is not None and registered <= at:
            per_person.append(len(attended))
        if erased or not (windowed or attended):
            continue
        people.append(
            PersonFatigue(
                pid,
                ref,
                dict(counts["invited"]),
                dict(counts["accepted"]),
                dict(counts["attended"]),
                len(attended),
                (at - last).days if last is not None else None,
            )
        )
    people.sort(key=lambda p: (-p.participations, -p.invitations[365], p.ref or ""))
    cut = max(1, round(len(per_person) * 0.1))
    threshold = sorted(per_person, reverse=True)[cut - 1] if per_person else 0
    suspects = [p for p in people if p.participations >= max(threshold, suspects_min)]
    return FatigueReport(
        at,
        len(per_person),
        sum(per_person),
        top_share(per_person),
        gini(per_person),
        sorted(per_person),
        people,
        suspects,
    )


def simulate(projector: Projector, rules: FatigueRules) -> Simulation:
    """Replay every invitation in the history and list those the rules would have excluded."""
    who, rows = _load(projector)
    history: dict[str, dict[str, dict[str, Any]]] = defaultdict(dict)
    exclusions, invitations = [], 0
    for pid, eid, kind, moment, _half in rows:
        mine = history[pid]
        if kind == "invited":
            invitations += 1
            takings = [Taking(e, r["invited_at"], r["took_part"], tuple(r["attended"])) for e, r in mine.items()]
            reason = check(rules, takings, eid, moment)
            if reason:
                exclusions.append(Exclusion(pid, who.get(pid, (None,))[0], eid, moment, reason))
            mine[eid] = {"invited_at": moment, "took_part": False, "attended": []}
            continue
        record = mine.get(eid)
        if record is None:
            continue
        if kind == "accepted":
            record["took_part"] = True
        elif kind in ("declined", "withdrew"):
            record["took_part"] = bool(record["attended"])
        elif kind == "attended":
            record["attended"].append(moment.date())
            record["took_part"] = True
    return Simulation(rules, invitations, exclusions)
