"""The Partner aggregate: an organisation that refers applicants through the partner API, and its token.

One per partner name (its id comes from the name). ``Added`` holds the SHA-256 of the partner's
token, never the token: a token is 32 random bytes, so its hash cannot be turned back into it.
``TokenRevoked`` ends it; a new token needs a new partner name.
"""

from __future__ import annotations

import re
from datetime import datetime
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate, event

from panel.domain.errors import ValidationError
from panel.domain.values import require_utc

PARTNER_NAMESPACE = uuid5(NAMESPACE_URL, "https://participant-panel.org/partner")
NAME = re.compile(r"[a-z0-9][a-z0-9-]{1,39}")
PARTNER_SOURCE = "partner."  # a referral from partner NAME has source "partner.NAME"


def partner_id(name: str) -> UUID:
    return uuid5(PARTNER_NAMESPACE, name)


def check_partner_name(name: str) -> str:
    cleaned = name.strip().lower()
    if not NAME.fullmatch(cleaned):
        raise ValidationError(
            f"partner name {name!r} is not 2 to 40 letters, digits or dashes: write e.g. youth-link (it starts each "
            "of their references' source)"
        )
    return cleaned


class Partner(Aggregate):
    """A referring partner: its name, the hash of its token, and whether the token was revoked."""

    class Added(Aggregate.Created):
        name: str
        token_sha256: str
        added_by: str
        at: datetime

    class TokenRevoked(Aggregate.Event):
        revoked_by: str
        at: datetime

    @event(Added)
    def __init__(self, name: str, token_sha256: str, added_by: str, at: datetime) -> None:
        self.name = name
        self.token_sha256 = token_sha256
        self.added_by = added_by
        self.added_at = at
        self.revoked_at: datetime | None = None

    @classmethod
    def add(cls, name: str, token_sha256: str, added_by: str, at: datetime) -> Partner:
        cleaned = check_partner_name(name)
        return cls._create(
            cls.Added, id=partner_id(cleaned), name=cleaned, token_sha256=token_sha256, added_by=added_by,
            at=require_utc(at, "time"),
        )  # fmt: skip

    def revoke(self, revoked_by: str, at: datetime) -> None:
        if self.revoked_at is not None:
            raise ValidationError(f"the token of partner {self.name} was already revoked")
        self._revoked(revoked_by, require_utc(at, "time"))

    @event(TokenRevoked)
    def _revoked(self, revoked_by: str, at: datetime) -> None:
        self.revoked_at = at
