"""A campaign chooses the words of its pages: an Easy Read campaign's /apply pages, errors, closed page,
"we have your form" page and confirmation email use web/copy/en-easyread.toml; a plain one uses en.toml.
On SQLite and PostgreSQL (the ``app`` fixture), through Starlette's TestClient."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from panel.application import PanelApp
from panel.campaigns import Campaigns
from panel.outbox import MemoryOutbox
from tests.e2e.webapp.conftest import CLOSES, EXAMPLES, OPENS
from tests.e2e.webapp.test_apply_http import GOOD, csrf_of
from web.copies import load_copy

PLAIN, EASY = load_copy("en"), load_copy("en-easyread")
AFTER = datetime(2026, 3, 20, 10, 0, tzinfo=UTC)


@pytest.fixture
def easy(campaign_app: PanelApp) -> PanelApp:
    """Beside the plain campaign youth-2026, an Easy Read one for the same engagement."""
    Campaigns(campaign_app).open(
        slug="youth-easy", engagement="vested-youth-panel", opens=OPENS, closes=CLOSES,
        questions=EXAMPLES / "questions.csv", notice=EXAMPLES / "notice-v3.md", language="en-easyread",
        phone="0113 496 0000",
    )  # fmt: skip
    return campaign_app


def test_an_easy_read_form_shows_the_easy_read_words_and_a_plain_one_the_standard_words(client_at, easy) -> None:  # type: ignore[no-untyped-def]
    client = client_at()
    easy_page, plain_page = client.get("/apply/youth-easy"), client.get("/apply/youth-2026")
    assert easy_page.status_code == plain_page.status_code == 200
    for page, words, other in ((easy_page.text, EASY, PLAIN), (plain_page.text, PLAIN, EASY)):
        assert '<html lang="en">' in page  # Easy Read is English
        assert f"<title>{words['apply']['title']}: Vested youth panel - {words['site']['name']}</title>" in page
        for key in ("intro", "submit", "questions_hint", "consent_hint"):
            assert words["apply"][key] in page and other["apply"][key] not in page, key
        assert page.count(words["apply"]["prefer_not"]) == 3
        assert words["consent_purposes"]["panel_membership"] in page
    assert "Ask to take part" in easy_page.text and "Apply to take part" not in easy_page.text


def test_easy_read_errors_closed_and_done_pages_and_email(client_at, easy, outbox: MemoryOutbox) -> None:  # type: ignore[no-untyped-def]
    client = client_at()
    token = csrf_of(client.get("/apply/youth-easy").text)
    wrong = client.post("/apply/youth-easy", data={"email": "not-an-email", "csrf_token": token})
    assert wrong.status_code == 400
    assert f"<title>{EASY['site']['error_prefix']}: {EASY['apply']['title']}" in wrong.text
    assert EASY["apply"]["error_summary"] in wrong.text and EASY["field_errors"]["email"] in wrong.text
    assert PLAIN["field_errors"]["email"] not in wrong.text

    sent = client.post("/apply/youth-easy", data={**GOOD, "csrf_token": token})
    assert sent.status_code == 303 and sent.headers["location"] == "/apply/youth-easy/done"
    done = client.get("/apply/youth-easy/done")
    assert EASY["done"]["title"] in done.text and EASY["done"]["body"] in done.text
    assert PLAIN["done"]["body"] not in done.text
    (mail,) = outbox.sent
    assert mail.subject == EASY["email"]["confirm_subject"] != PLAIN["email"]["confirm_subject"]
    assert "Please tell us this is your email address." in mail.body and "/confirm/" in mail.body

    closed, plain_closed = client_at(AFTER).get("/apply/youth-easy"), client_at(AFTER).get("/apply/youth-2026")
    assert EASY["closed"]["title_closed"] in closed.text and PLAIN["closed"]["title_closed"] not in closed.text
    assert PLAIN["closed"]["title_closed"] in plain_closed.text


def test_a_welsh_campaign_is_served_in_welsh_when_its_copy_file_exists(client_at, campaign_app, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """The mechanism for cy, shown with a stand-in file (a real cy.toml must come from a Welsh speaker)."""
    from web import copies

    stand_in = {**PLAIN, "apply": {**PLAIN["apply"], "title": "STAND-IN FOR WELSH TITLE"}}
    real_load = copies.load_copy
    monkeypatch.setattr(
        "web.site.load_copy", lambda language="en": stand_in if language == "cy" else real_load(language)
    )
    Campaigns(campaign_app).open(
        slug="youth-cy", engagement="vested-youth-panel", opens=OPENS, closes=CLOSES,
        questions=EXAMPLES / "questions.csv", notice=EXAMPLES / "notice-v3.md", language="cy", phone="0113 496 0000",
    )  # fmt: skip
    page = client_at().get("/apply/youth-cy")
    assert '<html lang="cy">' in page.text and "STAND-IN FOR WELSH TITLE" in page.text
    assert '<html lang="en">' in client_at().get("/apply/youth-2026").text
