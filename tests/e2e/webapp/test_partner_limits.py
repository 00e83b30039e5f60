"""The partner API's rate limit per partner, over HTTP on SQLite and PostgreSQL: past
PANEL_WEB_LIMIT_PER_PARTNER requests in an hour a partner gets 429 with Retry-After and nothing is
written; another partner is not held back, and the window slides."""

from __future__ import annotations

from datetime import timedelta

from panel.application import PanelApp
from panel.config import StoreLocation
from panel.partners import Partners
from panel.queries import Queries
from tests.e2e.webapp.conftest import DURING
from tests.e2e.webapp.test_abuse_limits import Clock
from tests.e2e.webapp.test_partner_api import REFERRAL, send
from tests.helpers.store import table_rows


def test_a_partner_over_its_limit_is_told_to_wait(client_at, campaign_app: PanelApp, location: StoreLocation) -> None:  # type: ignore[no-untyped-def]
    _, busy = Partners(campaign_app).add("youth-link", by="sam.lee")
    _, other = Partners(campaign_app).add("gp-practice", by="sam.lee")
    clock = Clock(DURING)
    client = client_at(env={"PANEL_WEB_LIMIT_PER_PARTNER": "2"}, clock=clock)
    assert send(client, {**REFERRAL, "reference": "YL-1"}, busy).status_code == 201
    clock.moment = DURING + timedelta(minutes=10)
    assert send(client, b"{not json", busy).status_code == 400  # a refused request counts too
    before = table_rows(location)
    clock.moment = DURING + timedelta(minutes=20)
    refused = send(client, {**REFERRAL, "reference": "YL-2", "email": "b@example.org"}, busy)
    assert refused.status_code == 429 and refused.json()["error"]["code"] == "too_many"
    assert refused.headers["retry-after"] == str(40 * 60 + 1)  # until the first request leaves the hour
    assert table_rows(location) == before and len(Queries(campaign_app).participants()) == 1
    assert send(client, {**REFERRAL, "reference": "GP-1", "email": "c@example.org"}, other).status_code == 201
    clock.moment = DURING + timedelta(hours=1, seconds=1)
    assert send(client, {**REFERRAL, "reference": "YL-2", "email": "b@example.org"}, busy).status_code == 201


def test_the_limit_is_checked_after_the_token(client_at, campaign_app: PanelApp) -> None:  # type: ignore[no-untyped-def]
    _, made = Partners(campaign_app).add("youth-link", by="sam.lee")
    client = client_at(env={"PANEL_WEB_LIMIT_PER_PARTNER": "1"})
    assert send(client, REFERRAL, "youth-link.wrong").status_code == 401  # a stranger uses up nothing
    assert send(client, REFERRAL, made).status_code == 201
    assert send(client, {**REFERRAL, "reference": "YL-9"}, made).status_code == 429
