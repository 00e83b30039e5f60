"""The participants' data keys: the ``participant_keys`` table, wrapped by a master key when one is set.

The table lives in the store's own database, or in a database of its own (``PANEL_KEYS_URL``,
``panel.store.keys_db``); ``panel_key_settings`` beside it holds the master key's check value and
the record of wrapping, moving and rotating. Callers see plain 32-byte keys either way.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from panel.store.wrapping import PLAIN_SIZE, SETTINGS, MasterKey, MasterKeyError, key_id

KEYS, KEY_SETTINGS = "participant_keys", "panel_key_settings"
CHECK, WRAPPED, ROTATED = "master_key_check", "keys_wrapped", "master_key_rotated"
CHUNK = {"sqlite": 500, "postgres": 50_000}


class DataKeys:
    """The data-key table of one database (``separate``: not the events' database), with its master key if any."""

    def __init__(
        self,
        datastore: Any,
        dialect: str,
        schema: str = "",
        master: MasterKey | None = None,
        where: str = "the store's database",
        separate: bool = False,
    ) -> None:
        self.datastore, self.dialect, self.master, self.where, self.separate = (
            datastore,
            dialect,
            master,
            where,
            separate,
        )
        self.p = "?" if dialect == "sqlite" else "%s"
        prefix = f'"{schema}".' if schema else ""
        self.keys_table = f"{prefix}{KEYS}"
        self.settings_table = f"{prefix}{KEY_SETTINGS}"
        self.schema = schema

    def require_open(self) -> None:
        """Refuse (one line) when the keys are not open here; before a command records that it shows data."""

    # -- tables and settings ---------------------------------------------------------------------
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

    def has_table(self, name: str, readable: bool = False) -> bool:
        """Whether the table exists (and, with ``readable``, this PostgreSQL role may read it)."""
        with self.datastore.transaction(commit=False) as c:
            if self.dialect == "sqlite":
                c.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", (name,))
            else:
                mine = " AND has_table_privilege(format('%%I.%%I', schemaname, tablename), 'SELECT')"
                c.execute(
                    "SELECT 1 FROM pg_tables WHERE schemaname = %s AND tablename = %s" + (mine if readable else ""),
                    (self.schema, name),
                )
            return c.fetchone() is not None

    def setting(self, name: str) -> bytes | None:
        """A value of ``panel_key_settings``; None if absent (or the table is, in a store made before it; or this
        role may not read it: the auditor's, which reads no key either)."""
        if not self.has_table(KEY_SETTINGS, readable=True):
            return None
        with self.datastore.transaction(commit=False) as c:
            c.execute(f"SELECT value FROM {self.settings_table} WHERE name = {self.p}", (name,))
            row = c.fetchone()
        return None if row is None else bytes(row["value"])

    def put(self, cursor: Any, name: str, value: bytes) -> None:
        cursor.execute(
            f"INSERT INTO {self.settings_table} (name, value) VALUES ({self.p}, {self.p}) "
            "ON CONFLICT (name) DO UPDATE SET value = excluded.value",
            (name, value),
        )

    # -- the keys --------------------------------------------------------------------------------
    def ensure_keys(self, participant_ids: Iterable[UUID]) -> dict[UUID, bytes]:
        """Create keys for the ids that have none (idempotent) and return every id's key."""
        ids = list(participant_ids)
        with self.datastore.transaction(commit=True) as c:  # the insert first: it takes SQLite's write lock
            self._insert_keys(c, ids)
        return self.get_keys(ids)

    def ensure_keys_on(self, cursor: Any, participant_ids: Iterable[UUID]) -> dict[UUID, bytes]:
        """``ensure_keys`` inside another transaction of this database (an import's), on its cursor."""
        ids = list(participant_ids)
        self._insert_keys(cursor, ids)
        return self._select_keys(cursor, ids)

    def _insert_keys(self, c: Any, ids: list[UUID]) -> None:
        keys = {pid: AESGCM.generate_key(bit_length=256) for pid in ids}
        self._insert_rows(c, keys, keep_existing=True)
        self._require_current(c)  # in the same transaction: a refusal takes the new rows back

    def _insert_rows(self, c: Any, keys: dict[UUID, bytes], *, keep_existing: bool) -> None:
        """Store ``keys`` (wrapped); an id that has a key already keeps it (``keep_existing``) or fails the insert."""
        rows = [(pid.hex, self._stored(pid.hex, key)) for pid, key in keys.items()]
        conflict = " ON CONFLICT (participant_id) DO NOTHING" if keep_existing else ""
        if self.dialect == "sqlite":
            c.executemany(f"INSERT INTO {self.keys_table} (participant_id, data_key) VALUES (?, ?){conflict}", rows)
        else:  # one statement with two binary arrays instead of a round trip per row
            c.execute(
                f"INSERT INTO {self.keys_table} (participant_id, data_key) "
                f"SELECT * FROM unnest(%b::text[], %b::bytea[]){conflict}",
                ([r[0] for r in rows], [r[1] for r in rows]),
            )

    def new_keys(self, participant_ids: Iterable[UUID]) -> tuple[dict[UUID, bytes], Callable[[Any], None] | None]:
        """Every id's key, made for the ids that have none: (the keys, the statement that stores the new ones in the
        caller's write transaction on the events' database, so a sign-up's key and events commit together). When
        the keys live in a database of their own they are stored first, in a transaction there (a key without
        events is never read), and the statement is None."""
        ids = list(participant_ids)
        if self.separate:
            return self.ensure_keys(ids), None
        found = self.get_keys(ids)
        fresh = {pid: AESGCM.generate_key(bit_length=256) for pid in ids if pid not in found}
        return {**found, **fresh}, (self.adding(fresh) if fresh else None)

    def adding(self, keys: dict[UUID, bytes]) -> Callable[[Any], None]:
        """The statements storing new keys on the events' cursor, in its transaction (a sign-up's, whose events are
        sealed under them): they commit or roll back with the events. A key another writer stored meanwhile for one
        of these ids makes the insert, and so the whole transaction, fail (a write conflict): nothing is replaced."""

        def run(cursor: Any) -> None:
            self._insert_rows(cursor, keys, keep_existing=False)
            self._require_current(cursor)

        return run

    def get_keys(self, participant_ids: Iterable[UUID]) -> dict[UUID, bytes]:
        with self.datastore.transaction(commit=False) as c:
            return self._select_keys(c, participant_ids)

    def _select_keys(self, c: Any, participant_ids: Iterable[UUID]) -> dict[UUID, bytes]:
        ids = [pid.hex for pid in participant_ids]
        found: dict[UUID, bytes] = {}
        size = CHUNK[self.dialect]
        for start in range(0, len(ids), size):
            chunk = ids[start : start + size]
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
                found[UUID(row["participant_id"])] = self._plain(row["participant_id"], bytes(row["data_key"]))
        return found

    def all_keys(self, low: int = 0, high: int = 256, bits: int = 8) -> dict[UUID, bytes]:
        """Every key whose participant id's first ``bits`` (8 or 16) lie in [low, high), in one scan (for bulk
        rebuilds). The ids are lower-case hex text, so the range is a range of the primary key's own order."""
        digits = bits // 4
        sql = f"SELECT participant_id, data_key FROM {self.keys_table} WHERE participant_id >= {self.p}"
        params = [f"{low:0{digits}x}"]
        if high < 1 << bits:
            sql += f" AND participant_id < {self.p}"
            params.append(f"{high:0{digits}x}")
        with self.datastore.transaction(commit=False) as c:
            c.execute(sql, params)
            rows = c.fetchall()
        return {UUID(r["participant_id"]): self._plain(r["participant_id"], bytes(r["data_key"])) for r in rows}

    def deleting(self, participant_ids: Iterable[UUID]) -> Callable[[Any], None]:
        """Statements deleting these keys on the events' cursor (their transaction); none when the keys live apart."""
        ids = [(pid.hex,) for pid in participant_ids]

        def run(cursor: Any) -> None:
            if self.separate:
                return  # another database: `destroy_keys` deletes them once the erasure has committed
            if self.dialect == "sqlite":
                cursor.execute("PRAGMA secure_delete = ON")  # the freed bytes are overwritten, not just unlinked
            cursor.executemany(f"DELETE FROM {self.keys_table} WHERE participant_id = {self.p}", ids)

        return run

    def destroy_keys(self, participant_ids: Iterable[UUID]) -> None:
        ids = [(pid.hex,) for pid in participant_ids]
        with self.datastore.transaction(commit=True) as c:
            if self.dialect == "sqlite":
                c.execute("PRAGMA secure_delete = ON")
            c.executemany(f"DELETE FROM {self.keys_table} WHERE participant_id = {self.p}", ids)
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

    # -- wrapping ------------------------------------------------------------------------------
    def _stored(self, participant_hex: str, key: bytes) -> bytes:
        return key if self.master is None else self.master.wrap(participant_hex, key)

    def _plain(self, participant_hex: str, stored: bytes) -> bytes:
        if self.master is not None:
            return self.master.unwrap(participant_hex, stored)
        if len(stored) != PLAIN_SIZE:
            raise MasterKeyError(f"the data keys in {self.where} are wrapped by a master key: set {SETTINGS}")
        return stored

    def _require_current(self, cursor: Any) -> None:
        """Refuse to add keys under a master key that a rotation has replaced since this process started."""
        if self.master is None:
            return
        lock = "" if self.dialect == "sqlite" else " FOR SHARE"  # waits for a rotation that is under way
        cursor.execute(f"SELECT value FROM {self.settings_table} WHERE name = {self.p}{lock}", (CHECK,))
        row = cursor.fetchone()
        if row is None or not self.master.opens(bytes(row["value"])):
            raise MasterKeyError(
                f"the master key in {self.master.source} no longer opens the data keys in {self.where}: "
                "it was rotated; restart with the new master key"
            )

    def wrap_plain(self) -> int:
        """Wrap every key still stored plain, and store the check value if there is none (`panel init`)."""
        master = self.master
        if master is None:
            return 0
        with self.datastore.transaction(commit=True) as c:
            c.execute(f"SELECT participant_id, data_key FROM {self.keys_table} WHERE length(data_key) = {PLAIN_SIZE}")
            rows = [(r["participant_id"], master.wrap(r["participant_id"], bytes(r["data_key"]))) for r in c.fetchall()]
            self._replace(c, rows)
            c.execute(f"SELECT value FROM {self.settings_table} WHERE name = {self.p}", (CHECK,))
            if c.fetchone() is None:
                self.put(c, CHECK, master.check_value())
            if rows:
                self.put(c, WRAPPED, f"{len(rows)} {_when()}".encode())
        return len(rows)

    def rotate(self, new: MasterKey) -> int:
        """Re-wrap every key under ``new`` in one transaction, with the new check value; how many keys."""
        current = self.master
        if current is None:
            raise MasterKeyError(f"the data keys in {self.where} are not wrapped: set {SETTINGS} and run `panel init`")
        if new.id == current.id:
            raise MasterKeyError(f"the new master key is the one in {current.source}: make a new one")
        with self.datastore.transaction(commit=True) as c:  # the update takes the write lock first
            c.execute(f"UPDATE {self.settings_table} SET value = value WHERE name = {self.p}", (CHECK,))
            c.execute(f"SELECT value FROM {self.settings_table} WHERE name = {self.p}", (CHECK,))
            row = c.fetchone()
            if row is None or not current.opens(bytes(row["value"])):
                raise MasterKeyError(
                    f"the master key in {current.source} does not open the data keys in {self.where}: "
                    "nothing was re-wrapped"
                )
            c.execute(f"SELECT participant_id, data_key FROM {self.keys_table}")
            rows = [
                (pid, new.wrap(pid, current.unwrap(pid, bytes(stored))))
                for pid, stored in ((r["participant_id"], r["data_key"]) for r in c.fetchall())
            ]
            self._replace(c, rows)
            self.put(c, CHECK, new.check_value())
            self.put(c, ROTATED, f"{len(rows)} {current.id.hex()} {new.id.hex()} {_when()}".encode())
        self.master = new
        self.scrub()  # the rows wrapped by the old key leave no dead versions behind
        return len(rows)

    def _replace(self, cursor: Any, rows: list[tuple[str, bytes]]) -> None:
        size = CHUNK[self.dialect]
        for start in range(0, len(rows), size):
            chunk = rows[start : start + size]
            if self.dialect == "sqlite":
                cursor.executemany(
                    f"UPDATE {self.keys_table} SET data_key = ? WHERE participant_id = ?", [(k, p) for p, k in chunk]
                )
            else:
                cursor.execute(
                    f"UPDATE {self.keys_table} AS k SET data_key = v.data_key "
                    "FROM unnest(%b::text[], %b::bytea[]) AS v(participant_id, data_key) "
                    "WHERE k.participant_id = v.participant_id",
                    ([p for p, _ in chunk], [k for _, k in chunk]),
                )

    def master_key_id(self) -> str:
        """The id of the master key the keys are wrapped with ("" if they are not)."""
        check = self.setting(CHECK)
        return key_id(check) if check else ""


def _when() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")
