"""Limits on every piece of free text the panel records, and the checks that apply them (defined once).

Every entry path (the CLI, the CSV importer, and later the web form and the partner API) checks
text with these functions before anything is written, and the application checks every event's
text fields against ``EVENT_FIELD_LIMITS`` once more as it is encoded, so no command can record
text that a read model or an export would choke on.

The read models store these fields as unbounded text (PostgreSQL ``TEXT``, SQLite ``TEXT``), so
the limits here are the panel's policy, not the views' storage: a view can hold any event the
store ever accepted, and changing a limit needs no schema change. What no PostgreSQL text column
can hold at any length is a NUL character, which is why control characters are refused here.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Any

from panel.domain.errors import ValidationError

# Maximum lengths, in characters. Each fits the column that held the field in the read models
# before they stored unbounded text, so views created by earlier versions (until their next
# `panel projections rebuild`) also hold every value accepted now.
REFERENCE = 60  # an application, receipt, voucher, payment, budget or engagement reference; a source
STAFF = 100  # who captured, approved or ran something
NOTICE_VERSION = 40  # the version label of a privacy notice or script, e.g. "v3" or "2026-01"
LABEL = 120  # an engagement or rate-card name
REASON = 500  # a reason, an engagement's purpose, an override reason, public randomness text
ATTRIBUTE_KEY = 40  # a self-described attribute's name (lower-case letters, digits, _)
ATTRIBUTE_KEY_PATTERN = re.compile(rf"[a-z][a-z0-9_]{{0,{ATTRIBUTE_KEY - 1}}}")


def attribute_key(raw_key: str) -> str:
    """An attribute's canonical name ('Age Band' -> 'age_band'), or ValidationError if it cannot be one."""
    key = raw_key.strip().lower().replace("-", "_").replace(" ", "_")
    if not ATTRIBUTE_KEY_PATTERN.fullmatch(key):
        raise ValidationError(
            f"attribute name {raw_key.strip()!r} is not valid: use lower-case letters, digits and _, "
            f"starting with a letter, at most {ATTRIBUTE_KEY} characters (e.g. age_band)"
        )
    return key


ATTRIBUTE_VALUE = 200  # a self-described attribute's value
VOCABULARY = 20  # values from a fixed list (channel, method, kind ...)
INTERNAL_KEY = 32  # keys the panel makes itself, e.g. a bank statement line's

# Personal data (sealed: never seen by a view, but bounded all the same). The postcode's limit is
# on what is typed; it is stored as at most 8 characters.
PERSONAL_LIMITS = {"name": 200, "email": 254, "phone": 40, "address": 500, "postcode": 16}

# The text fields of recorded events and their limits; any other text field of an event gets the
# character check only (hashes, sealed blobs, draw records made by the panel itself).
EVENT_FIELD_LIMITS: dict[str, int] = {
    **dict.fromkeys(
        (
            "external_ref",
            "source",
            "ref",
            "engagement_ref",
            "participant_ref",
            "receipt",
            "voucher_code",
            "reference",
            "batch_ref",
            "budget_code",
            "code",
            "account",
        ),
        REFERENCE,
    ),
    **dict.fromkeys(
        ("captured_by", "opened_by", "drawn_by", "by", "created_by", "approved_by", "matched_by", "set_by"), STAFF
    ),
    "notice_version": NOTICE_VERSION,
    **dict.fromkeys(("name", "rate_card"), LABEL),
    **dict.fromkeys(("reason", "override_reason", "purpose", "seed_from"), REASON),
    **dict.fromkeys(("channel", "method", "kind", "category", "quantity", "route", "unit"), VOCABULARY),
    "statement_line": INTERNAL_KEY,
}

# C0 and C1 control characters (NUL among them), surrogates, and the bidirectional overrides
# that make text display in an order other than the one stored (U+202A-U+202E, U+2066-U+2069).
_BAD = re.compile("[\x00-\x1f\x7f-\x9f\ud800-\udfff\u202a-\u202e\u2066-\u2069]")
_BAD_MULTILINE = re.compile("[\x00-\x09\x0b-\x1f\x7f-\x9f\ud800-\udfff\u202a-\u202e\u2066-\u2069]")


