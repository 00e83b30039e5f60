"""`panel pay reconcile`: match a bank statement to issued payments, record the matches, report the rest."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from cli.options import json_option
from cli.render import echo_json, say, table
from cli.wiring import views_url
from panel.domain.money import format_pence
from panel.domain.values import parse_day
from panel.payments import Payments
from panel.payments.reconcile import Report, parse_columns
from panel.textfile import read_text
from projections.connection import make_engine
from projections.ledger import IssuedLedger

NEEDS_ATTENTION = 3  # the exit code when the statement has lines or transfers a person must look at


@click.command()
@click.argument("statement", type=click.Path(exists=True, dir_okay=False))
@click.option("--account", required=True, help="Name of the bank account the statement is for.")
@click.option(
    "--tolerance-days",
    type=click.IntRange(0, 30),
    default=3,
    show_default=True,
    help="How far a statement date may be from the issue date when matching by amount.",
)
@click.option("--as-of", default=None, help="Age uncleared payments at this date; default the last statement date.")
@click.option(
    "--columns",
    default=None,
    help='The statement\'s own column names, e.g. date=Date,amount="Paid out",reference=Description (payee optional).',
)
@json_option
@click.pass_context
def reconcile(
    ctx: click.Context,
    statement: str,
    account: str,
    tolerance_days: int,
    as_of: str | None,
    columns: str | None,
    as_json: bool,
) -> None:
    """Match a bank statement CSV (date,amount,reference[,payee]) to issued payments and record the matches.

    By our reference first, then a batch reference, then amount with the date within the tolerance.
    Re-running a statement changes nothing; a malformed one is refused with line numbers. Exit code
    3 means something needs attention: an unmatched line, an amount mismatch, a duplicate, or a
    transfer issued but not cleared (the matches found are still recorded).

    Example:

        panel pay reconcile statement.csv --account "community fund 12345678"
        --columns date=Date,amount="Paid out",reference=Description
    """
    path = Path(statement)
    mapping = parse_columns(columns) if columns is not None else None
    text = read_text(path, "bank statement")
    day = parse_day(as_of, "--as-of") if as_of else None
    engine = make_engine(ctx.obj.location, views_url())
    try:  # the ledger view's issued lines, read twice: only those the statement can touch are held
        report = Payments(ctx.obj.app).reconcile(
            text,
            name=path.name,
            account=account,
            tolerance_days=tolerance_days,
            as_of=day,
            columns=mapping,
            issued_lines=IssuedLedger(ctx.obj.app, engine),
        )
    finally:
        engine.dispose()
    if as_json:
        echo_json(report_dict(report))
    else:
        render_report(report)
    if report.needs_attention:
        ctx.exit(NEEDS_ATTENTION)


def _refs(payments: Any) -> str:
    return ", ".join(sorted({p.reference or "" for p in payments}))


def report_dict(r: Report) -> dict[str, Any]:
    return {
        "account": r.account,
        "as_of": r.as_of,
        "recorded": r.recorded,
        "matched": [
            {
                "line": m.line.number,
                "reference": _refs(m.payments),
                "participants": sorted({p.participant_ref for p in m.payments}),
                "amount_pence": m.amount_pence,
                "payments": [p.id for p in m.payments],
                "matched_by": m.matched_by,
                "new": m.new,
            }
            for m in r.matched
        ],
        "unmatched": [
            {
                "line": s.number,
                "date": s.day,
                "amount_pence": s.amount_pence,
                "reference": s.reference,
                "payee": s.payee,
                "note": note,
            }
            for s, note in r.unmatched
        ],
        "mismatches": [
            {
                "line": s.number,
                "reference": _refs(ps),
                "expected_pence": sum(p.amount_pence for p in ps),
                "statement_pence": s.amount_pence,
            }
            for s, ps in r.mismatches
        ],
        "duplicates": [
            {"line": s.number, "reference": s.reference, "amount_pence": s.amount_pence, "note": note}
            for s, note in r.duplicates
        ],
        "not_cleared": [
            {
                "reference": _refs(ps),
                "participant": ps[0].participant_ref,
                "amount_pence": sum(p.amount_pence for p in ps),
                "lines": len(ps),
                "age_days": age,
            }
            for ps, age in r.not_cleared
        ],
    }


def render_report(r: Report) -> None:
    say(
        f"Reconciled {r.account} as of {r.as_of}: {len(r.matched)} statement lines matched ({r.recorded} payment "
        f"lines newly reconciled), {len(r.unmatched)} unmatched, {len(r.mismatches)} amount mismatches, "
        f"{len(r.duplicates)} duplicates, {len(r.not_cleared)} transfers issued but not cleared"
    )
    data = report_dict(r)
    if r.matched:
        table(
            "Matched",
            ["line", "reference", "participants", "amount", "by", "new"],
            [
                (
                    m["line"],
                    m["reference"],
                    ", ".join(m["participants"]),
                    format_pence(m["amount_pence"]),
                    m["matched_by"],
                    "yes" if m["new"] else "no",
                )
                for m in data["matched"]
            ],
        )
    if r.unmatched:
        table(
            "Unmatched statement lines",
            ["line", "date", "amount", "reference", "note"],
            [(s.number, s.day, format_pence(s.amount_pence), s.reference, note) for s, note in r.unmatched],
        )
    if r.mismatches:
        table(
            "Amount mismatches",
            ["line", "reference", "expected", "statement"],
            [
                (m["line"], m["reference"], format_pence(m["expected_pence"]), format_pence(m["statement_pence"]))
                for m in data["mismatches"]
            ],
        )
    if r.duplicates:
        table(
            "Duplicates",
            ["line", "reference", "amount", "note"],
            [(s.number, s.reference, format_pence(s.amount_pence), note) for s, note in r.duplicates],
        )
    if r.not_cleared:
        table(
            "Issued but not cleared",
            ["reference", "participant", "amount", "age (days)"],
            [
                (n["reference"], n["participant"], format_pence(n["amount_pence"]), n["age_days"])
                for n in data["not_cleared"]
            ],
        )


def register(group: click.Group) -> None:
    group.add_command(reconcile)
