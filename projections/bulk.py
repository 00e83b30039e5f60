"""Bulk rebuild of fresh generations: every row held in memory, then written with its position at once.

A generation being rebuilt is not visible to readers, so nothing is lost by holding its rows until
the end of the log: the rows, the secondary indexes and the final position commit in ONE
transaction, and a crash before that leaves the generation at position 0 (empty) for the next
rebuild. Per-batch work that only an incremental catch-up needs is skipped: no rows are loaded
back, nothing is upserted, and the consent log of each person is folded once, at the end.

On a large log the views are split over worker processes (each reads, with its views' topics
filtered in the query, and writes its own views' rows and positions in its own transaction):
the views' Python then runs on every core rather than behind one GIL.
"""

from __future__ import annotations

import gc
import multiprocessing
import os
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from projections import db
from projections.view import View

if TYPE_CHECKING:
    from projections.engine import Progress, Projector, _Target

WORKERS_FROM = 50_000  # below this many events, starting worker processes costs more than it saves


def load(projector: Projector, targets: list[_Target], progress: Progress | None, workers: int | None) -> int:
    """Bulk-load the targets still at position 0; returns the position reached (0 if none was fresh)."""
    with projector.engine.connect() as conn:
        now = db.positions(conn, [t.key for t in targets])
        conn.rollback()
    fresh = [t for t in targets if t.view.can_bulk and now[t.key] == 0]
    if not fresh:
        return 0
    head = projector.head()
    if workers is None:
        workers = min(os.cpu_count() or 1, 2) if head >= WORKERS_FROM else 1
    groups = _groups(fresh, workers)
    recipe = db.recipe(projector.engine)
    if len(groups) < 2 or recipe is None:
        return load_here(projector, fresh, progress, head)
    return _load_in_workers(projector, groups, recipe, progress, head)


def load_here(projector: Projector, fresh: list[_Target], progress: Progress | None, head: int,
              report: Any = None) -> int:
    """Bulk-load ``fresh`` in this process; returns the position its transaction recorded."""
    topics = sorted(set().union(*(t.view.topics() for t in fresh)))
    last = 0
    collecting = gc.isenabled()
    gc.disable()  # millions of long-lived rows: the cyclic GC would walk them again and again
    try:
        for t in fresh:
            t.view.start_bulk(t.tables)
        for _, last, events in projector._pages(0, set(topics), query_topics=topics):
            for t in fresh:
                t.view.bulk_apply(events)
            if progress:
                progress(min(last, head), max(head, last))
            if report is not None:
                report(last)
        if not last:
            return 0
        with db.writing(projector.engine) as conn:
            now = db.positions(conn, [t.key for t in fresh], lock=True)
            for t in fresh:
                if now[t.key] != 0:
                    continue  # another rebuild wrote this generation meanwhile; the catch-up carries on from there
                t.view.finish_bulk(conn)
                for table in t.tables.values():
                    for index in table.indexes:
                        index.create(conn, checkfirst=True)
                db.set_position(conn, t.key, last)
    finally:
        for t in fresh:
            t.view.end_bulk()
        if collecting:
            gc.enable()
    return last


def _groups(fresh: list[_Target], workers: int) -> list[list[_Target]]:
    """Split the views over ``workers`` groups, heaviest first into the lightest group."""
    groups: list[list[_Target]] = [[] for _ in range(max(1, min(workers, len(fresh))))]
    load: list[float] = [0.0] * len(groups)
    for t in sorted(fresh, key=lambda t: -t.view.bulk_cost):
        i = load.index(min(load))
        groups[i].append(t)
        load[i] += t.view.bulk_cost
    return groups


def _load_in_workers(projector: Projector, groups: list[list[_Target]], recipe: tuple[str, dict[str, Any]],
                     progress: Progress | None, head: int) -> int:
    context = multiprocessing.get_context("spawn")
    messages = context.Queue()
    app = projector.app
    children = [context.Process(target=_worker, name=f"projection-bulk-{i}", daemon=True,
                                args=(i, type(app), dict(app.env), recipe,
                                      [(type(t.view), t.key) for t in group], projector.batch_size, head, messages))
                for i, group in enumerate(groups)]
    for child in children:
        child.start()
    reached = [0] * len(children)
    running, failure = len(children), None
    try:
        while running:
            index, kind, value = messages.get()
            if kind == "at":
                reached[index] = value
                if progress:
                    progress(min(min(reached), head), head)
            else:
                running -= 1
                if kind == "failed" and failure is None:
                    failure = value
    finally:
        for child in children:
            child.join(timeout=60)
            if child.is_alive():
                child.kill()
    if failure is not None:
        raise RuntimeError(f"a bulk rebuild worker failed: {failure}")
    return max(reached)


def _worker(index: int, app_class: type, env: dict[str, str], recipe: tuple[str, dict[str, Any]],
            views: Sequence[tuple[type[View], str]], batch_size: int, head: int, messages: Any) -> None:
    from projections.engine import Projector, _Target

    try:
        app = app_class(env=env)
        engine = db.engine_from(*recipe)
        projector = Projector(app, engine, views=[cls for cls, _ in views], batch_size=batch_size)
        targets = []
        for cls, key in views:
            generation = int(key.rsplit("@", 1)[1])
            targets.append(_Target(projector.views[cls.name], projector._define(cls.name, generation), key))
        last = load_here(projector, targets, None, head, report=lambda at: messages.put((index, "at", at)))
        messages.put((index, "at", last))
        messages.put((index, "done", None))
        engine.dispose()
        app.close()
    except BaseException as exc:  # noqa: BLE001 - reported to the parent, which raises
        messages.put((index, "failed", f"{type(exc).__name__}: {exc}"))
