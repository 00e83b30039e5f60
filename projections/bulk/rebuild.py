"""Bulk rebuild of fresh generations: every row held in memory, then written with its position at once.

A generation being rebuilt is not visible to readers, so nothing is lost by holding its rows until
the end of the log: the rows, the secondary indexes and the position commit in ONE transaction,
and a crash before that leaves the generation at position 0 (empty) for the next rebuild. Per-batch
work that only an incremental catch-up needs is skipped: no rows are loaded back, nothing is
upserted, and the consent log of each person is folded once, at the end.

With ``workers`` > 1 (and a log long enough to pay for starting processes) the participants are
split into parts by the first byte of their id, and each part is projected by its own worker
process: it reads only its part of the log (the filter runs in the database), applies every view,
and commits its rows with a part marker. Every view row belongs to one participant, so the parts
never touch the same row. The parent then checks that every part arrived, builds the indexes and
sets the positions in one transaction; until then the generation is still at position 0, and a
claim token written at the start lets the next rebuild (or a rival one) find and clear a half-loaded
generation instead of adding to it.
"""

from __future__ import annotations

import gc
import secrets
from typing import Any

from sqlalchemy import select
from sqlalchemy.engine import Connection

from panel.domain.errors import PanelError
from projections import connection, db
from projections.bulk.processes import load_in_workers
from projections.bulk.rows import Pending
from projections.generation import Progress, Source, Target
from projections.reader import read_pages

MIN_EVENTS_PER_WORKER = 50_000  # below this a worker process costs more to start than it saves


class SupersededError(PanelError):
    """Raised when another rebuild claimed the generation while this one was loading it (run the rebuild again)."""


