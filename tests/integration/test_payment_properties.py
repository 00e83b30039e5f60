"""Random sequences of payment commands over a real store (SQLite and PostgreSQL): the ledger
invariants hold, and the ledger view always equals the fold of the event store."""

from __future__ import annotations

import itertools
from datetime import UTC, date, datetime
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from panel.application import PanelApp
from panel.config import StoreLocation
from panel.domain.errors import PanelError
from panel.engagements import Engagements
from panel.participation import Participation
from panel.payments import Payments
from panel.payments.ledger import totals
from panel.registration import Registration
from panel.validation import ConsentSpec, SignUp
from projections.connection import make_engine
from projections.ledger import stream_ledger_lines

DAYS = [date(2026, 3, 2), date(2026, 3, 3), date(2026, 4, 7)]  # the last one is in the next tax year
T0 = datetime(2026, 2, 1, tzinfo=UTC)
COUNTER = itertools.count()
OPS = [
    "accrue",
    "decline",
    "reduce",
    "claim",
    "approve",
    "approve_all",
    "approve2",
    "approve_self",
    "issue",
    "issue_all",
    "reverse",
    "reconcile",
]


def setup(app: PanelApp, people: int, attended: list[list[int]]) -> tuple[Any, list[Any]]:
    n = next(COUNTER)
    eid = Engagements(app).open_engagement(
        name=f"Prop {n}", ref=f"prop-{n}", purpose="p", kind="involve", sessions=DAYS, day_rate_pence=35001, at=T0
    )
    pids = [
        Registration(app).register(
            SignUp(
                ref=f"PROP{n}-{i}", channel="online", at=T0, consents=(ConsentSpec("contact", "v3", "online", "self"),)
            )
        )
        for i in range(people)
    ]
    Participation(app).invite(eid, pids, at=T0)
    for i, pid in enumerate(pids):
        Participation(app).respond(eid, pid, accept=True, at=T0)
        for day_index in sorted(set(attended[i % len(attended)])):
            Participation(app).attend(eid, pid, DAYS[day_index], half_day=day_index == 1, at=T0)
    return eid, pids


def step(pay: Payments, eid: Any, pids: list[Any], op: str, k: int) -> None:
    lines = pay.lines(engagement=eid)
    pick = lines[k % len(lines)].id if lines else None
    pid = pids[k % len(pids)]
    at = datetime(2026, 4, 10, tzinfo=UTC)
    if op == "accrue":
        pay.accrue(eid, by="sam", at=at)
    elif op == "decline":
        pay.vary_fee(eid, pid, cap_pence=None, reason="benefits", by="sam", at=at)
    elif op == "reduce":
        pay.vary_fee(eid, pid, cap_pence=k * 997, reason="lower", by="sam", at=at)
    elif op == "claim":
        pay.claim_expense(eid, pid, category="travel", amount_pence=100 + k, receipt=f"R{k}", by="sam", at=at)
    elif op == "approve_all":  # two approvers: the four-eyes amount is £0
        for approver in ("lee", "ana"):
            open_ = [x.id for x in pay.lines(engagement=eid) if x.status == "accrued"]
            if open_:
                pay.approve(open_, by=approver, allow_over_budget=True, at=at)
    elif op == "issue_all":
        pay.issue([x.id for x in lines if x.status == "approved"], route="bank_transfer", by="kim", at=at)
    elif pick is None:
        return
    elif op in ("approve", "approve2", "approve_self"):
        approver = {"approve": "lee", "approve2": "ana", "approve_self": "sam"}[op]
        pay.approve([pick], by=approver, allow_over_budget=True, at=at)
    elif op == "issue":
        pay.issue([pick], route="bank_transfer", by="kim", at=at)
    elif op == "reverse":
        pay.reverse(pick, reason="correction", by="lee", at=at)
    elif op == "reconcile":
        issued = [x for x in lines if x.status == "issued"]
        if issued:
            x = issued[k % len(issued)]
            group = sum(y.amount_pence for y in lines if y.reference == x.reference and y.status == "issued")
            text = f"date,amount,reference,payee\n2026-04-11,{group // 100}.{group % 100:02d},{x.reference},p\n"
            pay.reconcile(text, name="s.csv", account="acc", at=at)


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow]
)
@given(
    people=st.integers(1, 3),
    attended=st.lists(st.lists(st.integers(0, 2), max_size=3), min_size=1, max_size=3),
    ops=st.lists(st.tuples(st.sampled_from(OPS), st.integers(0, 400)), max_size=12),
    more=st.lists(st.tuples(st.sampled_from(OPS), st.integers(0, 400)), max_size=8),
)
def test_invariants_hold_for_any_sequence_of_commands(
    app: PanelApp,
    location: StoreLocation,
    people: int,
    attended: list[list[int]],
    ops: list[tuple[str, int]],
    more: list[tuple[str, int]],
) -> None:
    eid, pids = setup(app, people, attended)
    pay = Payments(app)
    pipeline = [("approve_all", 0), ("issue_all", 0), ("reconcile", 0), ("reconcile", 1)]  # reach every stage
    for op, k in [("accrue", 0), *ops, *pipeline, *more]:
        before = app.recorder.max_notification_id()
        try:
            step(pay, eid, pids, op, k)
        except PanelError:  # refused (four-eyes, wrong state, duplicate receipt): nothing at all is recorded
            assert app.recorder.max_notification_id() == before, f"a refused {op} recorded events"
    folded = sorted(pay.lines(engagement=eid), key=lambda x: x.id)
    engine = make_engine(location)
    try:
        assert sorted(stream_ledger_lines(app, engine, engagement=eid), key=lambda x: x.id) == folded
    finally:
        engine.dispose()
    t = totals(folded)
    assert t.accrued == t.approved + t.pending and t.reconciled <= t.issued <= t.approved
    for x in folded:  # four-eyes, amount £0: two approvers other than the creator, neither of them the issuer
        if x.status in ("approved", "issued", "reconciled"):
            assert x.approved_by and x.approved_by != x.created_by
            first = [h["by"] for h in pay.payment(x.id).history if h["status"] == "first approval"]
            assert len(first) == 1 and first[0] not in (x.approved_by, x.created_by)
            issuers = [h["by"] for h in pay.payment(x.id).history if h["status"] == "issued"]
            assert not set(issuers) & {first[0], x.approved_by}
    for i, pid in enumerate(pids):  # fees from the attendance alone: a full day is the rate, a half day half of it
        days = sorted(set(attended[i % len(attended)]))
        expected = sum(35001 if day != 1 else 17501 for day in days)  # the half day's odd penny rounds up
        fees = [x for x in folded if x.participant_id == pid and x.kind == "involvement_fee"]
        assert sum(x.gross_pence for x in fees) == expected, (days, fees)
        assert sorted(x.earned_on for x in fees) == [DAYS[day] for day in days]
    assert sum(totals([x for x in folded if x.participant_id == pid]).accrued for pid in pids) == t.accrued
    for x in folded:
        assert not any(isinstance(v, float) for v in x.__dict__.values())
        assert x.amount_pence <= x.gross_pence and (x.status != "declined" or x.amount_pence == 0)
