"""The catch-up loop: apply the log to view generations a page at a time, each page in ONE transaction.

Every page's events are applied to each view after its own position, and the rows are committed
together with the new tracking positions, which are re-read under a lock inside that transaction:
a crash loses nothing (the page is redone) and two concurrent catch-ups never count twice. A view
that cannot apply an event stops there and the others carry on (``projections.failures``).
"""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy.engine import Connection, Engine

from projections import db, failures
from projections.connection import writing
from projections.generation import Progress, Source, Target
from projections.reader import read_pages
from projections.view_base import Batch


def run(source: Source, targets: list[Target], progress: Progress | None) -> int:
    """Apply the log to ``targets`` up to its head; returns the number of notifications read.

    A view that cannot apply an event stops there and the others carry on; ViewStoppedError then
    names each stopped view's event and cause.
    """
    if not targets:
        return 0
    topics = set().union(*(t.view.topics() for t in targets))
    with source.engine.connect() as conn:
        start = min(db.positions(conn, [t.key for t in targets]).values())
        failed = {key: found[0] for key, found in db.failures(conn, [t.key for t in targets]).items()}
        conn.rollback()
    head = source.head()
    begun, read = start, 0
    stopped: dict[str, failures.Failure] = {}
    for size, last, events in read_pages(source.app, source.batch_size, start, topics):
        active = [t for t in targets if t.key not in stopped]
        if not active:
            break
        try:
            with writing(source.engine) as conn:
                apply_batch(conn, active, events, last)
                for key in [t.key for t in active if failed.get(t.key, last + 1) <= last]:
                    db.clear_failure(conn, key)  # the event it stopped at went through this time
                    del failed[key]
        except Exception as exc:
            if not failures.is_event_problem(exc):
                raise
            for target in active:
                found = failures.isolate(
                    applier(source.engine, target), recorder(source.engine, target), target.view.name, events, last
                )
                if found is not None:
                    stopped[target.key] = found
        read += size
        if progress:
            progress(min(last, head) - begun, max(head, last) - begun)
    if stopped:
        raise failures.stopped_error(list(stopped.values()))
    return read


def applier(engine: Engine, target: Target) -> Callable[[Batch, int], None]:
    """Apply a page to one view alone, in its own transaction (to find the event it cannot apply)."""

    def apply_alone(events: Batch, last: int) -> None:
        with writing(engine) as conn:
            apply_batch(conn, [target], events, last)

    return apply_alone


def recorder(engine: Engine, target: Target) -> Callable[[failures.Failure], None]:
    """Record where and why one view stopped."""

    def record(failure: failures.Failure) -> None:
        with writing(engine) as conn:
            db.record_failure(conn, target.key, failure.position, failure.topic, failure.cause)

    return record


def apply_batch(conn: Connection, targets: list[Target], events: Batch, last: int) -> None:
    """Apply a page to each target after its own position (read under the writers' lock) and move it on."""
    now = db.positions(conn, [t.key for t in targets], lock=True)
    for target in targets:
        done = now[target.key]
        if last <= done:
            continue  # another catch-up already committed this batch
        fresh = events if not events or events[0][0] > done else Batch((p, e) for p, e in events if p > done)
        target.view.apply(conn, target.tables, fresh)
        db.set_position(conn, target.key, last)
