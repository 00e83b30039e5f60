"""Bulk rebuild of fresh generations: rows held in memory for one bucket of participants at a time.

A generation being rebuilt is not visible to readers, so nothing is lost by holding its rows and
writing them in one go: per-batch work that only an incremental catch-up needs is skipped (no
rows are loaded back, nothing is upserted, and the consent log of each person is folded once, at
the end). A short log (up to ``spill.BUCKET_EVENTS`` events, in one process) is loaded whole:
rows, secondary indexes and position commit in ONE transaction, and a crash before that leaves
the generation at position 0 (empty) for the next rebuild.

A longer log would need memory in proportion to it, so it is loaded in buckets of participants
(``projections.bulk.spill``): the log is read once and spilled to local disk by bucket, then each
bucket is projected on its own, in this process or spread over worker processes
(``projections.bulk.processes``), and committed with its part marker (``projections.bulk.claims``).
Every view row belongs to one participant, so the buckets never touch the same row, and memory
holds one bucket's rows per process whatever the length of the log. Once every bucket has
arrived, the indexes are built and the positions set in one transaction; until then the
generation is still at position 0, and the claim token written at the start lets the next
rebuild (or a rival one) find a half-loaded generation and clear it instead of adding to it.
"""

from __future__ import annotations

import gc
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from panel.store.partitions import partition_bounds, prefix_bounds
from projections import connection, db
from projections.bulk import spill as spilling
from projections.bulk.claims import (
    SupersededError,
    arrived,
    check_claim,
    claim,
    forget_marks,
    marks,
    part_key,
    token_key,
)
from projections.bulk.processes import load_in_workers
from projections.bulk.rows import Pending
from projections.generation import Progress, Source, Target
from projections.reader import read_pages
from projections.view_base import Batch

__all__ = ["MIN_EVENTS_PER_WORKER", "SupersededError", "claim", "load", "load_bucket", "load_here"]

MIN_EVENTS_PER_WORKER = 50_000  # below this a worker process costs more to start than it saves


