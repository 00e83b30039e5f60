"""Where the data keys live, and opening them: the store's own database, or ``PANEL_KEYS_URL``.

With ``PANEL_KEYS_URL`` (a file path, ``sqlite:///keys.db`` or a PostgreSQL URL, optionally with
``?schema=NAME``) the data keys sit in a database of their own, so a dump of the events holds none.
The store records that its keys live apart (``data_keys_db`` in its settings, with a random link
that the keys database records too), so a missing or mistyped ``PANEL_KEYS_URL`` is one line, not a
store whose every participant looks erased. `panel init` creates the keys' tables, moves the keys of
a store that kept them with its events, and wraps every key when a master key is newly set; every
other opening creates nothing and checks the master key against the stored check value.
"""

from __future__ import annotations

import base64
import os
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlparse

from panel.config import StoreLocation, StoreNotFoundError, StoreUnavailableError
from panel.domain.errors import ValidationError
from panel.store.data_keys import CHECK, KEY_SETTINGS, KEYS, DataKeys
from panel.store.keys import KeyStore
from panel.store.wrapping import SETTINGS, MasterKey, MasterKeyError

MARKER, LINK, MOVED = "data_keys_db", "store_link", "keys_moved"
SQLITE_HEADER = b"SQLite format 3\x00"
WITHOUT_KEYS = "none"  # PANEL_KEYS_URL=none: open the store without its data keys (the auditor)
PG_SCHEMES = ("postgres://", "postgresql://", "postgresql+psycopg://")


@dataclass(frozen=True)
class KeyChanges:
    """What opening the keys changed (only `panel init` changes anything): keys moved, keys wrapped."""

    moved: int = 0
    wrapped: int = 0


def keys_location(url: str) -> StoreLocation:
    """PANEL_KEYS_URL as a location: PostgreSQL (``?schema=NAME`` optional) or an SQLite file."""
    if url.startswith(PG_SCHEMES):
        parsed = urlparse(url)
        schema = parse_qs(parsed.query).get("schema", [""])[0]
        location = StoreLocation.postgres(parsed._replace(query="").geturl(), schema)
        location.env()  # refuses a URL without a database name
        return location
    if url.startswith("sqlite:///"):
        return StoreLocation.sqlite(url.removeprefix("sqlite:///"))
    if "://" in url or url == ":memory:":
        raise ValidationError(
            f"PANEL_KEYS_URL {url[:80]!r} is not understood: use a file path, sqlite:///keys.db "
            "or postgresql://user@host:5432/dbname?schema=keys"
        )
    return StoreLocation.sqlite(url)


def master_key(env: Mapping[str, str]) -> MasterKey | None:
    text = _exact(env, "DATA_KEYS_MASTER_KEY")
    if not text:
        return None
    return MasterKey(base64.b64decode(text), _exact(env, "DATA_KEYS_MASTER_FROM") or "PANEL_MASTER_KEY")


def _exact(env: Mapping[str, str], name: str) -> str:
    """``env[name]`` without the library's lookup of ``PANEL_`` + name (the raw settings are read by the wiring)."""
    return env[name] if name in env else ""  # noqa: SIM401 (Environment.get would also read PANEL_ + name)


def open_data_keys(env: Mapping[str, str], store: KeyStore, create: bool) -> tuple[DataKeys, KeyChanges]:
    """The data keys of the store whose settings are ``store``; `panel init` (``create``) also sets them up."""
    master, url = master_key(env), _exact(env, "DATA_KEYS_URL")
    marker = store.setting(MARKER)
    moved = 0  # keys moved here from the events' database (`panel init`, once)
    if url == WITHOUT_KEYS:
        if create:
            raise ValidationError(
                "PANEL_KEYS_URL=none opens a store without its data keys, for checks only: "
                "`panel init` needs the keys database, so set PANEL_KEYS_URL to it"
            )
        return ClosedKeys(store), KeyChanges()  # the auditor: a store opened to check, every key refused
    if not url:
        if marker is not None:
            raise StoreUnavailableError(
                "this store keeps its data keys in a database of their own and PANEL_KEYS_URL is not set: "
                "set PANEL_KEYS_URL to it"
            )
        keys = DataKeys(store.datastore, store.dialect, store.schema, master, "the store's own database")
        if create:
            keys.create_tables()
    else:
        location = keys_location(url)
        _refuse_the_store_itself(location, env)
        if marker is None and not create:
            raise StoreUnavailableError(
                "PANEL_KEYS_URL is set but this store keeps its data keys with its events: run `panel init` "
                "to move them there (docs/store.md), or unset PANEL_KEYS_URL"
            )
        schema = location.schema or ("public" if location.dialect == "postgres" else "")
        where = f"{location.describe()} (PANEL_KEYS_URL)"
        fresh = create and marker is None  # a store moving its keys here (or a new store): init makes the tables
        keys = DataKeys(_datastore(location, fresh), location.dialect, schema, master, where, separate=True)
        try:
            moved = _link(store, keys, marker, fresh)
        except BaseException:
            keys.datastore.close()
            raise
    _check_master(keys, master, create)
    return keys, KeyChanges(moved=moved, wrapped=keys.wrap_plain() if create else 0)


