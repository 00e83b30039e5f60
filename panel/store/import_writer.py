"""One transaction for a whole import, however many batches it is written in: all of it or nothing.

A file's sign-ups arrive batch by batch (``panel.importer`` reads them as it goes); each batch is
checked for ids already stored, given its data keys and written on the same cursor, and nothing
is committed until the last one is written. A failure anywhere (a bad batch, a lost connection,
Ctrl-C) rolls the whole import back: no event, no chain row, no data key in the events' database
(keys kept in a database of their own are committed batch by batch; a key without events is
never read, and a re-run uses it). Memory stays at a few batches: the database holds the rest.

On PostgreSQL the library's table lock, taken with the first batch, is held until the commit,
so other writers wait for the import (readers do not); on SQLite the write transaction does the
same.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any
from uuid import UUID

from eventsourcing.persistence import IntegrityError, StoredEvent

from panel.domain.errors import ConcurrentUpdateError
from panel.store.sealing import signup_events

if TYPE_CHECKING:
    from panel.application import PanelApp
    from panel.validation import SignUp

ALREADY = "another writer registered some of these references at the same time: re-run the command"


def existing_on(app: PanelApp, c: Any, ids: set[UUID]) -> set[UUID]:
    """Those of ``ids`` that already have a first event, read on cursor ``c`` (so it sees its own transaction)."""
    if not ids:
        return set()
    recorder: Any = app.recorder  # the SQL recorders of panel.store.recorders
    table = recorder.events_table_name
    if app.dialect != "sqlite":  # one query, the ids as one binary uuid[] (no text escaping)
        c.execute(
            f'SELECT originator_id FROM "{recorder.datastore.schema}"."{table}" '
            "WHERE originator_version = 1 AND originator_id = ANY(%b)",
            (list(ids),),
        )
        return {row["originator_id"] for row in c.fetchall()}
    found: set[UUID] = set()
    values = [pid.hex for pid in ids]
    for start in range(0, len(values), 500):
        chunk = values[start : start + 500]
        c.execute(
            f"SELECT originator_id FROM {table} WHERE originator_version = 1 AND "
            f"originator_id IN ({','.join('?' * len(chunk))})",
            chunk,
        )
        found.update(UUID(row["originator_id"]) for row in c.fetchall())
    return found


class ImportTransaction:
    """The seams of ``panel.store.bulk_import`` (``SignUpWriter``) on one open transaction's cursor.

    Its items are sign-ups, or whatever ``id_of`` gives the participant id of (an import's rows,
    which the worker processes parse).
    """

    def __init__(self, app: PanelApp, cursor: Any, id_of: Callable[[Any], UUID] | None = None) -> None:
        self.app = app
        self.cursor = cursor
        self.id_of: Callable[[Any], UUID] = id_of or (lambda s: app.participant_id_for(s.ref, s.source))

    def fresh_items(self, chunk: Sequence[SignUp | Any], seen: set[UUID]) -> list[tuple[UUID, Any]]:
        """The chunk's items with their ids, less those already stored or seen earlier in this import."""
        items = [(self.id_of(s), s) for s in chunk]
        present = existing_on(self.app, self.cursor, {pid for pid, _ in items} - seen) | seen
        return [(pid, s) for pid, s in items if pid not in present]

    def keys_for(self, items: list[tuple[UUID, Any]]) -> dict[UUID, bytes]:
        """The data keys of ``items``, created where missing (in this transaction when they live beside the events)."""
        return self.app.keys.ensure_keys_on(self.cursor, (pid for pid, _ in items))

    def write_events(self, stored: list[StoredEvent]) -> None:
        """Insert and chain one batch's events; they are committed with the rest of the import, or not at all."""
        self.app.recorder.insert_in(self.cursor, stored)  # type: ignore[attr-defined]


@contextmanager
def import_transaction(app: PanelApp, id_of: Callable[[Any], UUID] | None = None) -> Iterator[ImportTransaction]:
    """A transaction for a whole import: committed when the block ends, rolled back if it raises."""
    recorder: Any = app.recorder
    try:
        with recorder.datastore.transaction(commit=True) as cursor:
            yield ImportTransaction(app, cursor, id_of)
    except IntegrityError:
        raise ConcurrentUpdateError(ALREADY) from None


def write_in_process(
    writer: ImportTransaction, chunks: Iterable[Sequence[SignUp]], progress: Callable[[int], None] | None = None
) -> tuple[int, int, int]:
    """Write batches one after the other in this process; returns (created, unchanged, events).

    The batches hold no reference twice (the importer's first pass rejects repeats), so nothing is
    remembered from one batch to the next: the existence check on the transaction's cursor sees
    the batches already written.
    """
    created = unchanged = events = 0
    to_stored = writer.app.mapper.to_stored_event
    for chunk in chunks:
        fresh = writer.fresh_items(chunk, set())
        if fresh:
            keys = writer.keys_for(fresh)
            stored = [to_stored(e) for pid, s in fresh for e in signup_events(pid, s, keys[pid])]
            writer.write_events(stored)
            events += len(stored)
        created += len(fresh)
        unchanged += len(chunk) - len(fresh)
        if progress:
            progress(len(chunk))
    return created, unchanged, events
