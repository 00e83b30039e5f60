"""The dropout model's settings: ``--model-setting NAME=VALUE`` with ``--reserves-model dropout``.

Validated once, before anything is gathered or written; recorded on the draw (``reserves_model``'s
``settings``) and read back by ``panel draw verify``, so a re-run uses exactly what the draw used.
A draw recorded before settings could be given has none recorded: it used the defaults below, which
``DropoutSettings.from_record`` returns for it.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from panel.domain.errors import ValidationError
from selection.dropout import DEFAULT_RATE, DEFAULT_STRENGTH
from selection.model import normalize

MAX_SCENARIOS = 100_000
MAX_SHORTLIST = 10_000
MAX_STRENGTH = 1_000_000.0
HELP = {
    "prior_strength": f"pseudo-observations the pooled rate is worth per value (> 0, at most {MAX_STRENGTH:g})",
    "default_rate": "the dropout rate assumed with no history (strictly between 0 and 1)",
    "shrink": "how much of each feature's effect is used (0 < shrink <= 1)",
    "scenarios": f"dropout scenarios the list is chosen on (2 to {MAX_SCENARIOS})",
    "report_scenarios": f"fresh scenarios the report evaluates the lists on (2 to {MAX_SCENARIOS})",
    "shortlist": f"kinds of person simulated per reserve place (1 to {MAX_SHORTLIST})",
    "features": "the quota features the model learns from, comma-separated (default: all of them)",
}


@dataclass(frozen=True)
class DropoutSettings:
    """The dropout model's parameters and the chooser's simulation sizes."""

    prior_strength: float = DEFAULT_STRENGTH
    default_rate: float = DEFAULT_RATE
    shrink: float = 1.0
    scenarios: int = 400
    report_scenarios: int = 2000
    shortlist: int = 32
    features: tuple[str, ...] = ()  # empty: every quota feature

    def model_features(self, quota_features: Sequence[str]) -> list[str]:
        """The features the history is counted by (and the model learns from)."""
        return list(self.features) if self.features else list(quota_features)

    def to_dict(self) -> dict[str, Any]:
        return {**dataclasses.asdict(self), "features": list(self.features)}

    @classmethod
    def from_record(cls, recorded: dict[str, Any] | None) -> DropoutSettings:
        """The settings a dropout-model draw recorded (the defaults for a draw made before they were recorded)."""
        stored = (recorded or {}).get("settings")
        if not stored:
            return cls()
        return cls(
            prior_strength=float(stored["prior_strength"]),
            default_rate=float(stored["default_rate"]),
            shrink=float(stored["shrink"]),
            scenarios=int(stored["scenarios"]),
            report_scenarios=int(stored["report_scenarios"]),
            shortlist=int(stored["shortlist"]),
            features=tuple(str(f) for f in stored["features"]),
        )


def _number(name: str, text: str, kind: type) -> float:
    try:
        value = kind(text)
    except ValueError:
        raise ValidationError(
            f"--model-setting {name}={text}: not a {'whole ' if kind is int else ''}number; {name} is {HELP[name]}"
        ) from None
    return float(value)


def _checked(name: str, value: float, text: str) -> Any:
    ok = {
        "prior_strength": lambda v: 0 < v <= MAX_STRENGTH,
        "default_rate": lambda v: 0 < v < 1,
        "shrink": lambda v: 0 < v <= 1,
        "scenarios": lambda v: 2 <= v <= MAX_SCENARIOS,
        "report_scenarios": lambda v: 2 <= v <= MAX_SCENARIOS,
        "shortlist": lambda v: 1 <= v <= MAX_SHORTLIST,
    }[name]
    if not math.isfinite(value) or not ok(value):
        raise ValidationError(f"--model-setting {name}={text}: out of range; {name} is {HELP[name]}")
    return value


def parse_settings(texts: Sequence[str], quota_features: Sequence[str]) -> DropoutSettings:
    """The settings given as ``NAME=VALUE`` texts; one clear ``ValidationError`` on the first bad one."""
    given: dict[str, Any] = {}
    for text in texts:
        name, sep, raw = text.partition("=")
        name, raw = name.strip().lower().replace("-", "_"), raw.strip()
        if not sep or name not in HELP:
            raise ValidationError(f"--model-setting {text!r}: give NAME=VALUE with NAME one of {', '.join(HELP)}")
        if name in given:
            raise ValidationError(f"--model-setting {name} is given twice: give each setting once")
        if name == "features":
            wanted = tuple(normalize(f) for f in raw.split(",") if f.strip())
            unknown = [f for f in wanted if f not in quota_features]
            if not wanted or unknown or len(set(wanted)) != len(wanted):
                raise ValidationError(
                    f"--model-setting features={raw}: give distinct quota features, comma-separated, from "
                    f"{', '.join(quota_features) or '(no quotas)'}"
                )
            given[name] = tuple(sorted(wanted))
        else:
            kind = int if name in ("scenarios", "report_scenarios", "shortlist") else float
            value = _checked(name, _number(name, raw, kind), raw)
            given[name] = int(value) if kind is int else value
    return DropoutSettings(**given)
