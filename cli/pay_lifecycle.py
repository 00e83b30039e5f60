"""`panel pay approve|issue|reverse`: the finance steps after accrual (reconciliation is in cli/pay_reconcile.py)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import click

from cli.options import at_option, by_option, pass_payments
from cli.pay_find import approved_totals, engagement_payments, resolve_payments
from cli.render import err, say
from panel.payments import Payments
from panel.payments.domain.values import ACCRUED, APPROVED, ROUTES


def _selected(payments: Payments, ids: tuple[str, ...], engagement_ref: str | None, status: str) -> list[Any]:
    chosen = resolve_payments(payments, ids)
    if engagement_ref:
        eid = payments.app.resolve_engagement(engagement_ref)
        chosen += engagement_payments(payments, eid, status)
    if not chosen:
        raise click.UsageError(f"name payments, or pass --engagement E to take every {status} payment of E")
    return chosen


@click.command()
@click.argument("payment_ids", nargs=-1)
@click.option("--engagement", "engagement_ref", default=None, help="Also approve every accrued payment of it.")
@click.option("--allow-over-budget", is_flag=True, help="Approve even if the budget is exceeded (recorded).")
@by_option("Approver: a named person other than whoever created the payment.")
@at_option
@pass_payments
def approve(
    payments: Payments,
    payment_ids: tuple[str, ...],
    engagement_ref: str | None,
    allow_over_budget: bool,
    by: str,
    at: datetime | None,
) -> None:
    """Approve payments, all or none; the budget is checked first.

    Four-eyes: above the engagement's four-eyes amount (`panel pay budget set --four-eyes-above`) a
    payment needs two approvals by two different people, neither of them its creator; whoever
    approves a payment cannot also issue it.

    Example:

        panel pay approve --engagement vested --by finance.lee
    """
    with approved_totals(payments) as approved_so_far:
        outcome = payments.approve(
            _selected(payments, payment_ids, engagement_ref, ACCRUED),
            by=by,
            allow_over_budget=allow_over_budget,
            at=at,
            approved_so_far=approved_so_far,
        )
    for warning in outcome.warnings:
        err(warning)
    if outcome.changed or not outcome.first_approved:
        say(f"Approved {len(outcome.changed)} payments by {by}")
    if outcome.first_approved:
        say(
            f"Approved once {len(outcome.first_approved)} payments by {by}: above the four-eyes amount each "
            "needs a second approval by another person"
        )


@click.command()
@click.argument("payment_ids", nargs=-1)
@click.option("--engagement", "engagement_ref", default=None, help="Also issue every approved payment of it.")
@click.option("--route", type=click.Choice(ROUTES), required=True, help="How the money goes.")
@click.option("--batch-ref", default=None, help="Our reference for the payment run.")
@click.option("--reference", default=None, help="Payment reference for a single payment; default PP-<id>.")
@by_option()
@at_option
@pass_payments
def issue(
    payments: Payments,
    payment_ids: tuple[str, ...],
    engagement_ref: str | None,
    route: str,
    batch_ref: str | None,
    reference: str | None,
    by: str,
    at: datetime | None,
) -> None:
    """Issue approved payments by a route, each with our payment reference.

    Example:

        panel pay issue --engagement vested --route bank_transfer --batch-ref BACS-2026-03 --by finance.kim
    """
    outcome = payments.issue(
        _selected(payments, payment_ids, engagement_ref, APPROVED),
        route=route,
        by=by,
        batch_ref=batch_ref,
        reference=reference,
        at=at,
    )
    say(f"Issued {len(outcome.changed)} payments by {route}" + (f" in batch {batch_ref}" if batch_ref else ""))


@click.command()
@click.argument("payment_ref")
@click.option("--reason", required=True, help="Why the payment is reversed.")
@by_option()
@at_option
@pass_payments
def reverse(payments: Payments, payment_ref: str, reason: str, by: str, at: datetime | None) -> None:
    """Reverse a payment (the correction for a mistake; nothing is ever edited).

    Example:

        panel pay reverse PP-1A2B3C4D --reason "wrong session date" --by finance.lee
    """
    pid = resolve_payments(payments, [payment_ref])[0]
    payments.reverse(pid, reason=reason, by=by, at=at)
    say(f"Reversed payment {pid}")


def register(group: click.Group) -> None:
    for command in (approve, issue, reverse):
        group.add_command(command)
