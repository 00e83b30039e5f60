"""The parent's side of a partitioned bulk rebuild: how many worker processes, starting them, relaying progress.

Each worker is a ``python -m projections.bulk.worker`` child that reads its job from stdin and prints
each position it reaches; ``projections.bulk.rebuild.load`` checks what they committed.
"""

from __future__ import annotations

import os
import pickle
import queue
import subprocess
import sys
import threading
from typing import Any

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
    """Run each part in a ``python -m projections.bulk.worker`` child; each prints the positions it reaches."""
    app = projector.app
    children = []
    for part in range(parts):
        job = (
            type(app),
            dict(app.env),
            recipe,
            [(type(t.view), t.key) for t in fresh],
            projector.batch_size,
            head,
            (part, parts, token),
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
