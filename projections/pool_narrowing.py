"""The read models' first cut of a draw's pool: consent, reach and fatigue views narrow it.

``ViewNarrowing`` implements ``panel.draws.protocols.PoolNarrowing``. It leaves out only the people
the views know to be out as of their own position, judged by the domain's own rules where the
views hold the facts:

* the consent view: no panel_membership and contact consent at the draw's time (withdrawn, expired
  or never given), left by then, or erased at all (``status_rule`` leaves out anyone whose history
  holds an erasure); the query is ``consent_report.pool_candidates``'s without its registration date
  (a backdated consent is judged by the history);
* the reach view: attributes the engagement's eligibility rules refuse (``Engagement.is_eligible``
  on ``derive_features``, once per distinct set of attributes); people whose attributes the view
  no longer holds (erased, key gone) are kept;
* the fatigue view: a history that ``panel.fatigue.check`` refuses under the rules in force,
  rebuilt from the activity rows the same way ``Participant.participations`` is.

The position read first (the lowest of the three views') is never later than the facts read after
it, so the draw can re-check everyone with an event after it. The views are caught up first unless
the caller says not to (a stale view is safe, only slower: more people are re-checked).
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

from sqlalchemy import func, or_, select
from sqlalchemy.engine import Connection

from panel.domain.attributes import derive_features
from panel.domain.engagement import Engagement
from panel.draws.protocols import Narrowed
from panel.fatigue import YEAR, FatigueRules, Taking, check
from projections import db
from projections.consent_view import POOL_PURPOSES
from projections.engine import Projector
from projections.people import utc

VIEWS = ("consent", "reach", "fatigue")
MAX_ACCEPTED = 10_000  # distinct accepted sets of attributes bound into one query


class ViewNarrowing:
    """The consent, reach and fatigue views as a ``PoolNarrowing`` (caught up first unless ``catch_up`` is False)."""

    def __init__(self, projector: Projector, *, catch_up: bool = True) -> None:
        self.projector = projector
        self.catch_up = catch_up

    def narrow(self, engagement: Engagement, at: datetime, fatigue: FatigueRules) -> Narrowed:
        if self.catch_up:
            self.projector.catch_up(list(VIEWS))
        self.projector.ready()
        with self.projector.engine.connect() as conn:
            tables, position = positioned(self.projector, conn, VIEWS)
            query = consenting(tables["consent"], at)
            if engagement.rules:  # only people whose attributes the rules accept, or whom the view cannot say
                query = eligible(conn, query, tables["reach"]["people"], engagement)
            ids = {str(row[0]) for row in conn.execute(query)}
            considered = int(conn.execute(select(func.count()).select_from(tables["consent"]["people"])).scalar() or 0)
            if fatigue.active:
                ids -= fatigued(conn, tables["fatigue"], engagement.id.hex, at, fatigue)
            conn.rollback()
        return Narrowed(frozenset(UUID(pid) for pid in ids), position, considered)


def positioned(projector: Projector, conn: Connection, names: Sequence[str]) -> tuple[dict[str, Any], int]:
    """The current tables of the views ``names`` and the lowest of their positions, read first: the facts
    read after it are at least as new, so whoever has an event after it is all a caller must re-check."""
    tables, position = {}, None
    for name in names:
        current, _ = db.generations(conn, name)
        key = db.tracking_key(name, current)
        tables[name] = projector.define(name, current)
        seen = db.positions(conn, [key])[key]
        position = seen if position is None else min(position, seen)
    return tables, position or 0


def consenting(tables: dict[str, Any], at: datetime) -> Any:
    """The query of the ids (hex) holding both pool consents at ``at``, not left by then, never erased."""
    state, people = tables["state"], tables["people"]
    return (
        select(state.c.participant_id)
        .join(people, people.c.participant_id == state.c.participant_id)
        .where(
            state.c.granted_at <= at,
            or_(state.c.withdrawn_at.is_(None), state.c.withdrawn_at > at),
            state.c.purpose.in_(POOL_PURPOSES),
            or_(people.c.left_at.is_(None), people.c.left_at > at),
            people.c.erased_at.is_(None),  # erased at any time: the history up to the view says "erased"
        )
        .group_by(state.c.participant_id)
        .having(func.count(func.distinct(state.c.purpose)) == len(POOL_PURPOSES))
    )


def eligible(conn: Connection, query: Any, people: Any, engagement: Engagement) -> Any:
    """``query`` kept to the people whose attributes (as the reach view holds them) the engagement's rules
    accept, or whose attributes the view no longer holds. The rules are the domain's, run once per distinct
    set of attributes (few: values repeat); only the accepted sets go back into SQL."""
    accepted = []
    for (text,) in conn.execute(select(people.c.attributes).where(people.c.attributes.is_not(None)).distinct()):
        if engagement.is_eligible(derive_features({k: str(v) for k, v in json.loads(text).items()})):
            accepted.append(text)
    if len(accepted) > MAX_ACCEPTED:  # too many to bind: leave eligibility to the history (safe, only slower)
        return query
    known = select(people.c.participant_id).where(
        or_(people.c.attributes.is_(None), people.c.attributes.in_(accepted))
        if accepted
        else people.c.attributes.is_(None)
    )
    state_id = query.selected_columns[0]
    return query.where(state_id.in_(known))


def fatigued(
    conn: Connection, tables: dict[str, Any], engagement_hex: str, at: datetime, rules: FatigueRules
) -> set[str]:
    """Ids (hex) of everyone whose activity, as the fatigue view holds it, a fatigue rule refuses at ``at``.

    Only people with activity in the rules' reach-back window can be refused, so only their histories
    are read (the activity rows joined to that window's distinct ids); the caller subtracts the result
    from its candidates in Python. The candidates' query is not joined in here: on view tables not yet
    analysed since a rebuild, PostgreSQL estimated it at one row and compared every candidate with every
    recent id in a nested loop (150 s at 50,000 candidates).
    """
    activity = tables["activity"]
    reach_back = max(YEAR, timedelta(days=(rules.cooldown_days or 0) + 2))
    recent = (
        select(activity.c.participant_id.label("pid"))
        .where(activity.c.at > at - reach_back, activity.c.engagement_id != engagement_hex)
        .distinct()
        .subquery()
    )
    rows = conn.execute(
        select(activity.c.participant_id, activity.c.engagement_id, activity.c.kind, activity.c.at)
        .join(recent, recent.c.pid == activity.c.participant_id)
        .order_by(activity.c.participant_id, activity.c.position)
    )
    histories: dict[str, dict[str, dict[str, Any]]] = defaultdict(dict)
    for pid, eid, kind, moment in rows:
        records = histories[str(pid)]
        if kind == "invited":  # as Participant.invite: a (re-)invitation starts a fresh record
            records[eid] = {"invited_at": utc(moment), "status": "invited", "attended": []}
        elif eid in records and kind == "attended":
            records[eid]["attended"].append(utc(moment).date())
        elif eid in records:
            records[eid]["status"] = kind
    refused = set()
    for pid, records in histories.items():
        history = [
            Taking(eid, r["invited_at"], r["status"] == "accepted" or bool(r["attended"]), tuple(r["attended"]))
            for eid, r in records.items()
        ]
        if check(rules, history, engagement_hex, at) is not None:
            refused.add(pid)
    return refused
