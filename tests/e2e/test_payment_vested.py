"""The Vested case end to end through `panel pay`: 6 people, 7 days at £350, one half day, one decline,
one reduced amount, one travel expense; ledger, reconciliation and exports checked against hand sums."""

from __future__ import annotations

import json
from typing import Any

from panel.application import PanelApp
from tests.helpers.paths import ROOT
from tests.helpers.vested_case import open_vested

# Hand-computed, in pence. Fees: 41 full days x 35000 + 1 half day x 17500 = 1,452,500 gross.
PAYABLE = {
    "VES-001": 6 * 35000 + 17500,  # 227,500: one half day
    "VES-002": 0,  # declined the fee
    "VES-003": 100000,  # asked for £1,000 in total: 350 + 350 + 300, then 4 declined days
    "VES-004": 7 * 35000 + 1240,  # 246,240: with £12.40 travel
    "VES-005": 7 * 35000,
    "VES-006": 7 * 35000,
}
TOTAL = sum(PAYABLE.values())  # 1,063,740 = £10,637.40
CLEARED = PAYABLE["VES-001"] + PAYABLE["VES-003"] + PAYABLE["VES-006"]  # 572,500


def as_json(run: Any, *args: str) -> Any:
    return json.loads(run(*args, "--json")[0])


def test_vested_end_to_end(app: PanelApp, run: Any) -> None:
    open_vested(app)
    run("pay", "budget", "set", "vested", "--code", "CE-2026-VES", "--amount", "10000.00", "--by", "finance.lee")
    assert (
        run("pay", "accrue", "vested", "--by", "coordinator.sam", "--at", "2026-03-11")[0]
        == "Accrued 42 new fee lines for vested (0 already accrued)\n"
    )
    assert (
        run("pay", "accrue", "vested", "--by", "coordinator.sam", "--at", "2026-03-11")[0]
        == "Accrued 0 new fee lines for vested (42 already accrued)\n"
    )
    assert (
        run(
            "pay",
            "decline",
            "VES-002",
            "--engagement",
            "vested",
            "--reason",
            "protecting my benefits",
            "--by",
            "coordinator.sam",
        )[0]
        == "VES-002 declined the fee for vested: 7 lines declined\n"
    )
    assert (
        run(
            "pay",
            "reduce",
            "VES-003",
            "--engagement",
            "vested",
            "--amount",
            "1000.00",
            "--reason",
            "stay under my limit",
            "--by",
            "coordinator.sam",
        )[0]
        == "VES-003 asked for £1,000.00 in total for vested: 5 lines lowered\n"
    )
    out, _ = run(
        "pay",
        "claim-expense",
        "VES-004",
        "--engagement",
        "vested",
        "--category",
        "travel",
        "--amount",
        "12.40",
        "--receipt",
        "TR-0042",
        "--spent-on",
        "2026-03-02",
        "--by",
        "coordinator.sam",
    )
    assert out.startswith("Claimed travel expense £12.40 for VES-004: payment ")
    run(
        "pay",
        "claim-expense",
        "VES-004",
        "--engagement",
        "vested",
        "--category",
        "travel",
        "--amount",
        "12.40",
        "--receipt",
        "TR-0042",
        "--by",
        "coordinator.sam",
        code=1,
    )

    _, err = run("pay", "approve", "--engagement", "vested", "--by", "coordinator.sam", code=1)
    assert "was created by coordinator.sam, who cannot also approve it" in err
    _, err = run("pay", "approve", "--engagement", "vested", "--by", "finance.lee", code=1)
    assert "takes vested to £10,637.40, over its budget £10,000.00 (code CE-2026-VES)" in err
    run("pay", "budget", "set", "vested", "--code", "CE-2026-VES", "--amount", "15000.00", "--by", "finance.lee")
    assert run("pay", "approve", "--engagement", "vested", "--by", "finance.lee")[0] == (
        "Approved once 32 payments by finance.lee: above the four-eyes amount each needs a second approval by "
        "another person\n"
    )
    _, err = run("pay", "approve", "--engagement", "vested", "--by", "Finance.Lee", code=1)
    assert "was already approved once by finance.lee (above £0.00 two approvers other than its creator" in err
    assert (
        run("pay", "approve", "--engagement", "vested", "--by", "finance.ana")[0]
        == "Approved 32 payments by finance.ana\n"
    )
    _, err = run("pay", "issue", "--engagement", "vested", "--route", "bank_transfer", "--by", "finance.ana", code=1)
    assert "was approved by finance.ana, who cannot also issue it: ask another person" in err
    assert (
        run(
            "pay",
            "issue",
            "--engagement",
            "vested",
            "--route",
            "bank_transfer",
            "--batch-ref",
            "BACS-0320",
            "--by",
            "finance.kim",
            "--at",
            "2026-03-20",
        )[0]
        == "Issued 32 payments by bank_transfer in batch BACS-0320\n"
    )

    ledger = as_json(run, "pay", "ledger", "--engagement", "vested")
    assert ledger["totals"] == {
        "lines": 43,
        "accrued": TOTAL,
        "pending": 0,
        "approved": TOTAL,
        "issued": TOTAL,
        "reconciled": 0,
        "outstanding": 0,
        "expenses": 1240,
        "income": TOTAL - 1240,
    }
    per_person: dict[str, int] = {}
    refs: dict[str, str] = {}
    for line in ledger["lines"]:
        per_person[line["participant_ref"]] = per_person.get(line["participant_ref"], 0) + line["amount_pence"]
        if line["reference"]:
            refs[line["participant_ref"]] = line["reference"]
        assert not any(isinstance(v, float) for v in line.values())
    assert per_person == PAYABLE and sorted(refs) == ["VES-001", "VES-003", "VES-004", "VES-005", "VES-006"]
    assert [x["amount_pence"] for x in ledger["lines"] if x["participant_ref"] == "VES-003"] == [
        35000,
        35000,
        30000,
        0,
        0,
        0,
        0,
    ]
    assert [x["amount_pence"] for x in ledger["lines"] if x["participant_ref"] == "VES-001"][3] == 17500

    # Our references depend only on the engagement, the person and what is paid, so the example
    # statement shipped in examples/ matches this case in any store.
    assert refs == {
        "VES-001": "PP-2B4846C2",
        "VES-003": "PP-4B0B36DF",
        "VES-004": "PP-33B338FD",
        "VES-005": "PP-57A36228",
        "VES-006": "PP-C1511312",
    }
    statement = ROOT / "examples" / "statement.csv"
    # Exit 3: the statement has an unmatched line, a mismatch, a duplicate and a transfer not cleared.
    report = json.loads(run("pay", "reconcile", str(statement), "--account", "community fund", "--json", code=3)[0])
    assert report["recorded"] == 7 + 3 + 7
    assert [(m["line"], m["participants"], m["amount_pence"], m["matched_by"]) for m in report["matched"]] == [
        (2, ["VES-001"], 227500, "reference"),
        (3, ["VES-003"], 100000, "reference"),
        (6, ["VES-006"], 245000, "reference"),
    ]
    assert [(d["line"], d["note"]) for d in report["duplicates"]] == [(4, "same as statement line 3")]
    assert [(m["line"], m["expected_pence"], m["statement_pence"]) for m in report["mismatches"]] == [
        (5, 246240, 242624)
    ]
    assert [(u["line"], u["amount_pence"]) for u in report["unmatched"]] == [(7, 4500)]
    assert [(n["participant"], n["amount_pence"], n["age_days"]) for n in report["not_cleared"]] == [
        ("VES-005", 245000, 3)
    ]
    again = json.loads(run("pay", "reconcile", str(statement), "--account", "community fund", "--json", code=3)[0])
    assert again["recorded"] == 0 and [m["new"] for m in again["matched"]] == [False, False, False]
    assert as_json(run, "pay", "ledger")["totals"]["reconciled"] == CLEARED

    header = "lines,accrued,pending,approved,issued,reconciled,outstanding,expenses,income\n"
    assert (
        run("pay", "export", "--by", "engagement")[0]
        == "engagement," + header + "vested,43,10637.40,0.00,10637.40,10637.40,5725.00,0.00,12.40,10625.00\n"
    )
    assert (
        run("pay", "export", "--by", "route")[0]
        == "route," + header
        + "(not issued),11,0.00,0.00,0.00,0.00,0.00,0.00,0.00,0.00\n"
        "bank_transfer,32,10637.40,0.00,10637.40,10637.40,5725.00,0.00,12.40,10625.00\n"
    )
    assert (
        run("pay", "export", "--by", "tax-year")[0]
        == "tax-year," + header + "2025-26,43,10637.40,0.00,10637.40,10637.40,5725.00,0.00,12.40,10625.00\n"
    )
    assert (
        run("pay", "export", "--by", "budget")[0]
        == "budget," + header + "CE-2026-VES,43,10637.40,0.00,10637.40,10637.40,5725.00,0.00,12.40,10625.00\n"
    )
    csv_lines = run("pay", "ledger", "--engagement", "vested", "--participant", "VES-003", "--csv")[0].splitlines()
    assert csv_lines[0].startswith("id,engagement,participant,kind,category,earned_on,quantity,gross,amount,status")
    assert [row.split(",")[8:10] for row in csv_lines[1:]] == [
        ["350.00", "reconciled"],
        ["350.00", "reconciled"],
        ["300.00", "reconciled"],
    ] + [["0.00", "declined"]] * 4
    assert run("pay", "ledger", "--tax-year", "2026", "--csv")[0].count("\n") == 1  # header only

    totals = as_json(run, "pay", "totals", "--participant", "VES-001")["totals"]
    assert [(t["period"], t["label"], t["income_pence"], t["over"]) for t in totals] == [
        ("tax_year", "2025-26", 227500, ["trading_allowance"]),  # £2,275 > £1,000
        ("benefit_week", "week of 2026-03-16", 227500, ["permitted_work_lower_limit"]),
    ]
    waiting = as_json(run, "pay", "outstanding", "--as-of", "2026-03-23")["outstanding"]
    assert [
        (w["participant"], w["stage"], w["reference"], w["lines"], w["amount_pence"], w["age_days"]) for w in waiting
    ] == [
        ("VES-004", "issued, not cleared", "PP-33B338FD", 8, PAYABLE["VES-004"], 3),
        ("VES-005", "issued, not cleared", "PP-57A36228", 7, PAYABLE["VES-005"], 3),
    ]


