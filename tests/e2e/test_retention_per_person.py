"""Retention reads payments one person at a time, from the ledger view, in the order they were accrued.

On SQLite and PostgreSQL: the plan `panel retention plan` prints is the plan of the rules over every
person's payments folded from the whole log at once (the way it was read until issue 15), reasons in
the same order; the service asks for each person's payments once and never folds the whole ledger;
an older store whose ledger view lacks ``accrued_position`` is refused in one line until `panel init`
adds the column and rebuilds the view.
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from typing import Any
from uuid import UUID

import pytest
from sqlalchemy import select

from panel.application import PanelApp
from panel.config import StoreLocation
from panel.engagements import Engagements
from panel.participation import Participation
from panel.payments import Payments
from panel.payments.ledger import LedgerLine
from panel.registration import Registration
from panel.retention import Retention, policy_from
from panel.validation import ConsentSpec, SignUp
from projections import Projector
from projections.connection import make_engine
from projections.ledger import LedgerView, PersonLedger

AS_OF = datetime(2027, 6, 1, tzinfo=UTC)


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def several_payments(app: PanelApp) -> dict[str, UUID]:
    """R-MANY has six expenses over two engagements, accrued in turn and settled in another order."""
    consents = tuple(ConsentSpec(p, "v1", "online", "self", at("2024-01-10")) for p in ("contact", "panel_membership"))
    ids = {
        ref: Registration(app).register(SignUp(ref=ref, channel="online", consents=consents, at=at("2024-01-10")))
        for ref in ("R-MANY", "R-NONE", "R-ONE", "R-GONE")
    }
    engagements = [
        Engagements(app).open_engagement(
            name=ref,
            ref=ref,
            purpose="p",
            kind="consult",
            sessions=[date(2024, 2, 1)],
            day_rate_pence=5000,
            at=at("2024-01-12"),
        )  # fmt: skip
        for ref in ("travel", "health")
    ]
    pay = Payments(app)
    many = [
        pay.claim_expense(engagements[n % 2], ids["R-MANY"], category="travel", amount_pence=100 + n,
                          receipt=f"bus {n}", by="sam", spent_on=date(2024, 2, 1), at=at(f"2024-02-0{n + 1}"))
        for n in range(6)
    ]  # fmt: skip
    one = pay.claim_expense(engagements[0], ids["R-ONE"], category="travel", amount_pence=500, receipt="bus",
                            by="sam", spent_on=date(2024, 2, 1), at=at("2024-02-08"))  # fmt: skip
    for n, pid in enumerate([many[4], one, many[1], many[5], many[0]]):  # settled out of accrual order
        pay.approve([pid], by="lee", at=at(f"2024-03-0{n + 1}"))
        pay.approve([pid], by="ana", at=at(f"2024-03-0{n + 1}"))  # the second pair of eyes
        pay.issue([pid], route="bank_transfer", by="kim", at=at(f"2024-03-0{n + 1}"))
    Participation(app).erase(ids["R-GONE"], "asked", erased_by="dpo")
    return ids


def folded_at_once(app: PanelApp) -> dict[UUID, list[LedgerLine]]:
    """Every person's lines, from one fold of every payment event (how retention read them before)."""
    found: dict[UUID, list[LedgerLine]] = {}
    for line in Payments(app).lines():
        found.setdefault(line.participant_id, []).append(line)
    return found


def test_one_persons_lines_come_in_the_order_the_ledger_folds_them(app: PanelApp, location: StoreLocation) -> None:
    ids = several_payments(app)
    engine = make_engine(location)
    try:
        person = PersonLedger(app, engine)
        for pid in ids.values():
            assert person(pid) == Payments(app).lines(participant=pid)
        assert len(person(ids["R-MANY"])) == 6
        assert [line.id for line in person(ids["R-MANY"])] != sorted(line.id for line in person(ids["R-MANY"]))
    finally:
        engine.dispose()


def test_the_plan_is_the_plan_over_the_whole_ledger_folded_at_once(
    app: PanelApp, location: StoreLocation, panel: Any
) -> None:
    several_payments(app)
    shown = json.loads(panel("retention", "plan", "--as-of", AS_OF.date().isoformat(), "--json").out)
    everyone = folded_at_once(app)
    before = Retention(app, policy_from({}), lambda pid: everyone.get(pid, [])).plan(AS_OF).as_json()
    assert {k: v for k, v in shown.items() if k in before} == before
    (many,) = [row for row in shown["kept"] if row["participant"] == "R-MANY"]
    assert len(many["kept_because"]) == 6
    assert shown["already_erased"] == 1


def test_the_service_reads_each_person_once_and_never_the_whole_ledger(
    app: PanelApp, location: StoreLocation, monkeypatch: pytest.MonkeyPatch
) -> None:
    ids = several_payments(app)
    engine = make_engine(location)
    asked: list[UUID] = []
    person = PersonLedger(app, engine)

    def payments_of(pid: UUID) -> list[LedgerLine]:
        asked.append(pid)
        return person(pid)

    def whole_ledger(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("retention folded every payment at once")

    monkeypatch.setattr(Payments, "lines", whole_ledger)
    try:
        plan = Retention(app, policy_from({}), payments_of).plan(AS_OF)
    finally:
        engine.dispose()
    assert asked == [ids[ref] for ref in ("R-MANY", "R-NONE", "R-ONE")]  # registration order; not the erased
    assert [d.ref for d in plan.kept] == ["R-MANY", "R-ONE"]


def test_an_older_ledger_view_is_refused_until_panel_init_rebuilds_it(
    app: PanelApp, location: StoreLocation, panel: Any
) -> None:
    ids = several_payments(app)
    engine = make_engine(location)
    try:
        Projector(app, engine, views=[LedgerView]).catch_up()
        table = Projector(app, engine, views=[LedgerView]).tables("ledger")["lines"]
        with engine.begin() as conn:  # the view as an older version made it
            conn.exec_driver_sql(f'ALTER TABLE "{table.name}" DROP COLUMN accrued_position')
        for args in (("retention", "plan"), ("pay", "export", "--by", "route", "--lines")):
            ran = panel(*args, code=1)
            assert ran.out == ""
            assert ran.err.count("\n") == 1
            assert "accrued_position missing): run `panel init`" in ran.err
        assert "Rebuilt the ledger view to fill the columns this version added (done once)" in panel("init").out
        assert "Rebuilt" not in panel("init").out  # once
        table = Projector(app, engine, views=[LedgerView]).tables("ledger")["lines"]
        with engine.connect() as conn:
            positions = list(conn.scalars(select(table.c.accrued_position)))
        assert len(positions) == 7 and None not in positions
        assert PersonLedger(app, engine)(ids["R-MANY"]) == Payments(app).lines(participant=ids["R-MANY"])
        panel("retention", "plan")
    finally:
        engine.dispose()
