"""The privacy notice and the consent checkboxes are one block (web/templates/_notice_consents.html) on both layouts,
on SQLite and PostgreSQL: the single page shows it under its h2 (the notice's title h3, its headings h4), one thing
per page under the consent page's h1 (h2 and h3); apart from those levels the markup is the same, with errors too."""

from __future__ import annotations

import re
from typing import Any

from tests.e2e.webapp.test_apply_http import csrf_of
from tests.e2e.webapp.test_one_per_page import PAGES, SLUG, on_page, post_page
from tests.e2e.webapp.test_one_per_page import steps_app as steps_app  # noqa: F401 - the fixture

BLOCK = re.compile(r'<div class="notice" id="notice">.*?</fieldset>\s*</div>', re.S)


def block(page: str) -> str:
    (found,) = BLOCK.findall(page)
    return re.sub(r"\s+", " ", found)


def levels(html: str) -> list[str]:
    return re.findall(r"<(h\d) ", html)


def consent_page(client: Any, **answers: Any) -> str:
    """The one-thing-per-page consent page, reached by answering the pages before it (or with ``answers`` sent)."""
    page = client.get(f"/apply/{SLUG}")
    for name, given in PAGES[:-1]:
        page = post_page(client, page.text, at=name, go="next", **given)
    assert on_page(page) == "consent"
    if answers:
        page = post_page(client, page.text, at="consent", go="next", **answers)
    return str(page.text)


def test_both_layouts_show_one_notice_and_consent_block_at_their_own_heading_levels(client_at, steps_app) -> None:  # type: ignore[no-untyped-def]
    client = client_at()
    single, steps = block(client.get("/apply/youth-2026").text), block(consent_page(client))
    assert levels(single)[:2] == ["h3", "h4"] and set(levels(single)) == {"h3", "h4"}
    assert levels(steps)[:2] == ["h2", "h3"] and set(levels(steps)) == {"h2", "h3"}
    assert re.sub(r"h(\d)", lambda m: f"h{int(m.group(1)) - 1}", single) == steps
    assert "How we use your information" in steps and 'id="consent-contact"' in steps


def test_both_layouts_show_a_consent_error_the_same_way(client_at, steps_app) -> None:  # type: ignore[no-untyped-def]
    client = client_at()
    token = csrf_of(client.get("/apply/youth-2026").text)
    single = client.post("/apply/youth-2026", data={"name": "Sam Patel", "email": "sam@example.org",
                                                     "consent": ["panel_membership"], "csrf_token": token})  # fmt: skip
    steps = consent_page(client, consent=["panel_membership"])
    assert single.status_code == 400
    one, other = block(single.text), block(steps)
    assert 'class="form-group form-group--error"' in one and 'id="consent-contact-error"' in one
    assert "checked" in one and re.sub(r"h(\d)", lambda m: f"h{int(m.group(1)) - 1}", one) == other
