"""`panel init` puts people who confirmed their email address before the email index existed into it, on SQLite
and PostgreSQL: a store whose index rows are gone (as before panel/email_index.py) gets a row for each confirmed
applicant, erased and unconfirmed people stay out, an address two people confirmed goes to the earlier one, and a
second `panel init` adds nothing."""

from __future__ import annotations

from datetime import UTC, datetime
from uuid import UUID

from panel.application import PanelApp
from panel.confirmations import Confirmations
from panel.email_index import EmailIndex, duplicate_holder
from panel.participation import Participation
from panel.registration import Registration
from panel.validation import ConsentSpec, SignUp

T0 = datetime(2026, 3, 1, 9, tzinfo=UTC)
ADDRESSES = {"A": "ann@example.org", "B": "bo@example.org", "C": "cy@example.org", "D": "di@example.org"}
ADDRESSES["E"] = ADDRESSES["A"].upper()  # the same address as A (the index folds case), confirmed after A


def signup(ref: str, email: str) -> SignUp:
    consents = tuple(ConsentSpec(p, "v3", "online", "self", T0) for p in ("contact", "panel_membership"))
    personal = {"name": f"Person {ref}", "email": email, "postcode": "LS6 1AA"}
    return SignUp(ref=ref, channel="online", personal=personal, attributes={}, consents=consents, at=T0,
                  source="campaign.youth-2026")  # fmt: skip


def index_rows(app: PanelApp) -> list[bytes]:
    return sorted(app.keys.setting_values("email:"))


def before_the_index(app: PanelApp) -> dict[str, UUID]:
    """A, B, C and E confirmed, D did not, C is erased; then every row of the index removed."""
    ids = {ref: Registration(app).register(signup(ref, email)) for ref, email in ADDRESSES.items()}
    for ref in ("A", "B", "C", "E"):
        assert Confirmations(app).confirm(ids[ref], T0)
    Participation(app).erase(ids["C"], "asked to be forgotten")
    index = EmailIndex(app)
    for email in ADDRESSES.values():
        app.keys.drop_setting(f"email:{index.digest(email)}")
    assert index_rows(app) == []
    return ids


def test_init_adds_the_confirmed_applicants_missing_from_the_index_once(app: PanelApp, panel) -> None:  # type: ignore[no-untyped-def]
    ids = before_the_index(app)
    index = EmailIndex(app)
    assert duplicate_holder(app, signup("NEW", ADDRESSES["A"])) is None  # not found: the gap being closed

    first = panel("init")
    assert "Added 2 confirmed applicant(s) to the email index" in first.out  # A and B
    assert index.confirmed_owner(ADDRESSES["A"]) == ids["A"]  # E confirmed the same address later
    assert index.confirmed_owner(ADDRESSES["B"]) == ids["B"]
    assert index.owner(ADDRESSES["C"]) is None and index.owner(ADDRESSES["D"]) is None  # erased; never confirmed
    assert duplicate_holder(app, signup("NEW", ADDRESSES["A"])) == ids["A"]  # every entry path sees them again
    rows = index_rows(app)
    assert len(rows) == 2

    second = panel("init")
    assert "email index" not in second.out
    assert index_rows(app) == rows


def test_init_adds_the_later_holder_once_the_earlier_is_erased(app: PanelApp, panel) -> None:  # type: ignore[no-untyped-def]
    ids = before_the_index(app)
    panel("init")
    Participation(app).erase(ids["A"], "asked to be forgotten")  # their row goes with their key
    assert EmailIndex(app).owner(ADDRESSES["A"]) is None

    again = panel("init")
    assert "Added 1 confirmed applicant(s) to the email index" in again.out
    assert EmailIndex(app).confirmed_owner(ADDRESSES["A"]) == ids["E"]