def load(projector: Source, targets: list[Target], progress: Progress | None, workers: int) -> int:
    """Bulk-load the targets still at position 0; returns the position reached (0 if none was fresh)."""
    with projector.engine.connect() as conn:
        now = db.positions(conn, [t.key for t in targets])
        conn.rollback()
    fresh = [t for t in targets if t.view.can_bulk and now[t.key] == 0]
    head = projector.head()
    if not fresh or not head:
        return 0
    processes = min(workers, head // MIN_EVENTS_PER_WORKER) if MIN_EVENTS_PER_WORKER else workers
    recipe = connection.recipe(projector.engine)
    if recipe is None:
        processes = 1
    parts = spilling.buckets_for(head, max(1, processes))
    token = claim(projector, fresh, partitioned=parts > 1)
    if parts < 2:
        return load_here(projector, fresh, progress, head)
    if processes < 2 or recipe is None:
        load_buckets(projector, fresh, progress, head, parts, token)
    else:
        load_in_workers(projector, fresh, recipe, progress, head, parts, token)
    with connection.writing(projector.engine, bulk=True) as conn:  # the indexes' sorts, too, in a small cache
        now = marks(conn, fresh)
        for t in fresh:
            if now[t.key] != 0 or now[token_key(t)] != token:
                raise SupersededError(f"another rebuild took over the {t.view.name} view; run the rebuild again")
            missing = sorted(set(range(parts)) - arrived(conn, t, head))
            if missing:
                raise RuntimeError(f"bulk rebuild of {t.view.name}: parts {missing[:10]} did not arrive")
            _index(conn, t)
            db.set_position(conn, t.key, head)
            forget_marks(conn, t)
    return head


def load_buckets(
    projector: Source, fresh: list[Target], progress: Progress | None, head: int, parts: int, token: int
) -> None:
    """Spill the log into ``parts`` buckets, then load each in this process with its part marker."""
    spill = spilling.spill_log(projector, spilling.topics_of(fresh), progress, head, parts)
    try:
        done = 0

        def report(events: int) -> None:
            if progress:
                progress(head + min(head, done + events), 2 * head)

        for bucket in range(parts):
            done += load_bucket(projector, fresh, spill, head, (bucket, parts, token), report)
    finally:
        spill.close()


def load_bucket(
    projector: Source,
    fresh: list[Target],
    spill: spilling.Spill,
    head: int,
    part: tuple[int, int, int],
    report: Callable[[int], None] | None = None,
) -> int:
    """Load one bucket (index, count, claim token) of a spilled log into every view, then write its rows and
    marker; ``report`` gets the events applied so far. Returns the bucket's number of events."""
    bucket, count, _ = part
    pages = spill.pages(projector.app, bucket, projector.batch_size)
    applied = 0

    def counted() -> Iterator[Batch]:
        nonlocal applied
        for events in pages:
            yield events
            applied += len(events)
            if report is not None:
                report(applied)

    _project(fresh, (*prefix_bounds(bucket, count), 16), counted(), lambda: _write_part(projector, fresh, head, part))
    return applied


def load_here(
    projector: Source,
    fresh: list[Target],
    progress: Progress | None,
    head: int,
    report: Any = None,
    part: tuple[int, int, int] | None = None,
    keep: bool = False,
) -> int:
    """Bulk-load ``fresh`` up to ``head`` in this process, reading the log itself; returns the position reached.

    With ``part`` (index, count, claim token) only that part of the participants (by the first byte
    of their id, ``partition_bounds``) is read and loaded, and its part marker is recorded instead of
    the position. ``keep`` leaves the loaded rows in memory (a process about to exit need not take
    them apart one by one).
    """
    topics = spilling.topics_of(fresh)
    part_read = part[:2] if part else (0, 1)  # (0, 1): the whole log, in id windows too
    pages = read_pages(projector.app, projector.batch_size, 0, set(topics), topics, stop=head, part=part_read)

    def ticking() -> Iterator[Batch]:
        for _, last, events in pages:
            yield events
            if progress:
                progress(min(last, head), head)
            if report is not None:
                report(last)

    def write() -> None:
        if part is None:
            _write_whole(projector, fresh, head)
        else:
            _write_part(projector, fresh, head, part)

    _project(fresh, (*partition_bounds(*part_read), 8), ticking(), write, keep)
    return head


def _project(
    fresh: list[Target],
    span: tuple[int, int, int],
    pages: Iterable[Batch],
    write: Callable[[], None],
    keep: bool = False,
) -> None:
    """Apply ``pages`` (the events of the participants in ``span``) to every view in memory, then ``write``."""
    collecting = gc.isenabled()
    gc.disable()  # many long-lived rows: the cyclic GC would walk them again and again
    try:
        for t in fresh:
            t.view.start_bulk(t.tables, span)
        for events in pages:
            for t in fresh:
                t.view.bulk_apply(events)
        write()
    finally:
        if not keep:
            for t in fresh:
                t.view.end_bulk()
        if collecting and not keep:  # (re-enabled, the collector would walk every kept row at once)
            gc.enable()


def _write_whole(projector: Source, fresh: list[Target], head: int) -> None:
    """One process's bulk load: every view's rows, indexes and position in one transaction."""
    times: dict[Any, str | None] = {}
    pending = {t.key: Pending(projector.engine.dialect.name, times) for t in fresh}
    for t in fresh:  # fold and convert before the write transaction
        t.view.finish_bulk(pending[t.key])
    with connection.writing(projector.engine, bulk=True) as conn:
        now = db.positions(conn, [t.key for t in fresh], lock=True)
        for t in fresh:
            if now[t.key] != 0:
                continue  # another rebuild wrote this generation meanwhile; the catch-up carries on from there
            pending[t.key].write(conn)
            _index(conn, t)
            db.set_position(conn, t.key, head)


def _write_part(projector: Source, fresh: list[Target], head: int, part: tuple[int, int, int]) -> None:
    """One part's rows, a view per transaction, then the part's markers.

    Each view's rows are converted, then written while the other parts convert theirs, so the
    parts take turns at SQLite's single writer instead of queueing at the end. Rows without
    their part marker are harmless: the generation is invisible until ``load`` sees every
    marker, and the next claim clears it. Every transaction first checks the claim.
    """
    times: dict[Any, str | None] = {}
    for t in fresh:
        pending = Pending(projector.engine.dialect.name, times)
        t.view.finish_bulk(pending)
        with connection.writing(projector.engine, bulk=True) as conn:
            check_claim(conn, fresh, part[2])
            pending.write(conn)
    with connection.writing(projector.engine) as conn:
        check_claim(conn, fresh, part[2])
        for t in fresh:
            db.set_position(conn, part_key(t, part[0]), head)


def _index(conn: Any, t: Target) -> None:
    for table in t.tables.values():
        for index in table.indexes:
            db.create_index(conn, index)
