"""Four-eyes on a real store (SQLite and PostgreSQL): above the engagement's four-eyes amount two
different approvers, neither the creator, each recorded as an event; no approver issues the payment."""

from __future__ import annotations

import json
from typing import Any

import pytest

from panel.application import PanelApp
from panel.config import StoreLocation
from panel.payments import Payments
from panel.payments.domain.payment import FourEyesError
from projections.connection import make_engine
from projections.ledger import stream_ledger_lines
from tests.helpers.vested_case import DAYS, at, open_vested


def test_two_approvers_above_the_amount_and_never_the_approver_as_issuer(
    app: PanelApp, location: StoreLocation, panel: Any
) -> None:
    eid, pids = open_vested(app, people=1, days=DAYS[:1])
    pay = Payments(app)
    pay.set_budget(eid, code="CE-1", amount_pence=10_000_00, four_eyes_above_pence=500_00, by="lee")
    pay.accrue(eid, by="sam", at=at("2026-03-11"))  # £350: at or below £500, one approver is enough
    (fee,) = [x.id for x in pay.lines(engagement=eid)]
    big = pay.claim_expense(eid, pids["VES-001"], category="accessibility", amount_pence=600_00, receipt="A1", by="sam")

    ran = panel("pay", "approve", str(fee), str(big), "--by", "lee")
    assert ran.out.splitlines() == [
        "Approved 1 payments by lee",
        "Approved once 1 payments by lee: above the four-eyes amount each needs a second approval by another person",
    ]
    stages = {i["stage"] for i in json.loads(panel("pay", "outstanding", "--json").out)["outstanding"]}
    assert stages == {"awaiting issue", "awaiting second approval"}
    assert "awaiting second approval" in panel("pay", "outstanding").out
    position = app.recorder.max_notification_id()
    for approver, refusal in (("lee", "already approved once by lee"), ("SAM", "created by sam")):
        with pytest.raises(FourEyesError, match=refusal):
            pay.approve([big], by=approver)
    assert app.recorder.max_notification_id() == position
    panel("pay", "issue", str(big), "--route", "bank_transfer", "--by", "kim", code=1)  # not approved yet

    assert "Approved 1 payments by ana" in panel("pay", "approve", str(big), "--by", "ana").out
    stored = [(type(e).__name__, getattr(e, "by", None)) for e in app.events.get(big)]
    assert [x for x in stored if "Approved" in x[0]] == [("FirstApproved", "lee"), ("Approved", "ana")]
    for issuer in ("ana", "Lee"):
        err = panel("pay", "issue", str(big), "--route", "bank_transfer", "--by", issuer, code=1).err
        assert f"was approved by {issuer.lower()}, who cannot also issue it: ask another person" in err
    err = panel("pay", "issue", str(fee), "--route", "bank_transfer", "--by", "lee", code=1).err
    assert "was approved by lee, who cannot also issue it" in err
    panel("pay", "issue", str(fee), str(big), "--route", "bank_transfer", "--by", "kim")

    shown = json.loads(panel("pay", "show", str(big), "--json").out)
    assert [(h["status"], h["by"]) for h in shown["history"]] == [
        ("accrued", "sam"),
        ("first approval", "lee"),
        ("approved", "ana"),
        ("issued", "kim"),
    ]
    engine = make_engine(location)
    try:
        view = {x.id: x for x in stream_ledger_lines(app, engine)}
    finally:
        engine.dispose()
    assert view == {x.id: x for x in pay.lines()}
    assert (view[big].status, view[big].approved_by) == ("issued", "ana")
