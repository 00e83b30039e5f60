"""Value types and vocabularies of the panel domain (standard library only)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime

from panel.domain.errors import ValidationError
from panel.domain.money import format_pence, pence_from_text  # noqa: F401  (money lives in money.py)
from panel.domain.text import ATTRIBUTE_KEY_PATTERN

CHANNELS = ("online", "phone", "paper", "in_person", "partner_referral")
PURPOSES = ("contact", "panel_membership", "data_processing")
RESPONSE_CHANNELS = ("staff", "self_service")  # who recorded an answer to an invitation: staff, or the person
CONSENT_METHODS = ("online", "written", "verbal")
ENGAGEMENT_TYPES = ("inform", "consult", "involve", "co_produce", "community_led")
PREFER_NOT_TO_SAY = "prefer_not_to_say"
PERSONAL_FIELDS = ("name", "email", "phone", "address", "postcode")


def require_choice(value: str, choices: tuple[str, ...], what: str) -> str:
    """Return ``value`` if it is one of ``choices``; otherwise raise a ValidationError."""
    if value not in choices:
        raise ValidationError(f"unknown {what} {value!r}: use one of {', '.join(choices)}")
    return value


def require_utc(at: datetime, what: str = "time") -> datetime:
    """Return ``at`` in UTC; naive datetimes are refused (times are timezone-aware UTC)."""
    if at.tzinfo is UTC:
        return at
    if at.tzinfo is None or at.utcoffset() is None:
        raise ValidationError(f"{what} {at.isoformat()} has no timezone: add Z or +00:00")
    return _in_utc(at, what, at.isoformat())


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
    return _in_utc(value, what, text)


def _in_utc(value: datetime, what: str, text: str) -> datetime:
    """``value`` converted to UTC; a time that has no UTC equivalent (before year 1 or after 9999) is refused."""
    try:
        return value.astimezone(UTC)
    except OverflowError:
        raise ValidationError(
            f"{what} {text!r} is out of range: in UTC it falls outside the years 1 to 9999; give a real date"
        ) from None


def parse_day(text: str, what: str = "--date") -> date:
    """Parse an ISO 8601 calendar date."""
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise ValidationError(f"{what} {text!r} is not a date: use YYYY-MM-DD, e.g. 2026-03-02") from None


OPERATORS = ("=", "!=", ">=", "<=", ">", "<", "in", "not in")
_RULE = re.compile(
    r"^\s*(?P<field>[A-Za-z][A-Za-z0-9_-]*)\s*(?P<op>!=|>=|<=|=|>|<|\bnot\s+in\b|\bin\b)\s*(?P<rest>.*?)\s*$"
)
NUMBER = re.compile(r"[-+]?\d+(\.\d+)?")  # what a rule compares with, and an attribute it compares: no nan, inf or 1e9


def is_number(text: str) -> bool:
    """Whether ``text`` is a number a rule can compare (an optional sign, digits, an optional decimal part)."""
    return NUMBER.fullmatch(text) is not None


RULE_HELP = (
    f"write NAME OPERATOR VALUE with one of the operators {', '.join(OPERATORS)}, "
    "e.g. 'age >= 18' or 'age_band in 18-21,22-25'"
)


@dataclass(frozen=True)
class EligibilityRule:
    """A simple predicate over participant attributes, e.g. ``age_band in 18-21,22-25``.

    ``parse`` is the one parser of rules for every entry path (engagement open and update, reach's
    PLUS groups, imports); it refuses anything it would have to guess at.
    """

    field: str
    op: str
    values: tuple[str, ...]

    @classmethod
    def parse(cls, text: str, what: str = "eligibility rule") -> EligibilityRule:
        match = _RULE.match(text)
        if not match:
            raise ValidationError(f"{what} {text!r} is not understood: {RULE_HELP}")
        field = match["field"].lower().replace("-", "_")
        op = " ".join(match["op"].split())
        rest = match["rest"]
        if not rest or rest[0] in "=<>!":
            raise ValidationError(f"{what} {text!r} is not understood: {RULE_HELP}")
        if not ATTRIBUTE_KEY_PATTERN.fullmatch(field):
            raise ValidationError(f"{what} {text!r} names {field!r}: use lower-case letters, digits and _")
        if op in ("in", "not in"):
            values = tuple(v.strip() for v in rest.split(","))
            if not all(values):
                raise ValidationError(
                    f"{what} {text!r} has an empty value in its list: write e.g. 'age_band in 18-21,22-25'"
                )
            return cls(field, op, values)
        if "," in rest:
            hint = "in" if op == "=" else "not in"
            raise ValidationError(f"{what} {text!r} compares with a list: write '{field} {hint} {rest}'")
        if op in (">=", "<=", ">", "<") and not is_number(rest):
            raise ValidationError(f"{what} {text!r} compares with {rest!r}: use a number, e.g. '{field} {op} 18'")
        return cls(field, op, (rest,))

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


HOUSEHOLD_BY = ("postcode", "address")  # what makes two people one household (a draw's --household-by)
