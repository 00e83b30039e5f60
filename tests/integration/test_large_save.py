"""A save of many megabytes (a draw's record over a national pool) is written and read back, on SQLite and
PostgreSQL; on PostgreSQL it leaves the pipeline mode in which psycopg never returns from sending it."""

from __future__ import annotations

import os
import threading
import uuid
from typing import Any

from eventsourcing.persistence import StoredEvent

from panel.application import PanelApp
from panel.audit import Audit
from panel.store.recorders import LARGE_SAVE

SIZE = 12 << 20  # the pipeline stopped answering at 8 MB


def within(seconds: float, work: Any) -> Any:
    """``work()``'s answer, or a failed test if it has not answered in ``seconds`` (a hung save would hang the run)."""
    answer: list[Any] = []
    failure: list[BaseException] = []

    def run() -> None:
        try:
            answer.append(work())
        except BaseException as exc:  # noqa: BLE001 - handed to the test's thread
            failure.append(exc)

    worker = threading.Thread(target=run, daemon=True)
    worker.start()
    worker.join(seconds)
    assert not worker.is_alive(), f"the save did not return within {seconds} s"
    if failure:
        raise failure[0]
    return answer[0]


def test_a_save_of_many_megabytes_is_written_whole_with_its_statements(app: PanelApp) -> None:
    assert SIZE > LARGE_SAVE
    big = StoredEvent(uuid.uuid4(), 1, "tests.large:Recorded", os.urandom(SIZE))
    small = StoredEvent(uuid.uuid4(), 1, "tests.large:Recorded", b"x")
    noted = app.keys.putting("large_save_test", b"1")  # a statement in the same transaction
    positions = within(120, lambda: app.recorder.insert_events([small, big], with_statements=noted))
    assert len(positions) == 2 and positions[1] == positions[0] + 1
    assert bytes(app.recorder.select_events(big.originator_id)[0].state) == big.state
    assert app.keys.setting("large_save_test") == b"1"
    assert Audit(app).verify().ok  # chained like any other save


def test_a_large_save_that_conflicts_writes_nothing(app: PanelApp) -> None:
    first = StoredEvent(uuid.uuid4(), 1, "tests.large:Recorded", b"first")
    app.recorder.insert_events([first])
    again = StoredEvent(first.originator_id, 1, "tests.large:Recorded", os.urandom(SIZE))
    other = StoredEvent(uuid.uuid4(), 1, "tests.large:Recorded", b"other")
    try:
        within(120, lambda: app.recorder.insert_events([other, again], with_statements=app.keys.putting("x", b"1")))
    except Exception as exc:  # noqa: BLE001 - the library's IntegrityError, whichever module raises it
        assert "Integrity" in type(exc).__name__
    else:
        raise AssertionError("a second version 1 of one aggregate was accepted")
    assert app.recorder.select_events(other.originator_id) == []
    assert app.keys.setting("x") is None
