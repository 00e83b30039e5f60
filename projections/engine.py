"""The projector: runs the views of one application into one database, exactly once.

It sets up each view's tables, catches views up (the batch loop is ``projections.catchup``; the
log is read through ``projections.reader``), rebuilds them as new generations beside the old ones
and switches readers over in one transaction, and reports where each view stands (``status``).
Each batch reads up to ``batch_size`` notifications, decodes them once, lets every view apply the
events after its own position, and commits every view's rows together with its new tracking
position in ONE transaction, so a crash loses nothing and two concurrent catch-ups never count twice.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import MetaData, Table
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.schema import CreateTable

from panel.application import PanelApp
from panel.domain.errors import ValidationError
from projections import catchup, connection, db, failures
from projections.bulk import rebuild as bulk
from projections.bulk.processes import default_workers
from projections.generation import Progress, Target
from projections.registry import ALL_VIEWS
from projections.view_base import View


@dataclass(frozen=True)
class ViewStatus:
    """Where one view stands: its generation, position, the log head and the lag between them."""

    name: str
    generation: int
    position: int
    head: int
    building: int | None
    problem: str | None = None  # the event this view cannot apply, and why (projections.failures)

    @property
    def lag(self) -> int:
        return max(0, self.head - self.position)


class Projector:
    """Runs the views of one application into one database."""

    def __init__(
        self,
        app: PanelApp,
        engine: Engine,
        views: Sequence[type[View]] | None = None,
        batch_size: int = 2000,
        bulk_workers: int | None = None,
        ddl: bool | None = None,
    ) -> None:
        """``ddl``: may this projector create the views' tables (default: if the app may create the store's)."""
        self.app = app
        self.ddl = app.creates_tables if ddl is None else ddl
        self.engine = engine
        self.views = {cls.name: cls(app) for cls in (views or ALL_VIEWS)}
        self.batch_size = batch_size
        # processes for a bulk rebuild (1: in this process); used only when the log is long enough
        self.bulk_workers = default_workers() if bulk_workers is None else bulk_workers
        self._ready = False
        self.upgraded: list[str] = []  # views whose older tables `setup` gave new columns, and that need a rebuild

    # -- readers ---------------------------------------------------------------------------
    def tables(self, name: str) -> dict[str, Table]:
        """The tables readers use for ``name`` (its current generation)."""
        self.ready()
        with self.engine.connect() as conn:
            current, _ = db.generations(conn, name)
            conn.commit()
        return self.define(name, current)

    def view(self, name: str) -> View:
        if name not in self.views:
            raise ValidationError(f"unknown view {name!r}: use one of {', '.join(self.views)}")
        return self.views[name]

    def status(self) -> list[ViewStatus]:
        self.ready()
        head = self.head()
        result = []
        with self.engine.connect() as conn:
            for name in self.views:
                current, building = db.generations(conn, name)
                key = db.tracking_key(name, current)
                position = db.positions(conn, [key])[key]
                failed = db.failures(conn, [key]).get(key)
                problem = None if failed is None else failures.Failure(name, *failed).line()
                result.append(ViewStatus(name, current, position, head, building, problem))
            conn.rollback()
        return result

    def head(self) -> int:
        return int(self.app.recorder.max_notification_id() or 0)

    # -- writers ---------------------------------------------------------------------------
    def ready(self) -> None:
        """Make sure the views' tables exist: create them if this projector may (``ddl``), else check them."""
        if self._ready:
            return
        if self.ddl:
            self.setup()
            return
        with self.engine.connect() as conn:
            tables = {name: self.define(name, gen) for name, gen in self._current(conn)}
            missing = db.missing_tables(conn, tables)
            missing += [f"{t.name}.{c.name}" for t, c in db.missing_columns(conn, tables)]
            conn.rollback()
        if missing:
            raise db.ViewsNotReadyError(
                f"the read models in {connection.describe(self.engine)} are not set up ({', '.join(missing)} missing): "
                "run `panel init`"
            )
        self._ready = True

    def _current(self, conn: Connection) -> list[tuple[str, int]]:
        """Each view's current generation (1 for a view with no record yet: its tables will be missing too)."""
        if not db.has_bookkeeping(conn):
            return [(name, 1) for name in self.views]
        return [(name, db.generations(conn, name, create=False)[0]) for name in self.views]

    def setup(self) -> None:
        """Create the bookkeeping tables and each view's current tables (idempotent): DDL, for `panel init`
        and rebuilds only. Columns and indexes a newer version added are added to an older store's tables (a
        generation being built gets its indexes after its bulk load, in ``rebuild``); the views whose new
        columns only a rebuild can fill are listed in ``upgraded`` (`panel init` rebuilds them)."""
        if self._ready:
            return
        with connection.writing(self.engine) as conn:
            db.lock_schema(conn)
            db.BOOK.create_all(conn)
            for name in self.views:
                current, _ = db.generations(conn, name, create=True)
                self._create(conn, name, current)
                tables = self.define(name, current)
                added = db.missing_columns(conn, {name: tables})
                for table, column in added:
                    db.add_column(conn, table, column)  # an older store's table: upgraded in place
                for index in (index for table in tables.values() for index in table.indexes):
                    db.create_index(conn, index)  # an older store's table: indexed now, once
                if added and self.views[name].rebuild_on_upgrade:
                    self.upgraded.append(name)
        self._ready = True

    def catch_up(self, names: Sequence[str] | None = None, progress: Progress | None = None) -> int:
        """Bring views up to the head of the log; returns the number of notifications read."""
        self.ready()
        targets = []
        with connection.writing(self.engine) as conn:
            for name in names or list(self.views):
                current, _ = db.generations(conn, self.view(name).name)
                targets.append(Target(self.views[name], self.define(name, current), db.tracking_key(name, current)))
        return catchup.run(self, targets, progress)

    def rebuild(self, names: Sequence[str] | None = None, progress: Progress | None = None) -> int:
        """Build fresh generations from zero, then switch readers over and drop the old tables.

        An interrupted rebuild is resumed by the next one (its position is tracked like any other);
        readers keep using the old generation until the switch, which is one transaction. A
        generation still at position 0 is bulk-loaded (``projections.bulk.rebuild``). On PostgreSQL each new
        table is analysed before the switch: a table filled in bulk has no statistics until autovacuum comes
        round (never, where it is off), and the planner then takes a large view for an empty one (a pool's
        fatigue query ran for minutes in a nested loop). Returns the position the new generations reached:
        the number of events they cover.
        """
        self.setup()
        chosen = [self.view(n).name for n in (names or list(self.views))]
        targets = []
        with connection.writing(self.engine) as conn:
            db.lock_schema(conn)
            for name in chosen:
                current, building = db.generations(conn, name)
                if building is None:
                    building = current + 1
                    self._drop(conn, name, building)
                    db.forget_position(conn, db.tracking_key(name, building))
                    db.set_generations(conn, name, current, building)
                self._create(conn, name, building, indexes=not self.views[name].can_bulk)
                targets.append(Target(self.views[name], self.define(name, building), db.tracking_key(name, building)))
        try:
            bulk.load(self, targets, progress, self.bulk_workers)
        except Exception as exc:  # an event a view cannot apply: the catch-up below finds it, one view at a time
            if not failures.is_event_problem(exc):
                raise
        catchup.run(self, targets, progress)  # an interrupted rebuild, or the events appended meanwhile
        with self.engine.connect() as conn:
            count = min(db.positions(conn, [t.key for t in targets]).values(), default=0)
            conn.rollback()
        retired = []
        with connection.writing(self.engine) as conn:  # one switch for all the rebuilt views
            db.lock_schema(conn)
            for name in chosen:
                current, building = db.generations(conn, name)
                if building is not None:
                    for table in self.define(name, building).values():
                        for index in table.indexes:  # built after the load, unless it already was
                            db.create_index(conn, index)
                        if conn.dialect.name == "postgresql":  # statistics for the planner before anyone reads
                            conn.exec_driver_sql(f'ANALYZE "{table.name}"')
                    db.set_generations(conn, name, building, None)
                    retired.append((name, current))
        with connection.writing(self.engine, bulk=True) as conn:  # zeroing the old pages needs no large cache
            for name, old in retired:
                self._drop(conn, name, old)
                db.forget_position(conn, db.tracking_key(name, old))
        return count

    def scrub(self) -> None:
        """Remove what updated and deleted rows leave behind (after an erasure has been caught up).

        PostgreSQL keeps the old version of an updated row in the table's heap until VACUUM: each
        view table is vacuumed now (a role that does not own the tables gets a warning and leaves
        it to autovacuum). SQLite overwrites freed cells as it goes (``secure_delete``); its
        write-ahead log is checkpointed and truncated here.
        """
        self.ready()
        with self.engine.connect() as conn:
            current = self._current(conn)
            conn.rollback()
        tables = [t.name for name, gen in current for t in self.define(name, gen).values()]
        with self.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            if conn.dialect.name == "sqlite":
                conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
                return
            for name in tables:
                conn.exec_driver_sql(f'VACUUM "{name}"')

    # -- tables ----------------------------------------------------------------------------
    def define(self, name: str, generation: int) -> dict[str, Table]:
        """The tables of one generation of a view (defined, not created)."""
        return self.views[name].define(MetaData(), generation)

    def _create(self, conn: Connection, name: str, generation: int, indexes: bool = True) -> None:
        """Create the tables of a generation; without ``indexes``, secondary indexes wait for the bulk load."""
        tables = self.define(name, generation)
        for table in tables.values():
            if indexes:
                table.create(conn, checkfirst=True)
            elif not self.engine.dialect.has_table(conn, table.name):
                conn.execute(CreateTable(table))
        key = db.tracking_key(name, generation)
        if db.positions(conn, [key]).get(key, 0) == 0:
            db.set_position(conn, key, 0)

    def _drop(self, conn: Connection, name: str, generation: int) -> None:
        for table in self.define(name, generation).values():
            table.drop(conn, checkfirst=True)
