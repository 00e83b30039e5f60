"""`panel pay outstanding|totals`: per person, what is still to be done and the income against thresholds."""

from __future__ import annotations

from datetime import date
from typing import Any

import click

from cli.options import json_option
from cli.pay_reports import TaxYear, view_lines
from cli.render import echo_json, say, table
from panel.domain.values import format_pence, parse_day
from panel.payments.ledger import LedgerLine
from panel.payments.outstanding import group_outstanding
from panel.payments.rules import load_thresholds
from panel.payments.totals import person_totals


@click.command()
@click.option("--engagement", "engagement_ref", default=None, help="Only this engagement.")
@click.option("--as-of", default=None, help="Age payments at this date (YYYY-MM-DD); default today.")
@json_option
@click.pass_context
def outstanding(ctx: click.Context, engagement_ref: str | None, as_of: str | None, as_json: bool) -> None:
    """Payments not yet finished, per person and stage: awaiting (second) approval or issue, or not cleared.

    Ages count from when the payments reached their stage (the oldest in each group).

    Example:

        panel pay outstanding --engagement vested --as-of 2026-04-01
    """
    app = ctx.obj.app
    day = parse_day(as_of, "--as-of") if as_of else date.today()
    lines = view_lines(ctx, engagement=app.resolve_engagement(engagement_ref) if engagement_ref else None)
    items: list[dict[str, Any]] = []
    for (engagement, participant, stage, reference), group in group_outstanding(lines).items():
        since = min(_since(line) for line in group)
        items.append(
            {
                "engagement": engagement,
                "participant": participant,
                "stage": stage,
                "reference": reference or None,
                "lines": len(group),
                "amount_pence": sum(line.amount_pence for line in group),
                "age_days": (day - since).days,
                "payments": [line.id for line in group],
            }
        )
    if as_json:
        echo_json(items)
        return
    table(
        "Outstanding payments",
        ["engagement", "participant", "stage", "reference", "lines", "amount", "age (days)"],
        [
            (
                i["engagement"],
                i["participant"],
                i["stage"],
                i["reference"] or "",
                i["lines"],
                format_pence(i["amount_pence"]),
                i["age_days"],
            )
            for i in items
        ],
    )
    say(f"{len(items)} groups, {format_pence(sum(i['amount_pence'] for i in items))} outstanding")


def _since(line: LedgerLine) -> date:
    """When a line reached its current stage."""
    moment = {"accrued": line.accrued_at, "approved": line.approved_at, "issued": line.issued_at}[line.status]
    if line.awaiting_second_approval:
        moment = line.approved_at
    return moment.date() if moment else line.earned_on


@click.command("totals")
@click.option("--participant", "participant_ref", default=None, help="Only this participant.")
@click.option("--tax-year", type=TaxYear(), default=None, help="Only this UK tax year, e.g. 2026.")
@click.option(
    "--thresholds",
    type=click.Path(exists=True, dir_okay=False),
    default=None,
    help="Thresholds JSON to use instead of the shipped one (dated limits).",
)
@click.option("--over-only", is_flag=True, help="Only periods over a threshold.")
@json_option
@click.pass_context
def totals_(
    ctx: click.Context,
    participant_ref: str | None,
    tax_year: int | None,
    thresholds: str | None,
    over_only: bool,
    as_json: bool,
) -> None:
    """Per-person income per UK tax year and per benefit week, against dated thresholds.

    Income is fees and vouchers (not expenses), counted when issued, or when earned if not yet issued.

    Example:

        panel pay totals --tax-year 2025 --over-only
    """
    app = ctx.obj.app
    pid = app.resolve_participant(participant_ref) if participant_ref else None
    limits = load_thresholds(thresholds)  # a bad file is refused before the views catch up
    items = person_totals(view_lines(ctx, participant=pid), limits, tax_year=tax_year)
    items = [i for i in items if i.over or not over_only]
    if as_json:
        echo_json(items)
        return
    table(
        "Income per person",
        ["participant", "period", "income", "lines", "over"],
        [(i.participant_ref, i.label, format_pence(i.income_pence), i.lines, ", ".join(i.over) or "-") for i in items],
    )


def register(group: click.Group) -> None:
    for command in (outstanding, totals_):
        group.add_command(command)
