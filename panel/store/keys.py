"""The store's keys: per-participant data keys (crypto-shredding), the store's secrets, keyed identifiers.

Each participant's personal data is sealed (``panel.store.sealing``) under a random 256-bit key
of their own. Keys live in the ``participant_keys`` table (``panel.store.data_keys``), outside the
event log: in the same database, or in one of their own (``PANEL_KEYS_URL``), wrapped by a master
key when one is set. Erasure deletes the key row (SQLite with ``secure_delete`` and a WAL
checkpoint, PostgreSQL followed by a VACUUM of the key table), after which the ciphertext in the
events is noise.
"""

from __future__ import annotations

import hashlib
import hmac
import os
from collections.abc import Callable, Iterable
from typing import Any
from uuid import UUID

from panel.store.data_keys import DataKeys
from panel.store.wrapping import MasterKey


def keyed_id(secret: bytes, source: str, external_ref: str) -> UUID:
    """A stable participant id from (source, external reference) under a secret key."""
    digest = hmac.new(secret, f"{source}\x1f{external_ref}".encode(), hashlib.sha256).digest()
    return UUID(bytes=digest[:16], version=4)


class KeyStore:
    """The store's own secrets and settings (``panel_settings``, in the event store's database) and the
    participants' data keys (``data``: in the same database, or in their own; wrapped or not)."""

    def __init__(self, datastore: Any, dialect: str, schema: str = "") -> None:
        self.datastore = datastore
        self.dialect = dialect
        self.schema = schema
        self.p = "?" if dialect == "sqlite" else "%s"
        prefix = f'"{schema}".' if schema else ""
        self.settings_table = f"{prefix}panel_settings"
        self.data = DataKeys(datastore, dialect, schema)  # until `panel.store.keys_db.open_data_keys` sets it
        self.secrets: dict[str, bytes] = {}  # the secrets read so far (``secret``)
        self.noted_sources: set[str] = set()  # sources this process saw noted in a committed transaction

    def create_tables(self) -> None:
        """The settings table (the data keys' tables are made where they live, by ``open_data_keys``)."""
        blob = "BLOB" if self.dialect == "sqlite" else "BYTEA"
        with self.datastore.transaction(commit=True) as c:
            c.execute(
                f"CREATE TABLE IF NOT EXISTS {self.settings_table} (name TEXT PRIMARY KEY, value {blob} NOT NULL)"
            )

    def secret(self, name: str, *, create: bool = True) -> bytes | None:
        """A named 32-byte secret of this store, created on first use (only when ``create``; else None if absent).

        A secret is never changed or removed once made, so each is read from the database once per process."""
        if name in self.secrets:
            return self.secrets[name]
        if create:
            insert = f"INSERT INTO {self.settings_table} (name, value) VALUES ({self.p}, {self.p}) " + (
                "ON CONFLICT (name) DO NOTHING"
            )
            with self.datastore.transaction(commit=True) as c:
                c.execute(insert, (name, os.urandom(32)))
        value = self.setting(name)
        if value is not None:
            self.secrets[name] = value
        return value

    def setting(self, name: str) -> bytes | None:
        with self.datastore.transaction(commit=False) as c:
            c.execute(f"SELECT value FROM {self.settings_table} WHERE name = {self.p}", (name,))
            row = c.fetchone()
        return None if row is None else bytes(row["value"])

    def put_setting(self, name: str, value: bytes) -> None:
        """Set a named value of this store (replacing any earlier one)."""
        with self.datastore.transaction(commit=True) as c:
            self.putting(name, value)(c)

    def putting(self, name: str, value: bytes) -> Callable[[Any], None]:
        """The statement that sets a named value, to run inside another transaction (e.g. a save's)."""

        def run(cursor: Any) -> None:
            cursor.execute(
                f"INSERT INTO {self.settings_table} (name, value) VALUES ({self.p}, {self.p}) "
                "ON CONFLICT (name) DO UPDATE SET value = excluded.value",
                (name, value),
            )

        return run

    def setting_values(self, prefix: str) -> list[bytes]:
        """The values of every setting whose name starts with ``prefix`` (e.g. the email index's ``email:`` rows)."""
        with self.datastore.transaction(commit=False) as c:
            c.execute(
                f"SELECT value FROM {self.settings_table} WHERE substr(name, 1, {self.p}) = {self.p}",
                (len(prefix), prefix),
            )
            return [bytes(row["value"]) for row in c.fetchall()]

    def drop_setting(self, name: str) -> None:
        with self.datastore.transaction(commit=True) as c:
            self.dropping(name)(c)

    def dropping(self, name: str) -> Callable[[Any], None]:
        """The statement that removes a named value, to run inside another transaction (e.g. a save's)."""

        def run(cursor: Any) -> None:
            cursor.execute(f"DELETE FROM {self.settings_table} WHERE name = {self.p}", (name,))

        return run

    def note_sources(self, sources: Iterable[str]) -> None:
        """Remember the reference sources in use, so a bare reference can be looked up in each."""
        names = set(sources)
        with self.datastore.transaction(commit=True) as c:
            self.noting_sources(names)(c)
        self.noted_sources |= names

    def noting_sources(self, sources: Iterable[str]) -> Callable[[Any], None]:
        """``note_sources`` as a statement to run inside another transaction (a sign-up's). Its caller adds the names
        to ``noted_sources`` once that transaction has committed: a noted source is never removed, so a later
        transaction need not note it again."""
        rows = [(f"source:{name}", b"1") for name in sorted(set(sources))]

        def run(cursor: Any) -> None:
            cursor.executemany(
                f"INSERT INTO {self.settings_table} (name, value) VALUES ({self.p}, {self.p}) "
                "ON CONFLICT (name) DO NOTHING",
                rows,
            )

        return run

    def setting_on(self, cursor: Any, name: str) -> bytes | None:
        """``setting`` read on ``cursor``, so it sees that transaction's own writes."""
        cursor.execute(f"SELECT value FROM {self.settings_table} WHERE name = {self.p}", (name,))
        row = cursor.fetchone()
        return None if row is None else bytes(row["value"])

    def sources(self) -> list[str]:
        with self.datastore.transaction(commit=False) as c:
            c.execute(f"SELECT name FROM {self.settings_table} WHERE name LIKE 'source:%'")
            return sorted(row["name"].removeprefix("source:") for row in c.fetchall())

    # -- the participants' data keys (panel.store.data_keys), wherever they live ----------------------
    def ensure_keys(self, participant_ids: Iterable[UUID]) -> dict[UUID, bytes]:
        """Create keys for the ids that have none (idempotent) and return every id's key."""
        return self.data.ensure_keys(participant_ids)

    def ensure_keys_on(self, cursor: Any, participant_ids: Iterable[UUID]) -> dict[UUID, bytes]:
        """``ensure_keys`` in the transaction of ``cursor`` (an import's, on the events' database) when the keys
        live there; when they live apart, in a transaction of their own (a key without events is never read)."""
        if self.data.separate:
            return self.data.ensure_keys(participant_ids)
        return self.data.ensure_keys_on(cursor, participant_ids)

    def new_keys(self, participant_ids: Iterable[UUID]) -> tuple[dict[UUID, bytes], Callable[[Any], None] | None]:
        """Every id's data key, made for the ids that have none: (the keys, the statement that stores the new ones
        in the caller's write transaction on the events' database, or None): ``DataKeys.new_keys``."""
        return self.data.new_keys(participant_ids)

    def get_keys(self, participant_ids: Iterable[UUID]) -> dict[UUID, bytes]:
        return self.data.get_keys(participant_ids)

    def all_keys(self, low: int = 0, high: int = 256, bits: int = 8) -> dict[UUID, bytes]:
        """Every key whose participant id's first ``bits`` (8 or 16) lie in [low, high), in one scan (bulk rebuilds)."""
        return self.data.all_keys(low, high, bits)

    def deleting(self, participant_ids: Iterable[UUID]) -> Callable[[Any], None]:
        """Statements that delete these keys inside another transaction (the erasure's own, see the recorders)."""
        pids = list(participant_ids)
        keys = self.data.deleting(pids)

        def run(cursor: Any) -> None:
            keys(cursor)
            # the person's rows of the email index and pending email changes (panel.email_index) go with the key
            any_ = "%" if self.dialect == "sqlite" else "%%"  # psycopg reads a bare % as a placeholder
            cursor.executemany(
                f"DELETE FROM {self.settings_table} WHERE (name LIKE 'email:{any_}' OR name LIKE 'email_change:{any_}')"
                f" AND substr(value, 1, 16) = {self.p}",
                [(pid.bytes,) for pid in pids],
            )

        return run

    def destroy_keys(self, participant_ids: Iterable[UUID]) -> None:
        """Delete the keys so that these participants' sealed data can never be read again."""
        self.data.destroy_keys(participant_ids)

    def scrub(self) -> None:
        """Remove what deleted keys leave behind: SQLite's write-ahead log, PostgreSQL's dead row versions."""
        self.data.scrub()

    def master_key_id(self) -> str:
        """The id of the master key wrapping the data keys ("" when they are not wrapped): safe to print."""
        return self.data.master_key_id()

    def rotate_master_key(self, new: MasterKey) -> int:
        """Re-wrap every data key under ``new`` (one transaction); how many were re-wrapped."""
        return self.data.rotate(new)

    @property
    def keys_table(self) -> str:
        return self.data.keys_table

    def close(self) -> None:
        """Close the keys' own database, if they have one."""
        if self.data.separate:
            close = getattr(self.data.datastore, "close", None)
            if close is not None:
                close()
