"""Faster application recorders for bulk saves, on the library's own tables and locking, that chain what they store.

Both write the hash chain of ``panel.store.chain`` in the transaction that inserts the events: one
read of the chain's head and one insert of the new rows, computed in Python from what was just
inserted (on PostgreSQL under the library's table lock, which serialises every insert).

Both accept ``app.save(..., with_statements=run)``: ``run(cursor)`` executes more statements in the
transaction that inserts the events, so they commit or roll back together (an erasure's event and
the deletion of the data key, for one).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any, Protocol, runtime_checkable
from uuid import UUID

from eventsourcing.persistence import StoredEvent
from eventsourcing.postgres import PostgresApplicationRecorder, PostgresDatastore
from eventsourcing.sqlite import SQLiteApplicationRecorder, SQLiteCursor
from psycopg import Cursor
from psycopg.rows import DictRow, tuple_row
from psycopg.sql import SQL, Identifier

from panel.store.chain import Link, chain_table
from panel.store.chain_check import span_agrees
from panel.store.chained import ChainedRecorder
from panel.store.partitions import HexUUID, RawRow, Row, partition_bounds

LARGE_SAVE = 1 << 20  # bytes of events in one save above which PostgreSQL saves leave pipeline mode
WITH_STATEMENTS = "with_statements"  # a save() keyword: a callable run on the insert's cursor, in its transaction


@runtime_checkable
class SQLRecorder(Protocol):
    """A recorder over an SQL database (the library's SQLite and PostgreSQL recorders, and ours): the key
    store and the bulk paths share its datastore, so their statements run in the same database."""

    datastore: Any
    events_table_name: str


def sql_recorder(recorder: object) -> SQLRecorder:
    """``recorder`` as an SQLRecorder, or a TypeError naming what it lacks."""
    if not isinstance(recorder, SQLRecorder):
        raise TypeError(f"{type(recorder).__name__} keeps no SQL datastore: use SQLite or PostgreSQL persistence")
    return recorder


class BatchingSQLiteApplicationRecorder(ChainedRecorder, SQLiteApplicationRecorder):
    """Inserts a save's events with one ``executemany`` and derives their notification ids.

    Inside the write transaction nobody else can insert, and SQLite gives each new row
    ``max(rowid) + 1``, so the ids of n rows just inserted are the n ids ending at the new maximum.
    """

    mark, position = "?", "rowid"

    def __init__(self, datastore: Any, events_table_name: str = "stored_events") -> None:
        super().__init__(datastore, events_table_name)
        self.events_ref, self.chain_ref = events_table_name, chain_table(events_table_name)

    def construct_create_table_statements(self) -> list[str]:
        return [
            *super().construct_create_table_statements(),
            f"CREATE TABLE IF NOT EXISTS {chain_table(self.events_table_name)} "
            "(position INTEGER PRIMARY KEY, digest BLOB NOT NULL, hash BLOB NOT NULL)",
        ]

    def reading(self) -> Any:
        return self.datastore.transaction(commit=False)

    def insert_links(self, c: Any, rows: list[Link]) -> None:
        c.executemany(f"INSERT INTO {self.chain_ref} (position, digest, hash) VALUES (?, ?, ?)", rows)

    def extend_chain(self) -> tuple[int, int]:
        """Chain the events the chain does not cover yet (an upgrade); (how many, last position)."""
        with self.datastore.transaction(commit=True) as c:
            return self.extend_links(c)

    def _insert_events(
        self, c: SQLiteCursor, stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> Sequence[int] | None:
        if kwargs.get(WITH_STATEMENTS) is not None:
            kwargs[WITH_STATEMENTS](c)
        if not stored_events:
            return []
        rows = [
            (
                s.originator_id.hex if isinstance(s.originator_id, UUID) else s.originator_id,
                s.originator_version,
                s.topic,
                s.state,
            )
            for s in stored_events
        ]
        if len(rows) > 1000:  # a bulk write: copy the log back into the database less often
            c.execute("PRAGMA wal_autocheckpoint = 10000")
        c.executemany(self.insert_events_statement, rows)
        last = self._max_notification_id(c)
        positions = list(range(last - len(rows) + 1, last + 1))
        self.chain_rows(c, positions, stored_events)
        return positions

    def insert_in(self, c: SQLiteCursor, stored_events: Sequence[StoredEvent]) -> Sequence[int]:
        """Insert and chain events in a transaction the caller holds open on ``c`` (an import's, over many batches)."""
        return self._insert_events(c, stored_events) or []

    def select_partition(self, start: int, stop: int, topics: Sequence[str], part: int, parts: int) -> list[Row]:
        """The notifications after ``start`` up to ``stop`` of one part of the aggregates (``partition_bounds``).

        The filter runs inside SQLite over the rowid range, so a part's reader never builds the
        other parts' rows; callers keep the range to about one page.
        """
        rows = self._select_rows(start, stop, topics, *partition_bounds(part, parts))
        return [Row(row[0], HexUUID.from_hex(row[1]), row[2], row[3], row[4]) for row in rows]

    def select_raw(self, start: int, stop: int, topics: Sequence[str]) -> list[RawRow]:
        """The notifications after ``start`` up to ``stop``, undecoded, as SQLite returns them (ids as stored)."""
        return self._select_rows(start, stop, topics, 0, 256)

    def _select_rows(self, start: int, stop: int, topics: Sequence[str], low: int, high: int) -> list[RawRow]:
        """The rows of the window and part, each id as 32 hex digits (normalised if stored in another form)."""
        sql = (
            f"SELECT rowid, originator_id, originator_version, topic, state FROM {self.events_table_name} "
            "WHERE rowid > ? AND rowid <= ?"
        )
        params: list[Any] = [start, stop]
        if low > 0:
            sql += " AND substr(originator_id, 1, 2) >= ?"
            params.append(f"{low:02x}")
        if high < 256:
            sql += " AND substr(originator_id, 1, 2) < ?"
            params.append(f"{high:02x}")
        if topics:
            sql += f" AND topic IN ({','.join('?' * len(topics))})"
            params += list(topics)
        with self.datastore.transaction(commit=False) as c:
            c.execute(sql + " ORDER BY rowid", params)
            rows = c.fetchall()
        if all(len(row[1]) == 32 for row in rows):
            return rows
        return [(row[0], UUID(row[1]).hex, row[2], row[3], row[4]) for row in rows]  # ids kept in another form


class ColumnarPostgresApplicationRecorder(ChainedRecorder, PostgresApplicationRecorder):
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
        ).format(
            schema=Identifier(datastore.schema),
            table=Identifier(self.events_table_name),
            id_type=Identifier(datastore.originator_id_type),
        )
        self.mark, self.position = "%s", "notification_id"
        self.events_ref = f'"{datastore.schema}"."{self.events_table_name}"'
        self.chain_ref = f'"{datastore.schema}"."{chain_table(self.events_table_name)}"'
        self.sql_create_statements.append(
            SQL(
                "CREATE TABLE IF NOT EXISTS {schema}.{table} "
                "(position bigint PRIMARY KEY, digest bytea NOT NULL, hash bytea NOT NULL)"
            ).format(schema=Identifier(datastore.schema), table=Identifier(chain_table(self.events_table_name)))
        )

    def reading(self) -> Any:
        return _pg_reading(self.datastore)

    def id_param(self, aid: UUID) -> Any:
        return aid

    def insert_events(self, stored_events: Sequence[StoredEvent], **kwargs: Any) -> Sequence[int] | None:
        """The library's insert (pipeline mode), except a save of ``LARGE_SAVE`` bytes or more, which is sent in a
        plain transaction with the same statements in the same order: psycopg's pipeline never returns from
        sending one parameter of several megabytes (8 MB here, psycopg 3.3.9), such as a draw's record over a
        pool of 30,000 people or more, where a plain transaction sends 24 MB in about a second."""
        if sum(len(s.state) for s in stored_events) < LARGE_SAVE:
            return super().insert_events(stored_events, **kwargs)
        with self.datastore.get_connection() as conn, conn.transaction(), conn.cursor() as curs:
            self._insert_events(curs, stored_events, **kwargs)
            self._insert_stored_events(curs, stored_events, **kwargs)
            return self._fetch_ids_after_insert_events(curs, stored_events, **kwargs)

    def analyze(self) -> None:
        """Refresh the planner's statistics of the events and their chain. Without them (a large import into a
        young table, before autovacuum has looked) PostgreSQL guessed a vast number of events per person and
        read each person's history by a parallel scan, compiled with JIT: 40-150 ms where 0.1 ms will do."""
        with self.datastore.get_connection() as conn:
            conn.execute(f"ANALYZE {self.events_ref}")
            conn.execute(f"ANALYZE {self.chain_ref}")

    def insert_links(self, c: Any, rows: list[Link]) -> None:
        c.execute(
            f"INSERT INTO {self.chain_ref} (position, digest, hash) "
            "SELECT * FROM unnest(%b::bigint[], %b::bytea[], %b::bytea[])",
            ([r.position for r in rows], [r.digest for r in rows], [r.hash for r in rows]),
        )

    def chain_span_agrees(self, after: int, upto: int) -> tuple[int, bool] | None:
        """The chain over positions ``after + 1`` to ``upto`` checked in the database (``panel.store.chain_check``):
        (rows, whether all agree); None where ids are not stored as ``uuid`` (the audit walks in Python)."""
        if self.datastore.originator_id_type != "uuid":
            return None
        return span_agrees(self, after, upto)

    def extend_chain(self) -> tuple[int, int]:
        """Chain the events the chain does not cover yet (an upgrade), under the insert lock; (how many, last)."""
        with self.datastore.get_connection() as conn, conn.transaction(), conn.cursor() as curs:
            self._lock_table(curs)
            return self.extend_links(curs)

    def _fetch_ids_after_insert_events(
        self, curs: Cursor[DictRow], stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> Sequence[int] | None:
        """The library's ids of the rows just inserted, then their chain rows (still under the table lock)."""
        ids = super()._fetch_ids_after_insert_events(curs, stored_events, **kwargs)
        self.chain_rows(curs, list(ids or ()), stored_events)
        return ids

    def _insert_events(self, curs: Cursor[DictRow], stored_events: Sequence[StoredEvent], **kwargs: Any) -> None:
        """Runs first in the insert's transaction (the library's hook), before the table lock."""
        super()._insert_events(curs, stored_events, **kwargs)
        if kwargs.get(WITH_STATEMENTS) is not None:
            kwargs[WITH_STATEMENTS](curs)

    def _insert_stored_events(self, curs: Cursor[DictRow], stored_events: Sequence[StoredEvent], **_: Any) -> None:
        self._lock_table(curs)
        self._notify_channel(curs)
        curs.execute(
            self.insert_columns_statement,
            (
                [s.originator_id for s in stored_events],
                [s.originator_version for s in stored_events],
                [s.topic for s in stored_events],
                [s.state for s in stored_events],
            ),
        )

    def insert_in(self, curs: Cursor[DictRow], stored_events: Sequence[StoredEvent]) -> Sequence[int]:
        """Insert and chain events in a transaction the caller holds open on ``curs`` (an import's, over many
        batches): the library's table lock is taken with the first batch and held until that transaction ends."""
        if not stored_events:
            return []
        self._insert_stored_events(curs, stored_events)
        return self._fetch_ids_after_insert_events(curs, stored_events) or []

    def select_partition(self, start: int, stop: int, topics: Sequence[str], part: int, parts: int) -> list[Row]:
        """The notifications after ``start`` up to ``stop`` of one part of the aggregates (``partition_bounds``).

        The part is tested on the id's first byte, an expression no index serves, so the plan
        stays a scan of the notification id range (callers keep it to about one page).
        """
        rows = self._select_rows(start, stop, topics, *partition_bounds(part, parts))
        return [Row(row[0], HexUUID.from_hex(row[1]), row[2], row[3], row[4]) for row in rows]

    def select_raw(self, start: int, stop: int, topics: Sequence[str]) -> list[RawRow]:
        """The notifications after ``start`` up to ``stop``, undecoded (the server writes the ids' hex)."""
        return self._select_rows(start, stop, topics, 0, 256)

    def _select_rows(self, start: int, stop: int, topics: Sequence[str], low: int, high: int) -> list[RawRow]:
        sql = SQL(
            "SELECT notification_id, encode(uuid_send(originator_id), 'hex'), originator_version, topic, state "
            "FROM {schema}.{table} WHERE notification_id > %s AND notification_id <= %s"
        ).format(schema=Identifier(self.datastore.schema), table=Identifier(self.events_table_name))
        params: list[Any] = [start, stop]
        if low > 0 or high < 256:
            sql += SQL(" AND get_byte(uuid_send(originator_id), 0) BETWEEN %s AND %s")
            params += [low, high - 1]
        if topics:
            sql += SQL(" AND topic = ANY(%s)")
            params.append(list(topics))
        with self.datastore.get_connection() as conn, conn.cursor(row_factory=tuple_row) as curs:
            curs.execute(sql + SQL(" ORDER BY notification_id"), params, prepare=True)
            return [(row[0], row[1], row[2], row[3], bytes(row[4])) for row in curs.fetchall()]


@contextmanager
def _pg_reading(datastore: PostgresDatastore) -> Iterator[Cursor[DictRow]]:
    with datastore.get_connection() as conn, conn.cursor() as curs:
        yield curs
