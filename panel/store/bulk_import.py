"""Bulk registration of many sign-ups: batches prepared in worker processes while this one writes.

Per event almost all the cost is Python: sealing personal data, building the events and the
mapper's JSON encoding. On a large import these run in two forked worker processes, batch by
batch, while this process checks which ids are present, creates the data keys and writes the
batch before. The rules are the sequential path's: each batch is checked for ids already in the
store (or earlier in this run) before it is prepared, its keys are committed before its events,
its events are written in one transaction, and a failure stops the import after the batches
already written, so a re-run completes it. The CSV importer hands its batches to the same
machinery with a writer whose batches all share one transaction (``panel.store.import_writer``),
so there a failure leaves nothing written.
"""

from __future__ import annotations

import functools
import gc
import itertools
import multiprocessing
import signal
import threading
from collections import deque
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import Future, ProcessPoolExecutor, ThreadPoolExecutor
from typing import TYPE_CHECKING, Any
from uuid import UUID

from eventsourcing.persistence import InfrastructureFactory, Mapper, StoredEvent
from eventsourcing.utils import Environment

from panel import actor
from panel.store.sealing import signup_events

if TYPE_CHECKING:
    from panel.application import PanelApp
    from panel.store.protocols import SignUpWriter
    from panel.validation import SignUp

WORKERS = 2
PARALLEL_FROM = 4  # batches; below this, starting worker processes costs more than it saves
IN_FLIGHT = 4  # batches handed to the workers ahead of the one being written
KEYS_AHEAD = 4  # batches whose keys are created in one transaction (one commit instead of four)

Row = tuple[UUID | str, int, str, bytes]  # a StoredEvent's fields, cheaper to send between processes
Items = list[tuple[UUID, "SignUp"]]
Parse = Callable[[Any], "SignUp"]  # a top-level function (or a partial of one): it is sent to the workers

_mapper: Mapper[UUID] | None = None  # the worker's own mapper, built once by _start_worker


