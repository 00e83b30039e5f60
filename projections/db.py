"""The read-model database: engine, tracking positions and table generations.

Views live in the event store's own database by default (the same SQLite file, or the same
PostgreSQL database and schema), or wherever ``PANEL_VIEWS_URL`` points. Two small tables hold
the bookkeeping: ``projection_tracking`` (the last notification id each view generation has
processed, written in the same transaction as the view's rows) and ``projection_generations``
(which generation of each view readers use, and which one a rebuild is building).
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from operator import itemgetter
from typing import Any
from urllib.parse import urlparse, urlunparse
from weakref import WeakKeyDictionary

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Date,
    DateTime,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    create_engine,
    event,
    inspect,
    select,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection, Engine

from panel.config import StoreLocation
from panel.domain.errors import PanelError, ValidationError

WRITE = "panel_write"
PRIVATE = 0o600
BOOK = MetaData()
TRACKING = Table(
    "projection_tracking",
    BOOK,
    Column("view_name", String(80), primary_key=True),
    Column("position", Integer, nullable=False),
)
GENERATIONS = Table(
    "projection_generations",
    BOOK,
    Column("view_name", String(40), primary_key=True),
    Column("current", Integer, nullable=False),
    Column("building", Integer, nullable=True),
)
FAILURES = Table(  # a view generation that cannot apply an event: which one, and why (see projections.failures)
    "projection_failures",
    BOOK,
    Column("view_name", String(80), primary_key=True),
    Column("position", Integer, nullable=False),
    Column("topic", Text, nullable=False),
    Column("cause", Text, nullable=False),
)


def url_for(location: StoreLocation) -> tuple[str, dict[str, Any]]:
    """The SQLAlchemy URL and connect arguments of the store's own database."""
    if location.dialect == "sqlite":
        return f"sqlite:///{location.target}", {"timeout": 30}
    parsed = urlparse(location.target)
    url = urlunparse(parsed._replace(scheme="postgresql+psycopg"))
    args: dict[str, Any] = {"connect_timeout": 5}
    if location.schema:
        args["options"] = f"-csearch_path={location.schema}"
    return url, args


def make_engine(location: StoreLocation | None = None, views_url: str | None = None) -> Engine:
    """An engine for the views: at ``views_url`` if given, else in the store's database."""
    if views_url:
        url, args = views_url, ({"timeout": 30} if views_url.startswith("sqlite") else {})
        if url.startswith(("postgres://", "postgresql://")):
            url = "postgresql+psycopg://" + url.split("://", 1)[1]
        if not url.startswith(("sqlite", "postgresql")):
            raise ValidationError(
                f"PANEL_VIEWS_URL {views_url!r} is not understood: use sqlite:///views.db or postgresql://user@host/db"
            )
    elif location is not None:
        url, args = url_for(location)
    else:
        raise ValidationError("no database for the views: pass a store location or PANEL_VIEWS_URL")
    return engine_from(url, args)


_RECIPES: WeakKeyDictionary[Engine, tuple[str, dict[str, Any]]] = WeakKeyDictionary()


def private_sqlite_file(engine: Engine) -> list[str]:
    """A views database in its own SQLite file holds personal attributes: create it (and its -wal/-shm)
    readable by its owner only, or make it so; returns the files whose mode changed."""
    path = engine.url.database if engine.dialect.name == "sqlite" else None
    if not path or path == ":memory:" or path.startswith("file:"):
        return []
    if not os.path.exists(path) and os.path.isdir(os.path.dirname(os.path.abspath(path))):
        os.close(os.open(path, os.O_CREAT | os.O_WRONLY, PRIVATE))
    changed = []
    for name in (path, path + "-wal", path + "-shm"):
        if os.path.exists(name) and os.stat(name).st_mode & 0o077:
            os.chmod(name, PRIVATE)
            changed.append(name)
    return changed


def engine_from(url: str, args: dict[str, Any]) -> Engine:
    engine = create_engine(url, connect_args=args, future=True)
    if engine.dialect.name == "sqlite":
        _serialise_sqlite_writers(engine)
    _RECIPES[engine] = (url, args)
    return engine


def recipe(engine: Engine) -> tuple[str, dict[str, Any]] | None:
    """How ``make_engine`` built this engine (URL and connect arguments), so a worker process can too."""
    return _RECIPES.get(engine)


