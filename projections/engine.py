"""Batched catch-up of views from the notification log, exactly once.

Each batch reads up to ``batch_size`` notifications, decodes them once, lets every view apply the
events after its own position, and commits every view's rows together with its new tracking
position in ONE transaction. The positions are re-read under a lock inside that transaction, so
a crash loses nothing (the batch is redone) and two concurrent catch-ups never count twice.
"""

from __future__ import annotations

import contextlib
import queue
import threading
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import MetaData, Table
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.schema import CreateTable

from panel.application import PanelApp
from panel.domain.errors import ValidationError
from panel.store.protocols import partitioned
from projections import connection, db, failures
from projections.bulk import rebuild as bulk
from projections.generation import Progress, Target
from projections.registry import ALL_VIEWS
from projections.view_base import Batch, View


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
        self.bulk_workers = bulk.default_workers() if bulk_workers is None else bulk_workers
        self._ready = False

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
            missing = db.missing_tables(conn, {name: self.define(name, gen) for name, gen in self._current(conn)})
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
        and rebuilds only."""
        if self._ready:
            return
        with connection.writing(self.engine) as conn:
            db.lock_schema(conn)
            db.BOOK.create_all(conn)
            for name in self.views:
                current, _ = db.generations(conn, name, create=True)
                self._create(conn, name, current)
        self._ready = True

    def catch_up(self, names: Sequence[str] | None = None, progress: Progress | None = None) -> int:
        """Bring views up to the head of the log; returns the number of notifications read."""
        self.ready()
        targets = []
        with connection.writing(self.engine) as conn:
            for name in names or list(self.views):
                current, _ = db.generations(conn, self.view(name).name)
                targets.append(Target(self.views[name], self.define(name, current), db.tracking_key(name, current)))
        return self._run(targets, progress)

    def rebuild(self, names: Sequence[str] | None = None, progress: Progress | None = None) -> int:
        """Build fresh generations from zero, then switch readers over and drop the old tables.

        An interrupted rebuild is resumed by the next one (its position is tracked like any other);
        readers keep using the old generation until the switch, which is one transaction. A
        generation still at position 0 is bulk-loaded (``projections.bulk.rebuild``). Returns the position
        the new generations reached: the number of events they cover.
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
        self._run(targets, progress)  # an interrupted rebuild, or the events appended meanwhile
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
                            index.create(conn, checkfirst=True)
                    db.set_generations(conn, name, building, None)
                    retired.append((name, current))
        with connection.writing(self.engine) as conn:
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

    # -- the batch loop --------------------------------------------------------------------
    def _run(self, targets: list[Target], progress: Progress | None) -> int:
        """Apply the log to ``targets``; a view that cannot apply an event stops there and the others carry on
        (``projections.failures``); ViewStoppedError then names each stopped view's event and cause."""
        if not targets:
            return 0
        topics = set().union(*(t.view.topics() for t in targets))
        with self.engine.connect() as conn:
            start = min(db.positions(conn, [t.key for t in targets]).values())
            failed = {key: found[0] for key, found in db.failures(conn, [t.key for t in targets]).items()}
            conn.rollback()
        head = self.head()
        begun, read = start, 0
        stopped: dict[str, failures.Failure] = {}
        for size, last, events in self.pages(start, topics):
            active = [t for t in targets if t.key not in stopped]
            if not active:
                break
            try:
                with connection.writing(self.engine) as conn:
                    self._apply(conn, active, events, last)
                    for key in [t.key for t in active if failed.get(t.key, last + 1) <= last]:
                        db.clear_failure(conn, key)  # the event it stopped at went through this time
                        del failed[key]
            except Exception as exc:
                if not failures.is_event_problem(exc):
                    raise
                for target in active:
                    found = failures.isolate(
                        self._applier(target), self._recorder(target), target.view.name, events, last
                    )
                    if found is not None:
                        stopped[target.key] = found
            read += size
            if progress:
                progress(min(last, head) - begun, max(head, last) - begun)
        if stopped:
            raise failures.stopped_error(list(stopped.values()))
        return read

    def _applier(self, target: Target) -> Callable[[Batch, int], None]:
        def apply_alone(events: Batch, last: int) -> None:
            with connection.writing(self.engine) as conn:
                self._apply(conn, [target], events, last)

        return apply_alone

    def _recorder(self, target: Target) -> Callable[[failures.Failure], None]:
        def record(failure: failures.Failure) -> None:
            with connection.writing(self.engine) as conn:
                db.record_failure(conn, target.key, failure.position, failure.topic, failure.cause)

        return record

    def pages(
        self,
        start: int,
        topics: set[str],
        query_topics: Sequence[str] = (),
        stop: int = 0,
        part: tuple[int, int] | None = None,
    ) -> Iterator[tuple[int, int, Batch]]:
        """Decoded pages after ``start``, read one page ahead in a thread while the last is written.

        ``query_topics`` filters in the query itself. With ``part`` (index, count) only that part of
        the aggregates is read (``select_partition``), up to ``stop``, in windows of notification ids
        (a window, not a LIMIT: with one, PostgreSQL may plan a scan of the whole rest of the log
        for every page); without, pages of ``batch_size`` notifications up to the head.
        """
        recorder = self.app.recorder
        decode: Callable[[Any], Any] = self.app.mapper.to_domain_event  # a Row has the StoredEvent fields it reads
        by_part = partitioned(recorder) if part is not None else None
        pages: queue.Queue[Any] = queue.Queue(maxsize=2)
        halt = threading.Event()

        def produce() -> None:
            position = start
            page: Sequence[Any]  # recorder rows: Notification, or our recorders' Row for a partition
            try:
                while not halt.is_set():
                    if part is not None and by_part is not None:  # a window of ids holding about one page of it
                        if position >= stop:
                            break
                        upto = min(stop, position + self.batch_size * part[1])
                        page = by_part.select_partition(position, upto, query_topics, *part)
                    else:
                        page = recorder.select_notifications(
                            position, limit=self.batch_size, topics=query_topics, inclusive_of_start=False
                        )
                        if not page:
                            break
                        upto = page[-1].id
                    events = Batch((n.id, decode(n)) for n in page if n.topic in topics)
                    position = upto
                    pages.put((len(page), position, events))
                pages.put(None)
            except BaseException as exc:  # handed to the consumer
                pages.put(exc)

        reader = threading.Thread(target=produce, name="projection-reader", daemon=True)
        reader.start()
        try:
            while (item := pages.get()) is not None:
                if isinstance(item, BaseException):
                    raise item
                yield item
        finally:
            halt.set()
            while reader.is_alive():
                with contextlib.suppress(queue.Empty):
                    pages.get(timeout=0.05)

    @staticmethod
    def _apply(conn: Connection, targets: list[Target], events: Batch, last: int) -> None:
        now = db.positions(conn, [t.key for t in targets], lock=True)
        for target in targets:
            done = now[target.key]
            if last <= done:
                continue  # another catch-up already committed this batch
            fresh = events if not events or events[0][0] > done else Batch((p, e) for p, e in events if p > done)
            target.view.apply(conn, target.tables, fresh)
            db.set_position(conn, target.key, last)

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
