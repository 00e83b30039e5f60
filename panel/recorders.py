"""A faster SQLite application recorder: one executemany per save instead of a statement per event."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from uuid import UUID

from eventsourcing.persistence import StoredEvent
from eventsourcing.sqlite import SQLiteApplicationRecorder, SQLiteCursor


class BatchingSQLiteApplicationRecorder(SQLiteApplicationRecorder):
    """Inserts a save's events with one ``executemany`` and derives their notification ids.

    Inside the write transaction nobody else can insert, and SQLite gives each new row
    ``max(rowid) + 1``, so the ids of n rows just inserted are the n ids ending at the new maximum.
    """

    def _insert_events(self, c: SQLiteCursor, stored_events: Sequence[StoredEvent], **_: Any) -> Sequence[int] | None:
        if not stored_events:
            return []
        rows = [(s.originator_id.hex if isinstance(s.originator_id, UUID) else s.originator_id,
                 s.originator_version, s.topic, s.state) for s in stored_events]
        c.executemany(self.insert_events_statement, rows)
        last = self._max_notification_id(c)
        return list(range(last - len(rows) + 1, last + 1))
