"""Value types and vocabularies of the panel domain (standard library only)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime

from panel.domain.errors import ValidationError
from panel.domain.money import format_pence, pence_from_text  # noqa: F401  (money lives in money.py)

CHANNELS = ("online", "phone", "paper", "in_person", "partner_referral")
PURPOSES = ("contact", "panel_membership", "data_processing")
CONSENT_METHODS = ("online", "written", "verbal")
ENGAGEMENT_TYPES = ("inform", "consult", "involve", "co_produce", "community_led")
PREFER_NOT_TO_SAY = "prefer_not_to_say"
PERSONAL_FIELDS = ("name", "email", "phone", "address", "postcode")

_KEY = re.compile(r"^[a-z][a-z0-9_]{0,39}$")


def require_choice(value: str, choices: tuple[str, ...], what: str) -> str:
    """Return ``value`` if it is one of ``choices``; otherwise raise a ValidationError."""
    if value not in choices:
        raise ValidationError(f"unknown {what} {value!r}: use one of {', '.join(choices)}")
    return value


def require_utc(at: datetime, what: str = "time") -> datetime:
    """Return ``at`` in UTC; naive datetimes are refused (times are timezone-aware UTC)."""
    if at.tzinfo is None or at.utcoffset() is None:
        raise ValidationError(f"{what} {at.isoformat()} has no timezone: add Z or +00:00")
    return at.astimezone(UTC)


def parse_when(text: str, what: str = "--at") -> datetime:
    """Parse an ISO 8601 date or date-time; a date means midnight UTC, a naive time means UTC."""
    try:
        if len(text) == 10:
            return datetime.combine(date.fromisoformat(text), datetime.min.time(), UTC)
        value = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise ValidationError(
            f"{what} {text!r} is not a date: use ISO 8601, e.g. 2026-03-02 or 2026-03-02T14:30Z"
        ) from None
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


def parse_day(text: str, what: str = "--date") -> date:
    """Parse an ISO 8601 calendar date."""
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise ValidationError(f"{what} {text!r} is not a date: use YYYY-MM-DD, e.g. 2026-03-02") from None


def normalise_attributes(attrs: dict[str, str]) -> dict[str, str]:
    """Check attribute keys and tidy values; empty values are dropped, 'prefer not to say' kept."""
    clean: dict[str, str] = {}
    for raw_key, raw_value in attrs.items():
        key = raw_key.strip().lower().replace("-", "_").replace(" ", "_")
        if not _KEY.match(key):
            raise ValidationError(f"attribute name {raw_key!r} is not valid: use lower-case letters, digits and _")
        value = str(raw_value).strip()
        if not value:
            continue
        if value.lower().replace("-", " ").replace("_", " ") in ("prefer not to say", "pnts"):
            value = PREFER_NOT_TO_SAY
        clean[key] = value
    return clean


_RULE = re.compile(r"^\s*([A-Za-z][\w-]*)\s*(not in|in|>=|<=|!=|=|>|<)\s*(.+?)\s*$")


@dataclass(frozen=True)
class EligibilityRule:
    """A simple predicate over participant attributes, e.g. ``age_band in 18-21,22-25``."""

    field: str
    op: str
    values: tuple[str, ...]

    @classmethod
    def parse(cls, text: str) -> EligibilityRule:
        match = _RULE.match(text)
        if not match:
            raise ValidationError(
                f"eligibility rule {text!r} is not understood: write e.g. "
                "'age_band in 18-21,22-25' or 'unemployed_months >= 4'"
            )
        field, op, rest = match.groups()
        field = field.lower().replace("-", "_")
        values = tuple(v.strip() for v in rest.split(",")) if "in" in op else (rest.strip(),)
        if op in (">=", "<=", ">", "<"):
            try:
                float(values[0])
            except ValueError:
                raise ValidationError(f"eligibility rule {text!r} compares with {values[0]!r}: use a number") from None
        return cls(field, op, values)

    def __str__(self) -> str:
        joiner = "," if "in" in self.op else ""
        return f"{self.field} {self.op} {joiner.join(self.values)}"

    def holds(self, attributes: dict[str, str]) -> bool:
        """True when the attributes satisfy the rule; missing or withheld values never qualify."""
        value = attributes.get(self.field)
        if value is None or value == PREFER_NOT_TO_SAY:
            return False
        if self.op == "in":
            return value.lower() in {v.lower() for v in self.values}
        if self.op == "not in":
            return value.lower() not in {v.lower() for v in self.values}
        if self.op == "=":
            return value.lower() == self.values[0].lower()
        if self.op == "!=":
            return value.lower() != self.values[0].lower()
        try:
            number, bound = float(value), float(self.values[0])
        except ValueError:
            return False
        return {">=": number >= bound, "<=": number <= bound, ">": number > bound, "<": number < bound}[self.op]
