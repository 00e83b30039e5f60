"""Reading a CSV file row by row, never the whole file at once: the import's and the roster's reader.

The header line names the columns (lower-cased, spaces and hyphens read as _); each later
non-blank line is a ``Row`` with its line number. Every problem (no such file, not UTF-8, the
wrong delimiter, an unclosed quote, an over-long field) is an ``ImportFileError`` naming the
file and the line, in one line.
"""

from __future__ import annotations

import csv
import itertools
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from panel.domain.errors import PanelError
from panel.domain.text import PERSONAL_LIMITS

_DELIMITERS = {";": "semicolons (;)", "\t": "tabs", "|": "vertical bars (|)"}


class ImportFileError(PanelError):
    """Raised when an import file cannot be read as CSV, or has rows that are not valid."""


@dataclass(frozen=True)
class Row:
    line: int
    values: dict[str, str]


@contextmanager
def csv_rows(path: Path) -> Iterator[tuple[list[str], Iterator[Row]]]:
    """The file's header and an iterator over its rows, read as they are used (the file stays open inside)."""
    with _open(path) as handle:
        first = _first_line(path, handle)
        reader = csv.reader(itertools.chain([first], handle), strict=True)
        header = _header(path, reader, first)
        yield header, _rows(path, reader, header)


def read_rows(path: Path) -> tuple[list[str], list[Row]]:
    """Every row of a small file (a roster) in memory; an import reads with ``csv_rows`` instead."""
    with csv_rows(path) as (header, rows):
        return header, list(rows)


@contextmanager
def _open(path: Path) -> Iterator[IO[str]]:
    try:
        handle = path.open(encoding="utf-8-sig")  # universal newlines: \r\n and \r read as \n
    except FileNotFoundError:
        raise ImportFileError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise ImportFileError(f"{path} is a folder, not a file: give the path of a CSV file") from None
    except PermissionError:
        raise ImportFileError(f"{path}: permission denied: check who can read the file") from None
    with handle:
        yield handle


def _first_line(path: Path, handle: IO[str]) -> str:
    try:
        return handle.readline()
    except UnicodeDecodeError:
        raise ImportFileError(_not_utf8(path)) from None


def _header(path: Path, reader: Iterator[list[str]], first: str) -> list[str]:
    try:
        header = [h.strip().lower().replace(" ", "_").replace("-", "_") for h in next(reader)]
    except StopIteration:
        raise ImportFileError(f"{path}: the file is empty: the first line must name the columns") from None
    except csv.Error as exc:
        raise ImportFileError(_csv_problem(path, 1, exc)) from None
    except UnicodeDecodeError:
        raise ImportFileError(_not_utf8(path)) from None
    if len(header) == 1:
        _refuse_other_delimiter(path, first.partition("\n")[0])
    if "ref" not in header:
        raise ImportFileError(f"{path}:1: no 'ref' column: add a column with each application's reference")
    if len(set(header)) != len(header):
        raise ImportFileError(f"{path}:1: a column name appears twice: give each column one name")
    return header


def _rows(path: Path, reader: Any, header: list[str]) -> Iterator[Row]:
    width = len(header)
    try:
        for record in reader:
            if not any(cell.strip() for cell in record):
                continue
            if len(record) > width:
                yield Row(reader.line_num, {"__extra__": "x"})
            else:
                yield Row(reader.line_num, dict(zip(header, record + [""] * (width - len(record)), strict=True)))
    except csv.Error as exc:
        raise ImportFileError(_csv_problem(path, reader.line_num, exc)) from None
    except UnicodeDecodeError:
        raise ImportFileError(_not_utf8(path)) from None


def _not_utf8(path: Path) -> str:
    """The message for a file that is not UTF-8, naming the first line that is not (a second, binary read)."""
    line = 1
    with path.open("rb") as raw:
        for line, text in enumerate(raw, start=1):  # noqa: B007  (a byte of a UTF-8 character is never b"\n")
            try:
                text.decode("utf-8")
            except UnicodeDecodeError:
                break
    return f"{path}:{line}: not UTF-8 text: save the file as CSV UTF-8"


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