class ClosedKeys(DataKeys):
    """The data keys of a store opened without them (PANEL_KEYS_URL=none): every use of a key is refused.

    For the auditor role, which may not read the keys database: `panel audit verify` and the other
    checks read no key. A command that needs one stops in one line before it shows or writes anything.
    """

    def __init__(self, store: KeyStore) -> None:
        super().__init__(store.datastore, store.dialect, store.schema, where="no keys database (PANEL_KEYS_URL=none)")

    def refuse(self, *args: Any, **kwargs: Any) -> Any:
        raise StoreUnavailableError(
            "this command needs the participants' data keys and PANEL_KEYS_URL is 'none': "
            "set PANEL_KEYS_URL to the keys database (only checks like `panel audit verify` run without it)"
        )

    ensure_keys = get_keys = all_keys = deleting = destroy_keys = wrap_plain = rotate = require_open = refuse

    def scrub(self) -> None:
        """Nothing to scrub: no keys are open here."""


def _link(store: KeyStore, keys: DataKeys, marker: bytes | None, fresh: bool) -> int:
    """Set up (``fresh``: `panel init` moving the keys here) or check the link between the store and its keys."""
    moved = 0
    if fresh:
        keys.create_tables()
        moved = _move_here(store, keys)
        marker = store.setting(MARKER)
    if not keys.has_table(KEYS):
        raise StoreNotFoundError(f"no data keys at {keys.where}: fix PANEL_KEYS_URL, or run `panel init`")
    if keys.setting(LINK) != marker:
        raise StoreUnavailableError(
            f"{keys.where} does not hold this store's data keys: set PANEL_KEYS_URL to the keys database "
            "`panel init` made for this store"
        )
    return moved


def _check_master(keys: DataKeys, master: MasterKey | None, create: bool) -> None:
    check = keys.setting(CHECK)
    if check is not None and master is None:
        raise MasterKeyError(f"the data keys in {keys.where} are wrapped by a master key: set {SETTINGS}")
    if check is not None and master is not None and not master.opens(check):
        raise MasterKeyError(
            f"the master key in {master.source} does not open the data keys in {keys.where}: set the one they are "
            "wrapped with (after `panel admin rotate-master-key`, the new one)"
        )
    if check is None and master is not None and not create:
        raise MasterKeyError(
            f"{master.source} is set but the data keys in {keys.where} are not wrapped yet: "
            "run `panel init` to wrap them"
        )


def _move_here(store: KeyStore, keys: DataKeys) -> int:
    """Copy the keys kept with the events into ``keys``, then mark the store and drop them there, in that order.

    A crash after the copy leaves the keys in both places and the store unmarked: `panel init` again copies
    (nothing twice) and finishes. The mark and the dropping of the old tables are one transaction.
    """
    here = DataKeys(store.datastore, store.dialect, store.schema)
    tables = ((here.keys_table, KEYS, "participant_id, data_key"), (here.settings_table, KEY_SETTINGS, "name, value"))
    present = [(table, name, columns) for table, name, columns in tables if here.has_table(name)]
    rows: list[tuple[str, bytes]] = []
    settings: list[tuple[str, bytes]] = []
    with store.datastore.transaction(commit=False) as old:
        for table, name, columns in present:
            old.execute(f"SELECT {columns} FROM {table}")
            first, second = (column.strip() for column in columns.split(","))
            found = [(str(r[first]), bytes(r[second])) for r in old.fetchall()]
            (rows if name == KEYS else settings).extend(found)
    link = os.urandom(16).hex().encode()
    with keys.datastore.transaction(commit=True) as c:
        c.executemany(
            f"INSERT INTO {keys.keys_table} (participant_id, data_key) VALUES ({keys.p}, {keys.p}) "
            "ON CONFLICT (participant_id) DO NOTHING",
            rows,
        )
        for name, value in settings:
            keys.put(c, name, value)
        if present:
            keys.put(c, MOVED, f"{len(rows)} {datetime.now(UTC).isoformat(timespec='seconds')}".encode())
        keys.put(c, LINK, link)
    with store.datastore.transaction(commit=True) as c:
        if store.dialect == "sqlite":
            c.execute("PRAGMA secure_delete = ON")
        for table, _, _ in present:
            c.execute(f"DELETE FROM {table}")
            c.execute(f"DROP TABLE {table}")
        c.execute(
            f"INSERT INTO {store.settings_table} (name, value) VALUES ({store.p}, {store.p}) "
            "ON CONFLICT (name) DO UPDATE SET value = excluded.value",
            (MARKER, link),
        )
    if store.dialect == "sqlite":
        with store.datastore.get_connection(commit=True) as conn:
            conn.cursor().execute("PRAGMA wal_checkpoint(TRUNCATE)")
    return len(rows)


