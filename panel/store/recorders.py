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
from typing import Any, NamedTuple, Protocol, runtime_checkable
from uuid import UUID, SafeUUID

from eventsourcing.persistence import StoredEvent
from eventsourcing.postgres import PostgresApplicationRecorder, PostgresDatastore
from eventsourcing.sqlite import SQLiteApplicationRecorder, SQLiteCursor
from psycopg import Cursor
from psycopg.rows import DictRow
from psycopg.sql import SQL, Identifier

from panel.store.chain import GENESIS, Link, chain_table, digest, id_bytes, link, links

CHAIN_PAGE = 5000  # events chained per read when a chain is computed over an existing log
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


def partition_bounds(part: int, parts: int) -> tuple[int, int]:
    """The first bytes of the originator ids in ``part`` of ``parts``: the half-open range [low, high) of 0..256.

    Every event of one aggregate falls in the same part, so the parts can be projected apart.
    """
    if not 0 <= part < parts <= 256:
        raise ValueError(f"part {part} of {parts}: use 0 <= part < parts <= 256")
    return part * 256 // parts, (part + 1) * 256 // parts


class Row(NamedTuple):
    """A notification as ``select_partition`` returns it: the fields of the library's ``Notification``
    (which the mapper decodes alike) in a tuple, much cheaper to make than that frozen dataclass."""

    id: int
    originator_id: UUID
    originator_version: int
    topic: str
    state: bytes


class HexUUID(UUID):
    """A UUID that keeps its hex text: projections ask every event's originator id for ``.hex``, often many
    times, and the read path already has (SQLite) or can make it once. ``hex`` is a slot here, which
    shadows ``UUID.hex`` (a property that formats the number again on every call)."""

    __slots__ = ("hex",)

    def __init__(self, hex: str | None = None, *, int: int | None = None) -> None:  # UUID's own argument names
        super().__init__(hex, int=int)
        object.__setattr__(self, "hex", f"{self.int:032x}")

    @classmethod
    def from_hex(cls, text: str) -> HexUUID:
        """From 32 lower-case hex digits, as the stores keep them (the checks of ``UUID()`` skipped)."""
        made = object.__new__(cls)
        object.__setattr__(made, "int", int(text, 16))
        object.__setattr__(made, "is_safe", SafeUUID.unknown)
        object.__setattr__(made, "hex", text)
        return made

    def __reduce__(self) -> tuple[type, tuple[str]]:
        return UUID, (self.hex,)  # travels as a plain UUID


