"""`panel pay ...`: accrual, claims, decline/reduce and show.

Beside it: set-up (`cli/pay_setup.py`), approve, issue and reverse (`cli/pay_lifecycle.py`),
reconciliation (`cli/pay_reconcile.py`), the ledger and exports (`cli/pay_reports.py`), and
outstanding payments and income totals per person (`cli/pay_people.py`).
"""

from __future__ import annotations

from datetime import datetime

import click

from cli.options import at_option, by_option, engagement_option, json_option, pass_payments
from cli.pay_find import resolve_payments
from cli.render import echo_json, say, table
from panel.domain.money import MAX_LINE_PENCE, MAX_TOTAL_PENCE, format_pence, pence_from_text
from panel.domain.values import parse_day
from panel.payments import Payments
from panel.payments.base import Outcome
from panel.payments.domain.values import EXPENSE_CATEGORIES


@click.group()
def pay() -> None:
    """Pay participants: accrue fees from attendance, approve, issue, reconcile and report."""


@pay.command()
@click.argument("engagement_ref")
@by_option("Staff member accruing (cannot also approve these lines).")
@at_option
@pass_payments
def accrue(payments: Payments, engagement_ref: str, by: str, at: datetime | None) -> None:
    """Accrue involvement fees from recorded attendance; running it again adds only new sessions.

    A full day is one day at the rate; a half day is half (an odd penny rounds up, to the participant).
    Withdrawing from an engagement never forfeits sessions already attended.

    Example:

        panel pay accrue vested --by coordinator.sam
    """
    outcome = payments.accrue(payments.app.resolve_engagement(engagement_ref), by=by, at=at)
    say(f"Accrued {len(outcome.changed)} new fee lines for {engagement_ref} ({outcome.unchanged} already accrued)")


@pay.command("claim-expense")
@click.argument("participant_ref")
@engagement_option
@click.option("--category", type=click.Choice(EXPENSE_CATEGORIES), required=True, help="Kind of expense.")
@click.option("--amount", required=True, help="Amount in pounds, e.g. 12.40.")
@click.option("--receipt", required=True, help="Receipt reference (one claim per receipt).")
@click.option("--spent-on", default=None, help="Date of the expense (YYYY-MM-DD); default today.")
@by_option("Staff member entering the claim (cannot also approve it).")
@at_option
@pass_payments
def claim_expense(
    payments: Payments,
    participant_ref: str,
    engagement_ref: str,
    category: str,
    amount: str,
    receipt: str,
    spent_on: str | None,
    by: str,
    at: datetime | None,
) -> None:
    """Record an expense claim (reimbursed, not income).

    Example:

        panel pay claim-expense VES-004 --engagement vested --category travel --amount 12.40 --receipt TR-0042
        --by coordinator.sam
    """
    app = payments.app
    pence = pence_from_text(amount, "--amount", ceiling=MAX_LINE_PENCE)
    line = payments.claim_expense(
        app.resolve_engagement(engagement_ref),
        app.resolve_participant(participant_ref),
        category=category,
        amount_pence=pence,
        receipt=receipt,
        by=by,
        spent_on=parse_day(spent_on, "--spent-on") if spent_on else None,
        at=at,
    )
    say(f"Claimed {category} expense {format_pence(pence)} for {participant_ref}: payment {line}")


def _vary(
    payments: Payments,
    participant_ref: str,
    engagement_ref: str,
    cap_pence: int | None,
    reason: str,
    by: str,
    at: datetime | None,
) -> Outcome:
    app = payments.app
    return payments.vary_fee(
        app.resolve_engagement(engagement_ref),
        app.resolve_participant(participant_ref),
        cap_pence=cap_pence,
        reason=reason,
        by=by,
        at=at,
    )


@pay.command()
@click.argument("participant_ref")
@engagement_option
@click.option("--reason", required=True, help="Why, in the participant's words if possible.")
@by_option()
@at_option
@pass_payments
def decline(
    payments: Payments, participant_ref: str, engagement_ref: str, reason: str, by: str, at: datetime | None
) -> None:
    """Record that a participant declines their fee for an engagement (attendance and expenses stay).

    Applies to fee lines not yet issued and to sessions accrued later.

    Example:

        panel pay decline VES-002 --engagement vested --reason "protecting benefits" --by coordinator.sam
    """
    outcome = _vary(payments, participant_ref, engagement_ref, None, reason, by, at)
    say(f"{participant_ref} declined the fee for {engagement_ref}: {len(outcome.changed)} lines declined")


@pay.command()
@click.argument("participant_ref")
@engagement_option
@click.option("--amount", required=True, help="The lower total fee in pounds, e.g. 1000.00.")
@click.option("--reason", required=True, help="Why, in the participant's words if possible.")
@by_option()
@at_option
@pass_payments
def reduce(
    payments: Payments,
    participant_ref: str,
    engagement_ref: str,
    amount: str,
    reason: str,
    by: str,
    at: datetime | None,
) -> None:
    """Record that a participant asks for a lower total fee for an engagement (benefits-safe).

    Earlier sessions are paid first; later ones are reduced, then declined, to fit the total.

    Example:

        panel pay reduce VES-003 --engagement vested --amount 1000.00 --reason "stay under my limit"
        --by coordinator.sam
    """
    cap_pence = pence_from_text(amount, "--amount", ceiling=MAX_TOTAL_PENCE)
    outcome = _vary(payments, participant_ref, engagement_ref, cap_pence, reason, by, at)
    say(
        f"{participant_ref} asked for {format_pence(cap_pence)} in total for {engagement_ref}: "
        f"{len(outcome.changed)} lines lowered"
    )


@pay.command()
@click.argument("payment_ref")
@json_option
@pass_payments
def show(payments: Payments, payment_ref: str, as_json: bool) -> None:
    """Show one payment and its history.

    Example:

        panel pay show PP-1A2B3C4D
    """
    record = payments.payment(resolve_payments(payments, [payment_ref])[0])
    p = record.line
    if as_json:
        echo_json(
            {
                "id": p.id,
                "participant": p.participant_ref,
                "engagement": p.engagement_ref,
                "kind": p.kind,
                "category": p.category,
                "earned_on": p.earned_on,
                "gross_pence": p.gross_pence,
                "amount_pence": p.amount_pence,
                "status": p.status,
                "reference": p.reference,
                "history": record.history,
            }
        )
        return
    say(
        f"Payment {p.id}: {p.kind} {p.category} for {p.participant_ref} in {p.engagement_ref}, earned "
        f"{p.earned_on}, {format_pence(p.amount_pence)} of {format_pence(p.gross_pence)}, {p.status}"
    )
    table(
        None,
        ["status", "by", "at", "detail"],
        [
            (
                h["status"],
                h["by"],
                h["at"].isoformat(),
                ", ".join(f"{k}={v}" for k, v in h.items() if k not in ("status", "by", "at")),
            )
            for h in record.history
        ],
    )


def register(cli: click.Group) -> None:
    from cli import pay_lifecycle, pay_people, pay_reconcile, pay_reports, pay_setup

    for module in (pay_setup, pay_lifecycle, pay_reports, pay_people, pay_reconcile):
        module.register(pay)
    cli.add_command(pay)
