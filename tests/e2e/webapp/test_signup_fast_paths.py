"""The sign-up's fast paths keep its behaviour, on SQLite and PostgreSQL.

- The per-email count is taken inside the sign-up's own transaction: a sign-up refused by it leaves neither a
  count nor an event; one let through leaves exactly one count with its events.
- The campaign cache's one freshness query sees a change made by another process (its own connections).
- The blank application form is rendered once per campaign, rendered again when the campaign's details differ,
  and carries each visitor's own CSRF token (escaped) and start time.
"""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import timedelta
from typing import Any

import pytest
from starlette.requests import Request
from starlette.testclient import TestClient

from panel.application import PanelApp
from panel.campaign_cache import CampaignCache
from panel.campaign_values import Answers
from panel.campaigns import Campaigns
from panel.config import StoreLocation
from panel.domain.engagement import engagement_id
from panel.engagements import Engagements
from panel.queries import Queries
from panel.store.opening import open_store
from panel.store.rate_counts import RateLimitedError
from panel.validation import CheckedSignUp
from tests.e2e.webapp.conftest import DURING
from tests.e2e.webapp.test_apply_http import GOOD, csrf_of
from tests.helpers.store import table_rows

WINDOW = timedelta(days=1)
COOKIE = "__Host-panel_csrf"  # the clients speak https: secure cookies


def signup(app: PanelApp, email: str) -> CheckedSignUp:
    campaigns = Campaigns(app)
    answers = Answers(
        personal={"name": "Sam Patel", "email": email, "postcode": "LS6 1AA"},
        attributes={"age_band": "18-21", "gender": "prefer_not_to_say"},
        consents=("contact", "panel_membership"),
    )
    prepared = campaigns.prepare(campaigns.get("youth-2026"), answers, at=DURING)
    assert isinstance(prepared, CheckedSignUp), prepared
    return prepared


def test_a_sign_up_over_the_email_limit_leaves_no_count_and_no_events(
    campaign_app: PanelApp, location: StoreLocation
) -> None:
    counts, campaigns = campaign_app.rate_counts, Campaigns(campaign_app)
    counting = counts.taking("email", "key-of-sam", DURING, 2, WINDOW)
    before = table_rows(location, counts=True)
    first = campaigns.register(signup(campaign_app, "sam@example.org"), note_email=True, counting=counting)
    after_one = table_rows(location, counts=True)
    assert after_one["panel_rate_counts"] == before["panel_rate_counts"] + 1  # counted with the sign-up
    assert table_rows(location) != {k: n for k, n in before.items() if k != "panel_rate_counts"}  # and its events
    assert counts.take("email", "key-of-sam", DURING, 2, WINDOW) is None  # the second of two
    full = table_rows(location, counts=True)
    with pytest.raises(RateLimitedError) as refused:
        campaigns.register(signup(campaign_app, "sam@example.org"), note_email=True, counting=counting)
    assert timedelta(0) < refused.value.wait <= WINDOW + timedelta(seconds=1)
    assert table_rows(location, counts=True) == full  # no count, no event, no key, no email index row
    assert [p.id for p in Queries(campaign_app).participants()] == [first]


def test_a_source_is_noted_once_and_only_by_a_sign_up_that_was_kept(
    campaign_app: PanelApp, monkeypatch: pytest.MonkeyPatch
) -> None:
    counts, campaigns, keys = campaign_app.rate_counts, Campaigns(campaign_app), campaign_app.keys
    source = signup(campaign_app, "sam@example.org").source
    assert source not in keys.sources()
    assert counts.take("email", "key-of-sam", DURING, 1, WINDOW) is None  # the one allowed, used up
    full = counts.taking("email", "key-of-sam", DURING, 1, WINDOW)
    with pytest.raises(RateLimitedError):
        campaigns.register(signup(campaign_app, "sam@example.org"), note_email=True, counting=full)
    assert source not in keys.sources() and source not in keys.noted_sources  # rolled back with the sign-up
    campaigns.register(signup(campaign_app, "sam@example.org"), note_email=True)
    assert source in keys.sources() and source in keys.noted_sources  # noted with the one that was kept
    noted: list[set[str]] = []
    noting = type(keys).noting_sources

    def spy(self: Any, names: Any) -> Any:
        noted.append(set(names))
        return noting(self, names)

    monkeypatch.setattr(type(keys), "noting_sources", spy)
    campaigns.register(signup(campaign_app, "alex@example.org"), note_email=True)
    assert noted == []  # known to this process: not noted again
    assert len(Queries(campaign_app).participants()) == 2


def test_the_cache_sees_a_change_made_by_another_process(campaign_app: PanelApp, location: StoreLocation) -> None:
    other = open_store(location)  # another serving process: its own connections
    try:
        cache = CampaignCache(campaign_app)
        before = cache.get("youth-2026")
        assert cache.get("youth-2026") is before  # nothing moved: the details kept
        Engagements(other).update_engagement(engagement_id("vested-youth-panel"), target_size=12, at=DURING)
        assert cache.get("youth-2026") is not before  # read again: the engagement moved on in the other process
        again = cache.get("youth-2026")
        assert cache.get("youth-2026") is again
    finally:
        other.close()


