"""One row of an import file as a validated sign-up (``parse_row``).

The format (also in ``panel participant import --help`` and the README): a header line naming the
columns, then one sign-up per line, comma-separated, UTF-8. ``ref`` (required), ``channel``
(online, phone, paper, in_person, partner_referral; any case), ``captured_by`` (needed for every
channel but online), ``registered_at`` (ISO 8601), the contact fields (``name``, ``email``,
``phone``, ``address``, ``postcode``), consent columns ``consent_<purpose>`` holding the notice
version shown (e.g. ``v3``; blank = not given) with optional ``consent_method`` and ``consent_at``,
and optional ``consent_<purpose>_valid_for`` (a period such as ``2y``: the consent expires that long
after ``consent_at``);
every other column is a self-described attribute (age_band, gender, ...). Each row is checked by
``panel.validation.validate_signup``, the same validation as every other entry path.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from pathlib import Path

from panel.clock import now
from panel.csv_rows import ImportFileError, Row
from panel.domain.durations import parse_period
from panel.domain.errors import ValidationError
from panel.domain.values import CHANNELS, PERSONAL_FIELDS, PURPOSES, parse_when
from panel.validation import (
    CheckedSignUp,
    ConsentSpec,
    FieldError,
    InvalidSignUpError,
    NumericAttributes,
    SignUp,
    choice,
    default_consent_method,
    validate_signup,
)

VALID_FOR = {f"consent_{p}_valid_for": p for p in PURPOSES}
RESERVED = {
    "ref", "channel", "captured_by", "registered_at", "consent_method", "consent_at", *PERSONAL_FIELDS, *VALID_FOR
}  # fmt: skip


def _expiry(v: dict[str, str], purpose: str, at: datetime | None, errors: list[FieldError]) -> datetime | None:
    """When a row's consent to ``purpose`` expires: its ``consent_<purpose>_valid_for`` period after ``at``."""
    column = f"consent_{purpose}_valid_for"
    if not v.get(column):
        return None
    try:
        return parse_period(v[column], column).after(at or now(), column)
    except ValidationError as exc:
        errors.append(FieldError(column, str(exc)))
        return None


@dataclass(frozen=True)
class _Layout:
    """What a file's columns mean, worked out once per header rather than once per row."""

    unknown_consent: str | None  # the first consent_ column that names no purpose
    personal: tuple[str, ...]  # the contact columns, in PERSONAL_FIELDS order
    attributes: tuple[str, ...]  # the self-described attribute columns, in the file's order
    consents: tuple[tuple[str, str], ...]  # (purpose, its column), in PURPOSES order


@lru_cache(maxsize=64)
def _layout(columns: tuple[str, ...]) -> _Layout:
    unknown = [
        k
        for k in columns
        if k.startswith("consent_") and k not in RESERVED and k.removeprefix("consent_") not in PURPOSES
    ]
    return _Layout(
        unknown_consent=unknown[0] if unknown else None,
        personal=tuple(k for k in PERSONAL_FIELDS if k in columns),
        attributes=tuple(k for k in columns if k not in RESERVED and not k.startswith("consent_")),
        consents=tuple((p, f"consent_{p}") for p in PURPOSES if f"consent_{p}" in columns),
    )


def parse_row(row: Row, default_channel: str, source: str, numeric: NumericAttributes | None = None) -> CheckedSignUp:
    """Turn one CSV row into a validated sign-up, or raise ValidationError with every reason."""
    v = {k: (val or "").strip() for k, val in row.values.items()}
    if "__extra__" in v:
        raise ValidationError("more cells than columns: check for an unquoted comma")
    layout = _layout(tuple(v))
    if layout.unknown_consent is not None:
        raise ValidationError(
            f"column {layout.unknown_consent} names no consent purpose: use "
            + ", ".join(f"consent_{p}" for p in PURPOSES)
        )
    errors: list[FieldError] = []
    channel = v.get("channel") or default_channel
    with contextlib.suppress(ValidationError):  # validate_signup reports it
        channel = choice(channel, CHANNELS, "channel")
    captured_by = v.get("captured_by") or None
    at = _when(v, "registered_at", errors)
    consent_at = _when(v, "consent_at", errors) or at
    method = v.get("consent_method") or default_consent_method(channel)
    signup = SignUp(
        ref=v.get("ref", ""),
        channel=channel,
        captured_by=captured_by,
        personal={k: v[k] for k in layout.personal if v[k]},
        attributes={k: v[k] for k in layout.attributes},
        consents=tuple(
            ConsentSpec(
                purpose,
                v[column],
                method,
                captured_by or "self",
                consent_at,
                _expiry(v, purpose, consent_at, errors),
            )  # fmt: skip
            for purpose, column in layout.consents
            if v[column]
        ),
        at=at,
        source=source,
    )
    try:
        checked = validate_signup(signup, numeric)
    except InvalidSignUpError as exc:
        errors.extend(exc.errors)
    if errors:
        raise InvalidSignUpError(errors)
    return checked


def parse_checked_row(
    row: Row, path: Path, default_channel: str, source: str, numeric: NumericAttributes | None = None
) -> CheckedSignUp:
    """``parse_row`` for a row the first read found valid (a top-level function: worker processes run it too).

    A row that is no longer valid, or whose reference no longer gives the id it was filed under,
    means the file changed between the reads: ImportFileError, and the import is rolled back.
    """
    try:
        checked = parse_row(row, default_channel, source, numeric)
    except ValidationError as exc:
        raise ImportFileError(f"{path}:{row.line}: {exc}: {_CHANGED}") from None
    if checked.ref != row_ref(row):
        raise ImportFileError(f"{path}:{row.line}: ref {row_ref(row)!r} reads differently when parsed: {_CHANGED}")
    return checked


def row_ref(row: Row) -> str:
    """The reference a valid row is registered under, read without parsing the rest of it."""
    return (row.values.get("ref") or "").strip()


_CHANGED = "the file changed while it was imported, nothing was imported: run the import again"


def _when(values: dict[str, str], column: str, errors: list[FieldError]) -> datetime | None:
    if not values.get(column):
        return None
    try:
        return parse_when(values[column], column)
    except ValidationError as exc:
        errors.append(FieldError(column, str(exc)))
        return None
