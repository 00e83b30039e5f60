"""Turn a store location (an SQLite path or a PostgreSQL URL) into eventsourcing settings."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import unquote, urlparse

from panel.domain.errors import ValidationError

DEFAULT_SQLITE_PATH = "panel.db"


@dataclass(frozen=True)
class StoreLocation:
    """Where the event store lives: ``sqlite`` with a file path, or ``postgres`` with a URL."""

    dialect: str
    target: str
    schema: str = ""
    cipher_key: str = ""

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
        return env

    def _store_env(self) -> dict[str, str]:
        if self.dialect == "sqlite":
            return {
                "PERSISTENCE_MODULE": "eventsourcing.sqlite",
                "SQLITE_DBNAME": self.target,
                "SQLITE_LOCK_TIMEOUT": "10",
                "APPLICATION_RECORDER_TOPIC": "panel.recorders:BatchingSQLiteApplicationRecorder",
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
            "APPLICATION_RECORDER_TOPIC": "panel.recorders:ColumnarPostgresApplicationRecorder",
        }
        if self.schema:
            env["POSTGRES_SCHEMA"] = self.schema
        return env
