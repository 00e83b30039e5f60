"""`panel participant update --email` (staff) on SQLite and PostgreSQL: the new address finds the person in the
email index and the old one no longer does; an address another participant confirmed is refused in one line,
exit 1, nothing written, unless --add-duplicate (and then the one who confirmed it keeps it)."""

from __future__ import annotations

from datetime import UTC, datetime
from uuid import UUID

from panel.application import PanelApp
from panel.config import StoreLocation
from panel.confirmations import Confirmations
from panel.email_index import EmailIndex
from panel.queries import Queries
from panel.registration import Registration
from panel.validation import SignUp
from tests.helpers.store import table_rows

T0 = datetime(2026, 3, 1, 9, tzinfo=UTC)


def confirmed(app: PanelApp, ref: str, email: str) -> UUID:
    signup = SignUp(ref=ref, source="campaign.t", channel="online", personal={"name": f"Person {ref}", "email": email})
    pid = Registration(app).register(signup, refuse_duplicate=True, note_email=True)
    assert Confirmations(app).confirm(pid, T0)
    return pid


def test_update_email_moves_the_index_and_refuses_a_confirmed_address(  # type: ignore[no-untyped-def]
    app: PanelApp, location: StoreLocation, panel
) -> None:
    ann, bo = confirmed(app, "A", "ann@example.org"), confirmed(app, "B", "bo@example.org")
    index = EmailIndex(app)

    updated = panel("participant", "update", "campaign.t:A", "--email", "ann.new@example.org")
    assert updated.out.strip() == "Updated A"
    assert index.owner("ann@example.org") is None
    assert index.confirmed_owner("ann.new@example.org") == ann

    before = table_rows(location)
    refused = panel("participant", "update", "campaign.t:A", "--email", "bo@example.org", code=1)
    assert refused.err.strip() == (
        f"Error: participant {bo} already confirmed this email address: check with `panel participant show {bo}`, "
        "or pass --add-duplicate to record it anyway"
    )
    assert table_rows(location) == before

    panel("participant", "update", "campaign.t:A", "--email", "bo@example.org", "--add-duplicate")
    assert Queries(app).participant(ann).personal.email == "bo@example.org"
    assert index.confirmed_owner("bo@example.org") == bo  # a change by staff is not a confirmation
    assert index.owner("ann.new@example.org") is None
