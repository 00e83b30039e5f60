"""CSV import of sign-ups: validate the whole file first, then write in atomic, idempotent batches.

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
import csv
import io
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from panel.application import PanelApp
from panel.clock import now
from panel.csv_out import write_csv
from panel.domain.confirmation import CAMPAIGN_SOURCE
from panel.domain.durations import parse_period
from panel.domain.errors import PanelError, ValidationError
from panel.domain.partner import PARTNER_SOURCE
from panel.domain.text import PERSONAL_LIMITS
from panel.domain.values import CHANNELS, PERSONAL_FIELDS, PURPOSES, parse_when
from panel.engagements import Engagements
from panel.records import ImportReport
from panel.registration import Registration
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
_DELIMITERS = {";": "semicolons (;)", "\t": "tabs", "|": "vertical bars (|)"}


class ImportFileError(PanelError):
    """Raised when an import file cannot be read as CSV, or has rows that are not valid."""


@dataclass(frozen=True)
class Row:
    line: int
    values: dict[str, str]


def read_text(path: Path) -> str:
    """The file's text; a missing file, a folder or undecodable bytes are reported in one line."""
    try:
        return path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise ImportFileError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise ImportFileError(f"{path} is a folder, not a file: give the path of a CSV file") from None
    except PermissionError:
        raise ImportFileError(f"{path}: permission denied: check who can read the file") from None
    except UnicodeDecodeError as exc:
        line = path.read_bytes()[: exc.start].count(b"\n") + 1
        raise ImportFileError(f"{path}:{line}: not UTF-8 text: save the file as CSV UTF-8") from None


def read_rows(path: Path) -> tuple[list[str], list[Row]]:
    """Read a CSV file; header problems, the wrong delimiter and over-long fields are reported with the line."""
    text = read_text(path)
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    try:
        header = [h.strip().lower().replace(" ", "_").replace("-", "_") for h in next(reader)]
    except StopIteration:
        raise ImportFileError(f"{path}: the file is empty: the first line must name the columns") from None
    except csv.Error as exc:
        raise ImportFileError(_csv_problem(path, 1, exc)) from None
    if len(header) == 1:
        _refuse_other_delimiter(path, text.partition("\n")[0])
    if "ref" not in header:
        raise ImportFileError(f"{path}:1: no 'ref' column: add a column with each application's reference")
    if len(set(header)) != len(header):
        raise ImportFileError(f"{path}:1: a column name appears twice: give each column one name")
    rows: list[Row] = []
    try:
        for record in reader:
            if not any(cell.strip() for cell in record):
                continue
            rows.append(
                Row(
                    reader.line_num,
                    dict(zip(header, record + [""] * (len(header) - len(record)), strict=False))
                    if len(record) <= len(header)
                    else {"__extra__": "x"},
                )
            )
    except csv.Error as exc:
        raise ImportFileError(_csv_problem(path, reader.line_num, exc)) from None
    return header, rows


def _refuse_other_delimiter(path: Path, first_line: str) -> None:
    """A header with one column that another delimiter would split: say which, and how to save a CSV."""
    try:
        delimiter = csv.Sniffer().sniff(first_line, delimiters=";\t|").delimiter
    except csv.Error:
        return
    name = _DELIMITERS.get(repr(delimiter)[1:-1], repr(delimiter))
    raise ImportFileError(
        f"{path}:1: the file separates its columns with {name}, not commas: save it as CSV with commas "
        "(in Excel: Save As 'CSV UTF-8 (Comma delimited)'; in LibreOffice: Field delimiter ',')"
    )


def _csv_problem(path: Path, line: int, exc: csv.Error) -> str:
    if "field larger than field limit" in str(exc):
        return (
            f"{path}:{line}: a field is longer than {csv.field_size_limit():,} characters, the most a field may hold "
            f"(no column needs more than {max(PERSONAL_LIMITS.values()):,}): check that every quoted field is closed"
        )
    return f"{path}:{line}: {exc}: fix the quoting on that line"


