"""CSV loaders: our quota format, Sortition Foundation features.csv and people.csv."""

from __future__ import annotations

import csv
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path

from selection.errors import QuotaBoundsError, QuotaFileError
from selection.model import Candidate, Quota, normalize

ID_COLUMNS = ("id", "person_id", "nationbuilder_id")
_QUOTA_NAMES = {"feature": ("feature", "category"), "value": ("value", "name")}


def _rows(path: str | Path) -> Iterator[tuple[int, list[str]]]:
    try:
        with open(path, newline="", encoding="utf-8-sig") as handle:
            for number, row in enumerate(csv.reader(handle), start=1):
                if any(cell.strip() for cell in row):
                    yield number, row
    except OSError as error:
        raise QuotaFileError(f"cannot read the file ({error.strerror}).", path=str(path)) from None
    except (csv.Error, UnicodeDecodeError) as error:
        raise QuotaFileError(f"not a readable UTF-8 CSV file ({error}).", path=str(path)) from None


def _header(path: str | Path) -> tuple[int, list[str], Iterator[tuple[int, list[str]]]]:
    rows = _rows(path)
    try:
        line, header = next(rows)
    except StopIteration:
        raise QuotaFileError("the file is empty; add a header row.", path=str(path)) from None
    return line, [normalize(cell) for cell in header], rows


def load_quotas_csv(path: str | Path) -> list[Quota]:
    """Read ``feature,value,min,max[,min_flex,max_flex]`` (or ``category,name,min,max``)."""
    line, header, rows = _header(path)
    where = {key: _find(header, names, path, line) for key, names in _QUOTA_NAMES.items()}
    where["min"] = _find(header, ("min",), path, line)
    where["max"] = _find(header, ("max",), path, line)
    flex = {key: header.index(key) for key in ("min_flex", "max_flex") if key in header}
    quotas: list[Quota] = []
    seen: dict[tuple[str, str], int] = {}
    for number, row in rows:
        cells = {key: _cell(row, index, key, path, number) for key, index in where.items()}
        bounds = {key: _integer(cells[key], key, path, number) for key in ("min", "max")}
        extras = {
            key: _integer(_cell(row, index, key, path, number), key, path, number)
            for key, index in flex.items()
            if index < len(row) and row[index].strip()
        }
        quota = Quota(cells["feature"], cells["value"], bounds["min"], bounds["max"], **extras)
        if quota.min > quota.max:
            raise QuotaBoundsError(
                f"{path}:{number}: {quota.label} has min {quota.min} greater "
                f"than max {quota.max}; swap or fix the bounds."
            )
        key = (normalize(quota.feature), normalize(quota.value))
        if key in seen:
            raise QuotaFileError(f"{quota.label} repeats line {seen[key]}; keep one row.", path=str(path), line=number)
        seen[key] = number
        quotas.append(quota)
    return quotas


def _find(header: list[str], names: Sequence[str], path: str | Path, line: int) -> int:
    for name in names:
        if name in header:
            return header.index(name)
    raise QuotaFileError(
        f"missing column {names[0]!r} (header has {', '.join(header)}); expected feature,value,min,max.",
        path=str(path),
        line=line,
    )


def _cell(row: list[str], index: int, name: str, path: str | Path, line: int) -> str:
    if index >= len(row) or not row[index].strip():
        raise QuotaFileError(f"the {name} cell is empty; fill it in.", path=str(path), line=line)
    return row[index].strip()


def _integer(text: str, name: str, path: str | Path, line: int) -> int:
    try:
        value = int(text)
    except ValueError:
        raise QuotaFileError(
            f"{name} is {text!r}, not a whole number; write e.g. 3.", path=str(path), line=line
        ) from None
    if value < 0:
        raise QuotaFileError(f"{name} is {value}; it must not be negative.", path=str(path), line=line)
    return value


def load_people_csv(
    path: str | Path,
    *,
    id_column: str | None = None,
    features: Iterable[str] | None = None,
    household_by: str | Sequence[str] | None = None,
) -> list[Candidate]:
    """Read one person per row; columns are features (all but id/household, or ``features``).

    The id column is ``id_column`` or the first of id, person_id, nationbuilder_id, else the
    first column. ``household_by`` names the column(s) whose normalised values form the household.
    """
    line, header, rows = _header(path)
    id_index = _id_index(header, id_column, path, line)
    house_names = [household_by] if isinstance(household_by, str) else list(household_by or [])
    house_index = [_find(header, (normalize(n),), path, line) for n in house_names]
    if features is None:
        wanted = [i for i in range(len(header)) if i != id_index and i not in house_index]
    else:
        wanted = [_find(header, (normalize(f),), path, line) for f in features]
    raw_header = next(iter(_rows(path)))[1]
    names = [raw_header[i].strip() for i in wanted]
    people: list[Candidate] = []
    seen: dict[str, int] = {}
    for number, row in rows:
        person = _cell(row, id_index, "id", path, number)
        if person in seen:
            raise QuotaFileError(
                f"id {person!r} repeats line {seen[person]}; ids must be unique.", path=str(path), line=number
            )
        seen[person] = number
        values = {name: (row[i].strip() if i < len(row) else "") for name, i in zip(names, wanted, strict=True)}
        house = "|".join(normalize(row[i]) if i < len(row) else "" for i in house_index)
        people.append(Candidate(person, values, house if house.strip("|") else None))
    return people


def _id_index(header: list[str], id_column: str | None, path: str | Path, line: int) -> int:
    if id_column is not None:
        return _find(header, (normalize(id_column),), path, line)
    for name in ID_COLUMNS:
        if name in header:
            return header.index(name)
    return 0
