"""The rows a bulk load writes in one go, converted before its write transaction begins.

PostgreSQL receives them by binary COPY; SQLite by ``executemany`` of plain inserts, in key order.
The conversions are the ones the incremental path (``projections.upsert.upsert``) uses.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from operator import itemgetter
from typing import TYPE_CHECKING, Any, cast

from sqlalchemy import DateTime, Table
from sqlalchemy.engine import Connection

from projections.upsert import converter, pg_type, sqlite_datetime, statement

if TYPE_CHECKING:
    import psycopg


class Pending:
    """Rows of bulk loads, already converted to what the driver sends, to be written later in one go.

    A view's ``finish_bulk`` adds its rows to a ``Pending``: the Python work (folding, converting)
    is then done before the write transaction begins, so parallel bulk workers only queue for the
    database's own part of the work. The tables must hold none of the rows' keys (a fresh
    generation): COPY on PostgreSQL, ``executemany`` on SQLite, no conflict handling.
    """

    def __init__(self, dialect: str, times: dict[datetime, str | None] | None = None) -> None:
        self.dialect = dialect
        self.loads: list[tuple[Table, list[tuple[Any, ...]]]] = []
        self._times = {} if times is None else times  # may be shared: several views store the same times

    def add(self, table: Table, rows: Sequence[dict[str, Any]]) -> None:
        if not rows:
            return
        if self.dialect == "postgresql":
            names = [c.name for c in table.columns]
            getter = itemgetter(*names) if len(names) > 1 else (lambda row: (row[names[0]],))
            self.loads.append((table, [getter(row) for row in rows]))
            return
        build = sqlite_row(table, self._time)
        prepared = [build(row) for row in rows]
        # in key order (every table's key starts with its first column; the sort is stable): SQLite
        # then only appends at the b-tree's right edge, about twice as fast as inserting at random
        prepared.sort(key=itemgetter(0))
        self.loads.append((table, prepared))

    def _time(self, value: datetime | None) -> str | None:
        """A row's time as SQLite text, converted once per distinct time (one event's time is in several rows,
        and events recorded together share their times)."""
        if value is None:
            return None
        text = self._times.get(value)
        if text is None:
            text = self._times[value] = sqlite_datetime(value)
        return text

    def write(self, conn: Connection) -> None:
        for table, rows in self.loads:
            quoted = ", ".join(f'"{c.name}"' for c in table.columns)
            if self.dialect == "postgresql":  # binary: the server parses no text (times above all)
                raw = cast("psycopg.Connection[Any]", conn.connection.dbapi_connection)  # the psycopg dialect's
                cursor = raw.cursor()
                with cursor, cursor.copy(f'COPY "{table.name}" ({quoted}) FROM STDIN (FORMAT BINARY)') as copy:
                    copy.set_types([pg_type(c.type) for c in table.columns])
                    for values in rows:
                        copy.write_row(values)
            else:
                sql, _, _ = statement("sqlite", table, ())
                for start in range(0, len(rows), 50_000):
                    conn.exec_driver_sql(sql, rows[start : start + 50_000])
        self.loads = []


def sqlite_row(table: Table, time_text: Any) -> Any:
    """A function from a row dict to the tuple SQLite stores, every conversion inline (times by ``time_text``)."""
    scope: dict[str, Any] = {}
    parts = []
    for i, column in enumerate(table.columns):
        convert = time_text if isinstance(column.type, DateTime) else converter("sqlite", column.type)
        if convert is None:
            parts.append(f"row[{column.name!r}]")
        else:  # most optional times are empty: test for None here rather than in a call
            scope[f"c{i}"] = convert
            parts.append(f"(None if (v{i} := row[{column.name!r}]) is None else c{i}(v{i}))")
    return eval(f"lambda row: ({', '.join(parts)},)", scope)  # noqa: S307 - built from our own column names only
