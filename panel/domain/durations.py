"""Periods such as ``30d``, ``6m`` or ``2y``: the one parser every path shares (consent validity, windows).

A period is a whole number followed by a unit: ``d`` days, ``w`` weeks, ``m`` calendar months, ``y``
calendar years. Months and years are calendar arithmetic: a grant on 31 January valid for ``1m``
expires on the last day of February; on 29 February valid for ``1y``, on 28 February.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from panel.domain.errors import ValidationError

_PATTERN = re.compile(r"\s*([0-9]{1,5})\s*([dwmy])\s*")
UNITS = {"d": "day", "w": "week", "m": "month", "y": "year"}
LONGEST = {"d": 36_525, "w": 5_218, "m": 1_200, "y": 100}  # a hundred years in each unit: dates stay in range


@dataclass(frozen=True)
class Period:
    """A positive number of days, weeks, calendar months or calendar years."""

    count: int
    unit: str  # one of UNITS

    def __str__(self) -> str:
        return f"{self.count}{self.unit}"

    def after(self, start: datetime, what: str = "period") -> datetime:
        """The moment this period after ``start`` (calendar months and years; same time of day); a moment past
        the years 1 to 9999 is a ValidationError naming ``what``."""
        try:
            return self._after(start)
        except (OverflowError, ValueError):
            raise ValidationError(
                f"{what} {str(self)!r} from {start:%Y-%m-%d} falls outside the years 1 to 9999: "
                "check the date and the period"
            ) from None

    def _after(self, start: datetime) -> datetime:
        if self.unit == "d":
            return start + timedelta(days=self.count)
        if self.unit == "w":
            return start + timedelta(weeks=self.count)
        months = self.count * (12 if self.unit == "y" else 1)
        year, month = divmod(start.month - 1 + months, 12)
        year += start.year
        day = min(start.day, calendar.monthrange(year, month + 1)[1])
        return start.replace(year=year, month=month + 1, day=day)

    def before(self, end: datetime) -> datetime:
        """The moment this period before ``end`` (for windows looking back)."""
        if self.unit in ("d", "w"):
            return end - (self.after(end) - end)
        return Period(-self.count, self.unit).after(end) if self.count else end


def parse_period(text: str, what: str = "period") -> Period:
    """Parse ``30d``, ``6w``, ``6m`` or ``2y``; anything else (zero, or over a hundred years) is a ValidationError
    naming ``what``."""
    match = _PATTERN.fullmatch(text or "")
    if match is None:
        raise ValidationError(
            f"{what} {text!r} is not a period: write a whole number and d, w, m or y, e.g. 30d, 6m or 2y"
        )
    count, unit = int(match.group(1)), match.group(2)
    if count == 0:
        raise ValidationError(f"{what} {text!r} is zero: give a period of at least 1{unit}, e.g. 2y")
    if count > LONGEST[unit]:
        raise ValidationError(f"{what} {text!r} is longer than a hundred years: give at most {LONGEST[unit]}{unit}")
    return Period(count, unit)
