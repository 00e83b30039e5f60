"""Shared pieces of the views: time normalisation and the per-view people table."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Column, DateTime, MetaData, String, Table
from sqlalchemy.engine import Connection

from panel.domain.participant import Participant
from projections.view_base import Batch, Rows, View, handles

TS = DateTime(timezone=True)


def utc(value: datetime | None) -> datetime | None:
    """Times read back from SQLite are naive; every stored time is UTC."""
    if value is None:
        return None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def people_table(metadata: MetaData, name: str, *extra: Column[Any]) -> Table:
    return Table(
        name,
        metadata,
        Column("participant_id", String(32), primary_key=True),
        Column("registered_at", TS, nullable=False),
        Column("left_at", TS),
        Column("erased_at", TS),
        *extra,
        sqlite_with_rowid=False,
    )


def registered_in(events: Sequence[tuple[int, Any]]) -> set[str]:
    """Participants whose Registered event is in this batch: they have no earlier rows to load."""
    return touched(events, (Participant.Registered,))


def touched(events: Sequence[tuple[int, Any]], classes: tuple[type, ...]) -> set[str]:
    """Participants with an event of one of ``classes`` in this batch."""
    if isinstance(events, Batch):
        return set().union(*(events.by_class().get(c, ()) for c in classes))
    return {e.originator_id.hex for _, e in events if type(e) in classes}


class PeopleView(View):
    """A view with a ``people`` table: registration, leaving and erasure of each participant."""

    people: Rows
    fresh: set[str]
    people_events: tuple[type, ...] = (Participant.LeftPanel, Participant.Erased)
    can_bulk = True

    def begin(self, conn: Connection, tables: dict[str, Table], events: Sequence[tuple[int, Any]]) -> None:
        self.fresh = registered_in(events)
        self.people = Rows(tables["people"], ["participant_id"], bulk=self.bulk)
        later = touched(events, self.people_events) - self.fresh
        if later:
            self.people.load(conn, "participant_id", later)

    def flush(self, conn: Connection) -> None:
        self.people.flush(conn)

    def person_row(self, position: int, e: Participant.Registered) -> dict[str, Any]:
        return {"participant_id": e.originator_id.hex, "registered_at": e.at, "left_at": None, "erased_at": None}

    @handles(Participant.Registered)
    def on_registered(self, position: int, e: Participant.Registered) -> None:
        self.people.put(self.person_row(position, e))

    @handles(Participant.LeftPanel)
    def on_left(self, position: int, e: Participant.LeftPanel) -> None:
        self._mark(e.originator_id.hex, left_at=e.at)

    @handles(Participant.Erased)
    def on_erased(self, position: int, e: Participant.Erased) -> None:
        self._mark(e.originator_id.hex, erased_at=e.at)
        self.forget(e.originator_id.hex)

    def forget(self, pid: str) -> None:
        """Delete the participant's personal rows (views override this)."""

    def _mark(self, pid: str, **values: Any) -> None:
        row = self.people.get((pid,))
        if row is not None:
            row.update(values)
            self.people.changed((pid,))