def _serialise_sqlite_writers(engine: Engine) -> None:
    """Begin SQLite write transactions IMMEDIATE (see ``writing``), reads as plain deferred ones."""

    @event.listens_for(engine, "connect")
    def _connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None
        dbapi_connection.execute("PRAGMA journal_mode=WAL")
        # WAL + NORMAL keeps every transaction atomic (rows and position together); a power cut
        # may lose the last batches, which the next catch-up simply redoes.
        dbapi_connection.execute("PRAGMA synchronous=NORMAL")
        dbapi_connection.execute("PRAGMA cache_size=-131072")  # 128 MiB: view keys are random ids
        # freed and rewritten cells are zeroed, so an erased person's attributes do not linger in the file
        # (many builds, Debian's among them, default to this; others do not)
        dbapi_connection.execute("PRAGMA secure_delete=ON")

    @event.listens_for(engine, "begin")
    def _begin(conn: Connection) -> None:
        conn.exec_driver_sql("BEGIN IMMEDIATE" if conn.get_execution_options().get(WRITE) else "BEGIN")


@contextmanager
def writing(engine: Engine) -> Iterator[Connection]:
    """A write transaction; on SQLite it takes the write lock at BEGIN, so writers never interleave."""
    with engine.connect() as conn:
        conn.execution_options(**{WRITE: True})
        with conn.begin():
            yield conn


def lock_schema(conn: Connection) -> None:
    """Serialise table creation and generation switches (SQLite already holds its write lock)."""
    if conn.dialect.name == "postgresql":
        conn.exec_driver_sql("SELECT pg_advisory_xact_lock(hashtext(current_schema() || ':projection-schema'))")


def insert_for(conn: Connection, table: Table) -> Any:
    return sqlite.insert(table) if conn.dialect.name == "sqlite" else postgresql.insert(table)


def upsert(conn: Connection, table: Table, rows: Sequence[dict[str, Any]], keys: Sequence[str] = ()) -> None:
    """Insert rows in one executemany; rows whose ``keys`` already exist get their other columns replaced.

    This is the hot path of every batch, so it goes straight to the driver (no per-row SQLAlchemy
    type processing); values are converted here the way SQLAlchemy would store them.
    """
    if not rows:
        return
    sql, getter, converters = statement(conn.dialect.name, table, tuple(keys))
    if conn.dialect.name == "postgresql":  # one statement: the rows travel as one array per column
        columns = list(zip(*(getter(row) for row in rows)))
        conn.exec_driver_sql(sql, tuple(list(values) for values in columns))
        return
    params = [getter(row) for row in rows]
    if converters:
        params = [_convert(values, converters) for values in params]
    conn.exec_driver_sql(sql, params)


def _convert(values: tuple[Any, ...], converters: list[tuple[int, Any]]) -> tuple[Any, ...]:
    converted = list(values)
    for index, convert in converters:
        converted[index] = convert(converted[index])
    return tuple(converted)


_STATEMENTS: dict[tuple[str, str, tuple[str, ...]], tuple[str, Any, list[tuple[int, Any]] | None]] = {}


def statement(dialect: str, table: Table, keys: tuple[str, ...]) -> tuple[str, Any, list[tuple[int, Any]] | None]:
    """The driver-level insert (an upsert on ``keys``) of a table, its row getter and value converters (cached)."""
    cache_key = (dialect, table.name, keys)
    if cache_key not in _STATEMENTS:
        names = [c.name for c in table.columns]
        quoted = ", ".join(f'"{n}"' for n in names)
        if dialect == "sqlite":
            sql = f'INSERT INTO "{table.name}" ({quoted}) VALUES ({", ".join("?" * len(names))})'
        else:
            arrays = ", ".join(f"%s::{pg_type(c.type)}[]" for c in table.columns)
            sql = f'INSERT INTO "{table.name}" ({quoted}) SELECT * FROM unnest({arrays})'
        others = [n for n in names if n not in keys]
        if keys:
            target = ", ".join(f'"{k}"' for k in keys)
            sql += (
                f" ON CONFLICT ({target}) DO UPDATE SET " + ", ".join(f'"{n}" = excluded."{n}"' for n in others)
                if others
                else f" ON CONFLICT ({target}) DO NOTHING"
            )
        converters = [converter(dialect, c.type) for c in table.columns]
        getter = itemgetter(*names) if len(names) > 1 else (lambda row: (row[names[0]],))
        needed = [(i, f) for i, f in enumerate(converters) if f]
        _STATEMENTS[cache_key] = (sql, getter, needed or None)
    return _STATEMENTS[cache_key]


def pg_type(column_type: Any) -> str:
    """The PostgreSQL type of a column as sent by binary COPY or in an array (it must match the column's own)."""
    for kind, name in (
        (DateTime, "timestamptz"),
        (Date, "date"),
        (Boolean, "bool"),
        (BigInteger, "int8"),
        (Integer, "int4"),
    ):
        if isinstance(column_type, kind):
            return name
    return "text"


