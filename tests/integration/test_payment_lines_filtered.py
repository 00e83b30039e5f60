"""Reading a few payments without holding the ledger: ``Payments.lines`` with a filter folds (and holds) only the
lines it keeps, in the order they were accrued; ``Payments.resolve`` holds only the payments it matches."""

from __future__ import annotations

from datetime import date
from typing import Any
from uuid import UUID

import pytest

from panel.application import PanelApp
from panel.payments import Payments
from panel.payments import base as payments_base
from panel.payments.domain.values import PaymentStateError
from tests.helpers.vested_case import open_vested


def test_a_filtered_fold_holds_only_the_lines_it_keeps(
    app: PanelApp, vested: tuple[UUID, dict[str, UUID]], monkeypatch: pytest.MonkeyPatch
) -> None:
    eid, pids = vested
    pay = Payments(app)
    pay.accrue(eid, by="sam")
    expense = pay.claim_expense(eid, pids["VES-002"], category="travel", amount_pence=1240, receipt="bus", by="sam",
                                spent_on=date(2026, 3, 2))  # fmt: skip
    pay.approve([expense], by="lee")
    everyone = pay.lines()
    held: list[int] = []
    fold = payments_base.ledger.apply

    def watched(rows: dict[UUID, dict[str, Any]], e: Any) -> UUID | None:
        changed = fold(rows, e)
        held.append(len(rows))
        return changed

    monkeypatch.setattr(payments_base.ledger, "apply", watched)
    for pid in pids.values():
        held.clear()
        mine = pay.lines(participant=pid)
        assert mine == [line for line in everyone if line.participant_id == pid]
        assert max(held) == len(mine) < len(everyone)
    held.clear()
    assert pay.lines(engagement=eid) == everyone
    assert pay.lines(engagement=eid, participant=pids["VES-002"])[-1].id == expense
    assert pay.lines(engagement=UUID(int=1)) == []
    assert len(everyone) > 40


def test_lines_of_two_engagements_are_kept_apart(app: PanelApp) -> None:
    first, _ = open_vested(app, people=2)
    pay = Payments(app)
    pay.accrue(first, by="sam")
    assert {line.engagement_id for line in pay.lines(engagement=first)} == {first}
    assert pay.lines(engagement=first) == pay.lines()


def test_a_payment_is_found_by_reference_or_prefix_without_folding_the_ledger(
    app: PanelApp, vested: tuple[UUID, dict[str, UUID]], monkeypatch: pytest.MonkeyPatch
) -> None:
    eid, pids = vested
    pay = Payments(app)
    pay.accrue(eid, by="sam")
    everyone = pay.lines()
    one = [line.id for line in everyone if line.participant_id == pids["VES-003"]][:1]
    two = [line.id for line in everyone if line.participant_id == pids["VES-004"]][:2]
    for ids in (one, two):
        pay.approve(ids, by="lee")
        pay.approve(ids, by="ana")
        pay.issue(ids, route="bank_transfer", by="kim")
    issued = {line.id: line.reference for line in pay.lines() if line.reference}

    def whole_ledger(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("resolve folded every payment")

    monkeypatch.setattr(Payments, "lines", whole_ledger)
    assert pay.resolve(str(issued[one[0]]).lower()) == one[0]
    assert pay.resolve(f" {issued[one[0]]} ") == one[0]
    assert pay.resolve(str(everyone[5].id)[:8]) == everyone[5].id
    assert pay.resolve(str(everyone[5].id)) == everyone[5].id
    with pytest.raises(PaymentStateError, match="2 payments \\(one transfer\\) have reference"):
        pay.resolve(str(issued[two[0]]))
    with pytest.raises(PaymentStateError, match="no payment has id or reference 'PP-0000'"):
        pay.resolve("PP-0000")
    with pytest.raises(PaymentStateError, match="no payment has id or reference"):
        pay.resolve("")
