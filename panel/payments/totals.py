"""Per-person income totals per UK tax year and per benefit week, checked against dated thresholds (pure)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date
from uuid import UUID

from panel.payments.ledger import LedgerLine
from panel.payments.rules import Thresholds, benefit_week_start, tax_year_bounds, tax_year_label


@dataclass(frozen=True)
class PeriodTotal:
    """One person's income (fees and vouchers; never expenses) in one period, and the limits it passes."""

    participant_id: UUID
    participant_ref: str
    period: str
    label: str
    starts: date
    income_pence: int
    lines: int
    over: tuple[str, ...]


def person_totals(
    lines: Iterable[LedgerLine], thresholds: Thresholds, *, tax_year: int | None = None, participant: UUID | None = None
) -> list[PeriodTotal]:
    """Totals by (person, tax year) and (person, benefit week), people by reference, periods in date order.

    Income is counted on the day it was issued, or on the day it was earned while not yet issued.
    """
    sums: dict[tuple[UUID, str, date], list[int]] = {}
    refs: dict[UUID, str] = {}
    for line in lines:
        amount = line.live_amount()
        if not line.is_income or amount == 0 or (participant is not None and line.participant_id != participant):
            continue
        if tax_year is not None and line.tax_year != tax_year:
            continue
        refs[line.participant_id] = line.participant_ref
        for key in (
            (line.participant_id, "tax_year", tax_year_bounds(line.tax_year)[0]),
            (line.participant_id, "benefit_week", benefit_week_start(line.income_date, thresholds.week_starts)),
        ):
            bucket = sums.setdefault(key, [0, 0])
            bucket[0] += amount
            bucket[1] += 1
    result = []
    for (pid, period, starts), (income, count) in sums.items():
        label = tax_year_label(starts.year) if period == "tax_year" else f"week of {starts.isoformat()}"
        over = tuple(t.name for t in thresholds.in_force(period, starts) if income > t.amount_pence)
        result.append(PeriodTotal(pid, refs[pid], period, label, starts, income, count, over))
    return sorted(result, key=lambda t: (t.participant_ref, t.period != "tax_year", t.starts))


def stream_person_totals(
    lines: Iterable[LedgerLine], thresholds: Thresholds, *, tax_year: int | None = None
) -> Iterator[PeriodTotal]:
    """``person_totals`` over lines that come each person's together, in reference order (the ledger view's
    person order), yielded person by person in ``person_totals``' order: one person's lines held at a time."""
    block: list[LedgerLine] = []
    for line in lines:
        if block and line.participant_id != block[0].participant_id:
            yield from person_totals(block, thresholds, tax_year=tax_year)
            block = []
        block.append(line)
    yield from person_totals(block, thresholds, tax_year=tax_year)
