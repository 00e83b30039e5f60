"""Reading the notification log for the views: decoded pages, read one page ahead in a thread.

Both the catch-up (``projections.catchup``) and the bulk rebuild (``projections.bulk.rebuild``) read
through ``read_pages``: each event is decoded once, however many views then apply it.
"""

from __future__ import annotations

import contextlib
import queue
import threading
from collections.abc import Callable, Iterator, Sequence
from typing import Any, TypeVar

from panel.application import PanelApp
from panel.store.protocols import partitioned
from projections.view_base import Batch

T = TypeVar("T")


def read_pages(
    app: PanelApp,
    batch_size: int,
    start: int,
    topics: set[str],
    query_topics: Sequence[str] = (),
    stop: int = 0,
    part: tuple[int, int] | None = None,
) -> Iterator[tuple[int, int, Batch]]:
    """Decoded pages after ``start``: (notifications read, position reached, the events of ``topics``).

    ``query_topics`` filters in the query itself. With ``part`` (index, count) only that part of
    the aggregates is read (``select_partition``), up to ``stop``, in windows of notification ids
    (a window, not a LIMIT: with one, PostgreSQL may plan a scan of the whole rest of the log
    for every page); without, pages of ``batch_size`` notifications up to the head.
    """
    recorder = app.recorder
    decode: Callable[[Any], Any] = app.mapper.to_domain_event  # a Row has the StoredEvent fields it reads
    by_part = partitioned(recorder) if part is not None else None

    def produce() -> Iterator[tuple[int, int, Batch]]:
        position = start
        page: Sequence[Any]  # recorder rows: Notification, or our recorders' Row for a partition
        while True:
            if part is not None and by_part is not None:  # a window of ids holding about one page of it
                if position >= stop:
                    break
                upto = min(stop, position + batch_size * part[1])
                page = by_part.select_partition(position, upto, query_topics, *part)
            else:
                page = recorder.select_notifications(
                    position, limit=batch_size, topics=query_topics, inclusive_of_start=False
                )
                if not page:
                    break
                upto = page[-1].id
            events = Batch((n.id, decode(n)) for n in page if n.topic in topics)
            position = upto
            yield len(page), position, events

    return read_ahead(produce(), "projection-reader")


def read_ahead(items: Iterator[T], name: str, depth: int = 2) -> Iterator[T]:
    """``items`` produced in a thread of their own, up to ``depth`` ahead of the consumer (the database's
    work overlaps the caller's); an error in the thread is raised to the consumer, and a consumer that
    stops early stops the thread."""
    ready: queue.Queue[Any] = queue.Queue(maxsize=depth)
    halt = threading.Event()
    done = object()

    def produce() -> None:
        try:
            for item in items:
                if halt.is_set():
                    return
                ready.put(item)
            ready.put(done)
        except BaseException as exc:  # handed to the consumer
            ready.put(exc)

    thread = threading.Thread(target=produce, name=name, daemon=True)
    thread.start()
    try:
        while (item := ready.get()) is not done:
            if isinstance(item, BaseException):
                raise item
            yield item
    finally:
        halt.set()
        while thread.is_alive():
            with contextlib.suppress(queue.Empty):
                ready.get(timeout=0.05)
