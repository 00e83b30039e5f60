"""`panel pay ledger|export`: the ledger and finance's CSV exports, and the helpers the other reports share.

Outstanding payments and income totals per person are in `cli/pay_people.py`; reconciliation in
`cli/pay_reconcile.py`.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import click
from sqlalchemy.engine import Engine

from cli.options import echo_footer, json_option, paging_options
from cli.render import echo_json, print_csv, say, table
from cli.wiring import views_url
from panel.domain.values import format_pence
from panel.paging import Page
from panel.payments.domain.values import ROUTES
from panel.payments.ledger import LedgerLine, Totals, add_totals, totals
from panel.payments.rules import tax_year_label
from projections.connection import make_engine
from projections.ledger import stream_ledger_lines, tax_year_of

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


def stream_lines(ctx: click.Context, **filters: Any) -> Iterator[LedgerLine]:
    """The view's ledger lines fetched a batch at a time (``projections.ledger.stream_ledger_lines``); a view
    that is not ready is refused now, before anything is printed."""
    engine = make_engine(ctx.obj.location, views_url())
    try:
        lines = stream_ledger_lines(ctx.obj.app, engine, **filters)
    except BaseException:
        engine.dispose()
        raise
    return _disposing(lines, engine)


def _disposing(lines: Iterator[LedgerLine], engine: Engine) -> Iterator[LedgerLine]:
    try:
        yield from lines
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


@click.command()
@click.option("--engagement", "engagement_ref", default=None, help="Only this engagement (id or reference).")
@click.option("--participant", "participant_ref", default=None, help="Only this participant (id or reference).")
@click.option("--tax-year", type=TaxYear(), default=None, help="Only this UK tax year, e.g. 2026 for 2026-27.")
@click.option("--route", type=click.Choice(ROUTES), default=None, help="Only payments issued by this route.")
@click.option("--budget-code", default=None, help="Only payments on this budget code.")
@click.option("--csv", "as_csv", is_flag=True, help="Print CSV (amounts in pounds) for finance: every line.")
@paging_options(100, "lines")
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
    page: Page,
    as_json: bool,
) -> None:
    """The payment ledger, one line per payment, a page at a time, with totals over every line the filters
    keep (from the ledger view, read a batch at a time). --csv prints every line, for finance.

    Example:

        panel pay ledger --engagement vested --csv
    """
    app = ctx.obj.app
    every = stream_lines(
        ctx,
        engagement=app.resolve_engagement(engagement_ref) if engagement_ref else None,
        participant=app.resolve_participant(participant_ref) if participant_ref else None,
        tax_year=tax_year,
        route=route,
        budget_code=budget_code,
    )
    if as_csv:
        print_csv(LEDGER_COLUMNS, (ledger_row(line) for line in every))
        return
    kept: list[LedgerLine] = []
    t = totals(page.collect(every, kept))  # over every line; only this page's are kept
    lines, more = page.cut(kept)
    if as_json:
        echo_json({"lines": lines, "totals": totals_dict(t), **page.fields(more)})
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
    echo_footer(page.footer(len(lines), more, "lines"))
    say(
        f"{t.lines} lines: accrued {format_pence(t.accrued)} = pending {format_pence(t.pending)} + approved "
        f"{format_pence(t.approved)}; issued {format_pence(t.issued)}; reconciled {format_pence(t.reconciled)}"
    )


@click.command()
@click.option("--by", "key", type=click.Choice(sorted(EXPORT_KEYS)), required=True, help="How to group.")
@click.option("--tax-year", type=TaxYear(), default=None, help="Only this UK tax year.")
@click.option("--lines", "with_lines", is_flag=True, help="Export the ledger lines with the group column instead.")
@click.pass_context
def export(ctx: click.Context, key: str, tax_year: int | None, with_lines: bool) -> None:
    """CSV for finance: totals per engagement, budget code, route or tax year (amounts in pounds).

    With --lines, every ledger line with its group, group by group: the lines are read from the
    ledger view already sorted by group and written as they come, so memory stays flat however long
    the ledger grows.

    Example:

        panel pay export --by budget > budgets.csv
    """
    group = EXPORT_KEYS[key]
    if with_lines:  # every line, the view sorting them by group: written as they come, a batch held at a time
        lines = stream_lines(ctx, tax_year=tax_year, group=key)
        print_csv((key, *LEDGER_COLUMNS), ([group(line), *ledger_row(line)] for line in lines))
        return
    groups: dict[str, Totals] = {}  # one running total per group; the lines stream past a batch at a time
    for line in stream_lines(ctx, tax_year=tax_year):
        name, one = group(line), totals((line,))
        groups[name] = add_totals(groups[name], one) if name in groups else one
    print_csv(
        (key, *TOTAL_FIELDS),
        (
            [name, *(v if f == "lines" else pounds(v) for f, v in totals_dict(sum_).items())]
            for name, sum_ in sorted(groups.items())
        ),
    )


def register(group: click.Group) -> None:
    for command in (ledger, export):
        group.add_command(command)
