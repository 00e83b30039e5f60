"""Payments over a real store, on SQLite and PostgreSQL: accrual, choices, four-eyes, budget, reversal,
reconciliation and the ledger view."""

from __future__ import annotations

from datetime import date
from uuid import UUID

import pytest

from panel.application import PanelApp
from panel.config import StoreLocation
from panel.participation import Participation
from panel.payments import Payments
from panel.payments.domain.payment import FourEyesError
from panel.payments.ledger import totals
from panel.payments.lifecycle import BudgetExceededError
from panel.payments.reconcile import StatementFormatError
from panel.queries import Queries
from projections.connection import make_engine
from projections.engine import Projector
from projections.ledger import LedgerView, stream_ledger_lines
from tests.helpers.vested_case import DAYS, at, open_vested

Vested = tuple[UUID, dict[str, UUID]]


def head(app: PanelApp) -> int:
    return int(app.recorder.max_notification_id() or 0)


def test_accrual_is_idempotent_and_withdrawing_never_forfeits_what_was_earned(app: PanelApp) -> None:
    eid, pids = open_vested(app, people=3, days=DAYS[:3])
    pay = Payments(app)
    pay.vary_fee(eid, pids["VES-002"], cap_pence=None, reason="protecting my benefits", by="sam", at=at("2026-03-01"))
    Participation(app).withdraw_from(eid, pids["VES-003"], reason="moved away", at=at("2026-03-05"))
    first = pay.accrue(eid, by="sam", at=at("2026-03-11"))
    assert (len(first.changed), first.unchanged) == (9, 0)
    position = head(app)
    again = pay.accrue(eid, by="sam", at=at("2026-03-12"))
    assert (len(again.changed), again.unchanged, head(app)) == (0, 9, position)
    lines = pay.lines(engagement=eid)
    by_ref = {ref: [x for x in lines if x.participant_ref == ref] for ref in pids}
    assert [x.amount_pence for x in by_ref["VES-001"]] == [35000, 35000, 35000]
    assert {(x.status, x.amount_pence, x.reason) for x in by_ref["VES-002"]} == {
        ("declined", 0, "protecting my benefits")
    }
    assert sum(x.amount_pence for x in by_ref["VES-003"]) == 105000  # withdrew after attending: still paid
    assert len(Queries(app).participant(pids["VES-002"]).participations[0].attended) == 3  # declining keeps attendance


def test_four_eyes_and_budget_are_checked_before_anything_is_approved(app: PanelApp) -> None:
    eid, _ = open_vested(app, people=2, days=DAYS[:2])
    pay = Payments(app)
    pay.set_budget(eid, code="CE-1", amount_pence=100000, four_eyes_above_pence=0, by="lee")
    pay.accrue(eid, by="sam")
    ids = [x.id for x in pay.lines(engagement=eid)]
    position = head(app)
    with pytest.raises(FourEyesError, match="created by sam"):
        pay.approve(ids, by="sam")
    with pytest.raises(BudgetExceededError, match=r"to £1,400.00, over its budget £1,000.00 \(code CE-1\)"):
        pay.approve(ids, by="lee")
    assert head(app) == position
    once = pay.approve(ids[:2], by="lee")  # above £0 two approvers are needed: the first is recorded
    assert (once.changed, once.first_approved, once.warnings) == ([], ids[:2], [])
    outcome = pay.approve(ids[:2], by="ana")
    assert (outcome.changed, outcome.first_approved, outcome.warnings) == (ids[:2], [], [])
    over = "Warning: approving these takes vested to £1,400.00, over its budget £1,000.00 (code CE-1)"
    with pytest.raises(BudgetExceededError):  # the budget is checked at the first approval too
        pay.approve(ids[2:], by="lee")
    assert pay.approve(ids[2:], by="lee", allow_over_budget=True).warnings == [over]
    assert pay.approve(ids[2:], by="ana", allow_over_budget=True).warnings == [over]
    lines = pay.lines(engagement=eid)
    assert {x.budget_code for x in lines} == {"CE-1"} and sum(x.over_budget for x in lines) == 2
    assert {(x.status, x.approved_by) for x in lines} == {("approved", "ana")}


def test_a_reversal_restores_the_totals(app: PanelApp) -> None:
    eid, pids = open_vested(app, people=2, days=DAYS[:2])
    pay = Payments(app)
    pay.accrue(eid, by="sam")
    before = totals(pay.lines(engagement=eid))
    claim = pay.claim_expense(
        eid, pids["VES-001"], category="travel", amount_pence=1240, receipt="TR-1", by="sam", spent_on=date(2026, 3, 2)
    )
    pay.approve([claim], by="lee")
    pay.approve([claim], by="ana")
    pay.issue([claim], route="bank_transfer", by="kim")
    assert totals(pay.lines(engagement=eid)).issued == 1240
    pay.reverse(claim, reason="claimed twice", by="lee", at=at("2026-03-20"))
    after = totals(pay.lines(engagement=eid))
    assert after.accrued == before.accrued and after.issued == 0 and after.expenses == 0
    assert after.lines == before.lines + 1  # the reversed line stays in the ledger


