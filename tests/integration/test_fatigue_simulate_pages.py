"""`fatigue simulate` reads the view a person at a time and keeps a page: its exclusions, pages joined, are the
plain replay's (every invitation in log order, everyone's history held), in the same order, with the same counts,
on SQLite and PostgreSQL (issue 15)."""

from __future__ import annotations

from collections import defaultdict
from datetime import date, timedelta
from typing import Any

from sqlalchemy import select

from panel.application import PanelApp
from panel.engagements import Engagements
from panel.fatigue import FatigueRules, Taking, check
from panel.paging import Page
from panel.participation import Participation
from panel.registration import Registration
from panel.validation import SignUp
from projections import Projector
from projections.fatigue_report import Exclusion, simulate
from projections.people import utc
from tests.helpers.scripted import BOTH, T


def busy_panel(app: PanelApp) -> None:
    """Nine people and six engagements a month apart; each engagement invites the people in a different order
    (so log order is not id order), most accept and attend, some decline."""
    refs = [f"P{i}" for i in range(9)]
    Registration(app).register_many([SignUp(ref=r, channel="online", consents=BOTH, at=T(1, 1)) for r in refs])
    ids = [app.participant_id_for(r) for r in refs]
    go = Participation(app)
    for n in range(6):
        day = date(2026, 1, 20) + timedelta(days=30 * n)
        eid = Engagements(app).open_engagement(
            name=f"E{n}", purpose="p", kind="consult", sessions=[day], day_rate_pence=0, at=T(1, 2)
        )
        order = ids[n % 9 :] + ids[: n % 9]
        invited = order[: 7 - n % 3]
        go.invite(eid, invited, at=T(1, 3) + timedelta(days=30 * n))
        for k, pid in enumerate(invited):
            accept = (k + n) % 4 != 0
            go.respond(eid, pid, accept=accept, at=T(1, 4) + timedelta(days=30 * n))
            if accept:
                go.attend(eid, pid, day, at=T(1, 5) + timedelta(days=30 * n, hours=k))


def plain_simulation(projector: Projector, rules: FatigueRules) -> tuple[int, list[Exclusion]]:
    """The replay as it was written before it streamed: every activity row in log order, everyone's history held."""
    tables = projector.tables("fatigue")
    people, activity = tables["people"], tables["activity"]
    with projector.engine.connect() as conn:
        refs = dict(conn.execute(select(people.c.participant_id, people.c.ref)).all())
        rows = conn.execute(
            select(activity.c.participant_id, activity.c.engagement_id, activity.c.kind, activity.c.at).order_by(
                activity.c.position
            )
        ).all()
    history: dict[str, dict[str, dict[str, Any]]] = defaultdict(dict)
    exclusions, invitations = [], 0
    for pid, eid, kind, at, *_ in rows:
        moment, mine = utc(at), history[pid]
        if kind == "invited":
            invitations += 1
            takings = [Taking(e, r["invited_at"], r["took_part"], tuple(r["attended"])) for e, r in mine.items()]
            reason = check(rules, takings, eid, moment)
            if reason:
                exclusions.append(Exclusion(pid, refs.get(pid), eid, moment, reason))
            mine[eid] = {"invited_at": moment, "took_part": False, "attended": []}
        elif (record := mine.get(eid)) is not None:
            if kind == "accepted":
                record["took_part"] = True
            elif kind in ("declined", "withdrew"):
                record["took_part"] = bool(record["attended"])
            elif kind == "attended":
                record["attended"].append(moment.date())
                record["took_part"] = True
    return invitations, exclusions


def test_the_pages_joined_are_the_plain_replay(app: PanelApp, projector: Projector) -> None:
    busy_panel(app)
    projector.catch_up()
    for rules in (FatigueRules(cooldown_days=45), FatigueRules(max_per_year=2), FatigueRules(40, 3)):
        invitations, plain = plain_simulation(projector, rules)
        assert len(plain) >= 8 and len({e.participant_id for e in plain}) >= 5  # pages have something to do
        pages, offset = [], 0
        while True:
            result = simulate(projector, rules, Page(limit=3, offset=offset))
            assert (result.invitations, result.excluded) == (invitations, len(plain))
            assert result.people == len({e.participant_id for e in plain})
            pages += result.exclusions
            if not result.more:
                break
            offset += 3
        assert pages == plain
        assert [e.participant_id for e in plain] != sorted(e.participant_id for e in plain)  # not in id order
        whole = simulate(projector, rules, Page(limit=1000))
        assert whole.exclusions == plain and not whole.more
