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

from panel.domain.errors import PanelError, ValidationError
from panel.domain.money import MAX_TOTAL_PENCE, pence_from_text
from panel.payments.domain.values import ISSUED, RECONCILED
from panel.payments.ledger import LedgerLine

COLUMNS = ("date", "amount", "reference", "payee")
MAX_REPORTED = 5


class StatementFormatError(PanelError):
    """Raised when a bank statement file is malformed; nothing is recorded."""


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
    pence = pence_from_text(cleaned, ceiling=MAX_TOTAL_PENCE)
    if pence == 0:
        raise ValidationError("amount is zero")
    return pence


def parse_columns(text: str) -> dict[str, str]:
    """Read a column map such as ``date=Date,amount=Paid out,reference=Description`` into {key: column}.

    Keys are date, amount, reference and payee; a key not given keeps its own name as the column.
    """
    mapping: dict[str, str] = {}
    example = 'e.g. --columns date=Date,amount="Paid out",reference=Description'
    for cell in next(csv.reader([text], skipinitialspace=True), []):
        key, equals, column = cell.partition("=")
        key, column = key.strip().lower(), column.strip().strip('"').strip()
        if key not in COLUMNS:
            raise ValidationError(f"--columns: unknown key {key!r}: use {', '.join(COLUMNS)}, {example}")
        if not equals or not column:
            raise ValidationError(f"--columns: {cell.strip()!r} names no column: write KEY=COLUMN, {example}")
        if key in mapping:
            raise ValidationError(f"--columns: {key} is given twice: map each key once, {example}")
        mapping[key] = column
    if not mapping:
        raise ValidationError(f"--columns is empty: {example}")
    return mapping


def _header(reader: csv.DictReader[str], name: str, columns: dict[str, str]) -> dict[str, str]:
    """Which header field holds each of date, amount, reference and payee (payee may be absent)."""
    fields = {h.strip().lower(): h for h in (reader.fieldnames or [])}
    found: dict[str, str] = {}
    for key in COLUMNS:
        wanted = columns.get(key, key)
        if wanted.strip().lower() in fields:
            found[key] = fields[wanted.strip().lower()]
        elif key != "payee" or key in columns:
            names = list(reader.fieldnames or [])
            shown = ", ".join(repr(h[:40]) for h in names[:8]) + (
                f" and {len(names) - 8} more" if len(names) > 8 else ""
            )
            how = (
                f"map the {key} to one of them with --columns {key}=COLUMN"
                if key in columns
                else f"name the columns date,amount,reference[,payee] or map them, e.g. --columns {key}=COLUMN"
            )
            raise StatementFormatError(
                f"{name}:1: no {wanted!r} column for the {key}: the header has {shown or 'nothing'}; {how}; "
                "nothing was recorded"
            )
    return found


def parse_statement(text: str, name: str = "statement", columns: dict[str, str] | None = None) -> list[StatementLine]:
    """Every line is checked before anything is returned; problems are reported with line numbers.

    ``columns`` maps date, amount, reference and payee to the statement's own column names; the
    payee column is optional.
    """
    reader = csv.DictReader(io.StringIO(text, newline=""))
    try:
        field = _header(reader, name, columns or {})
        lines, problems = [], []
        for row in reader:
            number = reader.line_num
            try:
                if None in row or any(row.get(f) is None for f in field.values()):
                    raise ValidationError(
                        f"has {len(row) - (None not in row)} fields, expected {len(reader.fieldnames or [])}"
                    )
                lines.append(
                    StatementLine(
                        number,
                        _day(row[field["date"]]),
                        _amount(row[field["amount"]]),
                        row[field["reference"]].strip(),
                        row[field["payee"]].strip() if "payee" in field else "",
                    )
                )
            except ValidationError as exc:
                problems.append(f"{name}:{number}: {exc}")
    except csv.Error as exc:
        raise StatementFormatError(f"{name}:{reader.line_num}: {exc}: fix the quoting; nothing was recorded") from None
    if problems:
        more = f" and {len(problems) - MAX_REPORTED} more" if len(problems) > MAX_REPORTED else ""
        raise StatementFormatError(
            "; ".join(problems[:MAX_REPORTED]) + more + " - fix these lines and re-run; nothing was recorded"
        )
    if not lines:
        raise StatementFormatError(f"{name}: no statement lines after the header; nothing was recorded")
    return lines


@dataclass(frozen=True)
class Match:
    """A statement line and the payment lines it pays (one transfer can pay several lines)."""

    line: StatementLine
    payments: tuple[LedgerLine, ...]
    matched_by: str
    new: bool

    @property
    def amount_pence(self) -> int:
        return sum(p.amount_pence for p in self.payments)