class ChainedRecorder:
    """The hash chain's writes and reads, shared by both recorders (cursors of either database).

    A subclass sets ``mark`` (its parameter marker), ``position`` (the events' position column) and
    ``events_ref`` / ``chain_ref`` (quoted table names), and provides ``reading()`` and ``insert_links()``.
    """

    mark = "?"
    position = "rowid"
    events_ref = ""
    chain_ref = ""

    def reading(self) -> Any:
        raise NotImplementedError

    def insert_links(self, c: Any, rows: list[Link]) -> None:
        raise NotImplementedError

    def chain_rows(self, c: Any, positions: Sequence[int], stored_events: Sequence[StoredEvent]) -> None:
        """Chain the events just inserted at ``positions``, in the insert's transaction (after its lock)."""
        c.execute(f"SELECT hash FROM {self.chain_ref} ORDER BY position DESC LIMIT 1")
        row = c.fetchone()
        self.insert_links(c, links(GENESIS if row is None else bytes(row["hash"]), positions, stored_events))

    def _select_stored(self, c: Any, after: int, limit: int) -> list[tuple[int, bytes, int, str, bytes]]:
        c.execute(
            f"SELECT {self.position} AS position, originator_id, originator_version, topic, state "
            f"FROM {self.events_ref} WHERE {self.position} > {self.mark} ORDER BY {self.position} LIMIT {self.mark}",
            (after, limit),
        )
        return [
            (r["position"], id_bytes(r["originator_id"]), r["originator_version"], r["topic"], _blob(r["state"]))
            for r in c.fetchall()
        ]

    def select_stored(self, after: int, limit: int) -> list[tuple[int, bytes, int, str, bytes]]:
        """Up to ``limit`` stored events after position ``after``: (position, id bytes, version, topic, state)."""
        with self.reading() as c:
            return self._select_stored(c, after, limit)

    def select_links(self, after: int, limit: int) -> list[Link]:
        """Up to ``limit`` chain rows after position ``after``, in order."""
        with self.reading() as c:
            c.execute(
                f"SELECT position, digest, hash FROM {self.chain_ref} WHERE position > {self.mark} "
                f"ORDER BY position LIMIT {self.mark}",
                (after, limit),
            )
            return [Link(r["position"], bytes(r["digest"]), bytes(r["hash"])) for r in c.fetchall()]

    def link_before(self, position: int | None = None) -> Link | None:
        """The last chain row before ``position`` (None: the chain's head); None if there is none."""
        where = "" if position is None else f" WHERE position < {self.mark}"
        with self.reading() as c:
            c.execute(
                f"SELECT position, digest, hash FROM {self.chain_ref}{where} ORDER BY position DESC LIMIT 1",
                () if position is None else (position,),
            )
            r = c.fetchone()
            return None if r is None else Link(r["position"], bytes(r["digest"]), bytes(r["hash"]))

    def positions_of_digest(self, event_digest: bytes) -> list[int]:
        """The chain positions whose event had this digest (a scan: only used once a break is found)."""
        with self.reading() as c:
            c.execute(f"SELECT position FROM {self.chain_ref} WHERE digest = {self.mark}", (event_digest,))
            return sorted(r["position"] for r in c.fetchall())

    def max_position(self) -> int:
        """The last position in either the events or the chain (0 when both are empty)."""
        with self.reading() as c:
            c.execute(
                f"SELECT (SELECT MAX({self.position}) FROM {self.events_ref}) AS e, "
                f"(SELECT MAX(position) FROM {self.chain_ref}) AS h"
            )
            r = c.fetchone()
            return max(r["e"] or 0, r["h"] or 0)

    def extend_links(self, c: Any) -> tuple[int, int]:
        """Chain the events after the chain's head, in pages, on cursor ``c`` (in a write transaction, locked).

        Returns how many events were chained and the last position chained (0, 0 when none).
        """
        c.execute(f"SELECT position, hash FROM {self.chain_ref} ORDER BY position DESC LIMIT 1")
        head = c.fetchone()
        after, previous = (0, GENESIS) if head is None else (head["position"], bytes(head["hash"]))
        count = 0
        while page := self._select_stored(c, after, CHAIN_PAGE):
            rows = []
            for position, uid, version, topic, state in page:
                previous = link(previous, position, digest(uid, version, topic, state))
                rows.append(Link(position, digest(uid, version, topic, state), previous))
            self.insert_links(c, rows)
            count, after = count + len(rows), page[-1][0]
        return count, (after if count else 0)


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

    def select_partition(self, start: int, stop: int, topics: Sequence[str], part: int, parts: int) -> list[Row]:
        """The notifications after ``start`` up to ``stop`` of one part of the aggregates (``partition_bounds``).

        The filter runs inside SQLite over the rowid range, so a part's reader never builds the
        other parts' rows; callers keep the range to about one page.
        """
        low, high = partition_bounds(part, parts)
        sql = (
            f"SELECT rowid, originator_id, originator_version, topic, state FROM {self.events_table_name} "
            "WHERE rowid > ? AND rowid <= ? AND substr(originator_id, 1, 2) >= ?"
        )
        params: list[Any] = [start, stop, f"{low:02x}"]
        if high < 256:
            sql += " AND substr(originator_id, 1, 2) < ?"
            params.append(f"{high:02x}")
        if topics:
            sql += f" AND topic IN ({','.join('?' * len(topics))})"
            params += list(topics)
        with self.datastore.transaction(commit=False) as c:
            c.execute(sql + " ORDER BY rowid", params)
            rows = c.fetchall()
            from_hex = HexUUID.from_hex if all(len(row[1]) == 32 for row in rows) else HexUUID
            return [Row(row[0], from_hex(row[1]), row[2], row[3], row[4]) for row in rows]


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

    def insert_links(self, c: Any, rows: list[Link]) -> None:
        c.execute(
            f"INSERT INTO {self.chain_ref} (position, digest, hash) "
            "SELECT * FROM unnest(%b::bigint[], %b::bytea[], %b::bytea[])",
            ([r.position for r in rows], [r.digest for r in rows], [r.hash for r in rows]),
        )

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

    def select_partition(self, start: int, stop: int, topics: Sequence[str], part: int, parts: int) -> list[Row]:
        """The notifications after ``start`` up to ``stop`` of one part of the aggregates (``partition_bounds``).

        The part is tested on the id's first byte, an expression no index serves, so the plan
        stays a scan of the notification id range (callers keep it to about one page).
        """
        low, high = partition_bounds(part, parts)
        sql = SQL(
            "SELECT notification_id, originator_id, originator_version, topic, state FROM {schema}.{table} "
            "WHERE notification_id > %s AND notification_id <= %s "
            "AND get_byte(uuid_send(originator_id), 0) BETWEEN %s AND %s"
        ).format(schema=Identifier(self.datastore.schema), table=Identifier(self.events_table_name))
        params: list[Any] = [start, stop, low, high - 1]
        if topics:
            sql += SQL(" AND topic = ANY(%s)")
            params.append(list(topics))
        with self.datastore.get_connection() as conn, conn.cursor() as curs:
            curs.execute(sql + SQL(" ORDER BY notification_id"), params, prepare=True)
            return [
                Row(
                    row["notification_id"],
                    HexUUID.from_hex(row["originator_id"].hex),
                    row["originator_version"],
                    row["topic"],
                    bytes(row["state"]),
                )
                for row in curs.fetchall()
            ]


@contextmanager
def _pg_reading(datastore: PostgresDatastore) -> Iterator[Cursor[DictRow]]:
    with datastore.get_connection() as conn, conn.cursor() as curs:
        yield curs


def _blob(value: Any) -> bytes:
    """A stored state's bytes; SQLite keeps whatever type was written (text, if someone edited it as text)."""
    return value.encode() if isinstance(value, str) else bytes(value)
