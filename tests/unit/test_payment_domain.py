"""Payment aggregate rules, and ledger invariants for any sequence of operations (hypothesis)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any
from uuid import UUID, uuid4

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from panel.domain.errors import PanelError, ValidationError
from panel.payments import ledger
from panel.payments.domain.payment import FourEyesError, Payment
from panel.payments.domain.values import PaymentStateError
from panel.payments.rules import load_thresholds
from panel.payments.totals import person_totals

AT = datetime(2026, 3, 11, 9, tzinfo=UTC)
ONE_APPROVER = 10**9  # a four-eyes amount above every line: one approval is enough
PEOPLE = [uuid4() for _ in range(3)]
ENGAGEMENTS = [uuid4() for _ in range(2)]


def new_line(
    kind: str = "involvement_fee", amount: int = 35000, person: int = 0, engagement: int = 0, by: str = "sam"
) -> Payment:
    extra: dict[str, Any] = {"expense": {"receipt": "R1"}, "voucher": {"voucher_code": "V1"}}.get(kind, {})
    return Payment.accrue(
        id=uuid4(),
        engagement_id=ENGAGEMENTS[engagement],
        engagement_ref=f"e{engagement}",
        participant_id=PEOPLE[person],
        participant_ref=f"P{person}",
        kind=kind,
        category={"expense": "travel", "voucher": "voucher"}.get(kind, "day"),
        earned_on=date(2026, 3, 2),
        quantity="1 day",
        gross_pence=amount,
        created_by=by,
        at=AT,
        **extra,
    )


def approve(line: Payment, by: str, above: int = 0, budget_code: str | None = None) -> bool:
    return line.approve(by=by, four_eyes_above_pence=above, budget_code=budget_code, over_budget=False, at=AT)


def test_above_the_four_eyes_amount_two_approvers_other_than_the_creator_are_needed() -> None:
    line = new_line(amount=35000, by="sam")
    with pytest.raises(FourEyesError, match="created by sam, who cannot also approve it"):
        approve(line, "Sam")
    assert approve(line, "lee") is False  # the first of two approvals, recorded
    assert (line.status, line.first_approved_by) == ("accrued", "lee")
    with pytest.raises(FourEyesError, match="was already approved once by lee .* ask a second approver"):
        approve(line, " LEE ")
    assert approve(line, "ana", budget_code="CE-1") is True
    assert (line.status, line.budget_code) == ("approved", "CE-1")
    assert [(e.__class__.__name__, getattr(e, "by", None)) for e in line.collect_events()][1:] == [
        ("FirstApproved", "lee"),
        ("Approved", "ana"),
    ]


def test_at_or_below_the_amount_one_approver_is_enough() -> None:
    small = new_line(amount=2000, by="sam")
    assert approve(small, "sam", above=2000) is True and small.status == "approved"


@pytest.mark.parametrize("issuer", ["lee", "Ana", "sam-the-approver"])
def test_whoever_approved_a_payment_cannot_issue_it(issuer: str) -> None:
    line = new_line(amount=35000, by="sam")
    approve(line, "lee")
    approve(line, "ana" if issuer != "sam-the-approver" else "sam-the-approver")
    with pytest.raises(FourEyesError, match="who cannot also issue it"):
        line.issue(route="bank_transfer", reference="PP-1", batch_ref=None, by=issuer, at=AT)
    line.issue(route="bank_transfer", reference="PP-1", batch_ref=None, by="kim", at=AT)
    assert line.status == "issued"
    single = new_line(amount=1000, by="sam")
    approve(single, "lee", above=5000)
    with pytest.raises(FourEyesError, match="approved by lee, who cannot also issue it"):
        single.issue(route="bank_transfer", reference="PP-2", batch_ref=None, by="lee", at=AT)


def test_lifecycle_order_is_enforced_and_reversal_needs_a_reason() -> None:
    line = new_line()
    with pytest.raises(PaymentStateError, match="cannot be issued: it is accrued"):
        line.issue(route="bank_transfer", reference="PP-1", batch_ref=None, by="kim", at=AT)
    approve(line, "lee", above=ONE_APPROVER)
    with pytest.raises(ValidationError, match="vouchers go by --route voucher"):
        line.issue(route="voucher", reference="PP-1", batch_ref=None, by="kim", at=AT)
    with pytest.raises(ValidationError, match="--reason is empty"):
        line.reverse(reason=" ", by="lee", at=AT)
    line.reverse(reason="wrong day", by="lee", at=AT)
    with pytest.raises(PaymentStateError):
        line.reverse(reason="again", by="lee", at=AT)


def test_expenses_need_a_known_category_and_a_receipt() -> None:
    with pytest.raises(ValidationError, match="unknown expense category"):
        Payment.accrue(
            id=uuid4(),
            engagement_id=uuid4(),
            engagement_ref="e",
            participant_id=uuid4(),
            participant_ref="P",
            kind="expense",
            category="lunch",
            earned_on=date(2026, 3, 2),
            quantity="1",
            gross_pence=100,
            created_by="sam",
            at=AT,
            receipt="R",
        )
    with pytest.raises(ValidationError, match="--receipt is empty"):
        new_line(kind="expense").__class__.accrue(
            id=uuid4(),
            engagement_id=uuid4(),
            engagement_ref="e",
            participant_id=uuid4(),
            participant_ref="P",
            kind="expense",
            category="travel",
            earned_on=date(2026, 3, 2),
            quantity="1",
            gross_pence=100,
            created_by="sam",
            at=AT,
        )


def test_a_redeemed_voucher_cannot_be_cancelled() -> None:
    v = new_line(kind="voucher", amount=2500)
    approve(v, "lee", above=ONE_APPROVER)
    v.issue(route="voucher", reference="GV-1", batch_ref=None, by="kim", at=AT)
    v.mark_redeemed(at=AT)
    with pytest.raises(PaymentStateError, match="already redeemed"):
        v.cancel_voucher(reason="lost", by="lee", at=AT)


# -- invariants for any sequence of operations -------------------------------------------------
LIVE = ("accrued", "approved", "issued", "reconciled")
lines_st = st.lists(
    st.tuples(
        st.sampled_from(["involvement_fee", "expense", "voucher"]),
        st.integers(1, 500_000),
        st.integers(0, 2),
        st.integers(0, 1),
    ),
    min_size=1,
    max_size=8,
)
ops_st = st.lists(
    st.tuples(
        st.sampled_from(
            [
                "approve_self",
                "approve",
                "approve2",
                "issue",
                "issue_by_approver",
                "reconcile",
                "reverse",
                "decline",
                "reduce",
                "redeem",
                "cancel",
            ]
        ),
        st.integers(0, 7),
        st.integers(0, 500_000),
    ),
    max_size=40,
)


def expected_ok(op: str, m: dict[str, Any], arg: int) -> bool:
    s = m["status"]
    return {
        "approve_self": False if s == "accrued" and m["amount"] > 0 else s == "accrued",
        "approve": s == "accrued" and m["first"] != "lee",
        "approve2": s == "accrued" and m["first"] != "ana",
        "issue": s == "approved",
        "issue_by_approver": False,
        "reconcile": s == "issued",
        "reverse": s in ("accrued", "declined", "approved", "issued", "reconciled"),
        "decline": s in ("accrued", "approved"),
        "reduce": s in ("accrued", "approved") and 0 < arg < m["amount"],
        "redeem": m["kind"] == "voucher" and m["voucher"] is None and s in ("issued", "reconciled"),
        "cancel": m["kind"] == "voucher" and m["voucher"] is None and s in LIVE,
    }[op]


def run(op: str, p: Payment, arg: int) -> None:
    route = "voucher" if p.kind == "voucher" else "bank_transfer"
    {
        "approve_self": lambda: p.approve(
            by="sam", four_eyes_above_pence=0, budget_code=None, over_budget=False, at=AT
        ),
        "approve": lambda: p.approve(by="lee", four_eyes_above_pence=0, budget_code=None, over_budget=False, at=AT),
        "approve2": lambda: p.approve(by="ana", four_eyes_above_pence=0, budget_code=None, over_budget=False, at=AT),
        "issue": lambda: p.issue(route=route, reference=f"PP-{p.id.hex[:8]}", batch_ref="B1", by="kim", at=AT),
        "issue_by_approver": lambda: p.issue(
            route=route, reference="PP-X", batch_ref=None, by=p.approved_by or p.first_approved_by or "lee", at=AT
        ),
        "reconcile": lambda: p.reconcile(
            account="a",
            statement_line="k",
            statement_date=date(2026, 3, 21),
            amount_pence=p.amount_pence,
            matched_by="reference",
            at=AT,
        ),
        "reverse": lambda: p.reverse(reason="correction", by="lee", at=AT),
        "decline": lambda: p.decline(reason="benefits", by="sam", at=AT),
        "reduce": lambda: p.reduce(amount_pence=arg, reason="lower", by="sam", at=AT),
        "redeem": lambda: p.mark_redeemed(at=AT),
        "cancel": lambda: p.cancel_voucher(reason="unused", by="lee", at=AT),
    }[op]()


def apply_model(op: str, m: dict[str, Any], arg: int) -> None:
    if op in ("approve", "approve2") and m["amount"] > 0 and m["first"] is None:
        m["first"] = "lee" if op == "approve" else "ana"  # the first of two approvals: still accrued
        return
    new = {
        "approve_self": "approved",
        "approve": "approved",
        "approve2": "approved",
        "issue": "issued",
        "reconcile": "reconciled",
        "reverse": "reversed",
        "decline": "declined",
        "cancel": "cancelled",
    }.get(op)
    if new:
        m["status"] = new
    if op == "decline":
        m["amount"] = 0
    if op == "reduce":
        m["amount"] = arg
    if op in ("redeem", "cancel"):
        m["voucher"] = "redeemed" if op == "redeem" else "cancelled"


def assert_no_float(value: Any, where: str) -> None:
    assert not isinstance(value, float), where
    if isinstance(value, dict):
        for k, v in value.items():
            assert_no_float(v, f"{where}.{k}")
    elif isinstance(value, (list, tuple)):
        for v in value:
            assert_no_float(v, where)


@settings(max_examples=300, deadline=None)
@given(specs=lines_st, ops=ops_st)
def test_ledger_invariants_hold_for_any_sequence_of_operations(
    specs: list[tuple[str, int, int, int]], ops: list[tuple[str, int, int]]
) -> None:
    payments = [new_line(kind, amount, person, engagement) for kind, amount, person, engagement in specs]
    model = [
        {"status": "accrued", "amount": p.amount_pence, "kind": p.kind, "voucher": None, "first": None}
        for p in payments
    ]
    for op, index, arg in ops:
        p, m = payments[index % len(payments)], model[index % len(payments)]
        ok = expected_ok(op, m, arg)
        try:
            run(op, p, arg)
        except PanelError:
            assert not ok, f"{op} was refused but should have worked on {m}"
            continue
        assert ok, f"{op} worked but should have been refused on {m}"
        apply_model(op, m, arg)

    rows: dict[UUID, dict[str, Any]] = {}
    for p in payments:
        events = p.collect_events()
        replayed = None
        for e in events:
            assert_no_float(e.__dict__, type(e).__qualname__)
            ledger.apply(rows, e)
            replayed = e.mutate(replayed)
        assert (replayed.status, replayed.amount_pence) == (p.status, p.amount_pence)  # type: ignore[union-attr]
    lines = [ledger.to_line(r) for r in rows.values()]
    for line, p, m in zip(
        sorted(lines, key=lambda x: [q.id for q in payments].index(x.id)), payments, model, strict=False
    ):
        assert (line.status, line.amount_pence) == (p.status, p.amount_pence) == (m["status"], m["amount"])
        assert_no_float(rows[line.id], "row")

    for eid in ENGAGEMENTS:
        t = ledger.totals(line for line in lines if line.engagement_id == eid)
        mine = [m for m, p in zip(model, payments, strict=False) if p.engagement_id == eid and m["status"] in LIVE]
        assert t.accrued == sum(m["amount"] for m in mine) == t.approved + t.pending
        assert t.reconciled <= t.issued <= t.approved
        assert t.issued == sum(m["amount"] for m in mine if m["status"] in ("issued", "reconciled"))
        assert all(isinstance(v, int) for v in t.__dict__.values())
    for pid in PEOPLE:
        theirs = [line for line in lines if line.participant_id == pid]
        t = ledger.totals(theirs)
        assert t.accrued == sum(line.live_amount() for line in theirs) == t.income + t.expenses
        yearly = [x for x in person_totals(lines, load_thresholds(), participant=pid) if x.period == "tax_year"]
        assert sum(x.income_pence for x in yearly) == t.income
    folded = ledger.totals(())  # pay export folds its groups a line at a time: the same totals as all at once
    for line in lines:
        folded = ledger.add_totals(folded, ledger.totals((line,)))
    assert folded == ledger.totals(lines)
