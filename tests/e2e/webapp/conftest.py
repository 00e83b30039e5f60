"""A store with an engagement and an open campaign, and the web service over it (Starlette's TestClient)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime

import pytest

from panel.application import PanelApp
from panel.campaigns import Campaigns
from panel.config import StoreLocation
from panel.engagements import Engagements
from panel.outbox import MemoryOutbox
from panel.queries import Queries
from tests.helpers.paths import ROOT

EXAMPLES = ROOT / "examples" / "campaign"
OPENS, CLOSES = date(2026, 3, 1), date(2026, 3, 14)
DURING = datetime(2026, 3, 5, 10, 0, tzinfo=UTC)


def open_example_campaign(app: PanelApp, slug: str = "youth-2026") -> None:
    if "vested-youth-panel" not in {e.ref for e in Queries(app).engagements()}:
        Engagements(app).open_engagement(
            name="Vested youth panel", ref="vested-youth-panel", purpose="Shape youth services", kind="involve",
            sessions=[date(2026, 4, 2)], day_rate_pence=35000, at=datetime(2026, 2, 1, tzinfo=UTC),
        )  # fmt: skip
    Campaigns(app).open(
        slug=slug, engagement="vested-youth-panel", opens=OPENS, closes=CLOSES,
        questions=EXAMPLES / "questions.csv", notice=EXAMPLES / "notice-v3.md",
        phone="0113 496 0000", address="Youth Health Panel, PO Box 123, Leeds, LS1 1AA",
    )  # fmt: skip


@pytest.fixture
def campaign_app(app: PanelApp) -> PanelApp:
    open_example_campaign(app)
    return app


@pytest.fixture
def outbox() -> MemoryOutbox:
    return MemoryOutbox()


@pytest.fixture
def client_at(
    campaign_app: PanelApp, outbox: MemoryOutbox, location: StoreLocation
) -> Iterator[Callable[[datetime], object]]:
    """``client_at(moment)``: a TestClient (over https, so the Secure cookie is sent) whose clock says ``moment``."""
    from starlette.testclient import TestClient

    from projections.connection import make_engine
    from web.app import create_app
    from web.settings import WebSettings

    clients, engines = [], []

    def make(
        moment: datetime = DURING,
        env: dict[str, str] | None = None,
        clock: Callable[[], datetime] | None = None,
        views: bool = False,
    ) -> TestClient:
        """``env`` overrides the web settings; by default the minimum fill time is off, because these tests post
        hand-built forms at one instant of a fixed clock (test_abuse_limits.py tests it, with a clock that moves).
        ``views``: the service reads payment lines from the ledger view, as `panel serve` does."""
        settings = WebSettings.from_store(campaign_app, env if env is not None else {"PANEL_WEB_MIN_FILL_SECONDS": "0"})
        engine = make_engine(location) if views else None
        engines.extend([engine] if engine else [])
        web = create_app(campaign_app, settings, clock=clock or (lambda: moment), outbox=outbox, views=engine)
        client = TestClient(web, base_url="https://testserver", follow_redirects=False)
        clients.append(client)
        return client

    yield make
    for client in clients:
        client.close()
    for engine in engines:
        engine.dispose()