def pay_group() -> Any:
    """`panel pay` with every subcommand: the CLI loads a group's modules when it is first asked for it (importing
    cli.pay alone gives only the commands defined there, so the answer would depend on which tests ran before)."""
    import click

    from cli.main import cli

    return cli.get_command(click.Context(cli), "pay")


def test_every_pay_command_has_help_with_an_example() -> None:
    pay = pay_group()

    def walk(group: Any, prefix: str) -> list[tuple[str, Any]]:
        found = []
        for name, command in group.commands.items():
            if hasattr(command, "commands"):
                found += walk(command, f"{prefix} {name}")
            else:
                found.append((f"{prefix} {name}", command))
        return found

    commands = walk(pay, "pay")
    assert len(commands) >= 18
    for name, command in commands:
        assert command.help and "Example:" in command.help and "panel pay" in command.help, name


def test_the_payments_page_names_every_pay_command() -> None:
    pay = pay_group()

    section = (ROOT / "docs" / "payments.md").read_text(encoding="utf-8")

    def paths(group: Any, prefix: str) -> list[str]:
        found = [prefix]
        for name, command in group.commands.items():
            found += paths(command, f"{prefix} {name}") if hasattr(command, "commands") else [f"{prefix} {name}"]
        return found

    for path in paths(pay, "panel pay"):
        assert path in section, f"`{path}` is not in docs/payments.md"