def worth_it(people: int, batch: int) -> bool:
    """Whether an import of ``people`` in batches of ``batch`` is large enough for worker processes."""
    return "fork" in multiprocessing.get_all_start_methods() and -(-people // batch) >= PARALLEL_FROM


def build_mapper(app_class: type[PanelApp], name: str, env: dict[str, str]) -> Mapper[UUID]:
    """The mapper an application of ``app_class`` builds from ``env``, without opening its database.

    The application's own ``construct_mapper`` runs on an instance that holds only a factory made
    from the same settings (in-memory persistence): same mapper class, transcoder and transcodings,
    cipher and compressor.
    """
    settings = Environment(name, {**env, "PERSISTENCE_MODULE": "eventsourcing.popo"})
    shell = object.__new__(app_class)
    shell.factory = InfrastructureFactory.construct(settings)
    return shell.construct_mapper()


def stored_rows(mapper: Mapper[UUID], items: Items, keys: dict[UUID, bytes]) -> list[Row]:
    """The stored-event rows of fresh sign-ups: sealed, built and encoded as the sequential path does."""
    rows = []
    for pid, signup in items:
        for domain_event in signup_events(pid, signup, keys[pid]):
            s = mapper.to_stored_event(domain_event)
            rows.append((s.originator_id, s.originator_version, s.topic, s.state))
    return rows


def register_parallel(
    registration: SignUpWriter, signups: Sequence[SignUp], batch: int, progress: Callable[[int], None] | None = None
) -> tuple[int, int, int]:
    """Register sign-ups in atomic batches prepared by worker processes; returns (created, unchanged, events).

    On PostgreSQL one writer thread writes the prepared batches in order, so that its waits on the
    server overlap this thread's checks and key writes for the batches after it (on SQLite the
    writing is this process's own CPU work, binding each row under the GIL, so it stays on this
    thread); a batch that fails stops the writing before the next one.
    """
    chunks = (signups[start : start + batch] for start in range(0, len(signups), batch))
    threaded = registration.app.dialect != "sqlite"
    collecting = gc.isenabled()
    gc.disable()  # hundreds of thousands of long-lived objects: the cyclic GC would walk them again and again
    try:
        return write_batches(registration, chunks, progress, threaded=threaded, remember=True)
    finally:
        if collecting:
            gc.enable()


def write_batches(
    registration: SignUpWriter,
    chunks: Iterable[Sequence[Any]],
    progress: Callable[[int], None] | None = None,
    *,
    threaded: bool = False,
    remember: bool = True,
    parse: Parse | None = None,
) -> tuple[int, int, int]:
    """Write batches of sign-ups, prepared by worker processes, in order; returns (created, unchanged, events).

    ``chunks`` is read a few batches ahead of the one being written, never further, so a stream of
    batches (an import read from its file) is never held whole. ``threaded``: write on a thread of
    its own (PostgreSQL, each batch in its own transaction). ``remember``: keep the ids written in
    this run, for sign-ups that may repeat (an import's file has been checked for repeats already,
    and its writer's existence check sees its own transaction). ``parse``: the batches hold items
    that the worker processes turn into sign-ups (an import's rows, parsed and validated there, so
    that this process only reads the file, checks ids, stores keys and writes).
    """
    app = registration.app
    totals = [0, 0, 0]
    seen: set[UUID] = set()
    waiting: deque[tuple[Callable[[], int], int, int]] = deque()
    stop = threading.Event()
    pool = ProcessPoolExecutor(
        max_workers=WORKERS,
        mp_context=multiprocessing.get_context("fork"),
        initializer=_start_worker,
        initargs=(type(app), app.name, dict(app.env), actor.current()),  # app.name: the name its env was built with
    )
    writer = ThreadPoolExecutor(1, thread_name_prefix="panel-bulk-writer") if threaded else None
    batches = iter(chunks)
    try:
        while group := list(itertools.islice(batches, KEYS_AHEAD)):
            for prepared, size, fresh in _submit_group(registration, pool, group, seen, parse):
                waiting.append((_writing(writer, registration, prepared, stop), size, fresh))
                while len(waiting) > IN_FLIGHT:
                    _account(*waiting.popleft(), totals, progress)
            if not remember:
                seen.clear()
        while waiting:
            _account(*waiting.popleft(), totals, progress)
    finally:
        stop.set()
        if writer is not None:
            writer.shutdown(wait=True, cancel_futures=True)
        pool.shutdown(wait=True, cancel_futures=True)
    return totals[0], totals[1], totals[2]


def _submit_group(
    registration: SignUpWriter,
    pool: ProcessPoolExecutor,
    group: list[Sequence[Any]],
    seen: set[UUID],
    parse: Parse | None,
) -> list[tuple[Future[list[Row]] | None, int, int]]:
    """Check a few batches for ids already present, commit their keys together, and hand them to the workers."""
    fresh_by_chunk = []
    for chunk in group:
        fresh = registration.fresh_items(chunk, seen)  # the sequential path's own seams
        seen.update(pid for pid, _ in fresh)
        fresh_by_chunk.append(fresh)
    everyone = [item for fresh in fresh_by_chunk for item in fresh]
    keys = registration.keys_for(everyone) if everyone else {}
    return [
        (
            pool.submit(_prepare, fresh, {pid: keys[pid] for pid, _ in fresh}, parse) if fresh else None,
            len(chunk),
            len(fresh),
        )
        for chunk, fresh in zip(group, fresh_by_chunk, strict=False)
    ]


def _writing(
    writer: ThreadPoolExecutor | None,
    registration: SignUpWriter,
    prepared: Future[list[Row]] | None,
    stop: threading.Event,
) -> Callable[[], int]:
    """The batch's write, started now on the writer thread, or run here when its turn comes (SQLite)."""
    if writer is None:
        return functools.partial(_write, registration, prepared, stop)
    return writer.submit(_write, registration, prepared, stop).result


def _write(registration: SignUpWriter, prepared: Future[list[Row]] | None, stop: threading.Event) -> int:
    """On the writer thread: wait for a batch's rows and write them in one transaction."""
    if stop.is_set():
        raise RuntimeError("the import stopped at an earlier batch")
    try:
        rows = prepared.result() if prepared is not None else []
        if stop.is_set():
            raise RuntimeError("the import stopped before this batch was written")
        if rows:
            registration.write_events([StoredEvent(*row) for row in rows])
        return len(rows)
    except BaseException:
        stop.set()  # no later batch is written after a failed one
        raise


def _account(
    written: Callable[[], int], size: int, fresh: int, totals: list[int], progress: Callable[[int], None] | None
) -> None:
    totals[2] += written()  # raises what the batch raised, in batch order
    totals[0] += fresh
    totals[1] += size - fresh
    if progress:
        progress(size)


def _start_worker(app_class: type[PanelApp], name: str, env: dict[str, str], who: str | None) -> None:
    global _mapper  # one mapper per worker process
    actor.act_as(who)  # a context variable does not cross into another process: the parent's actor, given
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C stops the parent, which shuts the pool down
    gc.freeze()  # what the fork inherited is never garbage here: keep the cyclic GC (and copy-on-write) off it
    _mapper = build_mapper(app_class, name, env)


def _prepare(items: list[tuple[UUID, Any]], keys: dict[UUID, bytes], parse: Parse | None = None) -> list[Row]:
    if _mapper is None:
        raise RuntimeError("worker started without _start_worker")
    signups = items if parse is None else [(pid, parse(item)) for pid, item in items]
    return stored_rows(_mapper, signups, keys)
