"""``python -m projections.bulk.worker``: one worker process of a bulk rebuild (see ``projections.bulk.rebuild``).

The parent (``processes.load_in_workers``) writes the job to this process's stdin: the spilled log's
directory and its share of the buckets. The worker loads each of its buckets into every view in turn,
and prints the number of events it has applied so far, one count per line.
"""

from __future__ import annotations

import os
import pickle
import sys

from projections.bulk.rebuild import load_bucket
from projections.bulk.spill import Spill
from projections.connection import engine_from
from projections.engine import Projector
from projections.generation import Target


def worker() -> None:
    """The child's side: read the job from stdin, bulk-load its buckets, print the events applied so far."""
    job = sys.stdin.buffer.read()  # written by our own parent process (processes.load_in_workers)
    app_class, env, recipe, views, batch_size, head, spilled, share = pickle.loads(job)  # noqa: S301 - our parent's
    directory, parts, topics, token = spilled
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
    spill = Spill(parts, topics, directory)  # the parent's: it removes the directory
    done = 0
    for bucket in share:
        report = lambda events, before=done: print(before + events, flush=True)  # noqa: E731
        done += load_bucket(projector, targets, spill, head, (bucket, parts, token), report)
    print(done, flush=True)
    engine.dispose()
    app.close()
    sys.stderr.flush()
    os._exit(0)  # all committed and closed; skip taking the last bucket's rows apart object by object


if __name__ == "__main__":
    worker()
