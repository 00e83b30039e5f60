"""Value types crossing the selection library's boundary."""

from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

ALGORITHM_VERSION = 4
"""Bump whenever ``select`` can return a different result for the same inputs (2: the rounding with the 1/L bound;
3: new panels swapped in where a type is still short of it; 4: the decomposition's walk asks each face's
LP before the panel ILP, so it finds other panels)."""


def normalize(value: str) -> str:
    """Return the matching form of a feature value or name (case- and space-insensitive)."""
    return _normalized(str(value))


@functools.lru_cache(maxsize=65536)
def _normalized(text: str) -> str:
    # a pool repeats a few dozen feature names and values many thousand times: compute each once
    return " ".join(text.split()).casefold()


@dataclass(frozen=True)
class Candidate:
    """One person in the pool: an id, feature values and an optional household key."""

    id: str
    features: Mapping[str, str]
    household: str | None = None


@dataclass(frozen=True)
class Quota:
    """Bounds on how many panel members have ``feature == value``.

    ``min_flex``/``max_flex`` optionally bound how far a relaxation suggestion may go.
    """

    feature: str
    value: str
    min: int
    max: int
    min_flex: int | None = None
    max_flex: int | None = None

    @property
    def label(self) -> str:
        """Return ``feature=value`` for messages."""
        return f"{self.feature}={self.value}"


@dataclass(frozen=True)
class PersonType:
    """People who are interchangeable for the quotas (same values, no household tie)."""

    key: str
    features: tuple[tuple[str, str], ...]
    members: tuple[str, ...]


Composition = tuple[tuple[str, int], ...]
"""A panel described by how many members of each type it has: ((type key, count), ...)."""


@dataclass(frozen=True)
class SelectionResult:
    """Everything a selection decided, JSON-friendly through ``to_dict``.

    ``distribution`` is the optimal lottery over panel compositions by type (a person in a
    type of n members is selected with probability E[count] / n); ``lottery`` lists the M
    concrete panels actually drawn from, uniformly, at ``lottery_index``.
    """

    algorithm: str
    algorithm_version: int
    solver: str
    solver_version: str
    k: int
    selected: tuple[str, ...]
    reserves: tuple[str, ...]
    probabilities: dict[str, float]
    optimal_probabilities: dict[str, float]
    lottery: tuple[tuple[str, ...], ...]
    lottery_index: int
    distribution: tuple[tuple[Composition, float], ...]
    types: tuple[PersonType, ...]
    report: dict[str, Any]
    inputs_sha256: str
    options: dict[str, Any] = field(default_factory=dict)
    certificate: dict[str, Any] | None = None  # leximin only: see selection/certificate.py

    def to_dict(self) -> dict[str, Any]:
        """Return plain lists/dicts/numbers/strings only (safe for ``json.dumps``)."""
        data = asdict(self)
        data["selected"] = list(self.selected)
        data["reserves"] = list(self.reserves)
        data["lottery"] = [list(panel) for panel in self.lottery]
        data["distribution"] = [
            {"composition": [list(pair) for pair in comp], "probability": prob} for comp, prob in self.distribution
        ]
        data["types"] = [{"key": t.key, "features": dict(t.features), "members": list(t.members)} for t in self.types]
        return data


@dataclass(frozen=True)
class Replacement:
    """The outcome of replacing one panel member who dropped out."""

    dropout: str
    chosen: str | None
    quota_ok: bool
    message: str
    panel: tuple[str, ...]
    reserves: tuple[str, ...]
    broken: tuple[str, ...] = ()