def _refuse_the_store_itself(location: StoreLocation, env: Mapping[str, str]) -> None:
    same = False
    if location.dialect == "sqlite" and "SQLITE_DBNAME" in env:
        same = Path(location.target).resolve() == Path(env["SQLITE_DBNAME"]).resolve()
    elif location.dialect == "postgres" and "POSTGRES_DBNAME" in env:
        mine = location.env()
        keys = ("POSTGRES_HOST", "POSTGRES_PORT", "POSTGRES_DBNAME")
        same = all(mine[k] == env.get(k) for k in keys) and (location.schema or "public") == (
            env.get("POSTGRES_SCHEMA") or "public"
        )
    if same:
        raise ValidationError(
            "PANEL_KEYS_URL names the store's own database: unset it to keep the keys there, or name another database"
        )


def _datastore(location: StoreLocation, create: bool) -> Any:
    """The eventsourcing datastore of the keys' database, after looking (and creating a file only when ``create``)."""
    if location.dialect == "sqlite":
        from panel.store.sqlite_writers import TurnTakingSQLiteDatastore

        _check_sqlite_file(Path(location.target), create)
        return TurnTakingSQLiteDatastore(location.target, lock_timeout=10)
    from eventsourcing.postgres import PostgresDatastore

    from panel.store.connecting import connect

    with connect(location, "PANEL_KEYS_URL") as conn:
        if create and location.schema:
            found = conn.execute("SELECT 1 FROM pg_namespace WHERE nspname = %s", (location.schema,)).fetchone()
            if not found:
                conn.execute(f'CREATE SCHEMA IF NOT EXISTS "{location.schema}"')
    env = location.env()
    return PostgresDatastore(
        env["POSTGRES_DBNAME"],
        env["POSTGRES_HOST"],
        env["POSTGRES_PORT"],
        env["POSTGRES_USER"],
        env["POSTGRES_PASSWORD"],
        schema=location.schema,
        connect_timeout=5,
        lock_timeout=5,
        idle_in_transaction_session_timeout=30,
        pool_size=1,
        max_overflow=9,
    )


def _check_sqlite_file(path: Path, create: bool) -> None:
    if path.is_dir():
        raise ValidationError(f"PANEL_KEYS_URL {path} is a folder: name a file in it, e.g. {path / 'keys.db'}")
    if not path.parent.is_dir():
        raise StoreNotFoundError(
            f"the folder {path.parent} of PANEL_KEYS_URL {path} does not exist: fix PANEL_KEYS_URL"
        )
    if not path.exists():
        if not create:
            raise StoreNotFoundError(f"no data keys at PANEL_KEYS_URL {path}: fix PANEL_KEYS_URL, or run `panel init`")
        try:  # private from the first byte, like the store
            os.close(os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600))
        except OSError as exc:
            raise StoreUnavailableError(f"cannot create PANEL_KEYS_URL {path}: {exc.strerror}") from None
        return
    try:
        with path.open("rb") as file:
            header = file.read(len(SQLITE_HEADER))
    except OSError as exc:
        raise StoreUnavailableError(
            f"cannot read PANEL_KEYS_URL {path}: {exc.strerror}: check its permissions"
        ) from None
    if header and header != SQLITE_HEADER:
        raise ValidationError(f"PANEL_KEYS_URL {path} is not an SQLite database: point it at the keys database")
