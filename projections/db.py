"""The read models' bookkeeping: tracking positions, table generations and recorded failures.

Three small tables hold it: ``projection_tracking`` (the last notification id each view generation
has processed, written in the same transaction as the view's rows), ``projection_generations``
(which generation of each view readers use, and which one a rebuild is building) and
``projection_failures`` (the event a view generation cannot apply, and why). The engine and its
write transactions are in ``projections.connection``; the driver-level upsert in
``projections.upsert``.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import Column, Index, Integer, MetaData, String, Table, Text, inspect, select, update
from sqlalchemy.engine import Connection
from sqlalchemy.schema import CreateIndex

from panel.domain.errors import PanelError
from projections.upsert import insert_for, upsert

BOOK = MetaData()
TRACKING = Table(
    "projection_tracking",
    BOOK,
    Column("view_name", String(80), primary_key=True),
    Column("position", Integer, nullable=False),
)
GENERATIONS = Table(
    "projection_generations",
    BOOK,
    Column("view_name", String(40), primary_key=True),
    Column("current", Integer, nullable=False),
    Column("building", Integer, nullable=True),
)
FAILURES = Table(  # a view generation that cannot apply an event: which one, and why (see projections.failures)
    "projection_failures",
    BOOK,
    Column("view_name", String(80), primary_key=True),
    Column("position", Integer, nullable=False),
    Column("topic", Text, nullable=False),
    Column("cause", Text, nullable=False),
)


def lock_schema(conn: Connection) -> None:
    """Serialise table creation and generation switches (SQLite already holds its write lock)."""
    if conn.dialect.name == "postgresql":
        conn.exec_driver_sql("SELECT pg_advisory_xact_lock(hashtext(current_schema() || ':projection-schema'))")


def generations(conn: Connection, view: str, create: bool = False) -> tuple[int, int | None]:
    """(current, building) generation numbers of a view; with ``create``, a missing record starts at generation 1
    (otherwise a missing record reads as generation 1, and nothing is written)."""
    row = conn.execute(
        select(GENERATIONS.c.current, GENERATIONS.c.building).where(GENERATIONS.c.view_name == view)
    ).first()
    if row is None and not create:
        return 1, None
    if row is None:
        conn.execute(
            insert_for(conn, GENERATIONS)
            .values(view_name=view, current=1, building=None)
            .on_conflict_do_nothing(index_elements=["view_name"])
        )
        return 1, None
    return int(row[0]), (None if row[1] is None else int(row[1]))


class ViewsNotReadyError(PanelError):
    """Raised when a command needs read-model tables that `panel init` has not created."""


def has_bookkeeping(conn: Connection) -> bool:
    names = set(inspect(conn).get_table_names())
    return all(table.name in names for table in BOOK.tables.values())


def missing_tables(conn: Connection, tables: dict[str, dict[str, Table]]) -> list[str]:
    """The names of the bookkeeping tables and of the given views' tables that do not exist."""
    names = set(inspect(conn).get_table_names())
    wanted = [*BOOK.tables.values(), *(t for view in tables.values() for t in view.values())]
    return [table.name for table in wanted if table.name not in names]


def missing_columns(conn: Connection, tables: dict[str, dict[str, Table]]) -> list[tuple[Table, Column[Any]]]:
    """The (nullable) columns a newer version added to an existing view table, which `panel init` adds."""
    found = inspect(conn)
    names = set(found.get_table_names())
    missing: list[tuple[Table, Column[Any]]] = []
    for table in (t for view in tables.values() for t in view.values()):
        if table.name in names:
            present = {c["name"] for c in found.get_columns(table.name)}
            missing.extend((table, c) for c in table.columns if c.name not in present)
    return missing


def add_column(conn: Connection, table: Table, column: Column[Any]) -> None:
    """Add a nullable column to an existing view table (an upgrade by `panel init`; the old rows hold NULL)."""
    kind = column.type.compile(dialect=conn.dialect)
    conn.exec_driver_sql(f'ALTER TABLE "{table.name}" ADD COLUMN "{column.name}" {kind}')


def set_generations(conn: Connection, view: str, current: int, building: int | None) -> None:
    conn.execute(update(GENERATIONS).where(GENERATIONS.c.view_name == view).values(current=current, building=building))


def tracking_key(view: str, generation: int) -> str:
    return f"{view}@{generation}"


def positions(conn: Connection, keys: Iterable[str], lock: bool = False) -> dict[str, int]:
    """Tracking positions by key (0 when absent); ``lock`` makes this transaction the only writer."""
    wanted = list(keys)
    stmt = select(TRACKING.c.view_name, TRACKING.c.position).where(TRACKING.c.view_name.in_(wanted))
    if lock and conn.dialect.name == "postgresql":
        # one writer of this schema's views at a time (row locks taken in scan order could deadlock)
        conn.exec_driver_sql("SELECT pg_advisory_xact_lock(hashtext(current_schema() || ':projection-writer'))")
    found = {str(k): int(p) for k, p in conn.execute(stmt)}
    return {k: found.get(k, 0) for k in wanted}


def set_position(conn: Connection, key: str, position: int) -> None:
    upsert(conn, TRACKING, [{"view_name": key, "position": position}], ["view_name"])


def forget_position(conn: Connection, key: str) -> None:
    conn.execute(TRACKING.delete().where(TRACKING.c.view_name == key))


def record_failure(conn: Connection, key: str, position: int, topic: str, cause: str) -> None:
    upsert(conn, FAILURES, [{"view_name": key, "position": position, "topic": topic, "cause": cause}], ["view_name"])


def clear_failure(conn: Connection, key: str) -> None:
    conn.execute(FAILURES.delete().where(FAILURES.c.view_name == key))


def failures(conn: Connection, keys: Iterable[str]) -> dict[str, tuple[int, str, str]]:
    """The recorded failures of these tracking keys: key -> (position, topic, cause)."""
    stmt = select(FAILURES.c.view_name, FAILURES.c.position, FAILURES.c.topic, FAILURES.c.cause)
    return {
        str(k): (int(p), str(t), str(c))
        for k, p, t, c in conn.execute(stmt.where(FAILURES.c.view_name.in_(list(keys))))
    }


def create_index(conn: Connection, index: Index) -> None:
    """Create ``index`` unless the table has one of its name. On SQLite by ``IF NOT EXISTS``: SQLAlchemy's
    ``checkfirst`` reflects the table's indexes, and its reflection skips an index on an expression (the
    ledger view's on the reference), which it would then create twice; on PostgreSQL by ``checkfirst``, which
    reads the catalogue and takes no lock on a table whose index is there."""
    if conn.dialect.name == "sqlite":
        conn.execute(CreateIndex(index, if_not_exists=True))
    else:
        index.create(conn, checkfirst=True)
