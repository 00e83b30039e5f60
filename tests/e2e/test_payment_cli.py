"""Rate cards, vouchers, show and reverse through `panel pay`, on SQLite and PostgreSQL."""

from __future__ import annotations

import json
from typing import Any

import pytest

from panel.application import PanelApp
from tests.helpers.vested_case import DAYS, open_vested


@pytest.fixture
def run(panel):  # type: ignore[no-untyped-def]
    """The real console script: stdout when it succeeds, stderr when it is expected to fail."""

    def invoke(*args: str, code: int = 0) -> str:
        ran = panel(*args, code=code)
        return ran.out if code == 0 else ran.err

    return invoke


def test_an_engagement_pays_the_rate_card_version_it_points_at(app: PanelApp, run: Any) -> None:
    open_vested(app, people=2, days=DAYS[2:4])  # VES-001 attends half of 5 March
    assert (
        run("pay", "rate-card", "set", "half-rate", "--unit", "half_day", "--amount", "180.01", "--by", "lee")
        == "Rate card half-rate version 1: £180.01 per half_day\n"
    )
    assert (
        run("pay", "rate-card", "assign", "half-rate", "--engagement", "vested", "--by", "lee")
        == "vested pays rate card half-rate version 1: £180.01 per half_day\n"
    )
    assert (
        run("pay", "rate-card", "set", "half-rate", "--unit", "half_day", "--amount", "200.00", "--by", "lee")
        == "Rate card half-rate version 2: £200.00 per half_day\n"
    )
    shown = json.loads(run("pay", "rate-card", "show", "half-rate", "--json"))
    assert [(v["version"], v["amount_pence"]) for v in shown["versions"]] == [(1, 18001), (2, 20000)]
    run("pay", "rate-card", "set", "per-task", "--unit", "task", "--amount", "50.00", "--by", "lee")
    assert "pays per task: attendance cannot accrue it" in run(
        "pay", "rate-card", "assign", "per-task", "--engagement", "vested", "--by", "lee", code=1
    )

    run("pay", "accrue", "vested", "--by", "sam")
    lines = json.loads(run("pay", "ledger", "--json"))["lines"]
    assert [(x["participant_ref"], x["quantity"], x["amount_pence"], x["rate_card"]) for x in lines] == [
        ("VES-001", "2 half days", 36002, "half-rate v1"),
        ("VES-001", "1 half day", 18001, "half-rate v1"),
        ("VES-002", "2 half days", 36002, "half-rate v1"),
        ("VES-002", "2 half days", 36002, "half-rate v1"),
    ]

    reversed_id = lines[1]["id"]
    out = run("pay", "reverse", reversed_id[:8], "--reason", "attended the other half too", "--by", "lee")
    assert out == f"Reversed payment {reversed_id}\n"
    totals = json.loads(run("pay", "ledger", "--json"))["totals"]
    assert (totals["lines"], totals["accrued"]) == (4, 3 * 36002)
    assert "cannot be reversed: it is reversed" in run(
        "pay", "reverse", reversed_id, "--reason", "again", "--by", "lee", code=1
    )


def test_a_voucher_is_income_paid_by_the_voucher_route_and_redeemed_once(app: PanelApp, run: Any) -> None:
    open_vested(app, people=2, days=DAYS[:1])
    out = run(
        "pay",
        "voucher",
        "add",
        "VES-002",
        "--engagement",
        "vested",
        "--code",
        "GV-7781",
        "--face-value",
        "25.00",
        "--by",
        "sam",
        "--at",
        "2026-03-02",
    )
    voucher = out.rsplit(" ", 1)[1].strip()
    assert out == f"Voucher GV-7781 (£25.00) for VES-002: payment {voucher}\n"
    run("pay", "approve", voucher, "--by", "lee")
    run("pay", "approve", voucher, "--by", "ana")  # above the four-eyes amount (default £0): two approvers
    assert "vouchers go by --route voucher" in run(
        "pay", "issue", voucher, "--route", "bank_transfer", "--by", "kim", code=1
    )
    run("pay", "issue", voucher, "--route", "voucher", "--reference", "GV-7781", "--by", "kim", "--at", "2026-03-03")
    assert run("pay", "voucher", "status", voucher, "redeemed") == f"Voucher payment {voucher} redeemed\n"
    assert "already redeemed" in run(
        "pay", "voucher", "status", voucher, "cancelled", "--reason", "lost", "--by", "lee", code=1
    )
    shown = json.loads(run("pay", "show", "GV-7781", "--json"))
    assert [h["status"] for h in shown["history"]] == ["accrued", "first approval", "approved", "issued"]
    assert (shown["kind"], shown["amount_pence"], shown["reference"]) == ("voucher", 2500, "GV-7781")
    totals = json.loads(run("pay", "totals", "--participant", "VES-002", "--json"))["totals"]
    assert [(t["label"], t["income_pence"]) for t in totals] == [("2025-26", 2500), ("week of 2026-03-02", 2500)]
    assert (
        run("pay", "export", "--by", "route").splitlines()[1] == "voucher,1,25.00,0.00,25.00,25.00,0.00,0.00,0.00,25.00"
    )


def test_approve_counts_what_the_engagement_has_approved_already(app: PanelApp, run: Any) -> None:
    """`pay approve` checks the budget against the engagement's approved total (read from the ledger view) plus
    what it approves now: each line fits alone, the second does not fit beside the first."""
    open_vested(app, people=2, days=DAYS[2:4])
    run("pay", "accrue", "vested", "--by", "sam")
    lines = json.loads(run("pay", "ledger", "--json"))["lines"]
    first, second = lines[0], lines[1]
    budget = first["amount_pence"] + second["amount_pence"] - 1
    pounds = f"{budget // 100}.{budget % 100:02d}"
    run(
        "pay",
        "budget",
        "set",
        "vested",
        "--code",
        "CE-1",
        "--amount",
        pounds,
        "--four-eyes-above",
        "100000",
        "--by",
        "lee",
    )
    assert run("pay", "approve", first["id"], "--by", "ana") == "Approved 1 payments by ana\n"
    refused = run("pay", "approve", second["id"], "--by", "ana", code=1)
    both = first["amount_pence"] + second["amount_pence"]
    assert f"takes vested to £{both // 100:,}.{both % 100:02d}, over its budget" in refused
    assert [x["status"] for x in json.loads(run("pay", "ledger", "--json"))["lines"]][:2] == ["approved", "accrued"]
