"""The parent's side of a bulk rebuild in worker processes: how many, starting them, relaying progress.

The parent spills the log into buckets (``projections.bulk.spill``) and hands each worker (a
``python -m projections.bulk.worker`` child, which reads its job from stdin) every ``n``-th bucket.
Each worker prints the number of events it has applied so far; ``projections.bulk.rebuild.load``
then checks what they committed.
"""

from __future__ import annotations

import os
import pickle
import queue
import subprocess
import sys
import threading
from typing import Any

from projections.bulk.spill import spill_log, topics_of
from projections.generation import Progress, Source, Target


def default_workers() -> int:
    """Worker processes for a bulk rebuild: one per CPU this process may run on, at most four."""
    usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return max(1, min(4, usable or 1))


def load_in_workers(
    projector: Source,
    fresh: list[Target],
    recipe: tuple[str, dict[str, Any]],
    progress: Progress | None,
    head: int,
    parts: int,
    token: int,
) -> None:
    """Spill the log into ``parts`` buckets, then load them in worker processes (at most ``bulk_workers``)."""
    spill = spill_log(projector, topics_of(fresh), progress, head, parts)
    try:
        processes = max(1, min(projector.bulk_workers, parts))
        _run(projector, fresh, recipe, progress, head, [list(range(k, parts, processes)) for k in range(processes)],
             (spill.directory, parts, spill.topics, token))  # fmt: skip
    finally:
        spill.close()


def _run(
    projector: Source,
    fresh: list[Target],
    recipe: tuple[str, dict[str, Any]],
    progress: Progress | None,
    head: int,
    shares: list[list[int]],
    spilled: tuple[str, int, list[str], int],
) -> None:
    """One child per share of the buckets; each prints the events it has applied so far."""
    app = projector.app
    children = []
    for share in shares:
        job = (
            type(app),
            dict(app.env),
            recipe,
            [(type(t.view), t.key) for t in fresh],
            projector.batch_size,
            head,
            spilled,
            share,
        )
        child = subprocess.Popen(
            [sys.executable, "-m", "projections.bulk.worker"], stdin=subprocess.PIPE, stdout=subprocess.PIPE
        )
        stdin = child.stdin
        if stdin is None:  # never: Popen was asked for a pipe
            raise RuntimeError("the worker process has no stdin pipe")
        stdin.write(pickle.dumps(job))
        stdin.close()
        children.append(child)
    applied = [0] * len(children)
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
                continue  # not a count (something a library printed)
            applied[index] = int(line)
            if progress:
                progress(head + min(head, sum(applied)), 2 * head)
        failed = [c.args for c in children if c.wait() != 0]
    finally:
        for child in children:
            if child.poll() is None:
                child.kill()
                child.wait()
    if failed:
        raise RuntimeError("a bulk rebuild worker failed (its error is above)")
