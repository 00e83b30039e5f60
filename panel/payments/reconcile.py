"""Bank statement reconciliation as pure functions: parse a statement, then match it to issued payments.

Matching order for each statement line: a line seen before (same account, date, amount,
reference, payee) is a duplicate; a line already recorded on a payment is already reconciled
(so re-running a statement changes nothing); then our payment reference (or a batch
reference whose payments add up); then the amount with the date within a tolerance, when
exactly one issued payment fits.
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from uuid import UUID

from panel.domain.errors import ValidationError
from panel.domain.payment import ISSUED, RECONCILED, StatementFormatError
from panel.domain.values import pence_from_text
from panel.payments.ledger import LedgerLine

COLUMNS = ("date", "amount", "reference", "payee")
MAX_REPORTED = 5


@dataclass(frozen=True)
class StatementLine:
    number: int
    day: date
    amount_pence: int
    reference: str
    payee: str

    def key(self, account: str) -> str:
        text = f"{account}|{self.day.isoformat()}|{self.amount_pence}|{norm(self.reference)}|{norm(self.payee)}"
        return hashlib.sha256(text.encode()).hexdigest()[:24]


def norm(text: str) -> str:
    return re.sub(r"[^A-Z0-9]", "", text.upper())


def _day(text: str) -> date:
    text = text.strip()
    for fmt in ("%Y-%m-%d", "%d/%m/%Y"):
        try:
            return datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    raise ValidationError(f"date {text!r} is not YYYY-MM-DD or DD/MM/YYYY")


def _amount(text: str) -> int:
    cleaned = text.strip().replace(" ", "")
    if cleaned.startswith("-") or cleaned.startswith("(") and cleaned.endswith(")"):
        cleaned = cleaned.strip("-()")
    pence = pence_from_text(cleaned)
    if pence == 0:
        raise ValidationError("amount is zero")
    return pence


def parse_statement(text: str, name: str = "statement") -> list[StatementLine]:
    """Every line is checked before anything is returned; problems are reported with line numbers."""
    reader = csv.DictReader(io.StringIO(text))
    header = [h.strip().lower() for h in (reader.fieldnames or [])]
    missing = [c for c in COLUMNS if c not in header]
    if missing:
        raise StatementFormatError(f"{name}:1: the header lacks {', '.join(missing)}: the first line must name "
                                   f"the columns {','.join(COLUMNS)}; nothing was recorded")
    reader.fieldnames = header
    lines, problems = [], []
    for row in reader:
        number = reader.line_num
        try:
            if None in row or any(row.get(c) is None for c in COLUMNS):
                raise ValidationError(f"has {len(row) - (None not in row)} fields, expected {len(header)}")
            lines.append(StatementLine(number, _day(row["date"]), _amount(row["amount"]), row["reference"].strip(),
                                       row["payee"].strip()))
        except ValidationError as exc:
            problems.append(f"{name}:{number}: {exc}")
    if problems:
        more = f" and {len(problems) - MAX_REPORTED} more" if len(problems) > MAX_REPORTED else ""
        raise StatementFormatError("; ".join(problems[:MAX_REPORTED]) + more +
                                   " - fix these lines and re-run; nothing was recorded")
    if not lines:
        raise StatementFormatError(f"{name}: no statement lines after the header; nothing was recorded")
    return lines


@dataclass(frozen=True)
class Match:
    line: StatementLine
    payment: LedgerLine
    matched_by: str
    new: bool


@dataclass
class Report:
    account: str
    as_of: date
    matched: list[Match] = field(default_factory=list)
    unmatched: list[tuple[StatementLine, str]] = field(default_factory=list)
    mismatches: list[tuple[StatementLine, LedgerLine]] = field(default_factory=list)
    duplicates: list[tuple[StatementLine, str]] = field(default_factory=list)
    not_cleared: list[tuple[LedgerLine, int]] = field(default_factory=list)

    @property
    def recorded(self) -> int:
        return sum(1 for m in self.matched if m.new)


def match_statement(lines: Sequence[StatementLine], payments: Sequence[LedgerLine], *, account: str,
                    tolerance_days: int = 3, as_of: date | None = None) -> Report:
    """Match statement lines to issued payments (pure; records nothing)."""
    report = Report(account, as_of or max(line.day for line in lines))
    issued = [p for p in payments if p.status in (ISSUED, RECONCILED)]
    by_key = {p.statement_line: p for p in issued if p.status == RECONCILED and p.statement_line}
    by_ref = {norm(p.reference): p for p in issued if p.reference}
    taken: dict[UUID, int] = {}
    seen: dict[str, int] = {}
    for line in lines:
        key = line.key(account)
        if key in seen:
            report.duplicates.append((line, f"same as statement line {seen[key]}"))
            continue
        seen[key] = line.number
        if key in by_key:
            report.matched.append(Match(line, by_key[key], "already", False))
            taken[by_key[key].id] = line.number
            continue
        payment = by_ref.get(norm(line.reference)) or next(
            (p for r, p in by_ref.items() if r and r in norm(line.reference)), None)
        if payment is not None:
            _by_reference(report, line, payment, taken)
            continue
        batch = [p for p in issued if p.batch_ref and norm(p.batch_ref) == norm(line.reference)]
        if batch and line.reference:
            _by_batch(report, line, batch, taken)
            continue
        fits = [p for p in issued if p.status == ISSUED and p.id not in taken and p.amount_pence == line.amount_pence
                and p.issued_at is not None and abs((line.day - p.issued_at.date()).days) <= tolerance_days]
        if len(fits) == 1:
            report.matched.append(Match(line, fits[0], "amount_date", True))
            taken[fits[0].id] = line.number
        elif fits:
            report.unmatched.append((line, f"{len(fits)} issued payments fit by amount and date: "
                                           "ask the bank for the reference"))
        else:
            report.unmatched.append((line, "no issued payment has this reference, or this amount near this date"))
    for p in issued:
        if p.status == ISSUED and p.id not in taken and p.issued_at is not None:
            report.not_cleared.append((p, (report.as_of - p.issued_at.date()).days))
    return report


def _by_reference(report: Report, line: StatementLine, payment: LedgerLine, taken: dict[UUID, int]) -> None:
    if payment.id in taken:
        report.duplicates.append((line, f"payment {payment.reference} already matched to line {taken[payment.id]}"))
    elif payment.status == RECONCILED:
        report.duplicates.append((line, f"payment {payment.reference} was reconciled on "
                                        f"{payment.statement_date} to another statement line"))
    elif payment.amount_pence != line.amount_pence:
        report.mismatches.append((line, payment))
        taken[payment.id] = line.number
    else:
        report.matched.append(Match(line, payment, "reference", True))
        taken[payment.id] = line.number


def _by_batch(report: Report, line: StatementLine, batch: list[LedgerLine], taken: dict[UUID, int]) -> None:
    open_ = [p for p in batch if p.status == ISSUED and p.id not in taken]
    if not open_:
        report.duplicates.append((line, f"batch {batch[0].batch_ref} is already reconciled"))
    elif sum(p.amount_pence for p in open_) != line.amount_pence:
        report.unmatched.append((line, f"batch {batch[0].batch_ref} totals "
                                       f"{sum(p.amount_pence for p in open_)}p, the line {line.amount_pence}p"))
    else:
        for p in open_:
            report.matched.append(Match(line, p, "batch", True))
            taken[p.id] = line.number
