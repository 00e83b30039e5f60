"""CSV import of sign-ups: validate the whole file first, then write in atomic, idempotent batches.

Columns: ``ref`` (required), ``channel``, ``captured_by``, ``registered_at``, the contact fields
(``name``, ``email``, ``phone``, ``address``, ``postcode``), consent columns ``consent_<purpose>``
holding the notice version shown (e.g. ``v3``; blank = not given) with optional ``consent_method``
and ``consent_at``; every other column is a self-described attribute (age_band, gender, ...).
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from panel.application import ConsentSpec, PanelApp, SignUp
from panel.csv_out import write_csv
from panel.domain.errors import PanelError, ValidationError
from panel.domain.values import CHANNELS, CONSENT_METHODS, PERSONAL_FIELDS, PURPOSES, normalise_attributes, parse_when
from panel.records import ImportReport

RESERVED = {"ref", "channel", "captured_by", "registered_at", "consent_method", "consent_at", *PERSONAL_FIELDS}
DEFAULT_METHOD = {
    "online": "online",
    "paper": "written",
    "phone": "verbal",
    "in_person": "verbal",
    "partner_referral": "written",
}
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_LOOKS_PERSONAL = re.compile(r"@|^\+?[\d\s()-]{9,}$")


class ImportFileError(PanelError):
    """Raised when an import file cannot be read as CSV, or has rows that are not valid."""


@dataclass(frozen=True)
class Row:
    line: int
    values: dict[str, str]


def read_rows(path: Path) -> tuple[list[str], list[Row]]:
    """Read a CSV file; header problems and undecodable bytes are reported with the line."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise ImportFileError(f"{path}: no such file") from None
    except UnicodeDecodeError as exc:
        line = path.read_bytes()[: exc.start].count(b"\n") + 1
        raise ImportFileError(f"{path}:{line}: not UTF-8 text: save the file as CSV UTF-8") from None
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    try:
        header = [h.strip().lower().replace(" ", "_").replace("-", "_") for h in next(reader)]
    except StopIteration:
        raise ImportFileError(f"{path}: the file is empty: the first line must name the columns") from None
    except csv.Error as exc:
        raise ImportFileError(f"{path}:1: {exc}") from None
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
                    dict(zip(header, record + [""] * (len(header) - len(record))))
                    if len(record) <= len(header)
                    else {"__extra__": "x"},
                )
            )
    except csv.Error as exc:
        raise ImportFileError(f"{path}:{reader.line_num}: {exc}: fix the quoting on that line") from None
    return header, rows


def parse_row(row: Row, default_channel: str, source: str) -> SignUp:
    """Turn one CSV row into a SignUp or raise ValidationError with the reason."""
    v = {k: (val or "").strip() for k, val in row.values.items()}
    if "__extra__" in v:
        raise ValidationError("more cells than columns: check for an unquoted comma")
    ref = v.get("ref", "")
    if not ref:
        raise ValidationError("ref is empty")
    if _LOOKS_PERSONAL.search(ref):
        raise ValidationError(f"ref {ref!r} looks like an email or phone number: use an application reference")
    channel = v.get("channel") or default_channel
    if channel not in CHANNELS:
        raise ValidationError(f"channel {channel!r} is unknown: use one of {', '.join(CHANNELS)}")
    captured_by = v.get("captured_by") or None
    if channel != "online" and not captured_by:
        raise ValidationError(f"a {channel} sign-up needs captured_by (the staff member who took it)")
    email = v.get("email", "")
    if email and not _EMAIL.match(email):
        raise ValidationError(f"email {email!r} is not an email address")
    at = parse_when(v["registered_at"], "registered_at") if v.get("registered_at") else None
    method = v.get("consent_method") or DEFAULT_METHOD[channel]
    if method not in CONSENT_METHODS:
        raise ValidationError(f"consent_method {method!r} is unknown: use one of {', '.join(CONSENT_METHODS)}")
    consent_at = parse_when(v["consent_at"], "consent_at") if v.get("consent_at") else at
    consents = tuple(
        ConsentSpec(purpose, v[f"consent_{purpose}"], method, captured_by or "self", consent_at)
        for purpose in PURPOSES
        if v.get(f"consent_{purpose}")
    )
    unknown_consents = [
        k for k in v if k.startswith("consent_") and k not in RESERVED and k.removeprefix("consent_") not in PURPOSES
    ]
    if unknown_consents:
        raise ValidationError(
            f"column {unknown_consents[0]} names no consent purpose: use " + ", ".join(f"consent_{p}" for p in PURPOSES)
        )
    attributes = normalise_attributes(
        {k: val for k, val in v.items() if k not in RESERVED and not k.startswith("consent_")}
    )
    personal = {k: v[k] for k in PERSONAL_FIELDS if v.get(k)}
    return SignUp(
        ref=ref,
        channel=channel,
        captured_by=captured_by,
        personal=personal,
        attributes=attributes,
        consents=consents,
        at=at,
        source=source,
    )


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
    if channel not in CHANNELS:
        raise ValidationError(f"--channel {channel!r} is unknown: use one of {', '.join(CHANNELS)}")
    _, rows = read_rows(path)
    good: list[SignUp] = []
    rejected: list[tuple[int, str]] = []
    seen: dict[str, int] = {}
    for row in rows:
        try:
            signup = parse_row(row, channel, source)
            if signup.ref in seen:
                raise ValidationError(f"ref {signup.ref!r} already appears on line {seen[signup.ref]}")
            seen[signup.ref] = row.line
            good.append(signup)
        except ValidationError as exc:
            rejected.append((row.line, str(exc)))
    if rejected and not skip_invalid:
        return ImportReport(rows=len(rows), created=0, unchanged=0, rejected=rejected, events=0)
    created, unchanged, events = app.register_many(good, progress=progress)
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
