"""What a payment line may be, and the checks the payments aggregates run before recording an event.

The kinds, categories, routes and statuses of a line, its deterministic id, and pure checks that
raise one clear line (standard library and ``panel.domain`` only). The aggregates in ``payment.py``
and ``terms.py`` call them in their public methods, never in an ``@event`` body.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, NotRequired, TypedDict
from uuid import NAMESPACE_URL, UUID, uuid5

from panel.domain.errors import PanelError, ValidationError
from panel.domain.money import MAX_LINE_PENCE, require_amount
from panel.domain.values import require_choice, require_utc

PAYMENT_NAMESPACE = uuid5(NAMESPACE_URL, "https://participant-panel.org/payment")
UNITS = ("hour", "half_day", "day", "session", "task")
KINDS = ("involvement_fee", "expense", "voucher")
EXPENSE_CATEGORIES = ("travel", "childcare", "carer", "subsistence", "accessibility")
ROUTES = ("bank_transfer", "payroll", "voucher", "cash")
ACCRUED, DECLINED, APPROVED, ISSUED, RECONCILED, REVERSED, CANCELLED = (
    "accrued",
    "declined",
    "approved",
    "issued",
    "reconciled",
    "reversed",
    "cancelled",
)
VOUCHER_OUTCOMES = ("redeemed", "expired", "cancelled")  # what can happen to an issued voucher


class PaymentStateError(PanelError):
    """Raised when a payment command does not follow from the payment's history."""


def payment_id(engagement_id: UUID, participant_id: UUID, kind: str, key: str) -> UUID:
    """Deterministic line id, so accruing or claiming the same thing twice is a no-op."""
    return uuid5(PAYMENT_NAMESPACE, f"{engagement_id.hex}/{participant_id.hex}/{kind}/{key}")


def require_text(value: str | None, what: str) -> str:
    if value is None or not value.strip():
        raise ValidationError(f"{what} is empty: {'name who does it' if what == '--by' else 'give a value'}")
    return value.strip()


class NewLine(TypedDict):
    """The facts of a new payment line as ``Payment.accrue`` takes them; the last four may be left out."""

    engagement_id: UUID
    engagement_ref: str
    participant_id: UUID
    participant_ref: str
    kind: str
    category: str
    earned_on: date
    quantity: str
    gross_pence: int
    created_by: str
    at: datetime
    receipt: NotRequired[str | None]
    voucher_code: NotRequired[str | None]
    rate_card: NotRequired[str | None]
    budget_code: NotRequired[str | None]


def checked_line(line: NewLine) -> dict[str, Any]:
    """The facts of a new line once checked (a known kind, category and amount), every optional one present."""
    kind, receipt, voucher_code = line["kind"], line.get("receipt"), line.get("voucher_code")
    require_choice(kind, KINDS, "payment kind")
    if kind == "expense":
        require_choice(line["category"], EXPENSE_CATEGORIES, "expense category (--category)")
        receipt = require_text(receipt, "--receipt")
    if kind == "voucher":
        voucher_code = require_text(voucher_code, "--code")
    if require_amount(line["gross_pence"], "amount", ceiling=MAX_LINE_PENCE) == 0:
        raise ValidationError("amount £0.00 must be more than zero: give it in pounds, e.g. 12.40")
    return {
        **line,
        "receipt": receipt,
        "voucher_code": voucher_code,
        "rate_card": line.get("rate_card"),
        "budget_code": line.get("budget_code"),
        "created_by": require_text(line["created_by"], "--by"),
        "at": require_utc(line["at"]),
    }


def require_status(label: str, status: str, allowed: tuple[str, ...], action: str, shown_as: str) -> None:
    """Refuse a command the line's status does not allow (``shown_as`` is what `panel pay show` takes)."""
    if status not in allowed:
        raise PaymentStateError(
            f"{label} cannot be {action}: it is {status} "
            f"(needs {' or '.join(allowed)}); see `panel pay show {shown_as}`"
        )


def check_reduced(label: str, current_pence: int, amount_pence: int) -> None:
    """A reduced amount is above 0 and below the current one."""
    if not 0 < amount_pence < current_pence:
        raise ValidationError(
            f"{label}: a reduced amount must be above 0 and below {current_pence}p "
            f"(got {amount_pence}p); to take nothing use `panel pay decline`"
        )


def check_reconciled_amount(label: str, line_pence: int, statement_pence: int) -> None:
    """A statement line reconciles a payment only for its exact amount."""
    if statement_pence != line_pence:
        raise PaymentStateError(
            f"{label} is for {line_pence}p, the statement line for "
            f"{statement_pence}p: resolve the mismatch before reconciling"
        )


def check_voucher(label: str, kind: str, voucher_code: str | None, voucher_state: str | None, action: str) -> None:
    """Only a voucher can be redeemed, expired or cancelled, and only once."""
    if kind != "voucher":
        raise PaymentStateError(f"{label} is not a voucher: it cannot be {action}")
    if voucher_state is not None:
        raise PaymentStateError(f"voucher {voucher_code} was already {voucher_state}")


def check_voucher_route(label: str, kind: str, route: str) -> None:
    """Vouchers go by the voucher route, and only vouchers do."""
    if (kind == "voucher") != (route == "voucher"):
        raise ValidationError(f"{label}: vouchers go by --route voucher and only vouchers do")
