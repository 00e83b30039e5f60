"""Which backend errors are write conflicts or a busy store, and how commands retry through them (no database)."""

from __future__ import annotations

import sqlite3

import psycopg
import pytest
from eventsourcing.persistence import IntegrityError, OperationalError, ProgrammingError

from panel.domain.errors import ConcurrentUpdateError
from panel.store.conflicts import explain, is_busy, is_conflict, retrying


def wrapped(cause: Exception, as_: type[Exception] = OperationalError) -> Exception:
    """An error as the eventsourcing datastores raise it: their own class, the driver's error as the cause."""
    try:
        raise as_(str(cause)) from cause
    except Exception as exc:  # noqa: BLE001 - built to be returned
        return exc


SQLITE_LOCKED = wrapped(sqlite3.OperationalError("database is locked"))
PG_LOCK_TIMEOUT = wrapped(psycopg.errors.LockNotAvailable("canceling statement due to lock timeout"))
PG_SERIALIZATION = wrapped(psycopg.errors.SerializationFailure("could not serialize access"))
PG_DEADLOCK = wrapped(psycopg.errors.DeadlockDetected("deadlock detected"))
CONFLICT = wrapped(sqlite3.IntegrityError("UNIQUE constraint failed"), IntegrityError)
BUG = wrapped(psycopg.errors.UndefinedColumn('column "x" does not exist'), ProgrammingError)


@pytest.mark.parametrize("error", [SQLITE_LOCKED, PG_LOCK_TIMEOUT, PG_SERIALIZATION, PG_DEADLOCK])
def test_a_busy_store_is_recognised_and_retried(error: Exception) -> None:
    assert is_busy(error) and not is_conflict(error)
    assert retrying(failing(error, times=1)) == "done"
    assert "stayed locked" in (explain(error) or "")


def test_conflicts_are_retried_from_a_fresh_load_then_refused_in_one_line() -> None:
    assert is_conflict(CONFLICT)
    assert retrying(failing(CONFLICT, times=5)) == "done"
    with pytest.raises(ConcurrentUpdateError, match="kept changing under other writers.*nothing was recorded"):
        retrying(failing(CONFLICT, times=100))
    assert "changed the same records at the same moment" in (explain(CONFLICT) or "")


def test_a_busy_store_is_retried_only_briefly() -> None:
    calls = failing(SQLITE_LOCKED, times=100)
    with pytest.raises(ConcurrentUpdateError):
        retrying(calls)
    assert calls.count == 2  # each attempt already waited out the lock timeout


def test_other_errors_are_neither_retried_nor_explained_away() -> None:
    calls = failing(BUG, times=1)
    with pytest.raises(ProgrammingError):
        retrying(calls)
    assert calls.count == 1
    assert not is_busy(BUG) and not is_conflict(BUG) and explain(BUG) is None


def test_a_role_without_privileges_is_told_which_commands_need_the_owner() -> None:
    denied = wrapped(
        psycopg.errors.InsufficientPrivilege("permission denied for schema s\nLINE 2: CREATE"), ProgrammingError
    )
    line = explain(denied) or ""
    assert "permission denied for schema s)" in line and "role that owns the tables" in line and "\n" not in line


class failing:  # reads as a verb at the call
    """An attempt that raises ``error`` the first ``times`` calls, then returns "done"."""

    def __init__(self, error: Exception, times: int) -> None:
        self.error, self.times, self.count = error, times, 0

    def __call__(self) -> str:
        self.count += 1
        if self.count <= self.times:
            raise self.error
        return "done"
