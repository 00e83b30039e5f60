"""Where the read models live and how they are reached: the SQLAlchemy engine and its write transactions.

Views live in the event store's own database by default (the same SQLite file, or the same
PostgreSQL database and schema), or wherever ``PANEL_VIEWS_URL`` points. On SQLite every
connection is set up for write-ahead logging, and a write transaction takes the write lock at
BEGIN (``writing``), so writers never interleave.
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from typing import Any
from urllib.parse import urlparse, urlunparse
from weakref import WeakKeyDictionary

from sqlalchemy import create_engine, event
from sqlalchemy.engine import Connection, Engine

from panel.config import StoreLocation
from panel.domain.errors import ValidationError

WRITE = "panel_write"
PRIVATE = 0o600
CACHE_KIB = 131072  # SQLite's page cache per connection: 128 MiB, the view keys are random ids
BULK_CACHE_KIB = 16384  # a bulk load appends rows in key order: 16 MiB serve it as well (measured)


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
        dbapi_connection.execute(f"PRAGMA cache_size=-{CACHE_KIB}")
        # freed and rewritten cells are zeroed, so an erased person's attributes do not linger in the file
        # (many builds, Debian's among them, default to this; others do not)
        dbapi_connection.execute("PRAGMA secure_delete=ON")

    @event.listens_for(engine, "begin")
    def _begin(conn: Connection) -> None:
        conn.exec_driver_sql("BEGIN IMMEDIATE" if conn.get_execution_options().get(WRITE) else "BEGIN")


@contextmanager
def writing(engine: Engine, bulk: bool = False) -> Iterator[Connection]:
    """A write transaction; on SQLite it takes the write lock at BEGIN, so writers never interleave.

    ``bulk`` (a bulk load's rows, in key order): on SQLite the connection's page cache is held to
    ``BULK_CACHE_KIB`` for the transaction, so a rebuild's memory does not grow with the tables it fills.
    """
    with engine.connect() as conn:
        raw = conn.connection.dbapi_connection if bulk and engine.dialect.name == "sqlite" else None
        if raw is not None:
            raw.execute(f"PRAGMA cache_size=-{BULK_CACHE_KIB}")
        try:
            conn.execution_options(**{WRITE: True})
            with conn.begin():
                yield conn
        finally:
            if raw is not None:
                with suppress(sqlite3.Error):  # a closed connection: its cache went with it
                    raw.execute(f"PRAGMA cache_size=-{CACHE_KIB}")


def describe(engine: Engine) -> str:
    """Where an engine's database is, without its password."""
    url = engine.url
    if url.get_backend_name() == "sqlite":
        return f"SQLite {url.database}"
    return f"PostgreSQL {url.host}:{url.port or 5432}/{url.database}"
