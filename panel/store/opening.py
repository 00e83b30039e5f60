"""Opening the panel's store: look before connecting, create only when asked, and say in one line what is wrong.

Only `panel init` and `panel demo` create or upgrade a store (``create_store``); every other command
opens an existing one (``open_store``), which runs no DDL and writes nothing: a mistyped
``PANEL_DB`` is reported instead of becoming a new empty store, and commands can run as a
database role that may read and write the tables but not create them.
"""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path
from typing import Any
from urllib.parse import quote

from panel.application import PanelApp
from panel.config import (
    SCHEMA_VERSION,
    SCHEMA_VERSION_SETTING,
    StoreLocation,
    StoreNotFoundError,
    StoreUnavailableError,
    StoreVersionError,
)
from panel.domain.errors import ValidationError
from panel.store import append_only, topic_index
from panel.store.connecting import connect
from panel.topics import INDEXED_TOPICS

SQLITE_HEADER = b"SQLite format 3\x00"
SQLITE_EVENTS, POSTGRES_EVENTS, SETTINGS = "stored_events", "panel_events", "panel_settings"
PRIVATE = 0o600  # the store holds the events and the keys that open them: its owner only
# Secrets `panel init` makes (panel_settings): the web service's, and the seed of the Ed25519 key that signs
# checkpoints (panel.checkpoints); a store made before one gets it on `panel init`.
INIT_SECRETS = ("web_session", "web_signing", "audit_signing", "email_index")


def open_store(location: StoreLocation) -> PanelApp:
    """The application over an existing, initialised store of this schema version; nothing is created."""
    found = recorded_version(location)
    if found is None:
        raise StoreNotFoundError(f"no panel store at {location.describe()}: run `panel init`, or {_fix(location)}")
    _require_version(location, found)
    app = PanelApp(env={**location.env(), "CREATE_TABLE": "no"})
    try:
        _require_readable(app, location)
    except BaseException:
        app.close()
        raise
    return app


def create_store(location: StoreLocation) -> PanelApp:
    """Create the store (or upgrade it to this schema version): `panel init` and `panel demo` only.

    On PostgreSQL concurrent inits take turns (a session advisory lock): CREATE ... IF NOT EXISTS
    run at the same moment by two sessions can fail on the system catalogue.
    """
    if location.dialect == "sqlite":
        _create_sqlite_file(location)
        return _build(location)
    with connect(location) as conn:
        conn.execute("SELECT pg_advisory_lock(hashtext(%s))", (f"{location.schema or 'public'}:panel-init",))
        _create_postgres_schema(conn, location)
        return _build(location)  # the lock goes with the connection


def _build(location: StoreLocation) -> PanelApp:
    found = recorded_version(location)
    if found is not None and found > SCHEMA_VERSION:
        _require_version(location, found)
    app = PanelApp(env={**location.env(), "CREATE_TABLE": "yes"})
    try:
        _require_readable(app, location)
        for name in INIT_SECRETS:
            app.keys.secret(name)
        append_only.install(app)  # the triggers that refuse UPDATE and DELETE on the events and the chain
        topic_index.install(app.recorder, INDEXED_TOPICS)  # listings of engagements, draws, ... without a scan
        append_only.adopt(app)
    except BaseException:
        app.close()
        raise
    return app


def recorded_version(location: StoreLocation) -> int | None:
    """The schema version the store records; 0 if it has panel tables but no version; None if it is no store."""
    if location.dialect == "sqlite":
        return _sqlite_version(location)
    return _postgres_version(location)


def private_files(location: StoreLocation) -> list[str]:
    """Make the SQLite store and its -wal/-shm/-lock files readable by their owner only; the files changed."""
    if location.dialect != "sqlite" or _in_memory(location.target):
        return []
    changed = []
    for path in (Path(location.target + suffix) for suffix in ("", "-wal", "-shm", "-lock")):
        if path.exists() and path.stat().st_mode & 0o077:
            path.chmod(PRIVATE)
            changed.append(str(path))
    return changed


# -- SQLite ----------------------------------------------------------------------------------------
def _in_memory(target: str) -> bool:
    return target == ":memory:" or target.startswith("file:")


def _check_sqlite_path(location: StoreLocation) -> Path:
    path = Path(location.target)
    if path.is_dir():
        raise ValidationError(f"PANEL_DB {location.target} is a folder: name a file in it, e.g. {path / 'panel.db'}")
    if not path.parent.is_dir():
        raise StoreNotFoundError(
            f"the folder {path.parent} of PANEL_DB {location.target} does not exist: fix PANEL_DB, "
            f"or create the folder (mkdir -p {path.parent}) and run `panel init`"
        )
    return path


