"""SQLite writers take turns across processes (``panel.store.sqlite_writers``): a writer waits while another
process holds the turn and goes as soon as it ends, or as soon as that process is killed; it gives up after the
store's lock timeout with nothing written; readers never wait for a turn.

SQLite only: the turn is a lock file beside the SQLite database (PostgreSQL has its own locks and is not
touched: the last test). The holder is a real second process.
"""

from __future__ import annotations

import os
import signal
import stat
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from panel.application import PanelApp
from panel.config import StoreLocation
from panel.registration import Registration
from panel.store.conflicts import is_busy
from panel.validation import SignUp
from tests.helpers.proc import store_env

HOLD = """
import sys
from cli.wiring import Wiring
app = Wiring().app
with app.recorder.datastore.transaction(commit=True):
    print("held", flush=True)
    sys.stdin.readline()
print("let go", flush=True)
"""


@pytest.fixture
def sqlite_store(tmp_path: Path) -> Iterator[tuple[StoreLocation, PanelApp]]:
    from cli.wiring import Wiring

    location = StoreLocation.sqlite(str(tmp_path / "panel.db"))
    app = Wiring(location).create_store().app
    yield location, app
    app.close()


class Holder:
    """Another process holding the writers' turn (a write transaction left open) until told, or killed."""

    def __init__(self, location: StoreLocation) -> None:
        env = {**os.environ, **store_env(location)}
        self.proc = subprocess.Popen(
            [sys.executable, "-c", HOLD], env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
        )
        assert self.proc.stdout is not None and self.proc.stdout.readline().strip() == "held"

    def let_go(self) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.write("\n")
        self.proc.stdin.flush()

    def kill(self) -> None:
        self.proc.send_signal(signal.SIGKILL)

    def close(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait(timeout=30)


def in_thread(work: Callable[[], object]) -> tuple[threading.Thread, dict[str, object]]:
    result: dict[str, object] = {}

    def run() -> None:
        try:
            result["value"] = work()
        except Exception as exc:  # noqa: BLE001 - handed to the test
            result["error"] = exc

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread, result


def sign_up(app: PanelApp, ref: str) -> Callable[[], object]:
    return lambda: Registration(app).register(SignUp(ref=ref, channel="online"))


def test_a_writer_waits_for_another_process_and_goes_when_its_turn_ends(sqlite_store) -> None:  # type: ignore[no-untyped-def]
    location, app = sqlite_store
    holder = Holder(location)
    try:
        thread, result = in_thread(sign_up(app, "T-1"))
        thread.join(0.7)
        assert thread.is_alive(), f"wrote while another process held the turn: {result}"
        assert not app.exists(app.participant_id_for("T-1"))
        holder.let_go()
        thread.join(10)
        assert not thread.is_alive() and "error" not in result, result
        assert app.exists(app.participant_id_for("T-1"))
    finally:
        holder.close()
    lock = Path(location.target + "-lock")
    assert stat.S_IMODE(lock.stat().st_mode) == 0o600  # beside the store, its owner's only, like the store


def test_a_killed_holder_does_not_block_the_next_writer(sqlite_store) -> None:  # type: ignore[no-untyped-def]
    location, app = sqlite_store
    holder = Holder(location)
    try:
        thread, result = in_thread(sign_up(app, "K-1"))
        thread.join(0.5)
        assert thread.is_alive()
        holder.kill()  # no clean-up runs: the kernel drops the lock with the process
        thread.join(10)
        assert not thread.is_alive() and "error" not in result, result
        assert app.exists(app.participant_id_for("K-1"))
    finally:
        holder.close()


def test_a_writer_gives_up_after_the_lock_timeout_writes_nothing_and_the_next_goes(sqlite_store) -> None:  # type: ignore[no-untyped-def]
    location, _ = sqlite_store
    impatient = PanelApp(env={**location.env(), "SQLITE_LOCK_TIMEOUT": "1", "CREATE_TABLE": "no"})
    holder = Holder(location)
    try:
        began = time.monotonic()
        thread, result = in_thread(sign_up(impatient, "G-1"))
        thread.join(10)
        waited = time.monotonic() - began
        assert not thread.is_alive(), "waited past the lock timeout"
        assert isinstance(result.get("error"), Exception) and is_busy(result["error"]), result  # type: ignore[arg-type]
        assert 0.8 < waited < 6, waited
        assert not impatient.exists(impatient.participant_id_for("G-1"))
        holder.let_go()
        holder.proc.wait(timeout=10)
        time.sleep(0.3)  # the abandoned wait gets the lock now, and must let it go at once
        # the writer that gave up left nothing behind: the next one (same process) goes as soon as the turn is free
        thread, result = in_thread(sign_up(impatient, "G-2"))
        thread.join(10)
        assert not thread.is_alive() and "error" not in result, result
    finally:
        holder.close()
        impatient.close()


def test_readers_do_not_wait_for_a_writer_waiting_for_its_turn(sqlite_store) -> None:  # type: ignore[no-untyped-def]
    location, app = sqlite_store
    Registration(app).register(SignUp(ref="R-1", channel="online"))
    holder = Holder(location)
    try:
        writer, _ = in_thread(sign_up(app, "R-2"))
        writer.join(0.3)
        assert writer.is_alive()
        reader, result = in_thread(lambda: app.exists(app.participant_id_for("R-1")))
        reader.join(3)
        assert not reader.is_alive() and result.get("value") is True, result
        holder.let_go()
        writer.join(10)
        assert not writer.is_alive()
    finally:
        holder.close()


def test_postgres_keeps_the_library_s_own_datastore(app: PanelApp, location: StoreLocation) -> None:
    from eventsourcing.sqlite import SQLiteDatastore

    from panel.store.sqlite_writers import TurnTakingSQLiteDatastore

    datastore = app.recorder.datastore  # type: ignore[attr-defined]
    if location.dialect == "sqlite":
        assert isinstance(datastore, TurnTakingSQLiteDatastore)
    else:
        assert not isinstance(datastore, SQLiteDatastore)
        assert type(datastore).__module__ == "eventsourcing.postgres"
