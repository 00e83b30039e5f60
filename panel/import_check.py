"""The import's first pass: every row of the file checked, read as it goes, before anything is written.

Memory does not grow with the file but for what the report must hold (one entry per bad row)
and 12 bytes per good row: the first 8 bytes of its participant id and its line, to find a
reference that appears twice. Ids that share those 8 bytes are compared by their references
in a second read of just those lines, so a shared prefix never rejects a row by mistake.
"""

from __future__ import annotations

from array import array
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from uuid import UUID

import numpy as np

from panel.csv_rows import Row, csv_rows
from panel.domain.errors import ValidationError
from panel.validation import CheckedSignUp

Parse = Callable[[Row], CheckedSignUp]


@dataclass
class FileCheck:
    """What the first pass found: rows read, the bad ones (line, reason) in line order, the attribute names
    the good ones give a value, and how many rows are to be written."""

    rows: int = 0
    rejected: list[tuple[int, str]] = field(default_factory=list)
    names: set[str] = field(default_factory=set)
    good: int = 0


def check_file(path: Path, parse: Parse, id_of: Callable[[CheckedSignUp], UUID]) -> FileCheck:
    """Check every row with ``parse``; a valid row whose id (``id_of``) an earlier valid row has is rejected too."""
    check = FileCheck()
    prefixes, lines = array("Q"), array("I")
    with csv_rows(path) as (_, rows):
        for row in rows:
            check.rows += 1
            try:
                signup = parse(row)
            except ValidationError as exc:
                check.rejected.append((row.line, str(exc)))
                continue
            prefixes.append(int.from_bytes(id_of(signup).bytes[:8], "little"))
            lines.append(row.line)
            check.names.update(k for k, v in signup.attributes.items() if str(v).strip())
    repeats = _repeats(path, parse, _sharing_a_prefix(prefixes, lines))
    check.good = len(lines) - len(repeats)
    if repeats:
        check.rejected = sorted(check.rejected + repeats)
    return check


def _sharing_a_prefix(prefixes: array[int], lines: array[int]) -> set[int]:
    """The lines of the rows whose id prefix another row shares (almost always: the same reference twice)."""
    if len(prefixes) < 2:
        return set()
    keys = np.frombuffer(prefixes, dtype=np.uint64)
    order = np.argsort(keys, kind="stable")
    same = keys[order][1:] == keys[order][:-1]
    if not same.any():
        return set()
    grouped = np.r_[same, False] | np.r_[False, same]
    return {int(line) for line in np.frombuffer(lines, dtype=np.uint32)[order[grouped]]}


def _repeats(path: Path, parse: Parse, candidates: set[int]) -> list[tuple[int, str]]:
    """Among the rows on ``candidates`` lines, those whose reference an earlier one has: (line, reason)."""
    if not candidates:
        return []
    first: dict[str, int] = {}
    repeats = []
    with csv_rows(path) as (_, rows):
        for row in rows:
            if row.line not in candidates:
                continue
            ref = parse(row).ref
            if ref in first:
                repeats.append((row.line, f"ref {ref!r} already appears on line {first[ref]}"))
            else:
                first[ref] = row.line
    return repeats
