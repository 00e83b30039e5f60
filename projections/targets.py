"""Target population shares (``category,value,share``), and which of them are Core20."""

from __future__ import annotations

import csv
import io
from pathlib import Path

from panel.domain.errors import ValidationError
from panel.domain.values import PREFER_NOT_TO_SAY
from panel.textfile import read_text

Targets = dict[str, dict[str, float]]
UNKNOWN, ERASED = "unknown", "(erased)"
NOT_KNOWN = {UNKNOWN, ERASED, PREFER_NOT_TO_SAY}


def read_targets(path: str | Path) -> Targets:
    """Read a targets CSV; shares are fractions (0.22) or percentages ("22%")."""
    text = read_text(
        path, "targets file", "pass --targets with a CSV of category,value,share (see examples/population.csv)"
    )
    targets: Targets = {}
    reader = csv.DictReader(io.StringIO(text, newline=""))
    try:
        missing = {"category", "value", "share"} - set(reader.fieldnames or [])
        if missing:
            raise ValidationError(
                f"targets file {path} has no column {', '.join(sorted(missing))}: "
                "its header must be category,value,share"
            )
        for row in reader:
            line = reader.line_num
            if None in row or any(row.get(c) is None for c in ("category", "value", "share")):
                raise ValidationError(f"targets file {path} line {line}: expected 3 fields: category,value,share")
            text = row["share"].strip()
            try:
                share = float(text.rstrip("%")) / (100 if text.endswith("%") else 1)
            except ValueError:
                raise ValidationError(
                    f"targets file {path} line {line}: share {text!r} is not a number: "
                    "use a fraction like 0.22 or a percentage like 22%"
                ) from None
            if not 0 <= share <= 1:
                raise ValidationError(f"targets file {path} line {line}: share {text!r} is outside 0..1")
            category = row["category"].strip().lower().replace("-", "_")
            targets.setdefault(category, {})[row["value"].strip()] = share
    except csv.Error as exc:
        raise ValidationError(f"targets file {path} line {reader.line_num}: {exc}: fix the quoting") from None
    return targets


def single_valued(targets: Targets) -> set[str]:
    """Categories that list one value only (e.g. ``core20,yes``): their shares need not add up to 1."""
    return {category for category, values in targets.items() if len(values) == 1}


def target_share(targets: Targets, category: str, value: str) -> float | None:
    shares = targets.get(category, {})
    for key, share in shares.items():
        if key.lower() == value.lower():
            return share
    return None


def core20_target(targets: Targets) -> float | None:
    """The Core20 target share: from a core20 row, else IMD deciles 1-2, else IMD quintile 1."""
    if (share := target_share(targets, "core20", "yes")) is not None:
        return share
    deciles = [target_share(targets, "imd_decile", d) for d in ("1", "2")]
    if all(d is not None for d in deciles):
        return sum(d for d in deciles if d is not None)
    return target_share(targets, "imd_quintile", "1")


def is_core20(category: str, value: str) -> bool:
    return (
        (category == "imd_decile" and value in ("1", "2"))
        or (category == "imd_quintile" and value == "1")
        or (category == "core20" and value.lower() == "yes")
    )
