"""The bulk rebuild (fresh generations held in memory, written once) gives exactly what catch-ups give."""

from __future__ import annotations

import pytest

from panel.application import PanelApp
from projections import Projector, bulk
from projections.consent_view import ConsentView

from scripted import dump, script


@pytest.mark.parametrize("workers", [2, 3])
def test_rebuild_in_worker_processes_equals_incremental(app: PanelApp, projector: Projector, workers: int,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    script(app, step=projector.catch_up)
    incremental = dump(projector)
    monkeypatch.setattr(bulk, "MIN_EVENTS_PER_WORKER", 0)  # the scripted log is short: split it anyway
    projector.bulk_workers = workers
    projector.rebuild()
    assert [s.generation for s in projector.status()] == [2, 2, 2]
    assert {s.position for s in projector.status()} == {projector.head()}
    assert dump(projector) == incremental


def test_a_crash_while_writing_the_bulk_load_leaves_the_new_generation_empty(
        app: PanelApp, projector: Projector, monkeypatch: pytest.MonkeyPatch) -> None:
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
