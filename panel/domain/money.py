"""Money: the one parser of amounts people type, the ceilings amounts may reach, and formatting.

Money is integer pence everywhere; no amount ever passes through a float. Every money input
(CLI options, rate cards, budgets, expenses, reductions, vouchers, bank statements, thresholds
files, and the web later) is read by ``pence_from_text`` and checked by ``require_amount``.
"""

from __future__ import annotations

import re

from panel.domain.errors import ValidationError

MONEY_FORMS = "350, 350.00, £350.00 or 1,234.56 (commas only between groups of three digits)"

# Ceilings, in pence. A payment line (a session's fee, an expense, a voucher) is at most £100,000;
# a rate (an engagement's day rate, a rate card's amount per unit) at most £5,000; a budget, a
# four-eyes amount, a lower total a person asks for, a bank statement line (one transfer may pay
# many lines) and a threshold at most £10,000,000. Far below what any column of the read models
# holds (BigInteger, 9.2e18 pence), and every total the views show is summed in Python.
MAX_LINE_PENCE = 100_000_00
MAX_RATE_PENCE = 5_000_00
MAX_TOTAL_PENCE = 10_000_000_00
CEILINGS = {MAX_LINE_PENCE: "a payment line", MAX_RATE_PENCE: "a rate", MAX_TOTAL_PENCE: "a total"}

# £, then either plain digits or digits grouped in threes by commas, then 1 or 2 decimal places.
_AMOUNT = re.compile(r"£?(?P<pounds>[0-9]+|[1-9][0-9]{0,2}(?:,[0-9]{3})+)(?:\.(?P<pence>[0-9]{1,2}))?", re.ASCII)
_MAX_DIGITS = 20  # longer inputs are refused before any int() (CPython refuses ints over 4,300 digits)


def pence_from_text(text: str, what: str = "amount", *, ceiling: int = MAX_LINE_PENCE) -> int:
    """Parse an amount in pounds a person typed into integer pence, or refuse it with one line.

    Accepted: ``350``, ``350.00``, ``350.5``, ``£350.00``, ``1,234.56``, ``12,345,678``.
    Refused: a comma used as a decimal point (``350,00``, ``3,50``), misplaced thousands
    separators (``1,2345``, ``12,34.00``), signs, spaces inside, more than two decimals,
    exponents, non-ASCII digits, and anything above ``ceiling``.
    """
    cleaned = text.strip()
    match = _AMOUNT.fullmatch(cleaned)
    if match is None:
        raise ValidationError(f"{what} {_show(text)} is not an amount in pounds: write {MONEY_FORMS}")
    digits = match.group("pounds").replace(",", "")
    if len(digits.lstrip("0")) > _MAX_DIGITS:
        raise ValidationError(f"{what} {_show(text)} is above the ceiling of {_ceiling(ceiling)}: check the amount")
    pence = int(digits) * 100 + int((match.group("pence") or "0").ljust(2, "0"))
    return require_amount(pence, what, ceiling=ceiling)


def require_amount(pence: int, what: str = "amount", *, ceiling: int = MAX_LINE_PENCE) -> int:
    """Return ``pence`` if it is a whole number of pence from 0 to ``ceiling``; otherwise one clear line."""
    if isinstance(pence, bool) or not isinstance(pence, int):
        raise ValidationError(f"{what} {pence!r} is not a whole number of pence")
    if pence < 0:
        raise ValidationError(f"{what} {format_pence(pence)} is negative: give it in pounds, e.g. 350.00")
    if pence > ceiling:
        raise ValidationError(
            f"{what} {format_pence(pence)} is above the ceiling of {_ceiling(ceiling)}: check the amount"
        )
    return pence


def format_pence(pence: int) -> str:
    """Format integer pence as pounds, e.g. 35000 -> '£350.00'."""
    sign = "-" if pence < 0 else ""
    return f"{sign}£{abs(pence) // 100:,}.{abs(pence) % 100:02d}"


def _ceiling(ceiling: int) -> str:
    kind = CEILINGS.get(ceiling)
    return f"{format_pence(ceiling)} for {kind}" if kind else format_pence(ceiling)


def _show(text: str) -> str:
    """The input as typed, shortened so that an error stays one line."""
    shown = repr(text[:40] + ("..." if len(text) > 40 else ""))
    return shown if len(text) <= 40 else f"{shown} ({len(text)} characters)"
