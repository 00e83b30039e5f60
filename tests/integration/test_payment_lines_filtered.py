"""``Payments.lines`` with a filter folds (and holds) only the lines it keeps, in the order they were accrued."""

from __future__ import annotations

from datetime import date
from typing import Any
from uuid import UUID

import pytest

from panel.application import PanelApp
from panel.payments import Payments
from panel.payments import base as payments_base
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
