"""Bulk rebuild of fresh generations: every row held in memory, then written with its position at once.

A generation being rebuilt is not visible to readers, so nothing is lost by holding its rows until
the end of the log: the rows, the secondary indexes and the final position commit in ONE
transaction, and a crash before that leaves the generation at position 0 (empty) for the next
rebuild. Per-batch work that only an incremental catch-up needs is skipped: no rows are loaded
back, nothing is upserted, and the consent log of each person is folded once, at the end.

With ``workers`` > 1 the views are split over worker processes (each reads, with its views'
topics filtered in the query, and writes its own views' rows and positions in its own
transaction), so the views' Python can run on several cores rather than behind one GIL. That
only pays on a machine with idle cores: on the project's busy 2-vCPU machine two workers gave
the same rate as one process, so the default is one (in the calling process).
"""

from __future__ import annotations

import gc
import pickle
import queue
import subprocess
import sys
import threading
from typing import TYPE_CHECKING, Any

from projections import db

if TYPE_CHECKING:
    from projections.engine import Progress, Projector, _Target


def load(projector: Projector, targets: list[_Target], progress: Progress | None, workers: int) -> int:
    """Bulk-load the targets still at position 0; returns the position reached (0 if none was fresh)."""
    with projector.engine.connect() as conn:
        now = db.positions(conn, [t.key for t in targets])
        conn.rollback()
    fresh = [t for t in targets if t.view.can_bulk and now[t.key] == 0]
    if not fresh:
        return 0
    head = projector.head()
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
    """Run each group in a ``python -m projections.bulk_worker`` child; each prints the positions it reaches."""
    app = projector.app
    children = []
    for group in groups:
        job = (type(app), dict(app.env), recipe, [(type(t.view), t.key) for t in group], projector.batch_size, head)
        child = subprocess.Popen([sys.executable, "-m", "projections.bulk_worker"], stdin=subprocess.PIPE,
                                 stdout=subprocess.PIPE)
        assert child.stdin is not None
        child.stdin.write(pickle.dumps(job))
        child.stdin.close()
        children.append(child)
    reached = [0] * len(children)
    lines: queue.Queue[tuple[int, bytes]] = queue.Queue()

    def relay(index: int, stream: Any) -> None:
        for line in stream:
            lines.put((index, line))
        lines.put((index, b""))

    for index, child in enumerate(children):
        threading.Thread(target=relay, args=(index, child.stdout), daemon=True).start()
    try:
        running = len(children)
        while running:
            index, line = lines.get()
            if not line:
                running -= 1
                continue
            if not line.strip().isdigit():
                continue  # not a position (something a library printed)
            reached[index] = int(line)
            if progress:
                progress(min(min(reached), head), head)
        failed = [c.args for c in children if c.wait() != 0]
    finally:
        for child in children:
            if child.poll() is None:
                child.kill()
                child.wait()
    if failed:
        raise RuntimeError("a bulk rebuild worker failed (its error is above)")
    return max(reached)


def worker() -> None:
    """The child's side: read the job from stdin, bulk-load its views, print each position reached."""
    from projections.engine import Projector, _Target

    app_class, env, recipe, views, batch_size, head = pickle.loads(sys.stdin.buffer.read())
    # the parent made every table; concurrent DDL from two workers races on PostgreSQL's catalog
    app = app_class(env={**env, "CREATE_TABLE": "no"})
    url, args = recipe
    if url.startswith("sqlite"):  # the other worker may hold the write lock for a whole bulk write
        args = {**args, "timeout": 3600}
    engine = db.engine_from(url, args)
    projector = Projector(app, engine, views=[cls for cls, _ in views], batch_size=batch_size)
    targets = [_Target(projector.views[cls.name], projector._define(cls.name, int(key.rsplit("@", 1)[1])), key)
               for cls, key in views]
    last = load_here(projector, targets, None, head, report=lambda at: print(at, flush=True))
    print(last, flush=True)
    engine.dispose()
    app.close()
