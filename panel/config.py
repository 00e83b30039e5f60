"""Turn a store location (an SQLite path or a PostgreSQL URL) into eventsourcing settings."""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass, field
from urllib.parse import unquote, urlparse

from panel.domain.errors import PanelError, ValidationError

DEFAULT_SQLITE_PATH = "panel.db"
# The version of the store's schema this code needs; `panel init` creates or upgrades a store to it,
# and every other command refuses a store whose recorded version differs.
SCHEMA_VERSION = 2
CHAINED_SINCE = 2  # version 2 added the events' hash chain (panel.store.chain): init computes it over an older log
SCHEMA_VERSION_SETTING = "schema_version"
MAKE_KEY = "python -c 'from eventsourcing.cryptography import AESCipher; print(AESCipher.create_key(32))'"


class StoreNotFoundError(PanelError):
    """Raised when the configured store does not exist, or holds no panel store (`panel init` makes one)."""


class StoreUnavailableError(PanelError):
    """Raised when the configured database cannot be reached, opened or read."""


class StoreVersionError(PanelError):
    """Raised when the store's recorded schema version is not the one this code needs."""


@dataclass(frozen=True)
class StoreLocation:
    """Where the event store lives: ``sqlite`` with a file path, or ``postgres`` with a URL."""

    dialect: str
    target: str
    schema: str = ""
    cipher_key: str = ""
    keys_url: str = ""  # PANEL_KEYS_URL: the data keys in a database of their own (panel.store.keys_db)
    master_key: str = field(default="", repr=False)  # base64 of the key that wraps the data keys
    master_key_from: str = ""  # the setting it came from, named in errors (PANEL_MASTER_KEY or ..._FILE path)

    def __post_init__(self) -> None:
        if self.cipher_key:
            check_cipher_key(self.cipher_key)

    @classmethod
    def sqlite(cls, path: str = DEFAULT_SQLITE_PATH) -> StoreLocation:
        return cls("sqlite", path)

    @classmethod
    def postgres(cls, url: str, schema: str = "") -> StoreLocation:
        return cls("postgres", url, schema)

    def describe(self) -> str:
        if self.dialect == "sqlite":
            return f"SQLite {self.target}"
        parsed = urlparse(self.target)
        where = f"PostgreSQL {parsed.hostname}:{parsed.port or 5432}/{parsed.path.lstrip('/')}"
        return where + (f" schema {self.schema}" if self.schema else "")

    def env(self) -> dict[str, str]:
        """The eventsourcing environment for this location (never touches os.environ)."""
        env = self._store_env()
        if self.cipher_key:  # whole payloads encrypted at rest, with the fast `cryptography` AES-GCM
            env.update(CIPHER_TOPIC="eventsourcing.cryptography:AESCipher", CIPHER_KEY=self.cipher_key)
        if self.keys_url:
            env["DATA_KEYS_URL"] = self.keys_url
        if self.master_key:
            env["DATA_KEYS_MASTER_KEY"] = self.master_key
            env["DATA_KEYS_MASTER_FROM"] = self.master_key_from or "PANEL_MASTER_KEY"
        return env

    def _store_env(self) -> dict[str, str]:
        if self.dialect == "sqlite":
            return {
                "PERSISTENCE_MODULE": "panel.store.sqlite_writers:TurnTakingSQLiteFactory",  # writers take turns
                "SQLITE_DBNAME": self.target,
                "SQLITE_LOCK_TIMEOUT": "10",
                "APPLICATION_RECORDER_TOPIC": "panel.store.recorders:BatchingSQLiteApplicationRecorder",
            }
        parsed = urlparse(self.target)
        if parsed.scheme not in ("postgres", "postgresql", "postgresql+psycopg") or not parsed.path.strip("/"):
            raise ValidationError(
                f"PANEL_DATABASE_URL {self.target!r} is not a PostgreSQL URL: use postgresql://user@host:5432/dbname"
            )
        env = {
            "PERSISTENCE_MODULE": "eventsourcing.postgres",
            "POSTGRES_DBNAME": unquote(parsed.path.lstrip("/")),
            "POSTGRES_HOST": parsed.hostname or "127.0.0.1",
            "POSTGRES_PORT": str(parsed.port or 5432),
            "POSTGRES_USER": unquote(parsed.username or "postgres"),
            "POSTGRES_PASSWORD": unquote(parsed.password or ""),
            "POSTGRES_LOCK_TIMEOUT": "5",
            "POSTGRES_IDLE_IN_TRANSACTION_SESSION_TIMEOUT": "30",
            "POSTGRES_CONNECT_TIMEOUT": "5",
            "POSTGRES_ENABLE_DB_FUNCTIONS": "no",
            "APPLICATION_RECORDER_TOPIC": "panel.store.recorders:ColumnarPostgresApplicationRecorder",
        }
        if self.schema:
            env["POSTGRES_SCHEMA"] = self.schema
        return env


def check_cipher_key(key: str) -> None:
    """Refuse a PANEL_CIPHER_KEY that is not the base64 of a 16, 24 or 32-byte AES key."""
    try:
        size = len(base64.b64decode(key, validate=True))
    except (binascii.Error, ValueError):
        size = -1
    if size not in (16, 24, 32):
        what = "is not base64" if size < 0 else f"decodes to {size} bytes"
        raise ValidationError(
            f"PANEL_CIPHER_KEY {what}; an AES key is 16, 24 or 32 bytes in base64: make one with {MAKE_KEY}"
        )
