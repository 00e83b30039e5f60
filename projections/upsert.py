"""Driver-level inserts and upserts: the hot path of every batch, and the conversions bulk writes share.

Rows go straight to the driver (no per-row SQLAlchemy type processing): SQLite gets one
``executemany``, PostgreSQL one statement with an array per column. Values are converted here the
way SQLAlchemy would store them, so readers parse them back (``converter``, ``sqlite_datetime``);
``pg_type`` names the PostgreSQL type of a column for the arrays and for binary COPY.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from operator import itemgetter
from typing import Any

from sqlalchemy import BigInteger, Boolean, Date, DateTime, Integer, Table
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection


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
        columns = list(zip(*(getter(row) for row in rows), strict=True))
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