def test_reconciliation_reports_matched_unmatched_duplicated_and_mismatched_lines(app: PanelApp) -> None:
    eid, pids = open_vested(app, people=4, days=DAYS[:1])
    pay = Payments(app)
    pay.vary_fee(eid, pids["VES-004"], cap_pence=20000, reason="lower", by="sam")
    pay.accrue(eid, by="sam")
    ids = [x.id for x in pay.lines(engagement=eid)]
    pay.approve(ids, by="lee")
    pay.approve(ids, by="ana")
    pay.issue(ids, route="bank_transfer", batch_ref="BACS-1", by="kim", at=at("2026-03-20"))
    ref = {x.participant_ref: x.reference for x in pay.lines(engagement=eid)}
    statement = (
        "date,amount,reference,payee\n"
        f"2026-03-21,-350.00,{ref['VES-001']},VES-001\n"
        f"2026-03-21,-350.00,{ref['VES-001']},VES-001\n"
        "2026-03-22,200.00,,VES-004\n"
        f"2026-03-21,-300.00,{ref['VES-002']},VES-002\n"
        "2026-03-21,-99.99,UNKNOWN-1,someone\n"
    )
    report = pay.reconcile(statement, name="s.csv", account="fund", at=at("2026-03-25"))
    assert [(m.line.number, m.payments[0].participant_ref, m.matched_by, m.new) for m in report.matched] == [
        (2, "VES-001", "reference", True),
        (4, "VES-004", "amount_date", True),
    ]
    assert [(s.number, n) for s, n in report.duplicates] == [(3, "same as statement line 2")]
    assert [(s.number, ps[0].participant_ref, ps[0].amount_pence) for s, ps in report.mismatches] == [
        (5, "VES-002", 35000)
    ]
    assert [s.number for s, _ in report.unmatched] == [6]
    assert [(ps[0].participant_ref, age) for ps, age in report.not_cleared] == [("VES-003", 2)]
    t = totals(pay.lines(engagement=eid))
    assert (t.issued, t.reconciled) == (125000, 55000)

    position = head(app)
    rerun = pay.reconcile(statement, name="s.csv", account="fund")
    assert head(app) == position and rerun.recorded == 0
    assert [(m.line.number, m.matched_by, m.new) for m in rerun.matched] == [
        (2, "already", False),
        (4, "already", False),
    ]
    assert len(rerun.duplicates) == len(rerun.mismatches) == len(rerun.unmatched) == 1

    bad = f"date,amount,reference,payee\n2026-03-21,-350.00,{ref['VES-003']},VES-003\n2026-03-21,1.2.3,x,y\n"
    with pytest.raises(StatementFormatError, match=r"bad.csv:3: amount '1.2.3'.*nothing was recorded"):
        pay.reconcile(bad, name="bad.csv", account="fund")
    assert head(app) == position


def test_the_ledger_view_equals_the_fold_of_the_store_and_catches_up_incrementally(
    app: PanelApp, location: StoreLocation, vested: tuple[UUID, dict[str, UUID]]
) -> None:
    eid, pids = vested
    pay = Payments(app)
    pay.accrue(eid, by="sam")
    engine = make_engine(location)
    try:
        assert sorted(stream_ledger_lines(app, engine), key=lambda x: x.id) == sorted(pay.lines(), key=lambda x: x.id)
        pay.vary_fee(eid, pids["VES-003"], cap_pence=100000, reason="lower", by="sam")
        pay.approve([x.id for x in pay.lines() if x.status == "accrued"], by="lee")
        view = list(stream_ledger_lines(app, engine, participant=pids["VES-003"]))
        assert [x.amount_pence for x in view] == [35000, 35000, 30000, 0, 0, 0, 0]
        assert sorted(stream_ledger_lines(app, engine), key=lambda x: x.id) == sorted(pay.lines(), key=lambda x: x.id)
        assert list(stream_ledger_lines(app, engine, tax_year=2025)) and not list(
            stream_ledger_lines(app, engine, tax_year=2026)
        )
        Projector(app, engine, views=[LedgerView]).rebuild()  # a fresh generation from zero gives the same rows
        assert sorted(stream_ledger_lines(app, engine, catch_up=False), key=lambda x: x.id) == sorted(
            pay.lines(), key=lambda x: x.id
        )
    finally:
        engine.dispose()


def test_concurrent_approvals_cannot_both_pass_the_budget(app: PanelApp, location: StoreLocation) -> None:
    eid, _ = open_vested(app, people=2, days=DAYS[:1])
    pay = Payments(app)
    pay.set_budget(eid, code="CE-1", amount_pence=35000, four_eyes_above_pence=35000, by="lee")  # one approver
    pay.accrue(eid, by="sam")
    first, second = [x.id for x in pay.lines(engagement=eid)]
    other = PanelApp(env=location.env())
    try:
        save, raced = app.save, []

        def save_after_the_other_writer(*items: object) -> object:
            if not raced:  # the other approver commits between our budget check and our save
                raced.append(Payments(other).approve([second], by="kim"))
            return save(*items)

        app.save = save_after_the_other_writer  # type: ignore[method-assign]
        with pytest.raises(BudgetExceededError, match="to £700.00, over its budget £350.00"):
            pay.approve([first], by="lee")
    finally:
        other.close()
    assert {x.id: x.status for x in Payments(app).lines()} == {first: "accrued", second: "approved"}
