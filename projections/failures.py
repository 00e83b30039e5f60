"""When a view cannot apply an event: find the event, record it, stop that view and let the others carry on.

A batch is applied to every view in one transaction. If that fails because of what an event holds
(a value the view's database refuses, or an error in the view's own code), the batch is rolled
back and applied again view by view; the view at fault is then applied one event at a time, each
event committed with its position, up to the event it cannot apply. That event's position, topic
and cause are recorded in ``projection_failures`` (shown by ``panel projections status``) and the
view stays just before it; the next catch-up tries it again, and a success clears the record.
Failures of the database itself (a lost connection, a lock) are not the event's fault: they stop
the catch-up as before, and the batch is simply redone next time.
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import psycopg
from sqlalchemy import exc as sa

from panel.domain.errors import PanelError
from projections.view_base import Batch

# Exceptions a view's code raises when an event holds what it cannot handle.
_CODE_ERRORS = (KeyError, ValueError, TypeError, AttributeError, IndexError, ArithmeticError, UnicodeError)
_DATA_ERRORS = (
    sa.DataError,
    sa.IntegrityError,
    psycopg.DataError,
    psycopg.IntegrityError,
    sqlite3.DataError,
    sqlite3.IntegrityError,
)


class ViewStoppedError(PanelError):
    """Raised when a read model cannot apply an event; it stays just before that event (see `projections status`)."""


@dataclass(frozen=True)
class Failure:
    view: str
    position: int
    topic: str
    cause: str

    def line(self) -> str:
        return f"view {self.view} cannot apply event {self.position} ({self.topic}): {self.cause}"


def is_event_problem(exc: BaseException) -> bool:
    """Whether ``exc`` comes from what an event holds (so retrying the same event fails again)."""
    if isinstance(exc, (sa.OperationalError, sa.InterfaceError, psycopg.OperationalError, sqlite3.OperationalError)):
        return False
    if isinstance(exc, sa.StatementError) and exc.orig is not None and not isinstance(exc, sa.DBAPIError):
        return is_event_problem(exc.orig)
    return isinstance(exc, _DATA_ERRORS + _CODE_ERRORS)


def cause_of(exc: BaseException) -> str:
    """One line saying what went wrong, without SQL, parameters or control characters."""
    inner = exc.orig if isinstance(exc, sa.StatementError) and exc.orig is not None else exc
    text = str(inner).strip().splitlines()[0] if str(inner).strip() else ""
    text = re.sub(r"[\x00-\x1f\x7f]", lambda m: f"\\x{ord(m.group()):02x}", text)[:300]
    return f"{type(inner).__name__}: {text}" if text else type(inner).__name__


def stopped_error(stopped: Sequence[Failure]) -> ViewStoppedError:
    return ViewStoppedError(
        "; ".join(f.line() for f in stopped)
        + ": the other views carried on; the event stays in the store and this view stays before it "
        "(`panel projections status` shows it) until a fixed version of the panel applies it"
    )


def isolate(
    apply_alone: Callable[[Batch, int], None], record: Callable[[Failure], None], view: str, events: Batch, last: int
) -> Failure | None:
    """Apply a batch that failed to one view alone (``apply_alone(events, last)`` commits that view's rows and
    position); if it fails again, apply it event by event, then ``record`` and return the failure at fault."""
    try:
        apply_alone(events, last)
        return None
    except Exception as exc:
        if not is_event_problem(exc):
            raise
    for position, event in events:
        try:
            apply_alone(Batch([(position, event)]), position)
        except Exception as exc:
            if not is_event_problem(exc):
                raise
            failure = Failure(view, position, _topic(event), cause_of(exc))
            record(failure)
            return failure
    apply_alone(Batch(), last)  # every event went through on its own
    return None


def _topic(event: Any) -> str:
    return type(event).__qualname__
