"""`panel pay outstanding|totals`: per person, what is still to be done and the income against thresholds."""

from __future__ import annotations

from datetime import date
from typing import Any

import click

from cli.options import echo_footer, json_option, paging_options
from cli.pay_reports import TaxYear, stream_lines
from cli.render import echo_json, say, table
from panel.domain.values import format_pence, parse_day
from panel.paging import Page
from panel.payments.ledger import LedgerLine
from panel.payments.outstanding import WAITING, GroupKey, stream_outstanding
from panel.payments.rules import load_thresholds
from panel.payments.totals import stream_person_totals
from projections.ledger import PERSON_ORDER


@click.command()
@click.option("--engagement", "engagement_ref", default=None, help="Only this engagement.")
@click.option("--as-of", default=None, help="Age payments at this date (YYYY-MM-DD); default today.")
@paging_options(100, "groups")
@json_option
@click.pass_context
def outstanding(ctx: click.Context, engagement_ref: str | None, as_of: str | None, page: Page, as_json: bool) -> None:
    """Payments not yet finished, per person and stage: awaiting (second) approval or issue, or not cleared.

    Ages count from when the payments reached their stage (the oldest in each group). A page of
    groups at a time; the count and sum under the table are over every group.

    Example:

        panel pay outstanding --engagement vested --as-of 2026-04-01
    """
    app = ctx.obj.app
    day = parse_day(as_of, "--as-of") if as_of else date.today()
    lines = stream_lines(
        ctx, engagement=app.resolve_engagement(engagement_ref) if engagement_ref else None, statuses=sorted(WAITING)
    )
    kept: list[tuple[GroupKey, list[LedgerLine]]] = []
    count = amount = 0
    for _, group in page.collect(stream_outstanding(lines), kept):  # counted over all; only this page kept
        count, amount = count + 1, amount + sum(line.amount_pence for line in group)
    found, more = page.cut(kept)
    items = [_item(key, group, day) for key, group in found]
    if as_json:
        echo_json({"outstanding": items, "groups": count, "amount_pence": amount, **page.fields(more)})
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
    echo_footer(page.footer(len(items), more, "groups"))
    say(f"{count} groups, {format_pence(amount)} outstanding")


def _item(key: GroupKey, group: list[LedgerLine], day: date) -> dict[str, Any]:
    engagement, participant, stage, reference = key
    return {
        "engagement": engagement,
        "participant": participant,
        "stage": stage,
        "reference": reference or None,
        "lines": len(group),
        "amount_pence": sum(line.amount_pence for line in group),
        "age_days": (day - min(_since(line) for line in group)).days,
        "payments": [line.id for line in group],
    }


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
@paging_options(100, "periods")
@json_option
@click.pass_context
def totals_(
    ctx: click.Context,
    participant_ref: str | None,
    tax_year: int | None,
    thresholds: str | None,
    over_only: bool,
    page: Page,
    as_json: bool,
) -> None:
    """Per-person income per UK tax year and per benefit week, against dated thresholds, a page at a time.

    Income is fees and vouchers (not expenses), counted when issued, or when earned if not yet issued.
    Each person's total is over all their lines (the ledger is read one person at a time).

    Example:

        panel pay totals --tax-year 2025 --over-only
    """
    app = ctx.obj.app
    pid = app.resolve_participant(participant_ref) if participant_ref else None
    limits = load_thresholds(thresholds)  # a bad file is refused before the views catch up
    lines = stream_lines(ctx, participant=pid, tax_year=tax_year, order=PERSON_ORDER)
    every = (i for i in stream_person_totals(lines, limits, tax_year=tax_year) if i.over or not over_only)
    items, more = page.window(every)
    if as_json:
        echo_json({"totals": items, **page.fields(more)})
        return
    table(
        "Income per person",
        ["participant", "period", "income", "lines", "over"],
        [(i.participant_ref, i.label, format_pence(i.income_pence), i.lines, ", ".join(i.over) or "-") for i in items],
    )
    echo_footer(page.footer(len(items), more, "periods"))


def register(group: click.Group) -> None:
    for command in (outstanding, totals_):
        group.add_command(command)
