"""A payment issued twice is found by the reference of its latest issue, never by the one it replaced.

The domain refuses to issue a payment that is not approved, so a second PaymentIssued is written here
straight from the event class (as an older version, or an import, could have left one in a store). The
ledger's fold keeps the latest reference; finding a payment by reference must agree with it.
"""

from __future__ import annotations

from datetime import UTC, datetime
from uuid import UUID

import pytest

from panel.application import PanelApp
from panel.payments import Payments
from panel.payments.domain.payment import Payment
from panel.payments.domain.values import PaymentStateError

LATER = datetime(2026, 3, 20, tzinfo=UTC)


def reissue(app: PanelApp, pid: UUID, reference: str) -> None:
    payment: Payment = app.repository.get(pid)
    payment.trigger_event(
        Payment.Issued, route="bank_transfer", reference=reference, batch_ref=None, by="kim", at=LATER
    )
    app.save(payment)


def test_a_reissued_payment_is_found_by_its_latest_reference_only(
    app: PanelApp, vested: tuple[UUID, dict[str, UUID]]
) -> None:
    eid, pids = vested
    pay = Payments(app)
    pay.accrue(eid, by="sam")
    mine = [line.id for line in pay.lines(participant=pids["VES-002"])][:2]
    pay.approve(mine, by="lee")
    pay.approve(mine, by="ana")
    pay.issue(mine, route="bank_transfer", by="kim", reference="PP-FIRST")
    with pytest.raises(PaymentStateError, match="2 payments \\(one transfer\\) have reference 'PP-FIRST'"):
        pay.resolve("PP-FIRST")
    reissue(app, mine[0], "PP-SECOND")
    assert pay.resolve("pp-second") == mine[0]
    assert pay.resolve("PP-FIRST") == mine[1]  # the other line still carries the first reference
    reissue(app, mine[1], "PP-SECOND")
    with pytest.raises(PaymentStateError, match="no payment has id or reference 'PP-FIRST'"):
        pay.resolve("PP-FIRST")
    with pytest.raises(PaymentStateError, match="2 payments \\(one transfer\\) have reference"):
        pay.resolve("PP-SECOND")
    assert {line.reference for line in pay.lines() if line.id in mine} == {"PP-SECOND"}
