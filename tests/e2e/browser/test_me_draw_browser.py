"""The /me page of a member of an announced draw's pool, with their commitment (issue 14), in a browser.

axe-core (WCAG 2.2 AA) finds 0 violations, and the long salt and hashes reflow at 320 px.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from panel.config import StoreLocation
from panel.draws import Draws
from panel.draws.announce import Announcements
from panel.links import make_token
from panel.queries import Queries
from panel.store.opening import open_store
from tests.e2e.browser.test_apply_browser import check_page
from tests.e2e.webapp.server import serving
from tests.helpers.draw_case import DRAW_AT, populate, quotas
from tests.helpers.proc import store_env


def test_the_me_page_with_a_commitment_in_a_browser(browser, artefacts, panel, location: StoreLocation) -> None:  # type: ignore[no-untyped-def]
    from web.settings import WebSettings

    panel("init")
    app = open_store(location)
    try:
        populate(app)
        Announcements(Draws(app)).announce(
            "vested-youth-panel", 6, quotas(), randomness="the UK Lotto on 2026-02-04", seed=11, reserves=2, at=DRAW_AT
        )
        member = {p.ref: p.id for p in Queries(app).participants()}["V-000"]
        key = WebSettings.from_store(app, {}).signing_key
    finally:
        app.close()
    token = make_token(key, "me", member, datetime.now(UTC) + timedelta(days=1))
    with serving(store_env(location)) as base:
        browser.get(f"{base}/me/{token}")
        assert browser.title.startswith("Your details"), browser.title
        assert "Check you were in a draw" in browser.page_source and member.hex in browser.page_source
        check_page(browser, artefacts, "me-draw-commitment", location)
