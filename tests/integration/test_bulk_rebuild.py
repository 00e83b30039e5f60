"""The bulk rebuild (fresh generations held in memory, written once) gives exactly what catch-ups give."""

from __future__ import annotations

import os
import tempfile
from typing import Any

import pytest
from sqlalchemy import text

from panel.application import PanelApp
from projections import Projector, connection
from projections.bulk import rebuild as bulk
from projections.bulk import spill
from projections.bulk.rows import Pending
from projections.consent_view import ConsentView
from tests.helpers.scripted import History, dump, script


@pytest.mark.parametrize("workers", [2, 3])
def test_rebuild_in_worker_processes_equals_incremental(
    app: PanelApp, projector: Projector, workers: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    script(app, step=projector.catch_up)
    incremental = dump(projector)
    monkeypatch.setattr(bulk, "MIN_EVENTS_PER_WORKER", 0)  # the scripted log is short: split it anyway
    projector.bulk_workers = workers
    projector.rebuild()
    assert [s.generation for s in projector.status()] == [2, 2, 2]
    assert {s.position for s in projector.status()} == {projector.head()}
    assert dump(projector) == incremental


def test_a_crash_while_writing_the_bulk_load_leaves_the_new_generation_empty(
    app: PanelApp, projector: Projector, monkeypatch: pytest.MonkeyPatch
) -> None:
    script(app, step=projector.catch_up)
    incremental = dump(projector)

    def crash(self: ConsentView, conn: object) -> None:
        raise RuntimeError("crash while writing")

    monkeypatch.setattr(ConsentView, "finish_bulk", crash)
    with pytest.raises(RuntimeError):
        projector.rebuild()
    # readers are still on generation 1; generation 2 committed nothing, not even another view's rows
    assert [(s.generation, s.building, s.position) for s in projector.status()] == [(1, 2, projector.head())] * 3
    assert dump(projector) == incremental
    monkeypatch.undo()
    projector.rebuild()  # picks the interrupted generation up again
    assert [(s.generation, s.building) for s in projector.status()] == [(2, None)] * 3
    assert dump(projector) == incremental


def test_a_half_loaded_partitioned_generation_is_cleared_by_the_next_rebuild(
    app: PanelApp, projector: Projector, monkeypatch: pytest.MonkeyPatch
) -> None:
    history = script(app, step=projector.catch_up)
    incremental = dump(projector)
    loaded = fullest_part(history)  # commits its rows, then the other part's worker dies

    def one_part_then_die(projector: Projector, fresh, recipe, progress, head, parts, token) -> None:  # type: ignore[no-untyped-def]
        bulk.load_here(projector, fresh, None, head, part=(loaded, parts, token))
        raise RuntimeError("a bulk rebuild worker failed")

    split_in_two(projector, monkeypatch, one_part_then_die)
    with pytest.raises(RuntimeError):
        projector.rebuild()
    assert [(s.generation, s.building) for s in projector.status()] == [(1, 2)] * 3  # readers never saw it
    assert dump(projector) == incremental
    assert count_reach_people(projector) > 0  # the dead load left rows behind in the new generation
    monkeypatch.undo()
    projector.bulk_workers = 1
    projector.rebuild()
    assert [(s.generation, s.building) for s in projector.status()] == [(2, None)] * 3
    assert dump(projector) == incremental


def test_a_rival_claim_stops_a_partitioned_load_and_clears_its_rows(
    app: PanelApp, projector: Projector, monkeypatch: pytest.MonkeyPatch
) -> None:
    history = script(app, step=projector.catch_up)
    incremental = dump(projector)
    first = fullest_part(history)
    loaded = []

    def rival_in_between(projector: Projector, fresh, recipe, progress, head, parts, token) -> None:  # type: ignore[no-untyped-def]
        for part in (first, 1 - first):
            bulk.load_here(projector, fresh, None, head, part=(part, parts, token))
            loaded.append(count_reach_people(projector))
            bulk.claim(projector, fresh, partitioned=True)  # another rebuild claims the generation meanwhile

    split_in_two(projector, monkeypatch, rival_in_between)
    with pytest.raises(bulk.SupersededError, match="another rebuild took over the reach, consent, fatigue view"):
        projector.rebuild()
    assert dump(projector) == incremental  # readers never saw any of it
    assert loaded[0] > 0 and count_reach_people(projector) == 0  # the rival's claim cleared the first part's rows
    monkeypatch.undo()
    projector.bulk_workers = 1
    projector.rebuild()
    assert dump(projector) == incremental


@pytest.mark.parametrize("workers", [1, 2])
def test_a_rebuild_in_many_buckets_equals_the_one_pass_load_and_incremental(
    app: PanelApp, projector: Projector, workers: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    script(app, step=projector.catch_up)
    incremental = dump(projector)
    projector.bulk_workers = 1
    projector.rebuild()  # the scripted log is short: one pass, every row in memory
    assert dump(projector) == incremental
    spilled = watch_spills(monkeypatch)
    monkeypatch.setattr(spill, "BUCKET_EVENTS", 4)  # a bucket per participant or two
    monkeypatch.setattr(bulk, "MIN_EVENTS_PER_WORKER", 0)
    projector.bulk_workers = workers
    projector.rebuild()
    assert len(spilled) == 1 and spilled[0][1] >= projector.head() // 4 > 8  # many buckets
    assert not os.path.exists(spilled[0][0])  # the spill files are gone
    assert [(s.generation, s.building, s.position) for s in projector.status()] == [(3, None, projector.head())] * 3
    assert dump(projector) == incremental


def test_a_crash_mid_way_through_the_buckets_stays_invisible_and_the_next_rebuild_clears_it(
    app: PanelApp, projector: Projector, monkeypatch: pytest.MonkeyPatch
) -> None:
    script(app, step=projector.catch_up)
    incremental = dump(projector)
    spilled = watch_spills(monkeypatch)
    monkeypatch.setattr(spill, "BUCKET_EVENTS", 4)
    real, loaded = bulk.load_bucket, list[int]()

    def crash_after_a_loaded_bucket(*args: Any, **kwargs: Any) -> int:
        if any(loaded):  # crash after the first bucket with events (which buckets hold any varies by run)
            raise RuntimeError("killed mid-way")
        loaded.append(real(*args, **kwargs))
        return loaded[-1]

    monkeypatch.setattr(bulk, "load_bucket", crash_after_a_loaded_bucket)
    projector.bulk_workers = 1
    with pytest.raises(RuntimeError, match="killed mid-way"):
        projector.rebuild()
    assert [(s.generation, s.building, s.position) for s in projector.status()] == [(1, 2, projector.head())] * 3
    assert dump(projector) == incremental  # readers never saw the half-loaded generation
    assert sum(loaded) > 0 and count_reach_people(projector) > 0  # the loaded buckets' rows are in it
    assert not os.path.exists(spilled[0][0])  # the spill files went with the crash
    killed = f"{tempfile.gettempdir()}/{spill.PREFIX}{dead_pid()}-x"  # as a SIGKILLed rebuild leaves them
    os.makedirs(killed)
    monkeypatch.setattr(bulk, "load_bucket", real)
    projector.rebuild()  # in buckets again: the claim clears the loaded rows first
    assert [(s.generation, s.building) for s in projector.status()] == [(2, None)] * 3
    assert dump(projector) == incremental
    assert not os.path.exists(killed)  # swept by the next spill


def dead_pid() -> int:
    """A process id no process can have (above Linux's highest possible one, and macOS's)."""
    return 4_194_305


def watch_spills(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, int]]:
    """Record each spill's directory and number of buckets."""
    seen: list[tuple[str, int]] = []
    real = spill.Spill.write

    def write(self: spill.Spill, *args: Any, **kwargs: Any) -> None:
        seen.append((self.directory, self.buckets))
        real(self, *args, **kwargs)

    monkeypatch.setattr(spill.Spill, "write", write)
    return seen


def count_reach_people(projector: Projector) -> int:
    with projector.engine.connect() as conn:
        return int(
            conn.execute(
                text(f'SELECT count(*) FROM "{projector.views["reach"].table_name("reach_people", 2)}"')
            ).scalar_one()
        )


def fullest_part(history: History) -> int:
    """Which of two parts holds most of the scripted people (so loading it writes rows)."""
    return max((0, 1), key=lambda part: sum(1 for pid in history.ids.values() if (pid.bytes[0] >= 128) == part))


def split_in_two(projector: Projector, monkeypatch: pytest.MonkeyPatch, workers: object) -> None:
    """Make the next rebuild a two-part load whose workers are ``workers`` (run in this process)."""
    monkeypatch.setattr(bulk, "MIN_EVENTS_PER_WORKER", 0)
    monkeypatch.setattr(bulk, "load_in_workers", workers)
    projector.bulk_workers = 2


def test_a_rebuilt_postgresql_view_has_planner_statistics_before_readers_switch(
    app: PanelApp, projector: Projector
) -> None:
    script(app, step=projector.catch_up)
    projector.rebuild()
    with projector.engine.connect() as conn:
        if conn.dialect.name != "postgresql":  # SQLite's planner is left as it was: no statistics table made
            assert conn.execute(text("SELECT name FROM sqlite_master WHERE name = 'sqlite_stat1'")).first() is None
            return
        tables = [t.name for s in projector.status() for t in projector.define(s.name, s.generation).values()]
        analysed = {
            row[0]
            for row in conn.execute(
                text(
                    "SELECT relname FROM pg_stat_user_tables WHERE last_analyze IS NOT NULL AND relname = ANY(:names)"
                ),
                {"names": tables},
            )
        }
        conn.rollback()
    assert tables and set(tables) == analysed


@pytest.mark.parametrize("buckets", [False, True])
def test_a_bulk_load_holds_sqlites_page_cache_small_and_gives_it_back(
    app: PanelApp, projector: Projector, buckets: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    script(app, step=projector.catch_up)
    incremental = dump(projector)
    sqlite = projector.engine.dialect.name == "sqlite"
    seen: list[tuple[Any, int | None]] = []  # each bulk write's DB-API connection and its page cache then
    real = Pending.write

    def write(self: Pending, conn: Any) -> None:
        raw = conn.connection.dbapi_connection
        seen.append((raw, raw.execute("PRAGMA cache_size").fetchone()[0] if sqlite else None))
        real(self, conn)

    monkeypatch.setattr(Pending, "write", write)
    if buckets:
        monkeypatch.setattr(spill, "BUCKET_EVENTS", 4)
    projector.bulk_workers = 1
    projector.rebuild()
    assert dump(projector) == incremental
    assert len(seen) >= (3 if buckets else 1)  # a view per transaction in buckets; one transaction in one pass
    if not sqlite:  # PostgreSQL's memory is the server's own; nothing is sent
        assert {cache for _, cache in seen} == {None}
        return
    assert {cache for _, cache in seen} == {-connection.BULK_CACHE_KIB}
    for raw, _ in seen:  # back in the pool with the cache catch-ups want
        assert raw.execute("PRAGMA cache_size").fetchone()[0] == -connection.CACHE_KIB
