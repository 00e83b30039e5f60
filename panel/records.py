"""Plain read records returned by the application's query methods (never aggregates)."""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from datetime import date, datetime
from typing import Any
from uuid import UUID

from panel.clock import now
from panel.domain.consent import ConsentEntry, ErasureEntry
from panel.domain.engagement import Change


def jsonable(value: Any) -> Any:
    """Convert records, UUIDs and times into JSON-ready values (a record's fields in their order, walked once:
    ``dataclasses.asdict`` would deep-copy every value first, a third of ``panel fatigue --json``'s time)."""
    if hasattr(value, "__dataclass_fields__") and not isinstance(value, type):
        return {f.name: jsonable(getattr(value, f.name)) for f in fields(value)}
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [jsonable(v) for v in value]
    if isinstance(value, UUID):
        return str(value)
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    return value


@dataclass(frozen=True)
class PersonalData:
    """Decrypted contact details and self-described attributes (or the erased marker)."""

    name: str | None = None
    email: str | None = None
    phone: str | None = None
    address: str | None = None
    postcode: str | None = None
    attributes: dict[str, str] = field(default_factory=dict)
    erased: bool = False


@dataclass(frozen=True)
class ParticipationRecord:
    engagement_id: UUID
    status: str
    invited_at: datetime
    draw_id: UUID | None
    attended: list[tuple[str, bool]]
    no_shows: list[str]
    reason: str | None


@dataclass(frozen=True)
class ParticipantDetails:
    id: UUID
    ref: str
    source: str
    channel: str
    captured_by: str | None
    registered_at: datetime
    personal: PersonalData
    consents: list[ConsentEntry]
    participations: list[ParticipationRecord]
    left_panel_at: datetime | None
    erased_at: datetime | None
    version: int

    def active_consents(self, moment: datetime) -> list[str]:
        return sorted({c.purpose for c in self.consents if c.active_at(moment)})


@dataclass(frozen=True)
class EngagementDetails:
    id: UUID
    ref: str
    name: str
    purpose: str
    kind: str
    sessions: list[date]
    day_rate_pence: int
    target_size: int | None
    eligibility: list[str]
    cooldown_days: int | None
    opened_at: datetime
    closed_at: datetime | None
    changes: list[Change] = field(default_factory=list)


@dataclass(frozen=True)
class ImportReport:
    """What an import did: rows read, participants created, skipped as already present, rejected."""

    rows: int
    created: int
    unchanged: int
    rejected: list[tuple[int, str]]
    events: int


@dataclass(frozen=True)
class ConsentRecord:
    """A participant's consent history as it stood at ``as_of`` (None: now), read from the event log."""

    participant_id: UUID
    ref: str
    registered_at: datetime
    as_of: datetime | None
    consents: list[ConsentEntry]
    erasure: ErasureEntry | None

    @property
    def not_yet_registered(self) -> bool:
        """True when ``as_of`` is before the participant registered."""
        return self.as_of is not None and self.as_of < self.registered_at

    def active(self) -> list[str]:
        """The purposes with a grant in force at ``as_of`` (or now): not withdrawn, superseded or expired."""
        moment = self.as_of or now()
        return sorted({c.purpose for c in self.consents if c.active_at(moment)})
