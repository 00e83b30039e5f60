"""Consent as the auditor replays it: grants folded into intervals, each ended by a withdrawal or a re-grant.

A consent log item is a plain dict (``granted_item``, ``withdrawn_item``) made from a
``ConsentGranted`` or ``ConsentWithdrawn`` event (the aggregate's own, or a stored one through
``panel.domain.participant_events.consent_item``). Folding the items in effective-time order gives
one ``ConsentEntry`` per grant. A grant ends in one of two ways, which the record keeps apart:

- **withdrawn**: the participant withdrew that consent (``withdrawn_at``, ``withdrawn_by``);
- **superseded**: the participant granted the same purpose again on another notice version or by
  another method; the earlier grant stops being the one in force at that moment
  (``superseded_at``, and who captured the new grant in ``superseded_by``). It is never a withdrawal.

A grant may also carry an expiry (``expires_at``, e.g. panel membership for two years from the
notice): from that moment it counts as absent, exactly as if withdrawn, though nobody withdrew it.
Expiry is a matter of time, not of an event: whether a grant is in force is always asked at a
moment (``active_at``), so a draw made before the expiry still re-derives the same pool afterwards.
A renewal is a new grant, which supersedes the old one and its expiry.

The rules of granting and withdrawing are here too (``check_grant``, ``repeats``, ``require_held``),
so ``Participant`` and a bulk sign-up (``new_grants``) apply the same ones.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from panel.domain.errors import ConsentStateError, ValidationError
from panel.domain.values import CONSENT_METHODS, PURPOSES, require_choice, require_utc

ACTIVE, WITHDRAWN, SUPERSEDED, EXPIRED = "active", "withdrawn", "superseded", "expired"


@dataclass(frozen=True)
class ConsentEntry:
    """One grant of consent for a purpose, and how it ended if it did (as known at some moment)."""

    purpose: str
    notice_version: str
    method: str
    captured_by: str
    granted_at: datetime
    recorded_at: datetime | None
    withdrawn_at: datetime | None = None
    withdrawn_by: str | None = None
    withdrawal_recorded_at: datetime | None = None
    superseded_at: datetime | None = None
    superseded_by: str | None = None  # who captured the grant that replaced this one
    superseded_by_notice: str | None = None  # the notice version of that grant
    expires_at: datetime | None = None  # the grant lapses at this moment unless renewed (None: no expiry)

    @property
    def ended_at(self) -> datetime | None:
        """When this grant stopped being the one in force (withdrawn or superseded), or None."""
        return self.withdrawn_at or self.superseded_at

    @property
    def lapses_at(self) -> datetime | None:
        """When this grant stops being in force for any reason: withdrawn, superseded or expired (None: never)."""
        ends = [t for t in (self.ended_at, self.expires_at) if t is not None]
        return min(ends) if ends else None

    @property
    def state(self) -> str:
        """'active', 'withdrawn' or 'superseded' (as recorded; see ``state_at`` for expiry)."""
        if self.withdrawn_at is not None:
            return WITHDRAWN
        return SUPERSEDED if self.superseded_at is not None else ACTIVE

    def state_at(self, moment: datetime) -> str:
        """The state at ``moment``: an active grant whose expiry has passed by then is 'expired'."""
        state = self.state
        if state == ACTIVE and self.expires_at is not None and self.expires_at <= moment:
            return EXPIRED
        return state

    def active_at(self, moment: datetime) -> bool:
        lapses = self.lapses_at
        return self.granted_at <= moment and (lapses is None or lapses > moment)


@dataclass(frozen=True)
class ErasureEntry:
    """The erasure of a participant's personal data: when (effective), by whom, why, and when it was recorded."""

    at: datetime
    erased_by: str | None
    reason: str
    recorded_at: datetime | None


def fold_consents(items: list[dict[str, Any]], as_of: datetime | None = None) -> list[ConsentEntry]:
    """Fold consent-log items (in record order) into grants as they stood at ``as_of``."""
    entries: list[ConsentEntry] = []
    open_by_purpose: dict[str, int] = {}
    for item in sorted(items, key=lambda e: e["at"]):
        if as_of is not None and item["at"] > as_of:
            continue
        if item["kind"] == "granted":
            previous = open_by_purpose.get(item["purpose"])
            if previous is not None:  # a re-grant (new notice version or method) supersedes the earlier one
                entries[previous] = replace(
                    entries[previous],
                    superseded_at=item["at"],
                    superseded_by=item["by"],
                    superseded_by_notice=item["notice_version"],
                )
            open_by_purpose[item["purpose"]] = len(entries)
            entries.append(
                ConsentEntry(
                    item["purpose"],
                    item["notice_version"],
                    item["method"],
                    item["by"],
                    item["at"],
                    item["recorded_at"],
                    expires_at=item.get("expires_at"),
                )
            )
        else:
            index = open_by_purpose.pop(item["purpose"], None)
            if index is not None:
                entries[index] = replace(
                    entries[index],
                    withdrawn_at=item["at"],
                    withdrawn_by=item["by"],
                    withdrawal_recorded_at=item["recorded_at"],
                )
    return entries


