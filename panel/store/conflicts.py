"""Write conflicts between concurrent commands: which backend errors they are, and retrying through them.

Two commands that change the same record at once collide on its next version: the store refuses
the second with an ``IntegrityError`` (optimistic concurrency), and the command is simply run again
on the fresh state. A store that is busy says so in its own words: SQLite "database is locked" (a
writer held the lock past the timeout), PostgreSQL a lock timeout, a serialisation failure or a
deadlock. These are transient too. Anything else is not retried.
"""

from __future__ import annotations

import random
import sqlite3
import time
from collections.abc import Callable
from typing import TypeVar

from eventsourcing.persistence import IntegrityError, OperationalError

from panel.domain.errors import ConcurrentUpdateError

T = TypeVar("T")
TRIES = 10
BUSY_TRIES = 2
# PostgreSQL SQLSTATEs of a busy store: lock_not_available, serialization_failure, deadlock_detected
BUSY_SQLSTATES = frozenset({"55P03", "40001", "40P01"})
INSUFFICIENT_PRIVILEGE = "42501"
BUSY_SQLITE = ("database is locked", "database table is locked", "database is busy")


def is_conflict(exc: BaseException) -> bool:
    """Another writer recorded the same version of a record first."""
    return isinstance(exc, IntegrityError)


def is_busy(exc: BaseException) -> bool:
    """The store could not take a lock in time (or gave up a transaction to let another through)."""
    for error in _chain(exc):
        if getattr(error, "sqlstate", None) in BUSY_SQLSTATES:
            return True
        if isinstance(error, OperationalError | sqlite3.OperationalError) and any(m in str(error) for m in BUSY_SQLITE):
            return True
    return False


def is_transient(exc: BaseException) -> bool:
    return is_conflict(exc) or is_busy(exc)


def retrying(attempt: Callable[[], T], *, tries: int = TRIES, what: str = "the record") -> T:
    """Run a load-change-save ``attempt`` again while it meets a conflict (up to ``tries`` times) or a busy
    store (up to ``BUSY_TRIES`` times: each has already waited out a lock timeout).

    Each retry starts from a fresh load. Then it gives up with one line; nothing of the failed
    attempts was recorded (each save is one transaction).
    """
    conflicts = busy = 0
    while True:
        try:
            return attempt()
        except Exception as exc:
            if is_conflict(exc):
                conflicts += 1
            elif is_busy(exc):
                busy += 1
            else:
                raise
            if conflicts >= tries or busy >= BUSY_TRIES:
                break
            time.sleep(random.uniform(0.005, 0.02) * (conflicts + busy))  # noqa: S311 - jitter, so the rivals spread out
    raise ConcurrentUpdateError(
        f"{what} kept changing under other writers (or the store stayed locked): nothing was recorded; "
        "run the command again"
    )


def _chain(exc: BaseException) -> list[BaseException]:
    seen: list[BaseException] = []
    current: BaseException | None = exc
    while current is not None and current not in seen:
        seen.append(current)
        current = current.__cause__ or current.__context__
    return seen


def explain(exc: BaseException) -> str | None:
    """One line for a store error that reached the top of a command (after any retries); None if not one.

    Conflicts and a busy store are the user's to retry; a lost or refused connection is named as such.
    Other database errors (a bug, a corrupt row) are not explained away here.
    """
    if is_conflict(exc):
        return (
            "another command changed the same records at the same moment, so nothing of this step was recorded: "
            "run the command again"
        )
    if is_busy(exc):
        return (
            "the store stayed locked by another command (a long import or rebuild?), so nothing of this step "
            "was recorded: run the command again when it has finished"
        )
    if any(getattr(e, "sqlstate", None) == INSUFFICIENT_PRIVILEGE for e in _chain(exc)):
        detail = _first_line(next(e for e in _chain(exc) if getattr(e, "sqlstate", None)))
        return (
            f"the database role may not do this ({detail}): `panel init` and `panel projections rebuild` "
            "change tables, so run them as the role that owns the tables; others run as the application role "
            "(`panel admin roles`, docs/store.md)"
        )
    if _is_connection_error(exc):
        detail = _first_line(exc)
        return f"lost or refused the connection to the store ({detail}): check the database is up, then run it again"
    return None


def _first_line(exc: BaseException) -> str:
    lines = str(exc).strip().splitlines()
    return lines[0][:200] if lines else type(exc).__name__


def _is_connection_error(exc: BaseException) -> bool:
    from eventsourcing.persistence import InterfaceError

    names = {type(e).__name__ for e in _chain(exc)}
    if isinstance(exc, InterfaceError | OperationalError) or "PoolTimeout" in names:
        return True
    try:
        from sqlalchemy.exc import InterfaceError as SAInterfaceError
        from sqlalchemy.exc import OperationalError as SAOperationalError
    except ImportError:  # pragma: no cover - SQLAlchemy is a dependency
        return False
    return isinstance(exc, SAOperationalError | SAInterfaceError)
