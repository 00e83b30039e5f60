"""`panel pay reconcile` reads the ledger view's issued lines and holds only those the statement can touch; its
report is the one the whole fold of the stored events gives (``Payments.reconcile`` without a source, as it
was), on SQLite and PostgreSQL, for many statements: matched by reference, by a reference inside the bank's
text, by batch, by amount and date; amount mismatches, lines with no payment, duplicates, transfers not
cleared, lines already reconciled, reversed and re-issued payments, references that normalise alike.
"""

from __future__ import annotations

import json
import random
from datetime import date
from pathlib import Path
from typing import Any

from cli.pay_reconcile import report_dict
from cli.render import jsonable
from panel.application import PanelApp
from panel.config import StoreLocation
from panel.payments import Payments
from panel.payments.ledger import LedgerLine
from panel.payments.reconcile import Report, match_statement, norm, parse_statement
from panel.payments.statement_lines import statement_payments
from projections.connection import make_engine
from projections.ledger import IssuedLedger
from tests.helpers.varied_ledger import ACCOUNT, HEADER, pounds, s0_lines, varied_ledger


def candidate_lines(lines: list[LedgerLine]) -> list[str]:
    """Statement lines that hit every rule, and some that miss: from each transfer and batch of the ledger."""
    transfers: dict[str, list[LedgerLine]] = {}
    for p in lines:
        if p.reference and p.status in ("issued", "reconciled"):
            transfers.setdefault(p.reference, []).append(p)
    out = []
    for ref, group in transfers.items():
        day = min(p.issued_at for p in group if p.issued_at).date()
        open_ = [p for p in group if p.status == "issued"] or group
        out += [
            f"{day},{pounds(open_)},{ref},X",
            f"{day},{pounds(open_)},PAYMENT {ref.lower()} THANK YOU,X",
            f"{day},-1.00,{ref},X",
            f"{date.fromordinal(day.toordinal() + 2)},{pounds(open_)},TRANSFER,X",
            f"{date.fromordinal(day.toordinal() + 9)},{pounds(open_)},TRANSFER,X",
        ]
    for batch in ("BATCH-A", "BATCH-B", "batch a"):
        named = {norm(p.reference or "") for p in lines if norm(p.batch_ref or "") == norm(batch)}
        total = [p for p in lines if norm(p.reference or "") in named and p.status == "issued"]
        out += [f"2026-03-20,{pounds(total) if total else '-5.00'},{batch},X", f"2026-03-20,-5.00,{batch},X"]
    out += [
        *s0_lines(lines),
        "2026-03-23,-45.00,STANDING ORDER 0042,CITY COUNCIL",
        "2026-03-23,-45.00,--,NOBODY",
        "2026-03-18,-350.00,PP-CUSTOM-7 PP-REISSUED,X",
    ]
    return out


OTHERS = {
    "unmatched": lambda r: bool(r.unmatched),
    "mismatch": lambda r: bool(r.mismatches),
    "duplicate": lambda r: bool(r.duplicates),
    "not cleared": lambda r: bool(r.not_cleared),
}


def both_ways(app: PanelApp, location: StoreLocation, text: str) -> tuple[Report, Report]:
    """The report over the whole fold (as it was) and over the view's lines this statement can touch."""
    statement = parse_statement(text, "s")
    engine = make_engine(location)
    try:
        picked = statement_payments(statement, ACCOUNT, IssuedLedger(app, engine))
    finally:
        engine.dispose()
    whole = Payments(app).lines()
    assert len(picked) < len(whole)
    return (
        match_statement(statement, whole, account=ACCOUNT, tolerance_days=3),
        match_statement(statement, picked, account=ACCOUNT, tolerance_days=3),
    )


def test_the_view_gives_the_whole_folds_report_for_any_statement(app: PanelApp, location: StoreLocation) -> None:
    varied_ledger(app)
    candidates = candidate_lines(Payments(app).lines())
    rng = random.Random(15)
    kinds: set[str] = set()
    for _ in range(40):
        chosen = rng.sample(candidates, rng.randint(1, 8))
        chosen += rng.sample(chosen, rng.randint(0, 1))  # a duplicate, sometimes
        was, now = both_ways(app, location, HEADER + "\n".join(chosen) + "\n")
        assert now == was
        kinds |= {m.matched_by for m in was.matched}
        kinds |= {name for name, found in OTHERS.items() if found(was)}
    assert kinds == {"already", "reference", "batch", "amount_date", *OTHERS}


def test_the_command_reports_and_records_what_the_whole_fold_would(
    app: PanelApp, location: StoreLocation, panel: Any, tmp_path: Path
) -> None:
    varied_ledger(app)
    candidates = candidate_lines(Payments(app).lines())
    statement = tmp_path / "bank.csv"
    for seed in range(3):
        chosen = random.Random(seed).sample(candidates, 10)
        statement.write_text(HEADER + "\n".join(chosen) + "\n", encoding="utf-8")
        was, _ = both_ways(app, location, statement.read_text(encoding="utf-8"))
        ran = panel("pay", "reconcile", str(statement), "--account", ACCOUNT, "--json", code=None)
        assert ran.code == (3 if was.needs_attention else 0), ran.err
        assert json.loads(ran.out) == jsonable(report_dict(was))
    assert sum(p.status == "reconciled" for p in Payments(app).lines()) > 7


def test_a_ledger_view_an_older_version_made_is_refused_before_anything_is_recorded(
    app: PanelApp, location: StoreLocation, panel: Any, tmp_path: Path
) -> None:
    mine = varied_ledger(app)
    panel("pay", "ledger")
    engine = make_engine(location)
    with engine.begin() as conn:
        conn.exec_driver_sql("ALTER TABLE ledger_g1_view DROP COLUMN accrued_position")
    engine.dispose()
    five = [p for p in Payments(app).lines() if p.id in mine["VES-005"] and p.status == "issued"]
    statement = tmp_path / "bank.csv"
    statement.write_text(HEADER + f"2026-03-17,{pounds(five)},{five[0].reference},X\n", encoding="utf-8")
    before = Payments(app).lines()
    refused = panel("pay", "reconcile", str(statement), "--account", ACCOUNT, code=1)
    assert "run `panel init`" in refused.err and refused.err.count("\n") == 1, refused.err
    assert refused.out == ""
    assert Payments(app).lines() == before
