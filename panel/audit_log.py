"""The audit log: every stored event with who wrote it, in position order (`panel audit log`).

``AuditLog(app).entries(...)`` reads the notification log a page at a time (memory stays bounded
whatever the log's length), decodes each event with the application's mapper together with its
actor (``panel.actor``), and returns at most ``limit`` entries after position ``after``; call again
with the last position returned to read on.

What belongs to a participant: the events of their own aggregate; every event that names them
(``participant_id``, or ``participant_ids`` such as an access record); and the later events of an
aggregate whose first event names them (a payment after its accrual, an erasure request, an email
confirmation). A draw names its panel only inside its document and is not counted; the
participant's own Invited and InvitationAccepted events say who was invited. An entry carries the
participant's reference only, never personal data.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from eventsourcing.persistence import Notification

from panel.application import PanelApp, TextCheckingMapper
from panel.domain.participant import Participant

PAGE = 1000
DEFAULT_LIMIT = 200


@dataclass(frozen=True)
class LogEntry:
    position: int
    at: datetime | None  # the event's timestamp: when it was stored (UTC)
    actor: str | None  # None: stored before actors were recorded
    aggregate: str  # the aggregate's kind, e.g. "Participant"
    event: str  # the event's name in its aggregate, e.g. "ConsentGranted"
    aggregate_id: UUID
    participant_ref: str | None  # the participant the event belongs to, when exactly one


@dataclass(frozen=True)
class LogFilter:
    participant_id: UUID | None = None
    actor: str | None = None
    start: datetime | None = None  # inclusive
    end: datetime | None = None  # exclusive

    def keeps(self, at: datetime | None, actor: str | None) -> bool:
        if self.actor is not None and actor != self.actor:
            return False
        if self.start is not None and (at is None or at < self.start):
            return False
        return self.end is None or (at is not None and at < self.end)


class AuditLog:
    def __init__(self, app: PanelApp, page: int = PAGE) -> None:
        self.app = app
        self.page = page
        self.mapper: Any = app.mapper
        self._refs: dict[UUID, str | None] = {}

    def entries(self, where: LogFilter, *, after: int = 0, limit: int = DEFAULT_LIMIT) -> list[LogEntry]:
        """At most ``limit`` entries after position ``after`` that ``where`` keeps, oldest first."""
        found: list[LogEntry] = []
        pid = where.participant_id
        followed: set[UUID] = set() if pid is None else {pid}
        needle = None if pid is None or self.mapper.cipher is not None else pid.hex.encode()
        start = 0 if pid is not None else after  # a participant's aggregates are found from the beginning
        for n in self._notifications(start):
            if pid is not None and n.originator_id not in followed and (needle is None or needle not in n.state):
                continue  # cheap: the raw state cannot name the participant
            event, actor = self._decode(n)
            named = _named(event)
            if pid is not None:
                if n.originator_id not in followed and pid not in named:
                    continue
                if n.originator_version == 1:
                    followed.add(n.originator_id)  # type: ignore[arg-type]  # -> its later events belong to the participant too
            if n.id <= after or not where.keeps(getattr(event, "timestamp", None), actor):
                continue
            found.append(self._entry(n, event, actor, pid, named))
            if len(found) >= limit:
                break
        return found

    def _notifications(self, after: int) -> Iterator[Notification]:
        start = after
        while True:
            page = self.app.recorder.select_notifications(start=start, limit=self.page, inclusive_of_start=False)
            yield from page
            if len(page) < self.page:
                return
            start = page[-1].id

    def _decode(self, n: Notification) -> tuple[Any, str | None]:
        if isinstance(self.mapper, TextCheckingMapper):
            return self.mapper.with_actor(n)
        return self.mapper.to_domain_event(n), None

    def _entry(self, n: Notification, event: Any, actor: str | None, pid: UUID | None, named: set[UUID]) -> LogEntry:
        aggregate, _, name = type(event).__qualname__.rpartition(".")
        if aggregate == "Participant":
            whose: UUID | None = n.originator_id  # type: ignore[assignment]
        elif pid is not None:
            whose = pid
        else:
            whose = next(iter(named)) if len(named) == 1 else None
        return LogEntry(
            position=n.id,
            at=getattr(event, "timestamp", None),
            actor=actor,
            aggregate=aggregate or name,
            event=name,
            aggregate_id=n.originator_id,  # type: ignore[arg-type]
            participant_ref=None if whose is None else self._ref(whose),
        )

    def _ref(self, pid: UUID) -> str | None:
        """The participant's reference, from their first event (cached); None if ``pid`` is not a participant."""
        if pid not in self._refs:
            first = self.app.recorder.select_events(pid, limit=1)
            event = self.mapper.to_domain_event(first[0]) if first else None
            self._refs[pid] = event.external_ref if isinstance(event, Participant.Registered) else None
        return self._refs[pid]


def _named(event: Any) -> set[UUID]:
    """The participants an event names in its own fields."""
    state = vars(event)
    one = state.get("participant_id")
    many = state.get("participant_ids")
    named = {one} if isinstance(one, UUID) else set()
    if isinstance(many, list):
        named.update(p for p in many if isinstance(p, UUID))
    return named