@dataclass
class Report:
    account: str
    as_of: date
    matched: list[Match] = field(default_factory=list)
    unmatched: list[tuple[StatementLine, str]] = field(default_factory=list)
    mismatches: list[tuple[StatementLine, tuple[LedgerLine, ...]]] = field(default_factory=list)
    duplicates: list[tuple[StatementLine, str]] = field(default_factory=list)
    not_cleared: list[tuple[tuple[LedgerLine, ...], int]] = field(default_factory=list)

    @property
    def recorded(self) -> int:
        """Payment lines newly reconciled by this run."""
        return sum(len(m.payments) for m in self.matched if m.new)

    @property
    def needs_attention(self) -> bool:
        """True when a person must look: a line unmatched, an amount mismatch, a duplicate, a transfer not cleared."""
        return bool(self.unmatched or self.mismatches or self.duplicates or self.not_cleared)


def match_statement(
    lines: Sequence[StatementLine],
    payments: Sequence[LedgerLine],
    *,
    account: str,
    tolerance_days: int = 3,
    as_of: date | None = None,
) -> Report:
    """Match statement lines to issued payments, grouped by our payment reference (pure; records nothing)."""
    report = Report(account, as_of or max(line.day for line in lines))
    groups: dict[str, list[LedgerLine]] = {}
    for p in payments:
        if p.status in (ISSUED, RECONCILED) and p.reference:
            groups.setdefault(norm(p.reference), []).append(p)
    done: dict[str, list[LedgerLine]] = {}
    for p in payments:
        if p.status == RECONCILED and p.statement_line:
            done.setdefault(p.statement_line, []).append(p)
    taken: dict[str, int] = {}
    seen: dict[str, int] = {}
    for line in lines:
        key = line.key(account)
        if key in seen:
            report.duplicates.append((line, f"same as statement line {seen[key]}"))
            continue
        seen[key] = line.number
        if key in done:
            report.matched.append(Match(line, tuple(done[key]), "already", False))
            taken.update({norm(p.reference or ""): line.number for p in done[key]})
            continue
        ref = norm(line.reference)
        hit = ref if ref in groups else next((r for r in groups if r and ref and r in ref), None)
        if hit is not None:
            _by_reference(report, line, hit, groups[hit], taken)
            continue
        batch = {r: g for r, g in groups.items() if ref and any(norm(p.batch_ref or "") == ref for p in g)}
        if batch:
            _by_batch(report, line, batch, taken)
            continue
        fits = [
            r
            for r, g in groups.items()
            if r not in taken
            and _open(g) == g
            and sum(p.amount_pence for p in g) == line.amount_pence
            and abs((line.day - _issued_on(g)).days) <= tolerance_days
        ]
        if len(fits) == 1:
            report.matched.append(Match(line, tuple(groups[fits[0]]), "amount_date", True))
            taken[fits[0]] = line.number
        elif fits:
            note = f"{len(fits)} issued payments fit by amount and date: ask the bank for the reference"
            report.unmatched.append((line, note))
        else:
            report.unmatched.append((line, "no issued payment has this reference, or this amount near this date"))
    for ref, group in groups.items():
        open_ = _open(group)
        if open_ and ref not in taken:
            report.not_cleared.append((tuple(open_), (report.as_of - _issued_on(open_)).days))
    return report


def _open(group: list[LedgerLine]) -> list[LedgerLine]:
    return [p for p in group if p.status == ISSUED]


def _issued_on(group: Sequence[LedgerLine]) -> date:
    return min(p.issued_at.date() for p in group if p.issued_at is not None)


def _by_reference(
    report: Report, line: StatementLine, ref: str, group: list[LedgerLine], taken: dict[str, int]
) -> None:
    open_ = _open(group)
    name = group[0].reference
    if ref in taken:
        report.duplicates.append((line, f"payment {name} already matched to statement line {taken[ref]}"))
    elif not open_:
        report.duplicates.append((line, f"payment {name} was already reconciled to another statement line"))
    elif sum(p.amount_pence for p in open_) != line.amount_pence:
        report.mismatches.append((line, tuple(open_)))
        taken[ref] = line.number
    else:
        report.matched.append(Match(line, tuple(open_), "reference", True))
        taken[ref] = line.number


def _by_batch(report: Report, line: StatementLine, batch: dict[str, list[LedgerLine]], taken: dict[str, int]) -> None:
    open_ = [p for r, g in batch.items() if r not in taken for p in _open(g)]
    total = sum(p.amount_pence for p in open_)
    if not open_:
        report.duplicates.append((line, f"batch {line.reference} is already reconciled"))
    elif total != line.amount_pence:
        report.mismatches.append((line, tuple(open_)))
        taken.update({r: line.number for r in batch})
    else:
        report.matched.append(Match(line, tuple(open_), "batch", True))
        taken.update({r: line.number for r in batch})