def converter(dialect: str, column_type: Any) -> Any:
    """How a value of this column type is sent to the driver (None: as it is)."""
    if dialect != "sqlite":
        return None
    if isinstance(column_type, DateTime):
        return sqlite_datetime
    if isinstance(column_type, Date):
        return lambda d: None if d is None else d.isoformat()
    if isinstance(column_type, Boolean):
        return lambda b: None if b is None else int(b)
    return None


def sqlite_datetime(value: datetime | None) -> str | None:
    """The text SQLAlchemy's SQLite DateTime stores (UTC, no offset), so readers parse it back."""
    if value is None:
        return None
    if value.tzinfo is not UTC and value.tzinfo is not None and value.utcoffset():
        value = value.astimezone(UTC)
    return value.isoformat(sep=" ", timespec="microseconds")[:26]


def generations(conn: Connection, view: str, create: bool = False) -> tuple[int, int | None]:
    """(current, building) generation numbers of a view; with ``create``, a missing record starts at generation 1
    (otherwise a missing record reads as generation 1, and nothing is written)."""
    row = conn.execute(
        select(GENERATIONS.c.current, GENERATIONS.c.building).where(GENERATIONS.c.view_name == view)
    ).first()
    if row is None and not create:
        return 1, None
    if row is None:
        conn.execute(
            insert_for(conn, GENERATIONS)
            .values(view_name=view, current=1, building=None)
            .on_conflict_do_nothing(index_elements=["view_name"])
        )
        return 1, None
    return int(row[0]), (None if row[1] is None else int(row[1]))


class ViewsNotReadyError(PanelError):
    """Raised when a command needs read-model tables that `panel init` has not created."""


def has_bookkeeping(conn: Connection) -> bool:
    names = set(inspect(conn).get_table_names())
    return all(table.name in names for table in BOOK.tables.values())


def missing_tables(conn: Connection, tables: dict[str, dict[str, Table]]) -> list[str]:
    """The names of the bookkeeping tables and of the given views' tables that do not exist."""
    names = set(inspect(conn).get_table_names())
    wanted = [*BOOK.tables.values(), *(t for view in tables.values() for t in view.values())]
    return [table.name for table in wanted if table.name not in names]


def describe(engine: Engine) -> str:
    """Where an engine's database is, without its password."""
    url = engine.url
    if url.get_backend_name() == "sqlite":
        return f"SQLite {url.database}"
    return f"PostgreSQL {url.host}:{url.port or 5432}/{url.database}"


def set_generations(conn: Connection, view: str, current: int, building: int | None) -> None:
    conn.execute(update(GENERATIONS).where(GENERATIONS.c.view_name == view).values(current=current, building=building))


def tracking_key(view: str, generation: int) -> str:
    return f"{view}@{generation}"


def positions(conn: Connection, keys: Iterable[str], lock: bool = False) -> dict[str, int]:
    """Tracking positions by key (0 when absent); ``lock`` makes this transaction the only writer."""
    wanted = list(keys)
    stmt = select(TRACKING.c.view_name, TRACKING.c.position).where(TRACKING.c.view_name.in_(wanted))
    if lock and conn.dialect.name == "postgresql":
        # one writer of this schema's views at a time (row locks taken in scan order could deadlock)
        conn.exec_driver_sql("SELECT pg_advisory_xact_lock(hashtext(current_schema() || ':projection-writer'))")
    found = {str(k): int(p) for k, p in conn.execute(stmt)}
    return {k: found.get(k, 0) for k in wanted}


def set_position(conn: Connection, key: str, position: int) -> None:
    upsert(conn, TRACKING, [{"view_name": key, "position": position}], ["view_name"])


def forget_position(conn: Connection, key: str) -> None:
    conn.execute(TRACKING.delete().where(TRACKING.c.view_name == key))


def record_failure(conn: Connection, key: str, position: int, topic: str, cause: str) -> None:
    upsert(conn, FAILURES, [{"view_name": key, "position": position, "topic": topic, "cause": cause}], ["view_name"])


def clear_failure(conn: Connection, key: str) -> None:
    conn.execute(FAILURES.delete().where(FAILURES.c.view_name == key))


def failures(conn: Connection, keys: Iterable[str]) -> dict[str, tuple[int, str, str]]:
    """The recorded failures of these tracking keys: key -> (position, topic, cause)."""
    stmt = select(FAILURES.c.view_name, FAILURES.c.position, FAILURES.c.topic, FAILURES.c.cause)
    return {
        str(k): (int(p), str(t), str(c))
        for k, p, t, c in conn.execute(stmt.where(FAILURES.c.view_name.in_(list(keys))))
    }
