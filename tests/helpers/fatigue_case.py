"""A panel whose fatigue figures tie, and the fatigue report computed the plain way (everything held, then sorted).

The report lists people most engagements first, then most invitations in 365 days, then by reference in Python's
order (no reference as ""), and keeps id order among full ties. ``tied_panel`` makes each step of that decide:
two people with two engagements, two with one engagement and two invitations, a group of fourteen with one of
each, thirteen of them with references rewritten in the view to sort in the reverse of their ids (two share one,
one has none, one an empty one) and one who attended on the report's day; a person with only a declined
invitation, one with only a decline in the year, one whose only attendance was over a year ago, one with
nothing, and an erased person.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from uuid import UUID

from sqlalchemy import delete, select, update

from panel.application import PanelApp
from panel.engagements import Engagements
from panel.fatigue import gini, top_share
from panel.participation import Participation
from panel.registration import Registration
from panel.validation import SignUp
from projections import Projector
from projections.fatigue_report import WINDOWS, FatigueReport, PersonFatigue
from projections.people import utc
from tests.helpers.scripted import BOTH, T

AT = T(6, 1)
# The tie group's references, given to its ids in ascending order: the reverse of Python's order (which puts
# capitals before small letters and "é" last, unlike a locale's), but "dup" twice (a tie kept in id order) and
# "" then None (the person's row deleted from the view; no reference sorts as "", so another tie).
# On SQLite "N\x00" then "N": "N" sorts first, though padded with NUL bytes to one width they are equal
# (PostgreSQL text holds no NUL: "N-" there).
REWRITTEN = ["é", "z", "dup", "dup", "b-1", "a", "N\x00", "N", "B-2", "A0", "A", "", None]


@dataclass
class TiedPanel:
    ids: dict[str, UUID]
    group: list[str]  # the tie group's ids (hex), ascending


def tied_panel(app: PanelApp, projector: Projector) -> TiedPanel:
    """The panel, its views caught up and the tie group's references rewritten in the fatigue view."""
    refs = ["K1", "K2", "H1", "H2", *(f"G{i:02d}" for i in range(len(REWRITTEN))), "Z", "L", "W", "M", "N", "X"]
    Registration(app).register_many([SignUp(ref=r, channel="online", consents=BOTH, at=T(1, 5) - _YEAR) for r in refs])
    ids = {r: app.participant_id_for(r) for r in refs}
    e1, e2, e3, old, late = (
        Engagements(app).open_engagement(
            name=name, purpose="p", kind="consult", sessions=[day], day_rate_pence=0, at=T(1, 6) - _YEAR
        )
        for name, day in (
            ("E1", date(2026, 2, 10)),
            ("E2", date(2026, 4, 1)),
            ("E3", AT.date()),
            ("Old", date(2025, 3, 1)),
            ("Late", date(2025, 7, 1)),
        )
    )
    go = Participation(app)
    attending = [r for r in refs if r[0] in "KHG"] + ["X"]
    go.invite(e1, [ids[r] for r in attending], at=T(1, 20))
    for r in attending:
        go.respond(e1, ids[r], accept=True, at=T(1, 21))
        go.attend(e1, ids[r], date(2026, 2, 10), at=T(2, 10, 17))
    go.invite(e2, [ids[r] for r in ("K1", "K2", "H1", "H2", "L")], at=T(3, 15))
    for r in ("K1", "K2"):
        go.respond(e2, ids[r], accept=True, at=T(3, 16))
        go.attend(e2, ids[r], date(2026, 4, 1), at=T(4, 1, 17))
    for r in ("H1", "H2", "L"):
        go.respond(e2, ids[r], accept=False, at=T(3, 16))
    go.invite(old, [ids["M"]], at=T(2, 1) - _YEAR)
    go.respond(old, ids["M"], accept=True, at=T(2, 2) - _YEAR)
    go.attend(old, ids["M"], date(2025, 3, 1), at=T(3, 1, 17) - _YEAR)
    go.invite(late, [ids["W"]], at=T(5, 20) - _YEAR)  # over a year before the report; declined within it
    go.respond(late, ids["W"], accept=False, at=T(6, 10) - _YEAR)
    go.invite(e3, [ids["Z"]], at=T(5, 1))  # Z attends on the report's day: 0 days since, one of the tie group
    go.respond(e3, ids["Z"], accept=True, at=T(5, 2))
    go.attend(e3, ids["Z"], AT.date(), at=AT - timedelta(hours=1))
    go.erase(ids["X"], "erasure request", at=T(5, 1))
    projector.catch_up()
    group = sorted(ids[r].hex for r in refs if r.startswith("G"))
    people = projector.tables("fatigue")["people"]
    sqlite = projector.engine.dialect.name == "sqlite"
    with projector.engine.begin() as conn:
        for pid, ref in zip(group, REWRITTEN, strict=True):
            ref = ref if sqlite or ref != "N\x00" else "N-"
            if ref is None:
                conn.execute(delete(people).where(people.c.participant_id == pid))
            else:
                conn.execute(update(people).where(people.c.participant_id == pid).values(ref=ref))
    return TiedPanel(ids, group)


_YEAR = timedelta(days=365)


def plain_fatigue_report(projector: Projector, at: datetime, suspects_min: int = 2) -> FatigueReport:
    """The fatigue report as it was computed before it streamed: both tables read whole, a ``PersonFatigue``
    made for everyone in id order, then one stable ``sort``."""
    tables = projector.tables("fatigue")
    people, activity = tables["people"], tables["activity"]
    with projector.engine.connect() as conn:
        who = {
            pid: (ref, utc(reg), erased is not None)
            for pid, ref, reg, erased in conn.execute(
                select(people.c.participant_id, people.c.ref, people.c.registered_at, people.c.erased_at)
            )
        }
        mine: dict[str, list[tuple[str, str, datetime]]] = defaultdict(list)
        for pid, eid, kind, moment in conn.execute(
            select(activity.c.participant_id, activity.c.engagement_id, activity.c.kind, activity.c.at).order_by(
                activity.c.position
            )
        ):
            mine[pid].append((eid, kind, utc(moment)))
    per_person, listed = [], []
    for pid in sorted(set(who) | set(mine)):
        counts: dict[str, dict[int, int]] = defaultdict(lambda: dict.fromkeys(WINDOWS, 0))
        attended: set[str] = set()
        last: datetime | None = None
        windowed = False
        for eid, kind, moment in mine[pid]:
            if moment > at:
                continue
            for days in WINDOWS:
                if moment > at - timedelta(days=days):
                    counts[kind][days] += 1
                    windowed = True
            if kind == "attended":
                attended.add(eid)
                last = moment if last is None else max(last, moment)
        ref, registered, erased = who.get(pid, (None, at, False))
        if pid in who and registered <= at:
            per_person.append(len(attended))
        if erased or not (windowed or attended):
            continue
        days_since = (at - last).days if last is not None else None
        triple = (dict(counts["invited"]), dict(counts["accepted"]), dict(counts["attended"]))
        listed.append(PersonFatigue(pid, ref, *triple, len(attended), days_since))
    listed.sort(key=lambda p: (-p.participations, -p.invitations[365], p.ref or ""))
    cut = max(1, round(len(per_person) * 0.1))
    threshold = sorted(per_person, reverse=True)[cut - 1] if per_person else 0
    suspects = [p for p in listed if p.participations >= max(threshold, suspects_min)]
    return FatigueReport(
        at, len(per_person), sum(per_person), top_share(per_person), gini(per_person), sorted(per_person), listed,
        suspects,
    )  # fmt: skip
