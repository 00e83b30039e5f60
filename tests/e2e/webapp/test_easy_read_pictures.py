"""Easy Read pictures, on SQLite and PostgreSQL (Starlette's TestClient): each paragraph the Easy Read copy names a
picture for is shown beside it (decorative, alt="", its size set) on the form, one thing per page, the "we have
your form" page and the closed page; the plain English pages of the same campaign have no pictures at all."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest

from panel.application import PanelApp
from panel.campaigns import Campaigns
from tests.e2e.webapp.conftest import CLOSES, EXAMPLES, OPENS
from tests.e2e.webapp.test_apply_http import GOOD, csrf_of
from web.copies import load_copy

EASY = load_copy("en-easyread")
PICTURE = re.compile(r'<div class="pictured"><img class="pictured__picture" src="/static/pictures/(\w+)\.svg" alt="" '
                     r'width="64" height="64"><(\w+)[^>]*>([^<]*)')  # fmt: skip


def open_campaigns(app: PanelApp, layout: str = "single-page") -> None:
    for slug, language in (("youth-easy", "en-easyread"), ("youth-plain", "en")):
        Campaigns(app).open(
            slug=slug, engagement="vested-youth-panel", opens=OPENS, closes=CLOSES, language=language,
            questions=EXAMPLES / "questions.csv", notice=EXAMPLES / "notice-v3.md", phone="0113 496 0000",
            address="Youth Health Panel, PO Box 123, Leeds, LS1 1AA", layout=layout,
        )  # fmt: skip


def pictures(html: str) -> list[tuple[str, str]]:
    """(picture, the start of the words beside it) for every pictured paragraph of a page."""
    return [(name, text.strip()) for name, _, text in PICTURE.findall(html)]


def test_the_easy_read_form_pairs_its_paragraphs_with_pictures_and_the_plain_form_has_none(
    client_at, campaign_app: PanelApp
) -> None:  # type: ignore[no-untyped-def]
    open_campaigns(campaign_app)
    client = client_at()
    easy, plain = client.get("/apply/youth-easy").text, client.get("/apply/youth-plain").text
    words = EASY["apply"]
    assert pictures(easy) == [
        ("person", words["intro"]), ("phone", words["about_you_hint"]), ("question", words["questions_hint"]),
        ("tick", words["consent_hint"]),
    ]  # fmt: skip
    assert easy.count("<img") == 4 and '<div class="hint" id="consent-hint">' in easy  # the hint keeps its id
    assert "<img" not in plain and "pictured" not in plain
    for name, _ in pictures(easy):
        svg = client.get(f"/static/pictures/{name}.svg")
        assert svg.status_code == 200 and svg.headers["content-type"].startswith("image/svg+xml")
        assert svg.text.startswith("<svg") and "<script" not in svg.text


def test_the_easy_read_done_and_closed_pages_have_pictures_and_the_plain_ones_none(
    client_at, campaign_app: PanelApp
) -> None:  # type: ignore[no-untyped-def]
    open_campaigns(campaign_app)
    client = client_at()
    sent = client.post("/apply/youth-easy", data={**GOOD, "csrf_token": csrf_of(client.get("/apply/youth-easy").text)})
    assert sent.status_code == 303
    done = client.get("/apply/youth-easy/done").text
    assert pictures(done) == [("envelope", EASY["done"]["body"]), ("phone", EASY["done"]["next_body"])]
    assert "<img" not in client.get("/apply/youth-plain/done").text
    late = client_at(datetime(2026, 3, 20, 10, 0, tzinfo=UTC))
    closed = late.get("/apply/youth-easy").text
    assert [name for name, _ in pictures(closed)] == ["calendar", "phone", "house"]
    assert '<a href="tel:01134960000">0113 496 0000</a>' in closed  # what is said after the words stays
    assert "<img" not in late.get("/apply/youth-plain").text


@pytest.mark.parametrize("slug", ["youth-easy", "youth-plain"])
def test_one_thing_per_page_shows_the_same_pictures_on_its_pages(client_at, campaign_app: PanelApp, slug) -> None:  # type: ignore[no-untyped-def]
    open_campaigns(campaign_app, layout="one-per-page")
    first = client_at().get(f"/apply/{slug}").text
    expected = [("person", EASY["apply"]["intro"])] if slug == "youth-easy" else []
    assert pictures(first) == expected and first.count("<img") == len(expected)
