"""The consent report and the pool-candidate query, from the consent view.

Every count is "as things stood at ``at``". An erased person counts up to the effective time of
their erasure and not from then on, in the consent counts and in the pool alike: before it they
did hold the consent (the consent facts are kept, without personal data), after it nothing of
theirs may be processed. So at any date the pool (panel_membership and contact, registered, not
left, not erased) is a subset of the people counted under each of those two purposes.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import ColumnElement, and_, func, or_, select

from panel.domain.values import PURPOSES
from projections.consent_view import pool_candidates_query
from projections.engine import Projector


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


def month_of(moment: ColumnElement[Any], dialect: str) -> ColumnElement[str]:
    """The UTC month (YYYY-MM) of a stored time, worked out in the database: PostgreSQL keeps an instant
    (``timestamptz``), read here in UTC whatever the session's zone; SQLite keeps the UTC time as text."""
    if dialect == "postgresql":
        return func.to_char(func.timezone("UTC", moment), "YYYY-MM")
    return func.substr(moment, 1, 7)


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
        pool = conn.execute(select(func.count()).select_from(pool_candidates_query(tables, at).subquery())).scalar_one()
        month = month_of(log.c.at, conn.dialect.name)
        counted = conn.execute(
            select(month, log.c.purpose, log.c.kind, func.count()).group_by(month, log.c.purpose, log.c.kind)
        )
        tally = {(m, purpose, kind): int(n) for m, purpose, kind, n in counted}
        conn.rollback()
    keys = sorted({(m, p) for m, p, _ in tally})
    months = [(m, p, tally.get((m, p, "granted"), 0), tally.get((m, p, "withdrawn"), 0)) for m, p in keys]
    return ConsentReport(at, active, pool, months)
