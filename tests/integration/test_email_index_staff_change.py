"""A change of email address by staff (`panel participant update --email`) moves the person's row of the email
index to the new address in the transaction that records the change, on SQLite and PostgreSQL (the ``app``
fixture): the old address no longer finds them, the new one does, and a refused change writes nothing."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from uuid import UUID

import pytest

from panel.application import PanelApp
from panel.config import StoreLocation
from panel.confirmations import Confirmations
from panel.email_index import DuplicateEmailError, EmailIndex, duplicate_holder
from panel.queries import Queries
from panel.registration import Registration
from panel.validation import InvalidSignUpError, SignUp
from tests.helpers.store import table_rows

T0 = datetime(2026, 3, 1, 9, tzinfo=UTC)


def online(ref: str, email: str) -> SignUp:
    return SignUp(ref=ref, source="campaign.t", channel="online", personal={"name": f"Person {ref}", "email": email})


def applicant(app: PanelApp, ref: str, email: str, *, confirm: bool = True) -> UUID:
    """An online applicant (their address noted in the index), who confirmed it unless ``confirm`` is False."""
    pid = Registration(app).register(online(ref, email), refuse_duplicate=True, note_email=True)
    if confirm:
        assert Confirmations(app).confirm(pid, T0)
    return pid


def staff_change(app: PanelApp, pid: UUID, email: str, *, add_duplicate: bool = False) -> None:
    """What `panel participant update REF --email ADDRESS [--add-duplicate]` calls."""
    Registration(app).update_personal(
        pid, personal={"email": email}, attributes={}, captured_by="staff", refuse_duplicate=not add_duplicate
    )


def index_rows(app: PanelApp) -> list[bytes]:
    return sorted(app.keys.setting_values("email:"))


def rows_naming(app: PanelApp, pid: UUID) -> int:
    return sum(value[:16] == pid.bytes for value in app.keys.setting_values("email:"))


def test_a_staff_change_moves_the_confirmed_address_and_a_refused_one_writes_nothing(
    app: PanelApp, location: StoreLocation
) -> None:
    ann = applicant(app, "A", "ann@example.org")
    bo = applicant(app, "B", "bo@example.org")
    index = EmailIndex(app)

    staff_change(app, ann, "Ann.New@example.org")
    assert Queries(app).participant(ann).personal.email == "Ann.New@example.org"
    assert index.owner("ann@example.org") is None  # the old address no longer names her
    assert index.confirmed_owner("ann.new@example.org") == ann
    assert rows_naming(app, ann) == 1
    assert duplicate_holder(app, online("X", "ann@example.org")) is None  # a new applicant with the old address
    assert duplicate_holder(app, online("Y", "ann.new@example.org")) == ann  # ... and with the new one: a duplicate
    with pytest.raises(DuplicateEmailError):
        Registration(app).register(online("Y", "ann.new@example.org"), refuse_duplicate=True, note_email=True)
    Registration(app).register(online("X", "ann@example.org"), refuse_duplicate=True, note_email=True)

    before, rows = table_rows(location), index_rows(app)
    with pytest.raises(DuplicateEmailError) as refused:  # Bo confirmed this address: the duplicate rule refuses
        staff_change(app, ann, "BO@example.org")
    assert refused.value.holder == bo
    with pytest.raises(InvalidSignUpError):
        staff_change(app, ann, "not an address")
    assert table_rows(location) == before  # no event
    assert index_rows(app) == rows  # and no row of the index moved
    assert index.confirmed_owner("ann.new@example.org") == ann
    assert index.confirmed_owner("bo@example.org") == bo


def test_an_address_added_anyway_never_displaces_the_confirmed_holder(app: PanelApp) -> None:
    ann = applicant(app, "A", "ann@example.org")
    bo = applicant(app, "B", "bo@example.org")
    staff_change(app, ann, "bo@example.org", add_duplicate=True)  # a shared mailbox, say: staff chose to
    assert Queries(app).participant(ann).personal.email == "bo@example.org"
    assert EmailIndex(app).confirmed_owner("bo@example.org") == bo  # staff typing it is not a confirmation
    assert EmailIndex(app).owner("ann@example.org") is None
    assert rows_naming(app, ann) == 0


def test_an_unconfirmed_applicant_moves_and_a_person_the_index_never_held_stays_out(app: PanelApp) -> None:
    cy = applicant(app, "C", "cy@example.org", confirm=False)
    staff_change(app, cy, "cy.new@example.org")
    assert EmailIndex(app).owner("cy@example.org") is None
    assert EmailIndex(app).owner("cy.new@example.org") == cy
    assert EmailIndex(app).confirmed_owner("cy.new@example.org") is None  # still not confirmed: not a duplicate

    di = Registration(app).register(online("D", "di@example.org"))  # staff-entered or imported: never noted
    staff_change(app, di, "di.new@example.org")
    assert EmailIndex(app).owner("di.new@example.org") is None
    assert rows_naming(app, di) == 0


class Broken(Exception):
    """Raised by the test after the index's statement ran, inside the change's transaction."""


def test_the_row_moves_in_the_transaction_of_the_change(
    app: PanelApp, location: StoreLocation, monkeypatch: pytest.MonkeyPatch
) -> None:
    ann = applicant(app, "A", "ann@example.org")
    moving = EmailIndex.moving

    def then_fail(self: EmailIndex, *args: Any) -> Any:
        statement = moving(self, *args)

        def run(cursor: Any) -> None:
            statement(cursor)
            raise Broken

        return run

    monkeypatch.setattr(EmailIndex, "moving", then_fail)
    before, rows = table_rows(location), index_rows(app)
    with pytest.raises(Broken):
        staff_change(app, ann, "ann.new@example.org")
    assert table_rows(location) == before
    assert index_rows(app) == rows
    assert EmailIndex(app).confirmed_owner("ann@example.org") == ann
    assert Queries(app).participant(ann).personal.email == "ann@example.org"
