"""The store's keys: per-participant data keys (crypto-shredding), the store's secrets, keyed identifiers.

Each participant's personal data is sealed (``panel.store.sealing``) under a random 256-bit key
of their own. Keys live in the ``participant_keys`` table of the same database, outside the event log;
erasure deletes the key row (SQLite with ``secure_delete`` and a WAL checkpoint, PostgreSQL
followed by a VACUUM of the key table), after which the ciphertext in the events is noise.
"""

from __future__ import annotations

import hashlib
import hmac
import os
from collections.abc import Callable, Iterable
from typing import Any
from uuid import UUID

from cryptography.hazmat.primitives.ciphers.aead import AESGCM


def keyed_id(secret: bytes, source: str, external_ref: str) -> UUID:
    """A stable participant id from (source, external reference) under a secret key."""
    digest = hmac.new(secret, f"{source}\x1f{external_ref}".encode(), hashlib.sha256).digest()
    return UUID(bytes=digest[:16], version=4)


class KeyStore:
    """The participant key table and the store's own secrets, in the event store's database."""

    def __init__(self, datastore: Any, dialect: str, schema: str = "") -> None:
        self.datastore = datastore
        self.dialect = dialect
        self.p = "?" if dialect == "sqlite" else "%s"
        prefix = f'"{schema}".' if schema else ""
        self.keys_table = f"{prefix}participant_keys"
        self.settings_table = f"{prefix}panel_settings"

    def create_tables(self) -> None:
        blob = "BLOB" if self.dialect == "sqlite" else "BYTEA"
        with self.datastore.transaction(commit=True) as c:
            c.execute(
                f"CREATE TABLE IF NOT EXISTS {self.keys_table} "
                f"(participant_id TEXT PRIMARY KEY, data_key {blob} NOT NULL)"
            )
            c.execute(
                f"CREATE TABLE IF NOT EXISTS {self.settings_table} (name TEXT PRIMARY KEY, value {blob} NOT NULL)"
            )

    def secret(self, name: str, *, create: bool = True) -> bytes | None:
        """A named 32-byte secret of this store, created on first use (only when ``create``; else None if absent)."""
        if create:
            insert = f"INSERT INTO {self.settings_table} (name, value) VALUES ({self.p}, {self.p}) " + (
                "ON CONFLICT (name) DO NOTHING"
            )
            with self.datastore.transaction(commit=True) as c:
                c.execute(insert, (name, os.urandom(32)))
        return self.setting(name)

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

    def drop_setting(self, name: str) -> None:
        with self.datastore.transaction(commit=True) as c:
            c.execute(f"DELETE FROM {self.settings_table} WHERE name = {self.p}", (name,))

    def note_sources(self, sources: Iterable[str]) -> None:
        """Remember the reference sources in use, so a bare reference can be looked up in each."""
        rows = [(f"source:{name}", b"1") for name in sorted(set(sources))]
        with self.datastore.transaction(commit=True) as c:
            c.executemany(
                f"INSERT INTO {self.settings_table} (name, value) VALUES ({self.p}, {self.p}) "
                "ON CONFLICT (name) DO NOTHING",
                rows,
            )

    def sources(self) -> list[str]:
        with self.datastore.transaction(commit=False) as c:
            c.execute(f"SELECT name FROM {self.settings_table} WHERE name LIKE 'source:%'")
            return sorted(row["name"].removeprefix("source:") for row in c.fetchall())

    def ensure_keys(self, participant_ids: Iterable[UUID]) -> dict[UUID, bytes]:
        """Create keys for the ids that have none (idempotent) and return every id's key."""
        ids = list(participant_ids)
        rows = [(pid.hex, AESGCM.generate_key(bit_length=256)) for pid in ids]
        with self.datastore.transaction(commit=True) as c:
            if self.dialect == "sqlite":
                c.executemany(
                    f"INSERT INTO {self.keys_table} (participant_id, data_key) VALUES (?, ?) "
                    "ON CONFLICT (participant_id) DO NOTHING",
                    rows,
                )
            else:  # one statement with two binary arrays instead of a round trip per row
                c.execute(
                    f"INSERT INTO {self.keys_table} (participant_id, data_key) "
                    "SELECT * FROM unnest(%b::text[], %b::bytea[]) ON CONFLICT (participant_id) DO NOTHING",
                    ([r[0] for r in rows], [r[1] for r in rows]),
                )
        return self.get_keys(ids)

    def get_keys(self, participant_ids: Iterable[UUID]) -> dict[UUID, bytes]:
        ids = [pid.hex for pid in participant_ids]
        found: dict[UUID, bytes] = {}
        with self.datastore.transaction(commit=False) as c:
            for start in range(0, len(ids), 500 if self.dialect == "sqlite" else 50_000):
                chunk = ids[start : start + (500 if self.dialect == "sqlite" else 50_000)]
                if self.dialect == "sqlite":
                    marks = ",".join("?" * len(chunk))
                    c.execute(
                        f"SELECT participant_id, data_key FROM {self.keys_table} WHERE participant_id IN ({marks})",
                        chunk,
                    )
                else:
                    c.execute(
                        f"SELECT participant_id, data_key FROM {self.keys_table} WHERE participant_id = ANY(%b)",
                        (chunk,),
                    )
                for row in c.fetchall():
                    found[UUID(row["participant_id"])] = bytes(row["data_key"])
        return found

    def all_keys(self, low: int = 0, high: int = 256) -> dict[UUID, bytes]:
        """Every key whose participant id starts with a byte in [low, high), in one scan (for bulk rebuilds)."""
        sql = f"SELECT participant_id, data_key FROM {self.keys_table} WHERE substr(participant_id, 1, 2) >= {self.p}"
        params = [f"{low:02x}"]
        if high < 256:
            sql += f" AND substr(participant_id, 1, 2) < {self.p}"
            params.append(f"{high:02x}")
        with self.datastore.transaction(commit=False) as c:
            c.execute(sql, params)
            return {UUID(row["participant_id"]): bytes(row["data_key"]) for row in c.fetchall()}

    def deleting(self, participant_ids: Iterable[UUID]) -> Callable[[Any], None]:
        """Statements that delete these keys inside another transaction (the erasure's own, see the recorders)."""
        pids = list(participant_ids)
        ids = [(pid.hex,) for pid in pids]

        def run(cursor: Any) -> None:
            if self.dialect == "sqlite":
                cursor.execute("PRAGMA secure_delete = ON")  # the freed bytes are overwritten, not just unlinked
            cursor.executemany(f"DELETE FROM {self.keys_table} WHERE participant_id = {self.p}", ids)
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
        with self.datastore.transaction(commit=True) as c:
            self.deleting(participant_ids)(c)
        self.scrub()

    def scrub(self) -> None:
        """Remove what deleted keys leave behind: SQLite's write-ahead log, PostgreSQL's dead row versions."""
        if self.dialect == "sqlite":
            with self.datastore.get_connection(commit=True) as conn:
                conn.cursor().execute("PRAGMA wal_checkpoint(TRUNCATE)")
        else:
            with self.datastore.get_connection() as conn:
                previous = conn.autocommit
                conn.autocommit = True
                try:
                    conn.execute(f"VACUUM {self.keys_table}")
                finally:
                    conn.autocommit = previous
