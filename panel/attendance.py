"""Attendance (and no-shows) for a whole session at once: all or nothing, and idempotent.

A roster is a CSV file with a ``ref`` column and, for attendance, an optional ``half_day`` column
(yes/no; blank means a full day); references may also come from the command line. Every entry is
checked before anything is written: one bad entry means nothing is recorded, and every bad entry
is named with its line. An entry already recorded exactly so is left unchanged, so running the
same roster again changes nothing.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from uuid import UUID

from eventsourcing.persistence import IntegrityError

from panel.application import PanelApp
from panel.clock import now
from panel.csv_rows import read_rows
from panel.domain.engagement import Engagement
from panel.domain.errors import ConcurrentUpdateError, PanelError
from panel.domain.participant import Participant

COMMAND_LINE = "command line"
YES = {"yes", "y", "true", "1", "half"}
NO = {"", "no", "n", "false", "0", "full"}


class RosterError(PanelError):
    """Raised when entries of a roster cannot be recorded; ``problems`` names each (where, why)."""

    def __init__(self, message: str, problems: Sequence[tuple[str, str]] = ()) -> None:
        super().__init__(message)
        self.problems = list(problems)


@dataclass(frozen=True)
class RosterEntry:
    """One person on a roster: where the entry came from (``file:line`` or ``command line``)."""

    where: str
    ref: str
    half_day: bool = False
    problem: str | None = None  # what is wrong with the row itself, reported with the other entries' problems


@dataclass(frozen=True)
class AttendanceOutcome:
    """What a roster did: the entries recorded now and those already recorded exactly so."""

    engagement: str
    day: date
    no_show: bool
    recorded: list[RosterEntry]
    unchanged: list[RosterEntry]


def read_roster(path: Path, *, half_days: bool = True) -> list[RosterEntry]:
    """The entries of a roster file; a malformed row is an entry with its ``problem`` (reported by ``record``)."""
    header, rows = read_rows(path)
    allowed = {"ref", "half_day"} if half_days else {"ref"}
    extra = [h for h in header if h not in allowed]
    if extra:
        raise RosterError(
            f"{path}:1: unknown column {extra[0]!r}: a roster has the columns {', '.join(sorted(allowed))}"
        )
    entries = []
    for row in rows:
        ref, half = row.values.get("ref", "").strip(), row.values.get("half_day", "").strip().lower()
        problem = None
        if "__extra__" in row.values:
            problem = "more cells than the header has columns"
        elif not ref:
            problem = "the ref is empty"
        elif half not in YES | NO:
            problem = f"half_day {half!r} is not yes or no"
        entries.append(RosterEntry(f"{path}:{row.line}", ref, half in YES, problem))
    if not entries:
        raise RosterError(f"{path}: the roster lists nobody: add one row per person under the 'ref' header")
    return entries


def record(
    app: PanelApp,
    engagement: UUID,
    day: date,
    entries: Sequence[RosterEntry],
    *,
    no_show: bool = False,
    at: datetime | None = None,
    source: str = "the command line",
) -> AttendanceOutcome:
    """Check every entry, then record the new ones in one transaction (nothing if any entry is bad)."""
    aggregate = app.load(engagement, Engagement)
    aggregate.require_session(day)
    moment = at or now()

    def attempt() -> AttendanceOutcome:
        people: dict[UUID, Participant] = {}
        recorded, unchanged, problems = [], [], []
        first_seen: dict[UUID, str] = {}
        for entry in entries:
            try:
                if entry.problem is not None:
                    raise PanelError(entry.problem)
                pid = app.resolve_participant(entry.ref)
                if pid in first_seen:
                    raise PanelError(f"{entry.ref} is listed twice (first at {first_seen[pid]})")
                first_seen[pid] = entry.where
                person = people.setdefault(pid, app.load(pid, Participant))
                if _apply(person, engagement, day, entry, no_show, moment):
                    recorded.append(entry)
                else:
                    unchanged.append(entry)
            except PanelError as exc:
                problems.append((entry.where, str(exc)))
        if len(problems) == 1 and len(entries) == 1:  # one person named: their problem is the error
            raise RosterError(problems[0][1] if problems[0][0] == COMMAND_LINE else ": ".join(problems[0]))
        if problems:
            raise RosterError(_summary(source, len(problems), len(entries)), problems)
        app.save(*(p for p in people.values()))
        return AttendanceOutcome(aggregate.ref, day, no_show, recorded, unchanged)

    for _ in range(3):
        try:
            return attempt()
        except IntegrityError:  # another writer changed one of these people: load them again
            continue
    raise ConcurrentUpdateError("the participants kept changing under concurrent writers: run the command again")


def _apply(person: Participant, engagement: UUID, day: date, entry: RosterEntry, no_show: bool, at: datetime) -> bool:
    """Record the entry on the participant; False when it is already recorded exactly so."""
    already = person.recorded_on(engagement, day)
    wanted = "no-show" if no_show else ("half day" if entry.half_day else "full day")
    if already == wanted:
        return False
    if no_show:
        person.record_no_show(engagement_id=engagement, session_date=day, at=at)
    else:
        person.attend(engagement_id=engagement, session_date=day, half_day=entry.half_day, at=at)
    return True


def _summary(where: str, bad: int, total: int) -> str:
    return f"{where}: {bad} of {total} entries cannot be recorded, nothing was recorded: fix them and run it again"
