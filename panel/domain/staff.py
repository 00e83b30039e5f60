"""The StaffAccount aggregate: a member of staff who signs in to the web service, and their role.

One per user name (its id comes from the name, case-insensitively). Its events hold the name (staff
names already appear as ``captured_by`` and ``--by``), the role and who added or removed it; the
password's hash is kept beside the events, in the store's settings, never in an event.
"""

from __future__ import annotations

import re
from datetime import datetime
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate, event

from panel.domain.errors import ValidationError
from panel.domain.values import require_utc

STAFF_NAMESPACE = uuid5(NAMESPACE_URL, "https://participant-panel.org/staff")
ROLES = ("recruiter", "finance", "auditor", "admin")
NAME = re.compile(r"[a-z0-9][a-z0-9._-]{1,59}")


def staff_id(name: str) -> UUID:
    return uuid5(STAFF_NAMESPACE, name.strip().lower())


def check_name(name: str) -> str:
    """A user name: 2 to 60 of a-z, 0-9, dot, dash, underscore (lower case), or one line saying so."""
    cleaned = name.strip().lower()
    if not NAME.fullmatch(cleaned):
        raise ValidationError(
            f"user name {name!r} is not 2 to 60 letters, digits, dots, dashes or underscores: write e.g. amy.khan"
        )
    return cleaned


def check_role(role: str) -> str:
    if role not in ROLES:
        raise ValidationError(f"role {role!r} is not one of {', '.join(ROLES)}")
    return role


class StaffAccount(Aggregate):
    """A member of staff: their user name, role, and whether the account was removed."""

    class Added(Aggregate.Created):
        name: str
        role: str
        added_by: str
        at: datetime

    class Removed(Aggregate.Event):
        removed_by: str
        at: datetime

    @event(Added)
    def __init__(self, name: str, role: str, added_by: str, at: datetime) -> None:
        self.name = name
        self.role = role
        self.added_by = added_by
        self.added_at = at
        self.removed_at: datetime | None = None

    @classmethod
    def add(cls, name: str, role: str, added_by: str, at: datetime) -> StaffAccount:
        cleaned = check_name(name)
        return cls._create(
            cls.Added, id=staff_id(cleaned), name=cleaned, role=check_role(role), added_by=added_by,
            at=require_utc(at, "time"),
        )  # fmt: skip

    def remove(self, removed_by: str, at: datetime) -> None:
        if self.removed_at is not None:
            raise ValidationError(f"staff member {self.name} was already removed")
        self._removed(removed_by, require_utc(at, "time"))

    @event(Removed)
    def _removed(self, removed_by: str, at: datetime) -> None:
        self.removed_at = at
