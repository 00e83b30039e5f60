"""Who each web request acts for, on SQLite and PostgreSQL: a signed-in staff member's entry is recorded as
theirs, a partner's referral as partner:NAME, an application as the applicant's; events written outside
any request (here, by the test itself) have no actor."""

from __future__ import annotations

from datetime import timedelta

from panel.application import PanelApp
from panel.audit_log import AuditLog, LogFilter
from panel.partners import Partners
from panel.staff import Staff
from tests.e2e.webapp.conftest import DURING
from tests.e2e.webapp.test_apply_http import GOOD, post
from tests.e2e.webapp.test_partner_api import REFERRAL, send
from tests.e2e.webapp.test_staff import PASSWORD, PHONE_ENTRY, enter, sign_in


def actors(app: PanelApp, participant_ref: str) -> set[str | None]:
    where = LogFilter(participant_id=app.resolve_participant(participant_ref))
    return {e.actor for e in AuditLog(app).entries(where)}


def test_each_request_records_who_it_acted_for(client_at, campaign_app: PanelApp) -> None:  # type: ignore[no-untyped-def]
    Staff(campaign_app).add("amy.khan", "recruiter", PASSWORD, by="sam.lee", at=DURING - timedelta(days=1))
    _, token = Partners(campaign_app).add("youth-link", by="sam.lee")
    client = client_at()
    assert sign_in(client).status_code == 303
    entered = enter(client, PHONE_ENTRY)
    assert entered.status_code == 303, entered.text
    staff_ref = entered.headers["location"].rpartition("=")[2]
    assert actors(campaign_app, staff_ref) == {"amy.khan"}

    referred = send(client_at(), REFERRAL, token)
    assert referred.status_code == 201, referred.text
    assert actors(campaign_app, "YL-0042") == {"partner:youth-link"}

    applied = post(client_at(), {**GOOD, "email": "bo@example.org"})
    assert applied.status_code == 303, applied.text
    everything = AuditLog(campaign_app).entries(LogFilter())
    registered = [e for e in everything if e.event == "Registered" and e.aggregate == "Participant"]
    assert [e.actor for e in registered] == ["amy.khan", "partner:youth-link", "applicant"]
    assert {e.actor for e in everything if e.aggregate in ("Engagement", "Campaign", "StaffAccount")} == {None}
