"""Every CSV the product writes goes through here: one dialect, and no cell a spreadsheet would run.

A cell that starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return (after any leading
spaces) is a formula to Excel, LibreOffice and Google Sheets: ``=HYPERLINK(...)`` or
``@SUM(1+1)*cmd|' /C calc'!A0`` in a name or a reason would run when finance opens an export.
As OWASP recommends ("CSV Injection"), such a cell is written with a single quote in front, so
the spreadsheet shows it as text.

One exception, decided on purpose: a cell that is *entirely* a plain number (an optional sign,
digits, an optional decimal part, an optional %), such as ``-12.40`` or ``+1.5``, is written as
it is. A spreadsheet reads it as a number literal; with no letter, bracket, operator after the
sign, reference or pipe there is nothing to evaluate, and every known payload fails that full
match (``-2+3+cmd|...``, ``+HYPERLINK(...)``, ``-1)*cmd``). Quoting it would turn money into text
that finance cannot add up. Numbers (int, float, Decimal) pass through for the same reason.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Sequence
from decimal import Decimal
from typing import Any, TextIO

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_PLAIN_NUMBER = re.compile(r"[+-]?[0-9]+(?:\.[0-9]+)?%?", re.ASCII)


def safe_cell(value: Any) -> Any:
    """The value as it may be written to a CSV cell: formulas neutralised, None as an empty cell."""
    if value is None:
        return ""
    if isinstance(value, (int, float, Decimal)) and not isinstance(value, bool):
        return value
    text = str(value)
    if text.lstrip(" ")[:1] in FORMULA_START and not _PLAIN_NUMBER.fullmatch(text):
        return "'" + text
    return text


def write_csv(handle: TextIO, header: Sequence[Any], rows: Iterable[Iterable[Any]]) -> None:
    """Write a header and rows to ``handle`` (opened with ``newline=""`` if it is a file), every cell made safe."""
    writer = csv.writer(handle, lineterminator="\n")
    writer.writerow([safe_cell(v) for v in header])
    writer.writerows([safe_cell(v) for v in row] for row in rows)


def csv_text(header: Sequence[Any], rows: Iterable[Iterable[Any]]) -> str:
    """The CSV as one string (for printing to stdout), every cell made safe."""
    out = io.StringIO()
    write_csv(out, header, rows)
    return out.getvalue()
