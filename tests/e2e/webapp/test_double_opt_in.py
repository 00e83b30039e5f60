"""Double opt-in, on SQLite and PostgreSQL: an online application through a campaign that gave an email
address stays out of every draw's pool until the address is confirmed; a phone-only applicant does not
wait; a draw's verification judges confirmation as the history stood at the draw."""

from __future__ import annotations

import re
from datetime import timedelta

from panel.application import PanelApp
from panel.confirmations import Confirmations
from panel.domain.engagement import Engagement
from panel.draws.history import current_position
from panel.draws.pool_builder import UNCONFIRMED, build_pool
from panel.importer import import_csv
from panel.queries import Queries
from tests.e2e.webapp.conftest import DURING
from tests.e2e.webapp.test_apply_http import GOOD, csrf_of, post

DRAW_AT = DURING + timedelta(days=20)


def standing(app: PanelApp, ref_prefix: str = "APP-", position: int | None = None) -> dict[str, str | None]:
    """Each applicant's phone number and why they are out of the pool (None: in it)."""
    engagement = app.resolve_engagement("vested-youth-panel")
    snapshot = build_pool(app, app.load(engagement, Engagement), DRAW_AT, features=["age_band"], position=position)
    found = {}
    for person in Queries(app).participants():
        if person.ref.startswith(ref_prefix):
            phone = Queries(app).participant(person.id).personal.phone or "-"
            found[phone] = snapshot.standings[person.id].reason
    return found


def test_an_applicant_is_drawn_only_once_their_email_is_confirmed(client_at, outbox, campaign_app: PanelApp) -> None:  # type: ignore[no-untyped-def]
    client = client_at()
    assert post(client, GOOD).status_code == 303
    assert post(client, {**GOOD, "email": "", "phone": "07700 900456"}).status_code == 303  # phone only
    assert standing(campaign_app) == {"+447700900123": UNCONFIRMED, "+447700900456": None}
    before_confirming = current_position(campaign_app)
    (message,) = outbox.sent
    token = re.search(r"https://testserver/confirm/(\S+)", message.body).group(1)  # type: ignore[union-attr]
    page = client.get(f"/confirm/{token}")
    assert client.post(f"/confirm/{token}", data={"csrf_token": csrf_of(page.text)}).status_code == 200
    assert standing(campaign_app) == {"+447700900123": None, "+447700900456": None}
    # as the history stood before the confirmation (what verifying an earlier draw rebuilds): still out
    assert standing(campaign_app, position=before_confirming)["+447700900123"] == UNCONFIRMED


def test_a_confirmation_after_the_draw_does_not_count_for_it(client_at, outbox, campaign_app: PanelApp) -> None:  # type: ignore[no-untyped-def]
    assert post(client_at(), GOOD).status_code == 303
    (person,) = Queries(campaign_app).participants()
    Confirmations(campaign_app).confirm(person.id, at=DRAW_AT + timedelta(hours=1))
    assert standing(campaign_app) == {"+447700900123": UNCONFIRMED}


def test_imported_and_staff_entered_people_need_no_confirmation(campaign_app: PanelApp, tmp_path) -> None:  # type: ignore[no-untyped-def]
    rows = tmp_path / "people.csv"
    rows.write_text(
        "ref,channel,registered_at,name,email,phone,age_band,consent_contact,consent_panel_membership\n"
        f"IMP-1,online,{DURING.date().isoformat()},Ana,ana@example.org,07700 900789,18-21,v3,v3\n",
        encoding="utf-8",
    )
    import_csv(campaign_app, rows)
    assert standing(campaign_app, "IMP-") == {"+447700900789": None}
