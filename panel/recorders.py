"""Faster application recorders for bulk saves, on the library's own tables and locking."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from uuid import UUID

from eventsourcing.persistence import StoredEvent
from eventsourcing.postgres import PostgresApplicationRecorder, PostgresDatastore
from eventsourcing.sqlite import SQLiteApplicationRecorder, SQLiteCursor
from psycopg import Cursor
from psycopg.rows import DictRow
from psycopg.sql import SQL, Identifier


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
        if len(rows) > 1000:  # a bulk write: copy the log back into the database less often
            c.execute("PRAGMA wal_autocheckpoint = 10000")
        c.executemany(self.insert_events_statement, rows)
        last = self._max_notification_id(c)
        return list(range(last - len(rows) + 1, last + 1))


class ColumnarPostgresApplicationRecorder(PostgresApplicationRecorder):
    """Sends a save's events as four plain arrays (uuid[], bigint[], text[], bytea[]).

    The library's own recorder sends one array of a composite type, which psycopg has to escape
    field by field in Python; plain arrays in binary format (``%b``) need no escaping at all, where
    text format would run a regular expression over every topic. Locking,
    NOTIFY, the pipeline and the returned notification ids are the library's, unchanged.
    """

    def __init__(self, datastore: PostgresDatastore, *, events_table_name: str = "stored_events") -> None:
        super().__init__(datastore, events_table_name=events_table_name)
        self.insert_columns_statement = SQL(
            "INSERT INTO {schema}.{table} (originator_id, originator_version, topic, state) "
            "SELECT * FROM unnest(%b::{id_type}[], %b::bigint[], %b::text[], %b::bytea[]) "
            "RETURNING notification_id"
        ).format(schema=Identifier(datastore.schema), table=Identifier(self.events_table_name),
                 id_type=Identifier(datastore.originator_id_type))

    def _insert_stored_events(self, curs: Cursor[DictRow], stored_events: Sequence[StoredEvent], **_: Any) -> None:
        self._lock_table(curs)
        self._notify_channel(curs)
        curs.execute(self.insert_columns_statement, (
            [s.originator_id for s in stored_events], [s.originator_version for s in stored_events],
            [s.topic for s in stored_events], [s.state for s in stored_events]))