def request_with(cookie: str) -> Request:
    headers = [(b"cookie", f"{COOKIE}={cookie}".encode())]
    return Request({"type": "http", "method": "GET", "path": "/", "headers": headers, "query_string": b""})


def blank(client: TestClient) -> Any:
    return client.app.app.app.state.site  # type: ignore[attr-defined]  # SecurityHeaders(Actors(Starlette))


def test_the_blank_form_is_rendered_again_when_the_campaign_changes(client_at, campaign_app: PanelApp) -> None:  # type: ignore[no-untyped-def]
    from web.apply import blank_context, form

    site = blank(client_at())
    campaign = Campaigns(campaign_app).get("youth-2026")
    page = site.render_blank_form(
        request_with("c" * 43), "apply.html", campaign, "123.abc", lambda: blank_context(campaign)
    )
    full = form(site, request_with("c" * 43), campaign, started="123.abc")
    assert page.body == full.body  # the same page as rendering it whole
    renamed = replace(campaign, engagement_name="Young people's health panel")
    again = site.render_blank_form(
        request_with("c" * 43), "apply.html", renamed, "123.abc", lambda: blank_context(renamed)
    )
    assert "Young people&#39;s health panel" in again.body.decode()
    assert again.body == form(site, request_with("c" * 43), renamed, started="123.abc").body


def test_the_form_reads_its_campaign_once_per_request(client_at, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    client, reads = client_at(), []
    get = CampaignCache.get

    def spy(self: CampaignCache, slug: str) -> Any:
        reads.append(slug)
        return get(self, slug)

    monkeypatch.setattr(CampaignCache, "get", spy)
    page = client.get("/apply/youth-2026")
    assert page.status_code == 200 and reads == ["youth-2026"]  # one look at the store per form, not two
    assert client.post("/apply/youth-2026", data={**GOOD, "csrf_token": csrf_of(page.text)}).status_code == 303
    assert reads == ["youth-2026"] * 2  # and one per application


def test_the_csrf_token_in_the_cached_form_is_each_visitors_own(client_at) -> None:  # type: ignore[no-untyped-def]
    sam, alex = client_at(), client_at()
    tokens = [csrf_of(c.get("/apply/youth-2026").text) for c in (sam, alex, sam)]
    assert tokens[0] != tokens[1] and tokens[0] == tokens[2]  # per visitor (cookie), from one cached page
    assert sam.cookies.get(COOKIE) != alex.cookies.get(COOKIE)
    refused = alex.post("/apply/youth-2026", data={**GOOD, "csrf_token": tokens[0]})
    assert refused.status_code == 403  # another visitor's token does not fit this cookie
    assert sam.post("/apply/youth-2026", data={**GOOD, "csrf_token": tokens[0]}).status_code == 303


def test_the_cached_form_escapes_what_it_fills_in(client_at, campaign_app: PanelApp) -> None:  # type: ignore[no-untyped-def]
    site = blank(client_at())
    campaign = Campaigns(campaign_app).get("youth-2026")
    from web.apply import blank_context

    page = site.render_blank_form(
        request_with("d" * 43), "apply.html", campaign, '"><script>x</script>', lambda: blank_context(campaign)
    ).body.decode()
    assert "<script>x" not in page
    assert re.search(r'name="started" value="&#34;&gt;&lt;script&gt;x&lt;/script&gt;"', page)


def test_known_attribute_names_are_not_read_again_and_new_ones_are_noted(
    campaign_app: PanelApp, location: StoreLocation, monkeypatch: pytest.MonkeyPatch
) -> None:
    from panel.catalogue import AttributeNames
    from panel.registration import Registration
    from panel.validation import SignUp

    def person(ref: str, **attributes: str) -> SignUp:
        return SignUp(ref=ref, channel="online", personal={"name": "Sam Patel"}, attributes=attributes)

    def register(app: PanelApp, signup: SignUp) -> int:
        """How many times registering ``signup`` read the catalogue."""
        reads: list[int] = []
        load = AttributeNames.load
        with monkeypatch.context() as m:
            m.setattr(AttributeNames, "load", lambda self: reads.append(1) or load(self))
            Registration(app).register(signup)
        return len(reads)

    def noted(name: str) -> int:
        return [n for n, *_ in AttributeNames(campaign_app).noted()].count(name)

    assert register(campaign_app, person("r1", age_band="18-21")) == 1  # notes age_band
    assert register(campaign_app, person("r2", age_band="18-21")) == 1  # reads it back, and remembers it
    assert register(campaign_app, person("r3", age_band="22-25")) == 0  # nothing new: not read again
    assert noted("age_band") == 1
    other = open_store(location)  # another process notes a name the first has not seen
    try:
        register(other, person("r4", hobby="chess"))
    finally:
        other.close()
    assert register(campaign_app, person("r5", hobby="darts", pets="cat")) == 1  # a name it did not know
    assert (noted("hobby"), noted("pets")) == (1, 1)  # each noted once, by whoever saw it first
    assert register(campaign_app, person("r6", hobby="go", pets="dog")) == 1  # pets: noted, not yet read back
    assert register(campaign_app, person("r7", hobby="go", pets="dog")) == 0