def load(projector: Source, targets: list[Target], progress: Progress | None, workers: int) -> int:
    """Bulk-load the targets still at position 0; returns the position reached (0 if none was fresh)."""
    with projector.engine.connect() as conn:
        now = db.positions(conn, [t.key for t in targets])
        conn.rollback()
    fresh = [t for t in targets if t.view.can_bulk and now[t.key] == 0]
    head = projector.head()
    if not fresh or not head:
        return 0
    parts = min(workers, head // MIN_EVENTS_PER_WORKER) if MIN_EVENTS_PER_WORKER else workers
    recipe = connection.recipe(projector.engine)
    if recipe is None:
        parts = 1
    token = claim(projector, fresh, partitioned=parts > 1)
    if parts < 2 or recipe is None:
        return load_here(projector, fresh, progress, head)
    load_in_workers(projector, fresh, recipe, progress, head, parts, token)
    with connection.writing(projector.engine) as conn:
        now = _marks(conn, fresh, parts)
        for t in fresh:
            if now[t.key] != 0 or now[_token_key(t)] != token:
                raise SupersededError(f"another rebuild took over the {t.view.name} view; run the rebuild again")
            missing = [k for k in range(parts) if now[_part_key(t, k)] != head]
            if missing:
                raise RuntimeError(f"bulk rebuild of {t.view.name}: parts {missing} did not arrive")
            _index(conn, t)
            db.set_position(conn, t.key, head)
            _forget_marks(conn, t)
    return head


def load_here(
    projector: Source,
    fresh: list[Target],
    progress: Progress | None,
    head: int,
    report: Any = None,
    part: tuple[int, int, int] | None = None,
    keep: bool = False,
) -> int:
    """Bulk-load ``fresh`` up to ``head`` in this process; returns the position its transaction recorded.

    With ``part`` (index, count, claim token) only that part of the participants is loaded, and
    part markers are recorded instead of the position (see ``load``). ``keep`` leaves the loaded
    rows in memory (a worker about to exit need not take them apart one by one).
    """
    topics = sorted(set().union(*(t.view.topics() for t in fresh)))
    collecting = gc.isenabled()
    gc.disable()  # millions of long-lived rows: the cyclic GC would walk them again and again
    try:
        part_read = part[:2] if part else (0, 1)  # (0, 1): the whole log, in id windows too
        for t in fresh:
            t.view.start_bulk(t.tables, part_read)
        pages = read_pages(projector.app, projector.batch_size, 0, set(topics), topics, stop=head, part=part_read)
        for _, last, events in pages:
            for t in fresh:
                t.view.bulk_apply(events)
            if progress:
                progress(min(last, head), head)
            if report is not None:
                report(last)
        if part is None:
            _write_whole(projector, fresh, head)
        else:
            _write_part(projector, fresh, head, part)
    finally:
        if not keep:
            for t in fresh:
                t.view.end_bulk()
        if collecting and not keep:  # (re-enabled, the collector would walk every kept row at once)
            gc.enable()
    return head


def _write_whole(projector: Source, fresh: list[Target], head: int) -> None:
    """One process's bulk load: every view's rows, indexes and position in one transaction."""
    times: dict[Any, str | None] = {}
    pending = {t.key: Pending(projector.engine.dialect.name, times) for t in fresh}
    for t in fresh:  # fold and convert before the write transaction
        t.view.finish_bulk(pending[t.key])
    with connection.writing(projector.engine) as conn:
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
        with connection.writing(projector.engine) as conn:
            _check_claim(conn, fresh, part)
            pending.write(conn)
    with connection.writing(projector.engine) as conn:
        _check_claim(conn, fresh, part)
        for t in fresh:
            db.set_position(conn, _part_key(t, part[0]), head)


def _check_claim(conn: Connection, fresh: list[Target], part: tuple[int, int, int]) -> None:
    """Raise ``SupersededError`` unless the claim is still this load's (share-locked: a rival claim waits)."""
    now = _marks(conn, fresh, part[1], share=True)
    superseded = [t.view.name for t in fresh if now[t.key] != 0 or now[_token_key(t)] != part[2]]
    if superseded:
        raise SupersededError(f"another rebuild took over the {', '.join(superseded)} view(s); run the rebuild again")


# -- claims and part markers (rows of the tracking table beside the generation's own position) -----
def _token_key(t: Target) -> str:
    return f"{t.key}#claim"


def _part_key(t: Target, part: int) -> str:
    return f"{t.key}#part{part}"


def _marks(conn: Connection, fresh: list[Target], parts: int, share: bool = False) -> dict[str, int]:
    """Positions, claims and part markers of ``fresh``: under the writers' lock, or (``share``) a share lock
    on the claim rows, which a rival ``claim`` must wait out before it clears anything."""
    keys = [t.key for t in fresh] + [_token_key(t) for t in fresh]
    keys += [_part_key(t, k) for t in fresh for k in range(parts)]
    if share and conn.dialect.name == "postgresql":
        claims = [_token_key(t) for t in fresh]
        conn.execute(
            select(db.TRACKING.c.view_name).where(db.TRACKING.c.view_name.in_(claims)).with_for_update(read=True)
        )
        return db.positions(conn, keys)
    return db.positions(conn, keys, lock=not share)


def _forget_marks(conn: Connection, t: Target) -> None:
    conn.execute(db.TRACKING.delete().where(db.TRACKING.c.view_name.like(f"{t.key}#%")))


def claim(projector: Source, fresh: list[Target], partitioned: bool) -> int:
    """Clear what an interrupted (or rival) partitioned load left in these generations; claim them.

    Returns the claim token the workers must still find when they commit (0 when not partitioned).
    """
    token = secrets.randbelow(2**31 - 1) + 1 if partitioned else 0
    with connection.writing(projector.engine) as conn:
        db.positions(conn, [], lock=True)
        for t in fresh:
            left = conn.execute(db.TRACKING.select().where(db.TRACKING.c.view_name.like(f"{t.key}#%"))).first()
            if left is not None:  # rows of some parts may be in: the generation starts again, empty
                _forget_marks(conn, t)  # first: it waits for any part still committing under the old claim
                for table in t.tables.values():
                    conn.execute(table.delete())
            if partitioned:
                db.set_position(conn, _token_key(t), token)
    return token


def _index(conn: Connection, t: Target) -> None:
    for table in t.tables.values():
        for index in table.indexes:
            index.create(conn, checkfirst=True)
