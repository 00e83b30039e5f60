"""The consent report and the pool-candidate query, from the consent view.

Every count is "as things stood at ``at``". An erased person counts up to the effective time of
their erasure and not from then on, in the consent counts and in the pool alike: before it they
did hold the consent (the consent facts are kept, without personal data), after it nothing of
theirs may be processed. So at any date the pool (panel_membership and contact, registered, not
left, not erased) is a subset of the people counted under each of those two purposes.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from sqlalchemy import and_, func, or_, select

from panel.domain.values import PURPOSES
from projections.consent_view import pool_candidates_query
from projections.engine import Projector
from projections.people import utc


@dataclass(frozen=True)
class ConsentReport:
    at: datetime
    active: dict[str, int]
    pool: int
    months: list[tuple[str, str, int, int]]  # (YYYY-MM, purpose, grants, withdrawals)


def pool_candidates(projector: Projector, at: datetime) -> set[UUID]:
    """Ids holding active panel_membership and contact consent at ``at`` (not left or erased), after catching
    the consent view up (read-your-writes: a consent just granted counts)."""
    projector.catch_up(["consent"])
    with projector.engine.connect() as conn:
        found = {UUID(row[0]) for row in conn.execute(pool_candidates_query(projector.tables("consent"), at))}
        conn.rollback()
    return found


def consent_report(projector: Projector, at: datetime) -> ConsentReport:
    tables = projector.tables("consent")
    state, people, log = tables["state"], tables["people"], tables["log"]
    active_now = and_(
        state.c.granted_at <= at,
        or_(state.c.withdrawn_at.is_(None), state.c.withdrawn_at > at),
        or_(people.c.erased_at.is_(None), people.c.erased_at > at),  # the pool query's rule for erasure
    )
    with projector.engine.connect() as conn:
        active = dict.fromkeys(PURPOSES, 0)
        for purpose, count in conn.execute(
            select(state.c.purpose, func.count(func.distinct(state.c.participant_id)))
            .join(people, people.c.participant_id == state.c.participant_id)
            .where(active_now)
            .group_by(state.c.purpose)
        ):
            active[purpose] = int(count)
        pool = len(list(conn.execute(pool_candidates_query(tables, at))))
        tally: Counter[tuple[str, str, str]] = Counter()
        for kind, purpose, moment in conn.execute(select(log.c.kind, log.c.purpose, log.c.at)):
            tally[(utc(moment).strftime("%Y-%m"), purpose, kind)] += 1
        conn.rollback()
    keys = sorted({(m, p) for m, p, _ in tally})
    months = [(m, p, tally[(m, p, "granted")], tally[(m, p, "withdrawn")]) for m, p in keys]
    return ConsentReport(at, active, pool, months)
