"""A ledger of varied payments, set up through the application (and one event an older version could write):
issued alone, in batches, in two transfers named alike, under a reference that normalises to nothing,
reconciled, reversed, re-issued, approved only, accrued only."""

from __future__ import annotations

from uuid import UUID

from panel.application import PanelApp
from panel.payments import Payments
from panel.payments.domain.payment import Payment
from panel.payments.ledger import LedgerLine
from tests.helpers.vested_case import at, open_vested

ACCOUNT = "community fund 12345678"
HEADER = "date,amount,reference,payee\n"
S0 = "2026-03-18,{amount},{ref},X"  # a statement line that reconciled a transfer


def issue(pay: Payments, ids: list[UUID], day: str, reference: str | None = None, batch: str | None = None) -> None:
    pay.approve(ids, by="lee", at=at(day))
    pay.issue(ids, route="bank_transfer", by="kim", reference=reference, batch_ref=batch, at=at(day))


def varied_ledger(app: PanelApp) -> dict[str, list[UUID]]:
    """Six people's lines: issued alone, in batches, in two transfers named alike, under a reference that
    normalises to nothing, reconciled, reversed, re-issued, approved only, accrued only."""
    eid, pids = open_vested(app)
    pay = Payments(app)
    pay.set_budget(eid, code="CE-1", amount_pence=100_000_00, four_eyes_above_pence=100_000_00, by="lee")
    pay.accrue(eid, by="sam", at=at("2026-03-11"))
    mine = {ref: [line.id for line in pay.lines(participant=pid)] for ref, pid in pids.items()}
    issue(pay, mine["VES-001"], "2026-03-20", batch="BATCH-A")
    issue(pay, mine["VES-002"][:3], "2026-03-20", reference="pp-custom 7", batch="BATCH-A")
    issue(pay, mine["VES-002"][3:5], "2026-03-19", reference="PP-CUSTOM-7")
    pay.approve(mine["VES-002"][5:], by="lee", at=at("2026-03-19"))
    issue(pay, mine["VES-003"][:4], "2026-03-18")
    issue(pay, mine["VES-003"][4:], "2026-03-18", reference="---")
    issue(pay, mine["VES-004"], "2026-03-17", batch="BATCH-B")
    issue(pay, mine["VES-005"], "2026-03-17")
    issue(pay, mine["VES-006"][:4], "2026-03-16")
    pay.reverse(mine["VES-005"][2], reason="wrong day", by="lee", at=at("2026-03-21"))
    reissued: Payment = app.repository.get(
        mine["VES-006"][0]
    )  # an older store's second issue (the domain refuses it now)
    reissued.trigger_event(
        Payment.Issued, route="bank_transfer", reference="PP-REISSUED", batch_ref=None, by="kim", at=at("2026-03-19")
    )
    app.save(reissued)
    pay.reconcile(HEADER + "\n".join(s0_lines(pay.lines())) + "\n", name="s0", account=ACCOUNT)
    return mine


def s0_lines(lines: list[LedgerLine]) -> list[str]:
    """The first statement: VES-004's transfer by its reference, and the one named "---" by a reference naming
    nothing ("--")."""
    four = [p for p in lines if p.participant_ref == "VES-004"]
    none = [p for p in lines if p.reference == "---"]
    return [S0.format(amount=pounds(four), ref=four[0].reference), S0.format(amount=pounds(none), ref="--")]


def pounds(lines: list[LedgerLine]) -> str:
    pence = sum(p.amount_pence for p in lines)
    return f"-{pence // 100}.{pence % 100:02d}"
