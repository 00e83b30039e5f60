"""`panel pay ...` reports: the ledger, outstanding payments, totals and exports (reconcile is beside it)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date
from typing import Any

import click

from cli.options import json_option
from cli.render import echo_json, say, table
from cli.wiring import views_url
from panel.csv_out import csv_text
from panel.domain.values import format_pence, parse_day
from panel.payments.domain.values import ROUTES
from panel.payments.ledger import LedgerLine, Totals, totals
from panel.payments.rules import load_thresholds, tax_year_label
from panel.payments.totals import person_totals
from projections.db import make_engine
from projections.ledger import ledger_lines, tax_year_of

LEDGER_COLUMNS = (
    "id",
    "engagement",
    "participant",
    "kind",
    "category",
    "earned_on",
    "quantity",
    "gross",
    "amount",
    "status",
    "budget_code",
    "route",
    "reference",
    "batch_ref",
    "created_by",
    "approved_by",
    "issued_on",
    "cleared_on",
    "reconciled_on",
    "tax_year",
    "reason",
)
TOTAL_FIELDS = ("lines", "accrued", "pending", "approved", "issued", "reconciled", "outstanding", "expenses", "income")
EXPORT_KEYS = {
    "engagement": lambda line: line.engagement_ref,
    "budget": lambda line: line.budget_code or "(no code)",
    "route": lambda line: line.route or "(not issued)",
    "tax-year": lambda line: tax_year_label(line.tax_year),
}


class TaxYear(click.ParamType):
    name = "YEAR"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> int:
        try:
            return value if isinstance(value, int) else tax_year_of(str(value))
        except ValueError as exc:
            self.fail(str(exc), param, ctx)


def pounds(pence: int) -> str:
    """Integer pence as a plain decimal for spreadsheets: 1240 -> '12.40'."""
    sign = "-" if pence < 0 else ""
    return f"{sign}{abs(pence) // 100}.{abs(pence) % 100:02d}"


def view_lines(ctx: click.Context, **filters: Any) -> list[LedgerLine]:
    engine = make_engine(ctx.obj.location, views_url())
    try:
        return ledger_lines(ctx.obj.app, engine, **filters)
    finally:
        engine.dispose()


def totals_dict(t: Totals) -> dict[str, int]:
    return {name: getattr(t, name) for name in TOTAL_FIELDS}


def ledger_row(line: LedgerLine) -> list[Any]:
    return [
        line.id,
        line.engagement_ref,
        line.participant_ref,
        line.kind,
        line.category,
        line.earned_on.isoformat(),
        line.quantity,
        pounds(line.gross_pence),
        pounds(line.amount_pence),
        line.status,
        line.budget_code or "",
        line.route or "",
        line.reference or "",
        line.batch_ref or "",
        line.created_by,
        line.approved_by or "",
        line.issued_at.date().isoformat() if line.issued_at else "",
        line.statement_date.isoformat() if line.statement_date else "",
        line.reconciled_at.date().isoformat() if line.reconciled_at else "",
        tax_year_label(line.tax_year),
        line.reason or "",
    ]


def write_csv(header: Sequence[str], rows: Iterable[Iterable[Any]]) -> None:
    click.echo(csv_text(header, rows), nl=False)


@click.command()
@click.option("--engagement", "engagement_ref", default=None, help="Only this engagement (id or reference).")
@click.option("--participant", "participant_ref", default=None, help="Only this participant (id or reference).")
@click.option("--tax-year", type=TaxYear(), default=None, help="Only this UK tax year, e.g. 2026 for 2026-27.")
@click.option("--route", type=click.Choice(ROUTES), default=None, help="Only payments issued by this route.")
@click.option("--budget-code", default=None, help="Only payments on this budget code.")
@click.option("--csv", "as_csv", is_flag=True, help="Print CSV (amounts in pounds) for finance.")
@json_option
@click.pass_context
def ledger(
    ctx: click.Context,
    engagement_ref: str | None,
    participant_ref: str | None,
    tax_year: int | None,
    route: str | None,
    budget_code: str | None,
    as_csv: bool,
    as_json: bool,
) -> None:
    """The payment ledger, one line per payment, with totals (from the ledger view).

    Example:

        panel pay ledger --engagement vested --csv
    """
    app = ctx.obj.app
    lines = view_lines(
        ctx,
        engagement=app.resolve_engagement(engagement_ref) if engagement_ref else None,
        participant=app.resolve_participant(participant_ref) if participant_ref else None,
        tax_year=tax_year,
        route=route,
        budget_code=budget_code,
    )
    if as_csv:
        write_csv(LEDGER_COLUMNS, (ledger_row(line) for line in lines))
        return
    if as_json:
        echo_json({"lines": lines, "totals": totals_dict(totals(lines))})
        return
    table(
        "Ledger",
        ["payment", "engagement", "participant", "what", "earned", "amount", "status", "reference"],
        [
            (
                str(line.id)[:8],
                line.engagement_ref,
                line.participant_ref,
                line.category if line.kind != "involvement_fee" else line.quantity,
                line.earned_on,
                format_pence(line.amount_pence),
                line.status,
                line.reference or "",
            )
            for line in lines
        ],
    )
    t = totals(lines)
    say(
        f"{t.lines} lines: accrued {format_pence(t.accrued)} = pending {format_pence(t.pending)} + approved "
        f"{format_pence(t.approved)}; issued {format_pence(t.issued)}; reconciled {format_pence(t.reconciled)}"
    )


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
    waiting = {"accrued": "awaiting approval", "approved": "awaiting issue", "issued": "issued, not cleared"}
    groups: dict[tuple[str, str, str, str], list[LedgerLine]] = {}
    for line in lines:
        if line.status in waiting:
            stage = "awaiting second approval" if line.awaiting_second_approval else waiting[line.status]
            key = (line.engagement_ref, line.participant_ref, stage, line.reference or "")
            groups.setdefault(key, []).append(line)
    items: list[dict[str, Any]] = []
    for (engagement, participant, stage, reference), group in groups.items():
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


@click.command()
@click.option("--by", "key", type=click.Choice(sorted(EXPORT_KEYS)), required=True, help="How to group.")
@click.option("--tax-year", type=TaxYear(), default=None, help="Only this UK tax year.")
@click.option("--lines", "with_lines", is_flag=True, help="Export the ledger lines with the group column instead.")
@click.pass_context
def export(ctx: click.Context, key: str, tax_year: int | None, with_lines: bool) -> None:
    """CSV for finance: totals per engagement, budget code, route or tax year (amounts in pounds).

    Example:

        panel pay export --by budget > budgets.csv
    """
    lines = view_lines(ctx, tax_year=tax_year)
    group = EXPORT_KEYS[key]
    if with_lines:
        write_csv((key, *LEDGER_COLUMNS), ([group(line), *ledger_row(line)] for line in sorted(lines, key=group)))
        return
    groups: dict[str, list[LedgerLine]] = {}
    for line in lines:
        groups.setdefault(group(line), []).append(line)
    write_csv(
        (key, *TOTAL_FIELDS),
        (
            [name, *(v if f == "lines" else pounds(v) for f, v in totals_dict(totals(items)).items())]
            for name, items in sorted(groups.items())
        ),
    )


def register(group: click.Group) -> None:
    for command in (ledger, outstanding, totals_, export):
        group.add_command(command)
