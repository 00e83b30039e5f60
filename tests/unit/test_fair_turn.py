"""The SQLite writers' turn within a process (``FairTurn``): first come, first served, with a timeout."""

from __future__ import annotations

import threading
import time

import pytest

from panel.store import sqlite_writers
from panel.store.sqlite_writers import FairTurn


def waiting(turn: FairTurn, n: int) -> None:
    """Until ``n`` threads are queued for the turn."""
    deadline = time.monotonic() + 5
    while len(turn.waiters) < n:
        assert time.monotonic() < deadline, "the waiters never queued"
        time.sleep(0.001)


def test_the_turn_goes_to_the_waiters_in_the_order_they_came() -> None:
    turn, order = FairTurn(), []
    assert turn.acquire(timeout=1)

    def writer(name: int) -> None:
        assert turn.acquire(timeout=5)
        order.append(name)
        turn.release()

    threads = []
    for name in range(8):
        threads.append(threading.Thread(target=writer, args=(name,)))
        threads[-1].start()
        waiting(turn, name + 1)  # each one queued before the next arrives
    turn.release()
    for t in threads:
        t.join(5)
    assert order == list(range(8))
    assert not turn.held and not turn.waiters
    assert turn.acquire(timeout=0)  # free again: taken at once


def test_a_waiter_that_times_out_leaves_the_queue_and_the_turn_passes_on() -> None:
    turn = FairTurn()
    assert turn.acquire(timeout=1)
    assert turn.acquire(timeout=0.05) is False  # held by another: given up after the timeout
    assert not turn.waiters
    got = []
    late = threading.Thread(target=lambda: got.append(turn.acquire(timeout=5)))
    late.start()
    waiting(turn, 1)
    turn.release()  # handed straight to the one waiting
    late.join(5)
    assert got == [True] and turn.held
    turn.release()
    assert not turn.held


def test_a_turn_handed_over_as_the_wait_runs_out_is_kept(monkeypatch: pytest.MonkeyPatch) -> None:
    """``release`` may pass the turn on just after the waiter's own wait timed out: the waiter then holds it."""
    turn = FairTurn()
    assert turn.acquire(timeout=1)
    real = threading.Lock

    class Late:  # a waiter's lock whose wait times out at the very moment the holder hands the turn over
        def __init__(self) -> None:
            self.lock = real()

        def acquire(self, timeout: float = -1) -> bool:
            if timeout == -1:
                return self.lock.acquire()
            turn.release()  # the holder hands over now...
            return False  # ...but the wait had already run out

        def release(self) -> None:
            self.lock.release()

    monkeypatch.setattr(sqlite_writers.threading, "Lock", Late)  # only while this one waiter is made
    assert turn.acquire(timeout=0.01) is True
    monkeypatch.undo()
    assert turn.held and not turn.waiters
