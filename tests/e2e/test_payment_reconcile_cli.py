"""`panel pay reconcile` as a script sees it: exit 3 when anything needs attention, and a bank's own
column names mapped with --columns (real subprocesses, SQLite and PostgreSQL)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from panel.application import PanelApp
from panel.payments import Payments
from tests.helpers.vested_case import DAYS, at, open_vested

BANK_HEADER = "Date,Description,Paid out,Paid in,Balance\n"
MAP = "date=Date,amount=Paid out,reference=Description"


def issued_transfers(app: PanelApp) -> dict[str, tuple[str, int]]:
    """Two people, two days each at £350, approved and issued: {participant: (reference, pence)}."""
    eid, _ = open_vested(app, people=2, days=DAYS[:2])
    pay = Payments(app)
    pay.set_budget(eid, code="CE-1", amount_pence=100_000_00, four_eyes_above_pence=100_000_00, by="lee")
    pay.accrue(eid, by="sam", at=at("2026-03-11"))
    ids = [line.id for line in pay.lines(engagement=eid)]
    pay.approve(ids, by="lee", at=at("2026-03-12"))
    pay.issue(ids, route="bank_transfer", by="kim", at=at("2026-03-20"))
    transfers: dict[str, tuple[str, int]] = {}
    for line in pay.lines(engagement=eid):
        ref, pence = transfers.get(line.participant_ref, (line.reference or "", 0))
        transfers[line.participant_ref] = (ref, pence + line.amount_pence)
    return transfers


def bank_line(reference: str, pence: int) -> str:
    return f"21/03/2026,{reference} VESTED,{pence // 100}.{pence % 100:02d},,1000.00\n"


def test_a_clean_statement_in_the_banks_own_columns_exits_0(app: PanelApp, panel: Any, tmp_path: Path) -> None:
    transfers = issued_transfers(app)
    statement = tmp_path / "bank.csv"
    statement.write_text(BANK_HEADER + "".join(bank_line(r, p) for r, p in transfers.values()), encoding="utf-8")
    ran = panel("pay", "reconcile", str(statement), "--account", "fund", "--columns", MAP, "--json", code=0)
    report = json.loads(ran.out)
    assert (len(report["matched"]), report["recorded"], report["unmatched"], report["not_cleared"]) == (2, 4, [], [])
    assert {m["matched_by"] for m in report["matched"]} == {"reference"}


def test_anything_that_needs_attention_exits_3_and_the_matches_are_still_recorded(
    app: PanelApp, panel: Any, tmp_path: Path
) -> None:
    (ref, pence), (other_ref, _) = issued_transfers(app).values()
    statement = tmp_path / "bank.csv"
    statement.write_text(BANK_HEADER + bank_line(ref, pence) + bank_line("STANDING ORDER", 4500), encoding="utf-8")
    ran = panel("pay", "reconcile", str(statement), "--account", "fund", "--columns", MAP, code=3)
    assert "1 statement lines matched (2 payment lines newly reconciled), 1 unmatched" in ran.out
    assert "1 transfers issued but not cleared" in ran.out
    report = json.loads(
        panel("pay", "reconcile", str(statement), "--account", "fund", "--columns", MAP, "--json", code=3).out
    )
    assert report["recorded"] == 0 and [m["new"] for m in report["matched"]] == [False]
    assert [n["reference"] for n in report["not_cleared"]] == [other_ref]
    ledger = json.loads(panel("pay", "ledger", "--json").out)
    assert ledger["totals"]["reconciled"] == pence
