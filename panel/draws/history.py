"""The history as it stood when a draw was recorded: positions, versions as of a position, invitations.

A draw is checked against the rest of the log, not only against itself: the pool it would have
built from everyone's history as of its pool snapshot, and the invitations actually recorded for it.
Positions are notification ids: the order in which events were committed.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import TYPE_CHECKING, Any
from uuid import UUID

from eventsourcing.utils import get_topic

from panel.domain.participant import Participant

if TYPE_CHECKING:
    from panel.application import PanelApp

INVITED_TOPIC = get_topic(Participant.Invited)


def events_table(app: PanelApp) -> str:
    table: str = app.recorder.events_table_name  # type: ignore[attr-defined]
    if app.dialect == "sqlite":
        return table
    return f'"{app.recorder.datastore.schema}"."{table}"'  # type: ignore[attr-defined]


def rows_of(app: PanelApp, sql: str, params: tuple[Any, ...]) -> list[Any]:
    with app.recorder.datastore.transaction(commit=False) as c:  # type: ignore[attr-defined]
        c.execute(sql, params)
        return list(c.fetchall())


def current_position(app: PanelApp) -> int:
    """The position of the last event recorded so far (0 in an empty store)."""
    return int(app.recorder.max_notification_id() or 0)


def position_of(app: PanelApp, aggregate_id: UUID, version: int = 1) -> int | None:
    """The position of one event of one aggregate, or None when it is not recorded."""
    if app.dialect == "sqlite":
        sql = f"SELECT rowid AS position FROM {events_table(app)} WHERE originator_id = ? AND originator_version = ?"
        rows = rows_of(app, sql, (aggregate_id.hex, version))
    else:
        sql = (
            f"SELECT notification_id AS position FROM {events_table(app)} "
            "WHERE originator_id = %s AND originator_version = %s"
        )
        rows = rows_of(app, sql, (aggregate_id, version))
    return int(rows[0]["position"]) if rows else None


def versions_as_of(app: PanelApp, position: int) -> dict[UUID, int]:
    """Every aggregate's version as of ``position`` (its events up to and including it)."""
    if app.dialect == "sqlite":
        sql = (
            f"SELECT originator_id, MAX(originator_version) AS version FROM {events_table(app)} "
            "WHERE rowid <= ? GROUP BY originator_id"
        )
        return {UUID(r["originator_id"]): int(r["version"]) for r in rows_of(app, sql, (position,))}
    sql = (
        f"SELECT originator_id, MAX(originator_version) AS version FROM {events_table(app)} "
        "WHERE notification_id <= %s GROUP BY originator_id"
    )
    return {
        r["originator_id"] if isinstance(r["originator_id"], UUID) else UUID(str(r["originator_id"])): int(r["version"])
        for r in rows_of(app, sql, (position,))
    }


def changed_since(app: PanelApp, position: int) -> set[UUID]:
    """The aggregates with an event after ``position``."""
    if app.dialect == "sqlite":
        sql = f"SELECT DISTINCT originator_id FROM {events_table(app)} WHERE rowid > ?"
        return {UUID(r["originator_id"]) for r in rows_of(app, sql, (position,))}
    sql = f"SELECT DISTINCT originator_id FROM {events_table(app)} WHERE notification_id > %s"
    return {
        r["originator_id"] if isinstance(r["originator_id"], UUID) else UUID(str(r["originator_id"]))
        for r in rows_of(app, sql, (position,))
    }


def _notifications(app: PanelApp, topic: str, after: int | None = None) -> Iterator[Any]:
    start = after
    while True:
        page = app.recorder.select_notifications(start=start, limit=1000, topics=[topic], inclusive_of_start=False)
        yield from page
        if len(page) < 1000:
            return
        start = page[-1].id


def invitations_of(app: PanelApp, draw_id: UUID, after: int | None = None) -> tuple[dict[UUID, datetime], int]:
    """Who was invited by ``draw_id`` (as the Invited events record it) and when; and how many
    Invited events could not be read at all. ``after``: a position before the draw (its pool snapshot),
    so the log before it is not read."""
    invited: dict[UUID, datetime] = {}
    unreadable = 0
    for notification in _notifications(app, INVITED_TOPIC, after):
        try:
            fact = app.mapper.to_domain_event(notification)
        except Exception:  # noqa: BLE001 - a corrupted stored event is reported, never raised
            unreadable += 1
            continue
        if getattr(fact, "draw_id", None) == draw_id:
            invited[fact.originator_id] = fact.at  # type: ignore[attr-defined]
    return invited, unreadable
