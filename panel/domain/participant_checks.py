"""Checks of the Participant aggregate's commands that need none of its state: sign-up, withdrawal, erasure."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from panel.domain.errors import ValidationError
from panel.domain.values import CHANNELS, require_choice, require_utc


def check_registration(external_ref: str, channel: str, captured_by: str | None) -> None:
    """Raise a ValidationError unless a sign-up has a reference, a known channel and (offline) who took it."""
    require_choice(channel, CHANNELS, "channel")
    if not external_ref.strip():
        raise ValidationError("external reference is empty: give the application's reference, e.g. --ref VES-001")
    if channel != "online" and not captured_by:
        raise ValidationError(f"a {channel} sign-up needs --captured-by: name the staff member who took it")


def registration(
    source: str, external_ref: str, channel: str, captured_by: str | None, at: datetime, sealed: str
) -> dict[str, Any]:
    """The fields of a Registered event, checked (``check_registration``) and normalised."""
    check_registration(external_ref, channel, captured_by)
    return {
        "source": source,
        "external_ref": external_ref.strip(),
        "channel": channel,
        "captured_by": captured_by,
        "at": require_utc(at),
        "sealed": sealed,
    }


def withdrawal_reason(reason: str) -> str:
    """The reason someone withdrew from an engagement, stripped; an empty one is refused."""
    if not reason.strip():
        raise ValidationError("--reason is empty: say why the participant withdrew")
    return reason.strip()


def erasure_record(reason: str, erased_by: str | None) -> tuple[str, str | None]:
    """(reason, erased_by) of an erasure, stripped; an empty reason, or an empty name given, is refused."""
    if not reason.strip():
        raise ValidationError("--reason is empty: record why the data is erased, e.g. 'erasure request 2026-11-02'")
    if erased_by is not None and not erased_by.strip():
        raise ValidationError("--by is empty: name the staff member who carried out the erasure")
    return reason.strip(), erased_by.strip() if erased_by else None
