"""The consent view's first cut of `panel consent expiring`: who holds a grant with an expiry in the window.

``ViewExpiry`` implements ``panel.consent_expiry.ExpiryNarrowing``. A consent is listed only when
some grant of it has an expiry at or before the window's end (and after ``as_of``, unless lapsed
consents are asked for too); every grant is a row of the view's consent log with its
``expires_at``, so the people holding such a row, less those the view knows were erased by then,
are all who can be listed as the log stood at the view's position. That position is read first
(``pool_narrowing.positioned``, as the draw's narrowing reads it), so the caller re-checks these
candidates and everyone with an event after it from their own history: a stale view is safe, only
slower. The view is caught up first unless the caller says not to.
"""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from sqlalchemy import select

from projections.engine import Projector
from projections.pool_narrowing import positioned


class ViewExpiry:
    """The consent view as an ``ExpiryNarrowing`` (caught up first unless ``catch_up`` is False)."""

    def __init__(self, projector: Projector, *, catch_up: bool = True) -> None:
        self.projector = projector
        self.catch_up = catch_up

    def expiring(
        self, as_of: datetime, until: datetime, *, purpose: str | None, include_expired: bool
    ) -> tuple[frozenset[UUID], int]:
        """The ids holding a grant that expires by ``until`` (and after ``as_of`` unless ``include_expired``),
        with the view's position."""
        if self.catch_up:
            self.projector.catch_up(["consent"])
        self.projector.ready()
        with self.projector.engine.connect() as conn:
            tables, position = positioned(self.projector, conn, ["consent"])
            log, people = tables["consent"]["log"], tables["consent"]["people"]
            erased = select(people.c.participant_id).where(people.c.erased_at <= as_of)
            query = (
                select(log.c.participant_id)
                .where(log.c.kind == "granted", log.c.expires_at.is_not(None), log.c.expires_at <= until)
                .where(log.c.participant_id.not_in(erased))
                .distinct()
            )
            if not include_expired:
                query = query.where(log.c.expires_at > as_of)
            if purpose is not None:
                query = query.where(log.c.purpose == purpose)
            ids = frozenset(UUID(str(row[0])) for row in conn.execute(query))
            conn.rollback()
        return ids, position