def label_of(field: str) -> str:
    """A field's name as people read it: 'notice_version' -> 'notice version'."""
    return field.replace("_", " ")


def bad_character(value: str, multiline: bool = False) -> str | None:
    """A description of the first character not allowed in ``value`` (e.g. 'U+0000 (NUL) at character 4'), or None."""
    match = (_BAD_MULTILINE if multiline else _BAD).search(value)
    if match is None:
        return None
    char = match.group()
    name = unicodedata.name(char, "") or {"\x00": "NUL", "\t": "TAB", "\n": "LINE FEED", "\r": "CARRIAGE RETURN"}.get(
        char, "a control character"
    )
    return f"U+{ord(char):04X} ({name}) at character {match.start() + 1}"


def check_text(
    value: str, field: str, limit: int, *, multiline: bool = False, required: bool = False, label: str | None = None
) -> str:
    """Return ``value`` stripped of surrounding spaces, or raise ValidationError naming ``field``.

    Refused: more than ``limit`` characters, control characters (NUL, tab, line breaks unless
    ``multiline``), unpaired surrogates and bidirectional overrides; and, if ``required``, nothing.
    Messages call the field ``label`` (default: its name with spaces, e.g. 'notice version').
    """
    text = value.strip()
    if required and not text:
        raise ValidationError(f"{label or label_of(field)} is empty: give a value")
    require_clean(text, field, limit, multiline=multiline, label=label)
    return text


def check_optional(value: str | None, field: str, limit: int, *, multiline: bool = False) -> str | None:
    """``check_text`` for an optional field: None and blank text give None."""
    if value is None:
        return None
    return check_text(value, field, limit, multiline=multiline) or None


def require_clean(text: str, field: str, limit: int, *, multiline: bool = False, label: str | None = None) -> None:
    """Raise ValidationError if ``text`` is longer than ``limit`` or holds a character that cannot be recorded."""
    if len(text) > limit:
        raise ValidationError(
            f"{label or label_of(field)} is too long: {len(text):,} characters, at most {limit:,}: "
            f"shorten it ({_preview(text)})"
        )
    bad = bad_character(text, multiline)
    if bad is not None:
        raise ValidationError(
            f"{label or label_of(field)} contains {bad}, which cannot be recorded: remove it ({_preview(text)})"
        )


MULTILINE_FIELDS = frozenset({"reason", "override_reason", "purpose"})


def check_event_text(state: dict[str, Any]) -> None:
    """Check every text value of an event's state: top-level fields by ``EVENT_FIELD_LIMITS``, nested ones
    (lists and dicts, e.g. a draw's quotas) for characters only. Raises ValidationError naming the field."""
    for field, value in state.items():
        if isinstance(value, str):
            multiline = field in MULTILINE_FIELDS
            limit = EVENT_FIELD_LIMITS.get(field)
            if (limit is not None and len(value) > limit) or (_BAD_MULTILINE if multiline else _BAD).search(value):
                require_clean(value, field, len(value) if limit is None else limit, multiline=multiline)
        elif isinstance(value, (list, tuple, dict)):
            _check_nested(value, field)


def _check_nested(value: Any, field: str) -> None:
    items = value.items() if isinstance(value, dict) else enumerate(value)
    for key, item in items:
        if isinstance(key, str) and _BAD.search(key):
            require_clean(key, field, len(key))
        if isinstance(item, str) and _BAD.search(item):
            require_clean(item, field, len(item))
        elif isinstance(item, (list, tuple, dict)):
            _check_nested(item, field)


def _preview(text: str, width: int = 30) -> str:
    if len(text) <= width:
        return repr(text)
    return "it begins " + repr(text[: width - 1] + "…")
