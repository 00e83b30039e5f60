"""Amounts have a ceiling per line, per rate and per total; at the ceilings every report still works.

Before the ceilings, `pay claim-expense --amount 100000000000000000000` was accepted and then the
ledger, outstanding, totals and export failed on both stores (OverflowError / DataError).
"""

from __future__ import annotations

import csv
import io
import json
from typing import Any

import pytest

from panel.application import PanelApp
from panel.domain.errors import ValidationError
from panel.domain.money import MAX_LINE_PENCE, MAX_RATE_PENCE
from panel.payments import Payments
from tests.helpers.vested_case import DAYS, at, open_vested


def test_an_amount_above_the_line_ceiling_is_refused_by_the_service_and_nothing_is_written(app: PanelApp) -> None:
    eid, pids = open_vested(app, people=1, days=DAYS[:1])
    head = app.recorder.max_notification_id()
    with pytest.raises(ValidationError, match="above the ceiling of £100,000.00 for a payment line"):
        Payments(app).claim_expense(eid, pids["VES-001"], category="travel", amount_pence=10**22, receipt="R", by="s")
    assert app.recorder.max_notification_id() == head


def test_every_report_works_with_lines_at_the_ceilings(app: PanelApp, panel: Any) -> None:
    eid, pids = open_vested(app, people=2, days=DAYS[:3])
    pay = Payments(app)
    pay.publish_rate_card(name="max", unit="half_day", amount_pence=MAX_RATE_PENCE, by="lee", at=at("2026-02-01"))
    pay.assign_rate_card(eid, name="max", version=None, by="lee", at=at("2026-02-01"))
    pay.accrue(eid, by="sam", at=at("2026-03-11"))  # full days: 2 x £5,000 each
    for pid in pids.values():
        for n in range(3):
            pay.claim_expense(eid, pid, category="travel", amount_pence=MAX_LINE_PENCE, receipt=f"R{n}", by="sam")
        pay.add_voucher(eid, pid, code=f"V-{pid.hex[:6]}", face_value_pence=MAX_LINE_PENCE, by="sam")
    expected = 2 * (3 * 2 * MAX_RATE_PENCE + 4 * MAX_LINE_PENCE)

    ledger = json.loads(panel("pay", "ledger", "--json").out)
    assert ledger["totals"]["accrued"] == expected
    assert max(line["amount_pence"] for line in ledger["lines"]) == MAX_LINE_PENCE
    outstanding = json.loads(panel("pay", "outstanding", "--json").out)
    assert sum(item["amount_pence"] for item in outstanding["outstanding"]) == expected == outstanding["amount_pence"]
    totals = json.loads(panel("pay", "totals", "--json").out)["totals"]
    income = sum(t["income_pence"] for t in totals if t["period"] == "tax_year")
    assert income == 2 * (3 * 2 * MAX_RATE_PENCE + MAX_LINE_PENCE)  # fees and vouchers; expenses are not income
    exported = list(csv.DictReader(io.StringIO(panel("pay", "export", "--by", "engagement").out)))
    assert exported[0]["accrued"] == f"{expected // 100}.00"
