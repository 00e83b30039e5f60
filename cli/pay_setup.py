"""`panel pay rate-card|budget|voucher ...`: the rate cards, budgets and vouchers payments are made from."""

from __future__ import annotations

from datetime import datetime

import click

from cli.options import at_option, by_option, engagement_option, json_option, pass_payments
from cli.pay_find import resolve_payments
from cli.render import echo_json, say, table
from panel.domain.money import MAX_LINE_PENCE, MAX_RATE_PENCE, MAX_TOTAL_PENCE, format_pence, pence_from_text
from panel.payments import Payments
from panel.payments.domain.values import UNITS, VOUCHER_OUTCOMES


@click.group("rate-card")
def rate_card() -> None:
    """Versioned rate cards (unit and amount) and which version an engagement pays."""


@rate_card.command("set")
@click.argument("name")
@click.option("--unit", type=click.Choice(UNITS), required=True, help="What the amount pays for.")
@click.option("--amount", required=True, help="Amount per unit in pounds, e.g. 350.00.")
@click.option(
    "--hours-per-day",
    type=click.IntRange(1, 24),
    default=6,
    show_default=True,
    help="For an hour rate: the hours a full-day session counts.",
)
@by_option()
@at_option
@pass_payments
def rate_card_set(
    payments: Payments, name: str, unit: str, amount: str, hours_per_day: int, by: str, at: datetime | None
) -> None:
    """Publish a rate card, or revise it (each revision is a new version).

    Example:

        panel pay rate-card set involve-day --unit day --amount 350.00 --by finance.lee
    """
    pence = pence_from_text(amount, "--amount", ceiling=MAX_RATE_PENCE)
    version = payments.publish_rate_card(
        name=name,
        unit=unit,
        amount_pence=pence,
        by=by,
        hours_per_day=hours_per_day,
        at=at,
    )
    say(f"Rate card {name} version {version}: {format_pence(pence)} per {unit}")


@rate_card.command("show")
@click.argument("name")
@json_option
@pass_payments
def rate_card_show(payments: Payments, name: str, as_json: bool) -> None:
    """Show every version of a rate card.

    Example:

        panel pay rate-card show involve-day --json
    """
    card = payments.rate_card(name)
    if as_json:
        echo_json({"name": card.name, "versions": list(card.versions)})
        return
    table(
        f"Rate card {card.name}",
        ["version", "unit", "amount", "hours/day", "by", "at"],
        [
            (v.version, v.unit, format_pence(v.amount_pence), v.hours_per_day, v.by, v.at.isoformat())
            for v in card.versions
        ],
    )


@rate_card.command("assign")
@click.argument("name")
@engagement_option
@click.option("--version", type=click.IntRange(min=1), default=None, help="Version to pay; default the latest.")
@by_option()
@at_option
@pass_payments
def rate_card_assign(
    payments: Payments, name: str, engagement_ref: str, version: int | None, by: str, at: datetime | None
) -> None:
    """Make an engagement pay a rate card version (otherwise it pays its own day rate).

    Example:

        panel pay rate-card assign involve-day --engagement vested --by finance.lee
    """
    eid = payments.app.resolve_engagement(engagement_ref)
    rate = payments.assign_rate_card(eid, name=name, version=version, by=by, at=at)
    say(
        f"{engagement_ref} pays rate card {name} version {rate['version']}: "
        f"{format_pence(rate['amount_pence'])} per {rate['unit']}"
    )


@click.group()
def budget() -> None:
    """An engagement's budget, budget code and four-eyes amount."""


@budget.command("set")
@click.argument("engagement_ref")
@click.option("--code", required=True, help="Budget (cost centre) code for finance.")
@click.option("--amount", required=True, help="Budget in pounds, e.g. 15000.00.")
@click.option(
    "--four-eyes-above",
    default="0",
    show_default=True,
    help="Payments above this (pounds) need two different approvers, neither their creator.",
)
@by_option()
@at_option
@pass_payments
def budget_set(
    payments: Payments, engagement_ref: str, code: str, amount: str, four_eyes_above: str, by: str, at: datetime | None
) -> None:
    """Set an engagement's budget; approvals that would exceed it stop with a warning.

    Example:

        panel pay budget set vested --code CE-2026-VES --amount 15000.00 --by finance.lee
    """
    budget_pence = pence_from_text(amount, "--amount", ceiling=MAX_TOTAL_PENCE)
    four_eyes_pence = pence_from_text(four_eyes_above, "--four-eyes-above", ceiling=MAX_TOTAL_PENCE)
    eid = payments.app.resolve_engagement(engagement_ref)
    payments.set_budget(
        eid,
        code=code,
        amount_pence=budget_pence,
        four_eyes_above_pence=four_eyes_pence,
        by=by,
        at=at,
    )
    say(
        f"Budget of {engagement_ref}: {format_pence(budget_pence)} on code {code}; four-eyes above "
        f"{format_pence(four_eyes_pence)}"
    )


@click.group()
def voucher() -> None:
    """Vouchers: add one, then record it redeemed, expired or cancelled."""


@voucher.command("add")
@click.argument("participant_ref")
@engagement_option
@click.option("--code", required=True, help="The voucher code.")
@click.option("--face-value", required=True, help="Face value in pounds, e.g. 25.00.")
@by_option()
@at_option
@pass_payments
def voucher_add(
    payments: Payments,
    participant_ref: str,
    engagement_ref: str,
    code: str,
    face_value: str,
    by: str,
    at: datetime | None,
) -> None:
    """Add a voucher payment (income, like a fee); approve and issue it with --route voucher.

    Example:

        panel pay voucher add VES-005 --engagement vested --code GV-7781 --face-value 25.00 --by coordinator.sam
    """
    app = payments.app
    pence = pence_from_text(face_value, "--face-value", ceiling=MAX_LINE_PENCE)
    line = payments.add_voucher(
        app.resolve_engagement(engagement_ref),
        app.resolve_participant(participant_ref),
        code=code,
        face_value_pence=pence,
        by=by,
        at=at,
    )
    say(f"Voucher {code} ({format_pence(pence)}) for {participant_ref}: payment {line}")


@voucher.command("status")
@click.argument("payment_ref")
@click.argument("state", type=click.Choice(VOUCHER_OUTCOMES))
@click.option("--reason", default=None, help="Why it is cancelled (needed for cancelled).")
@click.option("--by", default=None, help="Staff member cancelling (needed for cancelled).")
@at_option
@pass_payments
def voucher_status(
    payments: Payments, payment_ref: str, state: str, reason: str | None, by: str | None, at: datetime | None
) -> None:
    """Record a voucher as redeemed, expired or cancelled (cancel only if not redeemed).

    Example:

        panel pay voucher status PP-1A2B3C4D redeemed
    """
    pid = resolve_payments(payments, [payment_ref])[0]
    payments.settle_voucher(pid, state, reason=reason, by=by, at=at)
    say(f"Voucher payment {pid} {state}")


def register(group: click.Group) -> None:
    for command in (rate_card, budget, voucher):
        group.add_command(command)
