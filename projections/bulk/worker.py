"""``python -m projections.bulk.worker``: one worker process of a bulk rebuild (see ``projections.bulk.rebuild``).

The parent (``processes.load_in_workers``) writes the job to this process's stdin; the worker loads its part
of the participants into every view and prints each position it reaches, one per line.
"""

from __future__ import annotations

import os
import pickle
import sys

from projections.bulk.rebuild import load_here
from projections.connection import engine_from
from projections.engine import Projector
from projections.generation import Target


def worker() -> None:
    """The child's side: read the job from stdin, bulk-load its part of the views, print each position reached."""
    job = sys.stdin.buffer.read()  # written by our own parent process (processes.load_in_workers)
    app_class, env, recipe, views, batch_size, head, part = pickle.loads(job)  # noqa: S301 - our own parent's job
    # the parent made every table; concurrent DDL from two workers races on PostgreSQL's catalog
    app = app_class(env={**env, "CREATE_TABLE": "no"})
    url, args = recipe
    if url.startswith("sqlite"):  # the other workers may hold the write lock for a whole bulk write
        args = {**args, "timeout": 3600}
    engine = engine_from(url, args)
    projector = Projector(app, engine, views=[cls for cls, _ in views], batch_size=batch_size)
    targets = [
        Target(projector.views[cls.name], projector.define(cls.name, int(key.rsplit("@", 1)[1])), key)
        for cls, key in views
    ]
    last = load_here(projector, targets, None, head, report=lambda at: print(at, flush=True), part=part, keep=True)
    print(last, flush=True)
    engine.dispose()
    app.close()
    sys.stderr.flush()
    os._exit(0)  # all committed and closed; skip taking a million rows apart object by object


if __name__ == "__main__":
    worker()
