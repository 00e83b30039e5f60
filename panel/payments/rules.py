"""Pure payment arithmetic: session fees, reduced-fee allocation, UK tax years, benefit weeks, thresholds.

No I/O except reading a thresholds file; no float anywhere (amounts are integer pence).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from panel.domain.errors import ValidationError
from panel.domain.money import MAX_TOTAL_PENCE, pence_from_text

DEFAULT_THRESHOLDS = Path(__file__).with_name("thresholds.json")


def half_up(pence: int) -> int:
    """Half of an amount in pence; an odd penny goes to the participant (rounds up): 35001 -> 17501."""
    return (pence + 1) // 2


def session_fee(unit: str, amount_pence: int, half_day: bool, hours_per_day: int = 6) -> tuple[int, str]:
    """The fee for one attended session and its quantity text, from a rate card's unit and amount.

    day: a full day is the amount, a half day half of it (odd penny rounded up);
    half_day: a full day is twice the amount, a half day the amount;
    hour: a full day is ``hours_per_day`` hours, a half day half of that (odd penny up);
    session: every attended session is one session, whatever its length.
    """
    if unit == "day":
        return (half_up(amount_pence), "0.5 day") if half_day else (amount_pence, "1 day")
    if unit == "half_day":
        return (amount_pence, "1 half day") if half_day else (2 * amount_pence, "2 half days")
    if unit == "hour":
        full = amount_pence * hours_per_day
        if half_day:
            return half_up(full), f"{hours_per_day // 2}{'.5' if hours_per_day % 2 else ''} hours"
        return full, f"{hours_per_day} hours"
    if unit == "session":
        return amount_pence, "1 session"
    raise ValidationError(
        f"a {unit!r} rate cannot be accrued from attendance: use an hour, half_day, day or session rate card"
    )


def allocate_cap(amounts: list[int], cap_pence: int) -> list[int]:
    """Spread a lower total over lines in order: earlier lines are paid in full first, the rest get 0."""
    left, result = cap_pence, []
    for amount in amounts:
        take = min(amount, max(left, 0))
        result.append(take)
        left -= take
    return result


def tax_year_start(day: date) -> int:
    """The calendar year in which the UK tax year containing ``day`` starts (6 April to 5 April)."""
    return day.year if day >= date(day.year, 4, 6) else day.year - 1


def tax_year_label(start_year: int) -> str:
    return f"{start_year}-{(start_year + 1) % 100:02d}"


def tax_year_bounds(start_year: int) -> tuple[date, date]:
    return date(start_year, 4, 6), date(start_year + 1, 4, 5)


def benefit_week_start(day: date, week_starts: int = 0) -> date:
    """The first day of the benefit week holding ``day``; ``week_starts`` 0 = Monday ... 6 = Sunday."""
    return day - timedelta(days=(day.weekday() - week_starts) % 7)


@dataclass(frozen=True)
class Threshold:
    """A dated limit: income per ``period`` (benefit_week or tax_year) above ``amount_pence`` is flagged."""

    name: str
    period: str
    amount_pence: int
    valid_from: date
    valid_to: date | None
    note: str

    def applies_on(self, day: date) -> bool:
        return self.valid_from <= day and (self.valid_to is None or day <= self.valid_to)


@dataclass(frozen=True)
class Thresholds:
    week_starts: int
    items: tuple[Threshold, ...]

    def in_force(self, period: str, day: date) -> list[Threshold]:
        return [t for t in self.items if t.period == period and t.applies_on(day)]


def load_thresholds(path: str | Path | None = None) -> Thresholds:
    """Read the thresholds JSON (the shipped file by default); errors name the file and the entry."""
    source = Path(path) if path else DEFAULT_THRESHOLDS
    try:
        data: dict[str, Any] = json.loads(source.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ValidationError(f"cannot read thresholds file {source}: {exc}") from None
    if not isinstance(data, dict) or not isinstance(data.get("thresholds", []), list):
        raise ValidationError(f'thresholds file {source}: expected an object with a list of "thresholds"')
    items = []
    for index, raw in enumerate(data.get("thresholds", []), start=1):
        where = f"{source}: threshold {index}"
        try:
            period = raw["period"]
            if period not in ("benefit_week", "tax_year"):
                raise ValidationError(f"{where}: period {period!r} must be benefit_week or tax_year")
            items.append(
                Threshold(
                    name=str(raw["name"]),
                    period=period,
                    amount_pence=pence_from_text(str(raw["amount"]), f"{where}: amount", ceiling=MAX_TOTAL_PENCE),
                    valid_from=date.fromisoformat(raw["from"]),
                    valid_to=date.fromisoformat(raw["to"]) if raw.get("to") else None,
                    note=str(raw.get("note", "")),
                )
            )
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise ValidationError(f"{where}: {exc!s} (needs name, period, amount, from[, to, note])") from None
    week_starts = data.get("benefit_week_starts", 0)
    if week_starts not in range(7):
        raise ValidationError(f"{source}: benefit_week_starts must be 0 (Monday) to 6 (Sunday)")
    return Thresholds(week_starts, tuple(items))
