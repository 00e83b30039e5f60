"""Finding a payment through the ledger view (``projections.ledger.PaymentFinder``, what `panel pay show|reverse`
and the other commands naming payments use) answers as reading the stored events does (``Payments.resolve``
without ``matching``, as it was): references in any case and with spaces around, shared references (one
transfer), re-issued payments, id prefixes with and without their dashes, unknown references, texts that
cannot start an id, references beyond ASCII (which SQL's lower() folds otherwise than Python's); on SQLite and
PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from uuid import UUID

import pytest
from sqlalchemy.engine import Engine

from panel.application import PanelApp
from panel.config import StoreLocation
from panel.payments import Payments
from panel.payments.domain.values import PaymentStateError
from projections.connection import make_engine
from projections.ledger import PaymentFinder
from tests.helpers.varied_ledger import issue, varied_ledger


@pytest.fixture
def engine(location: StoreLocation) -> Iterator[Engine]:
    made = make_engine(location)
    yield made
    made.dispose()


def answer(pay: Payments, text: str, **how: object) -> UUID | str:
    try:
        return pay.resolve(text, **how)  # type: ignore[arg-type]
    except PaymentStateError as refused:
        return str(refused)


def texts(pay: Payments) -> list[str]:
    lines = pay.lines()
    refs = sorted({p.reference for p in lines if p.reference})
    ids = [str(p.id) for p in lines[::5]]
    return [
        *refs, *(r.lower() for r in refs), *(f"  {r.upper()} " for r in refs),
        *(i[:n] for i in ids for n in (7, 8, 9, 12, 13, 14, 20, 35)), *(i.replace("-", "") for i in ids),
        *(i[:8] + "0" for i in ids), *(i[:8] + i[9:12] for i in ids), *(i[:8].upper() for i in ids),
        "", "   ", "PP-0000", "PP-REISSUED", "pp-custom 7", "---", "--", "0" * 8, "zzzzzzzz", "12345678-1234-",
    ]  # fmt: skip


def test_the_view_finds_what_the_stored_events_find(app: PanelApp, engine: Engine) -> None:
    varied_ledger(app)
    pay = Payments(app)
    finder = PaymentFinder(app, engine)
    asked = texts(pay)
    answers = {text: answer(pay, text) for text in asked}
    assert {text: answer(pay, text, matching=finder) for text in asked} == answers
    found = [a for a in answers.values() if isinstance(a, UUID)]
    refused = [a for a in answers.values() if isinstance(a, str)]
    assert len(found) > 40 and any("one transfer" in a for a in refused) and any("no payment" in a for a in refused)


def test_references_beyond_ascii_are_found_as_python_lowers_them(app: PanelApp, engine: Engine) -> None:
    """The Kelvin sign lowers to an ASCII k in Python (so ``pp-k9`` names both transfers below), a dotted capital
    I to i and a combining dot (so ``pp-id-...`` names none), a final capital sigma to a final small sigma, and
    ß stays itself (so ``STRASSE`` names nothing); a reference of Latin-1 letters, one of letters beyond."""
    mine = varied_ledger(app)
    pay = Payments(app)
    kelvin, ascii_k9, kelvin_k9 = mine["VES-006"][4:7]
    issue(pay, [kelvin], "2026-03-22", reference="PP-\u212aELVIN")
    issue(pay, [ascii_k9], "2026-03-22", reference="PP-K9")
    issue(pay, [kelvin_k9], "2026-03-22", reference="pp-\u212a9")
    strasse, dotted = mine["VES-002"][5:7]  # approved already
    pay.issue([strasse], route="bank_transfer", by="kim", reference="Straße-ÄÖ")
    pay.issue([dotted], route="bank_transfer", by="kim", reference="PP-İD-ΟΔΟΣ")
    finder = PaymentFinder(app, engine)
    asked = [
        "pp-kelvin", "PP-KELVIN", "pp-\u212aelvin", "pp-k9", "PP-\u212a9", "straße-äö", "STRAßE-ÄÖ", "STRASSE-ÄÖ",
        "pp-i\u0307d-οδος", "PP-İD-ΟΔΟΣ", "pp-id-οδος", "PP-ID-ΟΔΟΣ", "pp-i\u0307d-οδοσ", *texts(pay),
    ]  # fmt: skip
    answers = {text: answer(pay, text) for text in asked}
    assert {text: answer(pay, text, matching=finder) for text in asked} == answers
    assert answers["PP-KELVIN"] == kelvin and "2 payments" in str(answers["pp-k9"])
    assert answers["STRAßE-ÄÖ"] == strasse and "no payment" in str(answers["STRASSE-ÄÖ"])
    assert answers["PP-İD-ΟΔΟΣ"] == dotted
    assert all("no payment" in str(answers[t]) for t in ("pp-id-οδος", "PP-ID-ΟΔΟΣ", "pp-i\u0307d-οδοσ"))


def test_the_view_is_brought_up_to_date_before_it_is_searched(app: PanelApp, engine: Engine) -> None:
    mine = varied_ledger(app)
    finder = PaymentFinder(app, engine)
    pay = Payments(app)
    assert answer(pay, "PP-LATER", matching=finder) == answer(pay, "PP-LATER")
    pay.approve(mine["VES-006"][5:6], by="lee")
    pay.issue(mine["VES-006"][5:6], route="bank_transfer", by="kim", reference="PP-LATER")
    assert PaymentFinder(app, engine)("pp-later") == [mine["VES-006"][5]]


def test_the_views_approved_total_is_the_folds(app: PanelApp, engine: Engine) -> None:
    """``pay approve``'s budget check reads the engagement's approved total from the view (``approved_pence``):
    the same figure as folding every payment event, as the ledger moves through approvals, a reversal, a
    re-issue and a reconciliation, and for an engagement with no payments."""
    from uuid import uuid4

    from panel.payments import ledger
    from projections.ledger import approved_pence

    mine = varied_ledger(app)
    pay = Payments(app)
    eid = app.repository.get(mine["VES-001"][0]).engagement_id
    fold = ledger.totals(pay.lines(engagement=eid)).approved
    assert fold > 0 and approved_pence(app, engine, eid) == fold
    pay.reverse(mine["VES-002"][5], reason="not owed", by="lee")  # approved, not issued: leaves the total
    after = ledger.totals(pay.lines(engagement=eid)).approved
    assert after < fold and approved_pence(app, engine, eid) == after
    other = uuid4()  # an engagement with no payments
    assert approved_pence(app, engine, other) == 0 == ledger.totals(pay.lines(engagement=other)).approved
