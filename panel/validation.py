"""One validation for every way a sign-up enters the store: the CLI, the CSV importer, the web form and partner API.

``validate_signup`` checks a whole ``SignUp`` and returns it normalised (channel and method in
their canonical spelling, email and postcode in one form, phone in E.164, attributes with
canonical keys), or raises ``InvalidSignUpError`` listing every field that is wrong, each as a
``FieldError(field, message)``: a CLI prints the message, the importer prefixes the line, a
web form puts each message next to its field. Nothing is written by validation, and
``PanelApp.register``/``register_many`` validate before they write anything.

Field names are those of ``SignUp``: ``ref``, ``channel``, ``captured_by``, ``source``, ``at``,
the contact fields (``name``, ``email``, ``phone``, ``address``, ``postcode``),
``attributes.<key>`` and ``consents.<purpose>.<field>``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache
from typing import Any, TypeVar

from panel.contact import looks_like_contact, normalise_email, normalise_phone, normalise_postcode
from panel.domain import text
from panel.domain.errors import ValidationError
from panel.domain.values import (
    CHANNELS,
    CONSENT_METHODS,
    PERSONAL_FIELDS,
    PREFER_NOT_TO_SAY,
    PURPOSES,
    is_number,
    require_utc,
)

T = TypeVar("T")
DEFAULT_SOURCE = "panel"
DEFAULT_METHOD = {
    "online": "online",
    "paper": "written",
    "phone": "verbal",
    "in_person": "verbal",
    "partner_referral": "written",
}


def default_consent_method(channel: str) -> str:
    """How consent was given when nobody said: the one default for every entry path (CLI, CSV, demo, web).

    Online sign-ups consent online; paper forms and partner referrals in writing; by phone or in
    person, verbally.
    """
    return DEFAULT_METHOD.get(channel, "online")


@dataclass(frozen=True)
class ConsentSpec:
    purpose: str
    notice_version: str
    method: str
    captured_by: str
    at: datetime | None = None
    expires_at: datetime | None = None  # the grant lapses then unless renewed (None: no expiry)


@dataclass(frozen=True)
class SignUp:
    """One sign-up as it arrives from the CLI, an import row, the web form or the demo."""

    ref: str
    channel: str
    captured_by: str | None = None
    personal: dict[str, str] = field(default_factory=dict)
    attributes: dict[str, str] = field(default_factory=dict)
    consents: tuple[ConsentSpec, ...] = ()
    at: datetime | None = None
    source: str = DEFAULT_SOURCE


@dataclass(frozen=True)
class CheckedSignUp(SignUp):
    """A sign-up that ``validate_signup`` returned: normalised and known to be valid."""


@dataclass(frozen=True)
class FieldError:
    """One invalid field: its name (see the module's docstring) and a one-line message saying how to fix it."""

    field: str
    message: str
    plain: bool = False  # already in the public pages' plain words: the web shows it as it is


class InvalidSignUpError(ValidationError):
    """Raised when a sign-up has invalid fields; ``errors`` names each one."""

    def __init__(self, errors: Sequence[FieldError]) -> None:
        self.errors = list(errors)
        super().__init__("; ".join(e.message for e in self.errors))


# Attribute name -> why it must be a number (e.g. "engagement vested-2026's rule 'age >= 18'").
NumericAttributes = Mapping[str, str]


@lru_cache(maxsize=256)
def choice(value: str, choices: tuple[str, ...], what: str) -> str:
    """``value`` as one of ``choices``, in any case and with spaces or hyphens for '_' ('In person' -> 'in_person')."""
    canonical = value.strip().lower().replace("-", "_").replace(" ", "_")
    if canonical not in choices:
        raise ValidationError(f"{what} {value.strip()!r} is unknown: use one of {', '.join(choices)}")
    return canonical


def validate_signup(signup: SignUp, numeric: NumericAttributes | None = None) -> CheckedSignUp:
    """The sign-up normalised, or InvalidSignUpError naming every invalid field (nothing is written)."""
    if isinstance(signup, CheckedSignUp) and numeric is None:
        return signup
    errors: list[FieldError] = []
    check = _collector(errors)
    ref = check("ref", _reference, signup.ref)
    source = check("source", text.check_text, signup.source, "source", text.REFERENCE, required=True)
    channel = check("channel", choice, signup.channel, CHANNELS, "channel")
    captured_by = check("captured_by", text.check_optional, signup.captured_by, "captured_by", text.STAFF)
    if channel not in (None, "online") and captured_by is None and "captured_by" not in {e.field for e in errors}:
        errors.append(
            FieldError("captured_by", f"a {channel} sign-up needs captured_by (the staff member who took it)")
        )
    at = check("at", _utc_or_none, signup.at, "registered_at")
    personal = validate_personal(signup.personal, errors)
    attributes = validate_attributes(signup.attributes, errors, numeric)
    consents = _consents(signup.consents, errors)
    if errors:
        raise InvalidSignUpError(errors)
    return CheckedSignUp(
        ref=ref, channel=channel, captured_by=captured_by, personal=personal, attributes=attributes,
        consents=consents, at=at, source=source,
    )  # fmt: skip


def validate_personal(personal: Mapping[str, str | None], errors: list[FieldError] | None = None) -> dict[str, str]:
    """Contact details checked and normalised; blank ones dropped. Raises InvalidSignUpError unless ``errors``
    is given to collect into."""
    collected: list[FieldError] = [] if errors is None else errors
    check = _collector(collected)
    clean: dict[str, str] = {}
    for name, raw in personal.items():
        if name not in PERSONAL_FIELDS:
            collected.append(
                FieldError(name, f"{name} is not a contact field: use one of {', '.join(PERSONAL_FIELDS)}")
            )
            continue
        if raw is None or not raw.strip():
            continue
        value = check(name, _contact, name, raw)
        if value is not None:
            clean[name] = value
    if errors is None and collected:
        raise InvalidSignUpError(collected)
    return clean


def validate_attributes(
    attributes: Mapping[str, str], errors: list[FieldError] | None = None, numeric: NumericAttributes | None = None
) -> dict[str, str]:
    """Self-described attributes with canonical keys and tidy values; blank values dropped, 'prefer not to say'
    kept as prefer_not_to_say; a value that an engagement's rule compares with a number must be a number."""
    collected: list[FieldError] = [] if errors is None else errors
    clean: dict[str, str] = {}
    for raw_key, raw_value in attributes.items():
        key = _canonical_key(raw_key)
        try:
            value = _attribute(raw_key, str(raw_value), numeric.get(key) if numeric else None)
        except ValidationError as exc:
            collected.append(FieldError(f"attributes.{key or raw_key}", str(exc)))
            continue
        if value is not None:
            clean[key] = value
    if errors is None and collected:
        raise InvalidSignUpError(collected)
    return clean


@lru_cache(maxsize=1024)
def _canonical_key(raw_key: str) -> str:
    return raw_key.strip().lower().replace("-", "_").replace(" ", "_")


@lru_cache(maxsize=8192)  # imports repeat the same few values thousands of times
def _attribute(raw_key: str, raw_value: str, numeric_reason: str | None) -> str | None:
    """One attribute's clean value (None when blank), or ValidationError.

    ``numeric_reason``: why it must be a number (an eligibility rule compares it with one).
    """
    key = text.attribute_key(raw_key)
    value = text.check_text(raw_value, key, text.ATTRIBUTE_VALUE, label=f"attribute {key}")
    if not value:
        return None
    if value.lower().replace("-", " ").replace("_", " ") in ("prefer not to say", "pnts"):
        return PREFER_NOT_TO_SAY
    if numeric_reason is not None and not is_number(value):
        raise ValidationError(f"attribute {key} {value!r} is not a number, but {numeric_reason}: write a number")
    return value


def _consents(consents: Sequence[ConsentSpec], errors: list[FieldError]) -> tuple[ConsentSpec, ...]:
    clean = []
    check = _collector(errors)
    for spec in consents:
        try:
            purpose, version, method, by = _consent_fields(
                spec.purpose, spec.notice_version, spec.method, spec.captured_by
            )
        except InvalidSignUpError as exc:
            errors.extend(exc.errors)
            continue
        at = check(f"consents.{purpose}.at", _utc_or_none, spec.at, "consent time")
        expires_at = check(f"consents.{purpose}.expires_at", _utc_or_none, spec.expires_at, "consent expiry")
        clean.append(ConsentSpec(purpose, version, method, by, at, expires_at))
    return tuple(clean)


@lru_cache(maxsize=1024)  # a file's consents share a few notice versions, methods and staff names
def _consent_fields(purpose: str, notice_version: str, method: str, captured_by: str) -> tuple[str, str, str, str]:
    errors: list[FieldError] = []
    check = _collector(errors)
    where = f"consents.{purpose}"
    clean = (
        check(f"{where}.purpose", choice, purpose, PURPOSES, "consent purpose"),
        check(f"{where}.notice_version", text.check_text, notice_version, "notice_version", text.NOTICE_VERSION,
              required=True),
        check(f"{where}.method", choice, method, CONSENT_METHODS, "consent method"),
        check(f"{where}.captured_by", text.check_text, captured_by, "captured_by", text.STAFF, required=True),
    )  # fmt: skip
    if errors:
        raise InvalidSignUpError(errors)
    return clean


def _reference(value: str) -> str:
    ref = text.check_text(value, "ref", text.REFERENCE, required=True)
    kind = looks_like_contact(ref)
    if kind is not None:
        raise ValidationError(
            f"ref {ref!r} looks like {kind}, which would be kept in clear: "
            "use the application's reference, e.g. VES-001"
        )
    return ref


def _contact(name: str, raw: str) -> str:
    value = text.check_text(raw, name, text.PERSONAL_LIMITS[name], multiline=name == "address")
    if name == "email":
        return normalise_email(value)
    if name == "phone":
        return normalise_phone(value)
    if name == "postcode":
        return normalise_postcode(value)
    return value


def _utc_or_none(at: datetime | None, what: str) -> datetime | None:
    return None if at is None else require_utc(at, what)


def _collector(errors: list[FieldError]) -> Callable[..., Any]:
    """A function that runs one field's check, ``check(field, function, *args, **kwargs)``, returning the
    function's value, or None after noting the ValidationError it raised as that field's error."""

    def check(where: str, run: Callable[..., T], *args: Any, **kwargs: Any) -> T | None:
        try:
            return run(*args, **kwargs)
        except ValidationError as exc:
            errors.append(FieldError(where, str(exc)))
            return None

    return check
