"""The View base class (one handler per event class) and the batch row buffer views write through."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, datetime
from operator import itemgetter
from typing import Any, ClassVar

from eventsourcing.utils import get_topic
from sqlalchemy import MetaData, Table, bindparam, select
from sqlalchemy.engine import Connection

from panel.application import PanelApp
from projections.bulk.rows import Pending
from projections.upsert import upsert

Handler = Callable[[Any, int, Any], None]
CHUNK = 500


def handles(event_class: type) -> Callable[[Handler], Handler]:
    """Mark a view method as the handler of one event class."""

    def mark(method: Handler) -> Handler:
        method._handles = event_class  # type: ignore[attr-defined]
        return method

    return mark


class View:
    """A read model: its tables (per generation) and one handler per event class it cares about.

    ``apply`` gets the events of one batch; handlers change rows in memory (``Rows`` buffers) and
    ``flush`` writes them with bulk statements in the caller's transaction.
    """

    name: ClassVar[str] = ""
    _handlers: ClassVar[dict[type, Handler]] = {}
    can_bulk: ClassVar[bool] = False  # supports ``start_bulk``/``bulk_apply``/``finish_bulk``
    # a column added by `panel init` to an older store's table cannot be NULL in the old rows: rebuild the view
    rebuild_on_upgrade: ClassVar[bool] = False
    bulk = False

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        cls._handlers = {}
        for klass in reversed(cls.__mro__):
            for attr in vars(klass).values():
                if hasattr(attr, "_handles"):
                    cls._handlers[attr._handles] = attr

    def __init__(self, app: PanelApp) -> None:
        self.app = app

    @classmethod
    def topics(cls) -> set[str]:
        return {get_topic(klass) for klass in cls._handlers}

    @staticmethod
    def table_name(short: str, generation: int) -> str:
        return f"{short}_g{generation}_view"

    def define(self, metadata: MetaData, generation: int) -> dict[str, Table]:
        raise NotImplementedError

    def apply(self, conn: Connection, tables: dict[str, Table], events: Sequence[tuple[int, Any]]) -> None:
        self.begin(conn, tables, events)
        self.dispatch(events)
        self.flush(conn)

    def dispatch(self, events: Sequence[tuple[int, Any]]) -> None:
        handlers = self._handlers
        for position, domain_event in events:
            handler = handlers.get(type(domain_event))
            if handler is not None:
                handler(self, position, domain_event)

    def begin(self, conn: Connection, tables: dict[str, Table], events: Sequence[tuple[int, Any]]) -> None:
        """Prepare the batch: set up buffers and load the rows the batch will change."""

    def prepare(self, events: Sequence[tuple[int, Any]]) -> None:
        """Per-batch work that needs no view rows (e.g. fetching data keys); bulk loads call only this."""

    def flush(self, conn: Connection | Pending) -> None:
        """Write the batch's changes (into ``Pending`` rows in a bulk load)."""

    # -- bulk loading of a fresh, not yet visible generation ----------------------------------
    def start_bulk(self, tables: dict[str, Table], span: tuple[int, int, int] | None = None) -> None:
        """Keep every row of an EMPTY generation in memory over many batches, until ``finish_bulk``.

        ``span`` (low, high, bits): only the participants whose ids' first ``bits`` lie in [low, high)
        will be applied (a part, ``partition_bounds``, or a bucket, ``prefix_bounds``).
        """
        self.bulk = True
        self.begin(None, tables, Batch())  # type: ignore[arg-type]  # no events: nothing to load

    def bulk_apply(self, events: Sequence[tuple[int, Any]]) -> None:
        self.prepare(events)
        self.dispatch(events)

    def finish_bulk(self, conn: Connection | Pending) -> None:
        """Write everything loaded (plain inserts: the tables are empty) in the caller's transaction, or into
        ``Pending`` rows the caller writes later."""
        self.flush(conn)

    def end_bulk(self) -> None:
        """Forget the loaded state (after ``finish_bulk`` or a failure)."""
        self.bulk = False
        for name in list(vars(self)):
            if name != "app":
                delattr(self, name)


class Batch(list[tuple[int, Any]]):
    """The (position, event) pairs of one batch, with the participants per event class worked out once."""

    _index: dict[type, set[str]] | None = None

    def by_class(self) -> dict[type, set[str]]:
        if self._index is None:
            index: dict[type, set[str]] = {}
            for _, e in self:
                index.setdefault(type(e), set()).add(e.originator_id.hex)
            self._index = index
        return self._index


class Rows:
    """The rows of one table a batch touches: loaded once, changed in memory, written once."""

    def __init__(self, table: Table, keys: Sequence[str], indexed: bool = False, bulk: bool = False) -> None:
        self.table, self.keys, self.indexed, self.bulk = table, tuple(keys), indexed, bulk
        first = self.keys[0]
        self.key = itemgetter(*self.keys) if len(self.keys) > 1 else (lambda row: (row[first],))
        self.data: dict[tuple[Any, ...], dict[str, Any]] = {}
        self.dirty: set[tuple[Any, ...]] = set()
        self.purged: set[Any] = set()
        self.by_first: dict[Any, set[tuple[Any, ...]]] = {}

    def load(self, conn: Connection, column: str, values: Iterable[Any]) -> None:
        wanted = list(values)
        col = self.table.c[column]
        for start in range(0, len(wanted), CHUNK):
            for found in conn.execute(select(self.table).where(col.in_(wanted[start : start + CHUNK]))).mappings():
                row = {k: _utc(v) for k, v in found.items()}
                key = self.key(row)
                self.data[key] = row
                self.by_first.setdefault(key[0], set()).add(key)

    def get(self, key: tuple[Any, ...]) -> dict[str, Any] | None:
        return self.data.get(key)

    def put(self, row: dict[str, Any]) -> None:
        key = self.key(row)
        self.data[key] = row
        if not self.bulk:  # a bulk load writes every row
            self.dirty.add(key)
        if self.indexed:
            self.by_first.setdefault(key[0], set()).add(key)

    def changed(self, key: tuple[Any, ...]) -> None:
        self.dirty.add(key)

    def purge(self, first: Any) -> None:
        """Delete every row whose first key column equals ``first`` (needs ``indexed``)."""
        self.purged.add(first)
        for key in self.by_first.pop(first, ()):
            self.data.pop(key, None)
            self.dirty.discard(key)

    def rows_of(self, first: Any, ordered: bool = False) -> list[dict[str, Any]]:
        keys = self.by_first.get(first, ())
        return [self.data[key] for key in (sorted(keys) if ordered else keys)]

    def flush(self, conn: Connection | Pending) -> None:
        if isinstance(conn, Pending):  # a bulk load into an empty table: every row
            conn.add(self.table, list(self.data.values()))
            return
        if self.purged:
            column = self.table.c[self.keys[0]]
            conn.execute(self.table.delete().where(column == bindparam("k")), [{"k": k} for k in self.purged])
        self.purged = set()
        upsert(conn, self.table, [self.data[k] for k in self.dirty], self.keys)


def _utc(value: Any) -> Any:
    if isinstance(value, datetime) and value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value
