"""A psycopg connection to a PostgreSQL database named by a setting, or one line saying why there is none."""

from __future__ import annotations

from typing import Any

from panel.config import StoreLocation, StoreUnavailableError


def connect(location: StoreLocation, setting: str = "PANEL_DATABASE_URL") -> Any:
    """A psycopg connection to the store's (or the keys') database, or one line naming ``setting`` saying why not."""
    import psycopg

    env = location.env()
    where = f"{env['POSTGRES_HOST']}:{env['POSTGRES_PORT']}"
    try:
        return psycopg.connect(
            host=env["POSTGRES_HOST"],
            port=env["POSTGRES_PORT"],
            dbname=env["POSTGRES_DBNAME"],
            user=env["POSTGRES_USER"],
            password=env["POSTGRES_PASSWORD"],
            connect_timeout=int(env["POSTGRES_CONNECT_TIMEOUT"]),
            autocommit=True,
        )
    except psycopg.Error as exc:
        raise StoreUnavailableError(
            _connect_failure(str(exc), where, env).replace("PANEL_DATABASE_URL", setting)
        ) from None


def _connect_failure(message: str, where: str, env: dict[str, str]) -> str:
    text = " ".join(message.split())
    lower = text.lower()
    database, user = env["POSTGRES_DBNAME"], env["POSTGRES_USER"]
    if f'database "{database}" does not exist'.lower() in lower:
        return (
            f"PostgreSQL at {where} has no database {database!r} (PANEL_DATABASE_URL): fix the URL, "
            f"or create it (createdb {database}) and run `panel init`"
        )
    if "password authentication failed" in lower or f'role "{user}" does not exist'.lower() in lower:
        return f"PostgreSQL at {where} refused user {user!r} (PANEL_DATABASE_URL): check the user and password"
    if "connection refused" in lower:
        return (
            f"nothing answers at {where} (PANEL_DATABASE_URL): connection refused; "
            "check the host and port, and that PostgreSQL is running"
        )
    if "timeout" in lower or "timed out" in lower:
        seconds = env["POSTGRES_CONNECT_TIMEOUT"]
        return f"no answer from PostgreSQL at {where} within {seconds} s (PANEL_DATABASE_URL): check the host and port"
    if "translate host name" in lower or "name or service not known" in lower:
        return f"unknown host in PANEL_DATABASE_URL ({where}): check the host name"
    last = text.rsplit("FATAL:", 1)[-1].strip() or text
    return f"cannot connect to PostgreSQL at {where} (PANEL_DATABASE_URL): {last}"