def consent_at(items: list[dict[str, Any]], purpose: str, moment: datetime) -> ConsentEntry | None:
    """The grant of ``purpose`` in force at ``moment``, or None."""
    for entry in reversed(fold_consents(items, as_of=moment)):
        if entry.purpose == purpose and entry.active_at(moment):
            return entry
    return None


def granted_item(
    purpose: str,
    notice_version: str,
    method: str,
    by: str,
    at: datetime,
    recorded_at: datetime | None = None,
    expires_at: datetime | None = None,
) -> dict[str, Any]:
    """The consent-log item of a grant (``recorded_at``: when its event was stored, if known)."""
    return {
        "kind": "granted",
        "purpose": purpose,
        "notice_version": notice_version,
        "method": method,
        "by": by,
        "at": at,
        "recorded_at": recorded_at,
        "expires_at": expires_at,
    }


def no_expiry(state: dict[str, Any]) -> None:
    """Upcast a version 1 ConsentGranted (stored before grants could expire): it has no expiry."""
    state["expires_at"] = None


def withdrawn_item(purpose: str, by: str | None, at: datetime, recorded_at: datetime | None = None) -> dict[str, Any]:
    """The consent-log item of a withdrawal (``recorded_at``: when its event was stored, if known)."""
    return {"kind": "withdrawn", "purpose": purpose, "by": by, "at": at, "recorded_at": recorded_at}


def check_grant(purpose: str, notice_version: str, method: str, captured_by: str) -> None:
    """Raise a ValidationError unless a grant names a known purpose and method, a notice and who captured it."""
    require_choice(purpose, PURPOSES, "consent purpose")
    require_choice(method, CONSENT_METHODS, "consent method")
    if not notice_version.strip():
        raise ValidationError("--notice-version is empty: name the privacy notice version shown, e.g. v3")
    if not captured_by.strip():
        raise ValidationError("--captured-by is empty: name who captured the consent (or 'self' for online)")


def check_expiry(at: datetime, expires_at: datetime | None) -> datetime | None:
    """``expires_at`` in UTC, if it is after the grant's effective time ``at``; else a ValidationError."""
    if expires_at is None:
        return None
    expires_at = require_utc(expires_at, "expiry")
    if expires_at <= at:
        raise ValidationError(
            f"consent expiry {expires_at.isoformat()} is not after the grant ({at.isoformat()}): "
            "give a later --expires date or a positive --expires-in period such as 2y"
        )
    return expires_at


def repeats(current: ConsentEntry | None, notice_version: str, method: str, expires_at: datetime | None = None) -> bool:
    """True when the grant in force (``current``) is already this one: granting it again records nothing.

    A grant with another expiry is a renewal (or a change of term), never a repeat.
    """
    return (
        current is not None
        and current.notice_version == notice_version
        and current.method == method
        and current.expires_at == expires_at
    )


Grant = tuple[str, str, str, str, datetime] | tuple[str, str, str, str, datetime, datetime | None]


def new_grants(consents: Sequence[Grant]) -> list[dict[str, Any]]:
    """The fields of a new sign-up's ConsentGranted events, each checked and kept as ``grant_consent`` would.

    Each consent is (purpose, notice_version, method, captured_by, effective time[, expiry]); a grant
    that repeats the one then in force is left out.
    """
    log: list[dict[str, Any]] = []
    grants: list[dict[str, Any]] = []
    for purpose, notice_version, method, by, when, *rest in consents:
        check_grant(purpose, notice_version, method, by)
        when = require_utc(when)
        expires_at = check_expiry(when, rest[0] if rest else None)
        earlier = any(item["purpose"] == purpose for item in log)  # only then can a grant be repeated
        if earlier and repeats(consent_at(log, purpose, when), notice_version, method, expires_at):
            continue
        item = granted_item(purpose, notice_version.strip(), method, by.strip(), when, expires_at=expires_at)
        log.append(item)
        grants.append(
            {
                "purpose": purpose,
                "notice_version": item["notice_version"],
                "method": method,
                "captured_by": item["by"],
                "at": when,
                "expires_at": expires_at,
            }
        )
    return grants


def require_held(items: list[dict[str, Any]], who: str, purpose: str, at: datetime) -> datetime:
    """``at`` in UTC, if a grant of ``purpose`` is in force then (only that can be withdrawn); else an error."""
    require_choice(purpose, PURPOSES, "consent purpose")
    at = require_utc(at)
    if consent_at(items, purpose, at) is None:
        raise ConsentStateError(
            f"participant {who} holds no active {purpose!r} consent at {at.isoformat()}: "
            "check `panel consent history` for what was granted and when"
        )
    return at
