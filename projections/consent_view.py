"""The consent view: every grant as an interval of effective time, per participant and purpose.

Consent events can be recorded late (backdated) or out of order, so each batch re-folds the
consent log of the participants it touched with the domain's own ``fold_consents``: the
intervals are always exactly what the event history says. A grant's interval ends when it is
withdrawn, superseded or expires, whichever comes first (``withdrawn_at`` holds that end; the
log keeps each grant's ``expires_at``): expiry is a stored time compared with the moment asked
about, so a consent lapses in every query from its expiry on, with no event and no rebuild.
Consent facts are not personal content (purpose, notice version, times), so they are kept after
erasure for the monthly counts; the erased person simply stops being a pool candidate.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Column, Integer, MetaData, String, Table, Text, and_, func, or_, select
from sqlalchemy.engine import Connection

from panel.domain.consent import fold_consents
from panel.domain.participant import Participant
from panel.domain.participant_events import consent_item
from projections.bulk.rows import Pending
from projections.people import TS, PeopleView, people_table, touched
from projections.view_base import Rows, handles

CONSENT_EVENTS = (Participant.ConsentGranted, Participant.ConsentWithdrawn)
POOL_PURPOSES = ("panel_membership", "contact")


class ConsentView(PeopleView):
    name = "consent"

    def define(self, metadata: MetaData, generation: int) -> dict[str, Table]:
        n = self.table_name
        return {
            "people": people_table(metadata, n("consent_people", generation)),
            "log": Table(
                n("consent_log", generation),
                metadata,
                Column("participant_id", String(32), primary_key=True),
                Column("position", Integer, primary_key=True, autoincrement=False),
                Column("kind", String(10), nullable=False),
                Column("purpose", Text, nullable=False),
                Column("at", TS, nullable=False),
                Column("notice_version", Text),
                Column("method", Text),
                Column("captured_by", Text),
                Column("expires_at", TS),  # added with ConsentGranted v2; `panel init` adds it to an older table
                sqlite_with_rowid=False,
            ),
            "state": Table(
                n("consent_state", generation),
                metadata,
                Column("participant_id", String(32), primary_key=True),
                Column("purpose", Text, primary_key=True),
                Column("granted_at", TS, primary_key=True),
                Column("withdrawn_at", TS),  # the end of the interval: withdrawn, superseded or expired
                Column("notice_version", Text, nullable=False),
                Column("method", Text, nullable=False),
                sqlite_with_rowid=False,
            ),
        }

    def begin(self, conn: Connection, tables: dict[str, Table], events: Sequence[tuple[int, Any]]) -> None:
        super().begin(conn, tables, events)
        self.log = Rows(tables["log"], ["participant_id", "position"], indexed=True, bulk=self.bulk)
        self.state = Rows(
            tables["state"], ["participant_id", "purpose", "granted_at"], indexed=not self.bulk, bulk=self.bulk
        )  # indexed for purge, which a bulk load never needs
        self.changed: set[str] = set()
        self.earlier = touched(events, CONSENT_EVENTS) - self.fresh
        if self.earlier:
            self.log.load(conn, "participant_id", self.earlier)

    def flush(self, conn: Connection | Pending) -> None:
        put, rows_of = self.state.put, self.log.rows_of
        for pid in self.changed:
            if pid in self.earlier:
                self.state.purge(pid)
            items = rows_of(pid, ordered=True)
            if not self.bulk:  # rows read back from the table lack the fold's own keys
                items = [r if "by" in r else {**r, "by": r["captured_by"], "recorded_at": None} for r in items]
            if all(r["kind"] == "granted" for r in items) and len({r["purpose"] for r in items}) == len(items):
                # the common case (grants at sign-up, one per purpose): the fold would keep each one open
                for r in items:
                    put(
                        {
                            "participant_id": pid,
                            "purpose": r["purpose"],
                            "granted_at": r["at"],
                            "withdrawn_at": r.get("expires_at"),  # open, unless it expires
                            "notice_version": r["notice_version"],
                            "method": r["method"],
                        }
                    )
                continue
            for entry in fold_consents(items):
                put(
                    {
                        "participant_id": pid,
                        "purpose": entry.purpose,
                        "granted_at": entry.granted_at,
                        "withdrawn_at": entry.lapses_at,  # the interval ends when withdrawn, superseded or expired
                        "notice_version": entry.notice_version,
                        "method": entry.method,
                    }
                )
        super().flush(conn)
        self.log.flush(conn)
        self.state.flush(conn)

    @handles(Participant.ConsentGranted)
    def on_granted(self, position: int, e: Participant.ConsentGranted) -> None:
        self._log(position, e)

    @handles(Participant.ConsentWithdrawn)
    def on_withdrawn(self, position: int, e: Participant.ConsentWithdrawn) -> None:
        self._log(position, e)

    def _log(self, position: int, e: Any) -> None:
        item = consent_item(e)
        if item is None:  # never: only the two consent events are handled here
            raise TypeError(f"{type(e).__name__} is not a consent event")
        pid = e.originator_id.hex
        self.log.put(
            {
                "participant_id": pid,
                "position": position,
                "kind": item["kind"],
                "purpose": item["purpose"],
                "at": item["at"],
                "notice_version": item.get("notice_version"),
                "method": item.get("method"),
                "captured_by": item["by"],
                "expires_at": item.get("expires_at"),
                "by": item["by"],
                "recorded_at": None,
            }
        )  # the last two only feed fold_consents
        self.changed.add(pid)


def pool_candidates_query(tables: dict[str, Table], at: datetime) -> Any:
    """Participants holding active panel_membership AND contact consent at ``at``, not left or erased."""
    state, people = tables["state"], tables["people"]
    active = and_(
        state.c.granted_at <= at,
        or_(state.c.withdrawn_at.is_(None), state.c.withdrawn_at > at),
        state.c.purpose.in_(POOL_PURPOSES),
    )
    present = and_(
        people.c.registered_at <= at,
        or_(people.c.left_at.is_(None), people.c.left_at > at),
        or_(people.c.erased_at.is_(None), people.c.erased_at > at),
    )
    return (
        select(state.c.participant_id)
        .join(people, people.c.participant_id == state.c.participant_id)
        .where(active, present)
        .group_by(state.c.participant_id)
        .having(func.count(func.distinct(state.c.purpose)) == len(POOL_PURPOSES))
    )