def _sqlite_version(location: StoreLocation) -> int | None:
    if _in_memory(location.target):
        return None
    path = _check_sqlite_path(location)
    if not path.exists():
        return None
    try:
        with path.open("rb") as file:
            header = file.read(len(SQLITE_HEADER))
    except OSError as exc:
        raise StoreUnavailableError(
            f"cannot read PANEL_DB {location.target}: {exc.strerror}: check its permissions"
        ) from None
    if not header:
        return None  # an empty file is an empty database
    if header != SQLITE_HEADER:
        raise ValidationError(
            f"PANEL_DB {location.target} is not an SQLite database: point PANEL_DB at the panel store "
            "(or at a new file, then run `panel init`)"
        )
    try:
        conn = sqlite3.connect(f"file:{quote(str(path.resolve()))}?mode=rw", uri=True, timeout=10)
        try:
            tables = {row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
            return _version_from(tables, SQLITE_EVENTS, lambda: _setting(conn, "?"))
        finally:
            conn.close()
    except sqlite3.Error as exc:
        raise StoreUnavailableError(
            f"cannot read the SQLite store {location.target} (PANEL_DB): {exc}: check the file, or restore it"
        ) from None


def _create_sqlite_file(location: StoreLocation) -> None:
    if _in_memory(location.target):
        return
    path = _check_sqlite_path(location)
    if not path.exists():
        try:  # made private from the first byte; SQLite gives its -wal and -shm files the same mode
            os.close(os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, PRIVATE))
        except FileExistsError:
            pass
        except OSError as exc:
            raise StoreUnavailableError(
                f"cannot create PANEL_DB {location.target}: {exc.strerror}: choose a folder you can write to"
            ) from None
    _sqlite_version(location)  # refuses a file that is not a database before SQLite writes to it


def _setting(conn: Any, mark: str) -> bytes | None:
    row = conn.execute(f"SELECT value FROM {SETTINGS} WHERE name = {mark}", (SCHEMA_VERSION_SETTING,)).fetchone()
    return None if row is None else bytes(row[0])


def _version_from(tables: set[str], events: str, read: Any) -> int | None:
    if events not in tables and SETTINGS not in tables:
        return None
    value = read() if SETTINGS in tables else None
    return int(bytes(value).decode()) if value else 0


# -- PostgreSQL ------------------------------------------------------------------------------------
def _postgres_version(location: StoreLocation) -> int | None:
    schema = location.schema or "public"
    with connect(location) as conn:
        tables = {
            row[0]
            for row in conn.execute(
                "SELECT tablename FROM pg_tables WHERE schemaname = %s AND tablename = ANY(%s)",
                (schema, [POSTGRES_EVENTS, SETTINGS]),
            )
        }
        quoted = f'"{schema}".{SETTINGS}'
        return _version_from(tables, POSTGRES_EVENTS, lambda: _setting_pg(conn, quoted))


def _setting_pg(conn: Any, table: str) -> bytes | None:
    row = conn.execute(f"SELECT value FROM {table} WHERE name = %s", (SCHEMA_VERSION_SETTING,)).fetchone()
    return None if row is None else bytes(row[0])


def _create_postgres_schema(conn: Any, location: StoreLocation) -> None:
    if not location.schema:
        return
    import psycopg

    if conn.execute("SELECT 1 FROM pg_namespace WHERE nspname = %s", (location.schema,)).fetchone():
        return  # CREATE SCHEMA IF NOT EXISTS needs CREATE on the database even then: the owner role has none
    try:
        conn.execute(f'CREATE SCHEMA IF NOT EXISTS "{location.schema}"')
    except psycopg.Error as exc:
        raise StoreUnavailableError(
            f"cannot create schema {location.schema!r} (PANEL_PG_SCHEMA) in {location.describe()}: "
            f"{' '.join(str(exc).split())}: create it as its owner, or ask for CREATE on the database"
        ) from None


# -- both ------------------------------------------------------------------------------------------
def _require_version(location: StoreLocation, found: int) -> None:
    if found == SCHEMA_VERSION:
        return
    if found > SCHEMA_VERSION:
        raise StoreVersionError(
            f"the store at {location.describe()} has schema version {found}, newer than this panel's "
            f"{SCHEMA_VERSION}: upgrade participant-panel"
        )
    recorded = f"schema version {found}" if found else "no recorded schema version"
    raise StoreVersionError(
        f"the store at {location.describe()} has {recorded}; this panel needs {SCHEMA_VERSION}: "
        "run `panel init` to upgrade it"
    )


def _require_readable(app: PanelApp, location: StoreLocation) -> None:
    """Decode the first event: a wrong (or missing) PANEL_CIPHER_KEY is found now, not half-way through."""
    first = app.recorder.select_notifications(start=None, limit=1)
    if not first:
        return
    try:
        app.mapper.to_domain_event(first[0])
    except Exception:  # any failure to decode means the key does not fit
        given = "the PANEL_CIPHER_KEY given" if location.cipher_key else "no PANEL_CIPHER_KEY"
        raise StoreUnavailableError(
            f"the events in {location.describe()} cannot be read with {given}: set the key this store was created with"
        ) from None


def _fix(location: StoreLocation) -> str:
    return "fix PANEL_DB" if location.dialect == "sqlite" else "fix PANEL_DATABASE_URL / PANEL_PG_SCHEMA"
