"""The web service's campaign cache: the same details as a fresh read, re-read as soon as anything behind them
changes, and not replayed while nothing does. On SQLite and PostgreSQL."""

from __future__ import annotations

from typing import Any

import pytest

from panel.application import PanelApp
from panel.campaign_cache import CampaignCache
from panel.campaigns import CampaignNotFoundError, Campaigns
from panel.domain.engagement import engagement_id
from panel.engagements import Engagements
from tests.e2e.webapp.conftest import open_example_campaign


def counting(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    reads: list[str] = []
    versioned = Campaigns.versioned

    def spy(self: Campaigns, slug: str) -> Any:
        reads.append(slug)
        return versioned(self, slug)

    monkeypatch.setattr(Campaigns, "versioned", spy)
    return reads


def test_unchanged_details_are_not_read_again(campaign_app: PanelApp, monkeypatch: pytest.MonkeyPatch) -> None:
    reads, cache = counting(monkeypatch), CampaignCache(campaign_app)
    first = cache.get("youth-2026")
    assert first == Campaigns(campaign_app).get("youth-2026")
    assert [cache.get("youth-2026") for _ in range(5)] == [first] * 5
    assert reads == ["youth-2026", "youth-2026"]  # the cache's one read, and the comparison's own


def test_a_change_to_the_engagement_is_read_at_once(campaign_app: PanelApp, monkeypatch: pytest.MonkeyPatch) -> None:
    reads, cache = counting(monkeypatch), CampaignCache(campaign_app)
    cache.get("youth-2026")
    Engagements(campaign_app).close_engagement(engagement_id("vested-youth-panel"), "done")
    assert cache.get("youth-2026") == Campaigns(campaign_app).get("youth-2026")
    assert reads.count("youth-2026") == 3  # read again after the change, then the comparison


def test_each_campaign_is_kept_apart_and_unknown_slugs_are_not_kept(campaign_app: PanelApp) -> None:
    open_example_campaign(campaign_app, "youth-2027")
    cache = CampaignCache(campaign_app, size=1)
    assert cache.get("youth-2026").slug == "youth-2026"
    assert cache.get("youth-2027").slug == "youth-2027"
    assert cache.get("youth-2026").slug == "youth-2026"
    assert list(cache.entries) == ["youth-2026"]  # at most ``size`` kept
    with pytest.raises(CampaignNotFoundError):
        cache.get("no-such-campaign")
    assert "no-such-campaign" not in cache.entries