def _expiry(v: dict[str, str], purpose: str, at: datetime | None, errors: list[FieldError]) -> datetime | None:
    """When a row's consent to ``purpose`` expires: its ``consent_<purpose>_valid_for`` period after ``at``."""
    column = f"consent_{purpose}_valid_for"
    if not v.get(column):
        return None
    try:
        return parse_period(v[column], column).after(at or now())
    except ValidationError as exc:
        errors.append(FieldError(column, str(exc)))
        return None


def parse_row(row: Row, default_channel: str, source: str, numeric: NumericAttributes | None = None) -> CheckedSignUp:
    """Turn one CSV row into a validated sign-up, or raise ValidationError with every reason."""
    v = {k: (val or "").strip() for k, val in row.values.items()}
    if "__extra__" in v:
        raise ValidationError("more cells than columns: check for an unquoted comma")
    unknown_consents = [
        k for k in v if k.startswith("consent_") and k not in RESERVED and k.removeprefix("consent_") not in PURPOSES
    ]
    if unknown_consents:
        raise ValidationError(
            f"column {unknown_consents[0]} names no consent purpose: use " + ", ".join(f"consent_{p}" for p in PURPOSES)
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
        personal={k: v[k] for k in PERSONAL_FIELDS if v.get(k)},
        attributes={k: val for k, val in v.items() if k not in RESERVED and not k.startswith("consent_")},
        consents=tuple(
            ConsentSpec(
                purpose,
                v[f"consent_{purpose}"],
                method,
                captured_by or "self",
                consent_at,
                _expiry(v, purpose, consent_at, errors),
            )  # fmt: skip
            for purpose in PURPOSES
            if v.get(f"consent_{purpose}")
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


def _when(values: dict[str, str], column: str, errors: list[FieldError]) -> datetime | None:
    if not values.get(column):
        return None
    try:
        return parse_when(values[column], column)
    except ValidationError as exc:
        errors.append(FieldError(column, str(exc)))
        return None


def import_csv(
    app: PanelApp,
    path: Path,
    *,
    channel: str = "online",
    source: str = "import",
    skip_invalid: bool = False,
    progress: Callable[[int], None] | None = None,
) -> ImportReport:
    """Validate every row, then import. Without ``skip_invalid`` one bad row means nothing is written."""
    channel = choice(channel, CHANNELS, "--channel")
    if source.startswith((CAMPAIGN_SOURCE, PARTNER_SOURCE)):
        raise ValidationError(
            f"--source {source!r} is kept for applications through a campaign or the partner API: choose another, "
            "e.g. --source referrals-2026"
        )
    _, rows = read_rows(path)
    numeric = Engagements(app).numeric_attributes()
    good: list[SignUp] = []
    rejected: list[tuple[int, str]] = []
    seen: dict[str, int] = {}
    for row in rows:
        try:
            signup = parse_row(row, channel, source, numeric)
            if signup.ref in seen:
                raise ValidationError(f"ref {signup.ref!r} already appears on line {seen[signup.ref]}")
            seen[signup.ref] = row.line
            good.append(signup)
        except ValidationError as exc:
            rejected.append((row.line, str(exc)))
    if rejected and not skip_invalid:
        return ImportReport(rows=len(rows), created=0, unchanged=0, rejected=rejected, events=0)
    created, unchanged, events = Registration(app).register_many(good, progress=progress)
    return ImportReport(rows=len(rows), created=created, unchanged=unchanged, rejected=rejected, events=events)


def write_rejects(path: Path, source: Path, rejected: list[tuple[int, str]]) -> Path:
    """Write the rejected rows (original cells plus line and reason) next to the source file."""
    header, rows = read_rows(source)
    by_line = {row.line: row for row in rows}
    out = path
    rows_out = [[line, reason, *(by_line[line].values.get(h, "") for h in header)] for line, reason in rejected]
    with out.open("w", newline="", encoding="utf-8") as handle:
        write_csv(handle, ["line", "reason", *header], rows_out)
    return out
