"""One thing per page (`panel campaign open --layout one-per-page`) over HTTP, on SQLite and PostgreSQL.

The answers travel sealed in a hidden field; nothing is written until "Check your answers" sends the
application, which then writes what the single page writes. A changed token writes nothing.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from panel.application import PanelApp
from panel.campaigns import Campaigns
from panel.config import StoreLocation
from panel.queries import Queries
from tests.e2e.webapp.conftest import CLOSES, DURING, EXAMPLES, OPENS
from tests.e2e.webapp.test_abuse_limits import Clock
from tests.helpers.store import table_rows

SLUG = "youth-steps"
PAGES = [  # each page in order, with what the applicant answers on it
    ("name", {"name": "Sam Patel"}),
    ("contact", {"email": "sam@example.org", "phone": ""}),
    ("postcode", {"postcode": "ls6 1aa"}),
    ("q-age_band", {"attr.age_band": "18-21", "attr.age_band.describe": ""}),
    ("q-gender", {"attr.gender": "describe", "attr.gender.describe": "genderqueer"}),
    ("q-imd_decile", {"attr.imd_decile": "prefer_not_to_say", "attr.imd_decile.describe": ""}),
    ("consent", {"consent": ["contact", "panel_membership"]}),
]


@pytest.fixture
def steps_app(campaign_app: PanelApp) -> PanelApp:
    Campaigns(campaign_app).open(
        slug=SLUG, engagement="vested-youth-panel", opens=OPENS, closes=CLOSES, questions=EXAMPLES / "questions.csv",
        notice=EXAMPLES / "notice-v3.md", phone="0113 496 0000", layout="one-per-page",
    )  # fmt: skip
    return campaign_app


def hidden(page: str, name: str) -> str:
    found = re.search(rf'name="{name}" value="([^"]*)"', page)
    assert found, page
    return found.group(1)


def on_page(answer: Any) -> str:
    return hidden(answer.text, "at") if 'name="at"' in answer.text else "check"


def post_page(client: Any, page: str, **data: Any) -> Any:
    return client.post(
        f"/apply/{SLUG}/page", data={"csrf_token": hidden(page, "csrf_token"), "carry": hidden(page, "carry"), **data}
    )


def walk(client: Any) -> str:
    """Answer every page; the text of "Check your answers"."""
    page = client.get(f"/apply/{SLUG}")
    for name, answers in PAGES:
        assert on_page(page) == name
        page = post_page(client, page.text, at=name, go="next", **answers)
        assert page.status_code == 200, page.text
    return str(page.text)


def send(client: Any, page: str, **extra: str) -> Any:
    data = {"csrf_token": hidden(page, "csrf_token"), "carry": hidden(page, "carry"), "website": "", **extra}
    return client.post(f"/apply/{SLUG}/check", data=data)


def test_walking_the_pages_records_nothing_until_the_application_is_sent(  # type: ignore[no-untyped-def]
    client_at, steps_app, location: StoreLocation
) -> None:
    assert Campaigns(steps_app).get(SLUG).layout == "one-per-page"
    before, client = table_rows(location), client_at()
    check = walk(client)
    assert "Check your answers" in check and "Sam Patel" in check and "genderqueer" in check
    assert "Prefer not to say" in check and "18 to 21" in check
    assert "sam@example.org" not in hidden(check, "carry") and "Sam" not in hidden(check, "carry")
    assert table_rows(location) == before  # nothing written while walking the pages
    sent = send(client, check)
    assert sent.status_code == 303 and sent.headers["location"] == f"/apply/{SLUG}/done"
    people = [p for p in Queries(steps_app).participants() if p.ref.startswith("APP-")]
    assert len(people) == 1 and people[0].personal.attributes == {
        "age_band": "18-21", "gender": "genderqueer", "imd_decile": "prefer_not_to_say"
    }  # fmt: skip


def test_back_and_change_from_check_your_answers(client_at, steps_app) -> None:  # type: ignore[no-untyped-def]
    client = client_at()
    check = walk(client)
    gender = post_page(client, check, go="q-gender", change="1")  # the "Change" button beside the gender answer
    assert on_page(gender) == "q-gender" and 'value="genderqueer"' in gender.text
    assert re.search(r'name="go" value="check"', gender.text)  # Back goes back to Check your answers
    back = post_page(client, gender.text, go="q-age_band")  # Back, from a page reached in order
    assert on_page(back) == "q-age_band" and 'value="18-21" checked' in back.text
    changed = post_page(client, gender.text, at="q-gender", go="next", change="1", **{"attr.gender": "woman"})
    assert on_page(changed) == "check" and "Woman" in changed.text and "genderqueer" not in changed.text
    assert send(client, changed.text).status_code == 303
    people = [p for p in Queries(steps_app).participants() if p.ref.startswith("APP-")]
    assert [p.personal.attributes["gender"] for p in people] == ["woman"]


def test_an_invalid_answer_is_shown_on_its_own_page(client_at, steps_app, location: StoreLocation) -> None:  # type: ignore[no-untyped-def]
    before, client = table_rows(location), client_at()
    page = client.get(f"/apply/{SLUG}")
    page = post_page(client, page.text, at="name", go="next", name="Sam Patel")
    bad = post_page(client, page.text, at="contact", go="next", email="not-an-email", phone="")
    assert bad.status_code == 400 and on_page(bad) == "contact"
    assert bad.text.count("<title>Error: How can we contact you?") == 1
    summary = bad.text.split('class="error-summary"')[1].split("</div>")[0]
    assert re.findall(r'<a href="#([^"]+)">', summary) == ["email"]  # not the consents of a later page
    assert 'id="email-error"' in bad.text and 'value="not-an-email"' in bad.text
    fixed = post_page(client, bad.text, at="contact", go="next", email="sam@example.org", phone="")
    assert on_page(fixed) == "postcode"
    assert table_rows(location) == before


def test_a_changed_carry_token_is_refused_and_writes_nothing(client_at, steps_app, location: StoreLocation) -> None:  # type: ignore[no-untyped-def]
    client = client_at()
    check = walk(client)
    before = table_rows(location)
    token = hidden(check, "carry")
    flipped = token[:40] + ("A" if token[40] != "A" else "B") + token[41:]
    tampered = check.replace(token, flipped)
    elsewhere = client.post(  # a genuine token, sent to another campaign
        "/apply/youth-2026/check", data={"csrf_token": hidden(check, "csrf_token"), "carry": token}
    )
    for answer in (send(client, tampered), post_page(client, tampered, go="check"), send(client, check, carry="x"),
                   elsewhere):  # fmt: skip
        assert answer.status_code == 400 and "Your answers could not be read" in answer.text
    assert send(client, check, website="http://spam.example").status_code == 400  # the honeypot, as on one page
    twice = client.post(f"/apply/{SLUG}/page", data={"csrf_token": hidden(check, "csrf_token"), "carry": token,
                                                      "go": ["name", "check"]})  # fmt: skip
    assert twice.status_code == 400 and "Your form could not be read" in twice.text
    no_csrf = client.post(f"/apply/{SLUG}/check", data={"carry": token})
    assert no_csrf.status_code == 403
    assert table_rows(location) == before


def test_the_minimum_fill_time_counts_from_the_first_page(client_at, steps_app, location: StoreLocation) -> None:  # type: ignore[no-untyped-def]
    clock = Clock(DURING)
    client, before = client_at(env={}, clock=clock), table_rows(location)  # the default minimum: 3 seconds
    quick = walk(client)  # every page at one instant
    clock.moment = DURING + timedelta(seconds=1)
    refused = send(client, quick)
    assert refused.status_code == 400 and "<title>Please check your answers" in refused.text
    assert table_rows(location) == before
    page = client.get(f"/apply/{SLUG}")
    clock.moment = DURING + timedelta(seconds=10)  # a person reading the first page
    for name, answers in PAGES:
        page = post_page(client, page.text, at=name, go="next", **answers)
    assert send(client, page.text).status_code == 303  # the check page itself was shown a moment ago


def test_staff_preview_the_pages_of_a_campaign_not_open_yet(client_at, steps_app, location: StoreLocation) -> None:  # type: ignore[no-untyped-def]
    early = datetime(2026, 2, 20, 10, 0, tzinfo=UTC)
    client, before = client_at(early), table_rows(location)
    assert "Applications are not open yet" in client.get(f"/apply/{SLUG}").text
    link = Campaigns(steps_app).preview_link(SLUG, "https://testserver", timedelta(days=30))
    page = client.get(link.removeprefix("https://testserver"))
    assert "Preview for staff" in page.text and on_page(page) == "name"
    for name, answers in PAGES:
        page = post_page(client, page.text, at=name, go="next", **answers)
        assert page.status_code == 200 and "Preview for staff" in page.text
    sent = send(client, page.text)
    assert sent.status_code == 409 and "Applications are not open yet" in sent.text  # nothing sent is saved
    assert table_rows(location) == before
