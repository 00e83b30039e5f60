"""One thing per page in a real browser: a campaign opened with `--layout one-per-page`, walked page by page.

Each kind of page (a text question, the grouped contact details with an error, a radio question, the
consents, Check your answers) is checked with axe-core (WCAG 2.2 AA: 0 violations) and for reflow at
320 px. The minimum fill time stays on: it counts from the first page.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from panel.config import StoreLocation
from tests.e2e.browser.conftest import axe_violations, reflows_at_320
from tests.e2e.browser.test_apply_browser import submit
from tests.e2e.webapp.conftest import EXAMPLES
from tests.e2e.webapp.server import serving
from tests.helpers.proc import store_env
from tests.helpers.store import table_rows


def check(browser: Any, artefacts: Any, name: str, location: StoreLocation) -> None:
    assert axe_violations(browser) == [], name
    assert reflows_at_320(browser), f"{name} scrolls sideways at 320 px"
    browser.save_screenshot(str(artefacts / f"{location.dialect}-steps-{name}.png"))


def test_one_thing_per_page_in_a_browser(browser, artefacts, panel, location: StoreLocation, tmp_path) -> None:  # type: ignore[no-untyped-def]
    from selenium.webdriver.common.by import By

    today = datetime.now(UTC).date()
    panel("init")
    panel("engagement", "open", "Vested youth panel", "--ref", "vested-youth-panel", "--type", "involve",
          "--purpose", "Shape youth services", "--session", (today + timedelta(days=30)).isoformat())  # fmt: skip
    panel("campaign", "open", "steps", "--engagement", "vested-youth-panel", "--layout", "one-per-page",
          "--opens", (today - timedelta(days=1)).isoformat(), "--closes", (today + timedelta(days=13)).isoformat(),
          "--questions", str(EXAMPLES / "questions.csv"), "--notice", str(EXAMPLES / "notice-v3.md"),
          "--phone", "0113 496 0000")  # fmt: skip
    env = {**store_env(location), "PANEL_OUTBOX_DIR": str(tmp_path / "outbox")}

    def go_on() -> None:
        submit(browser, browser.find_element(By.CSS_SELECTOR, "button[value=next]"))

    with serving(env) as base:
        before = table_rows(location)
        browser.get(base + "/apply/steps")
        assert browser.title.startswith("What is your full name?: Vested youth panel"), browser.title
        check(browser, artefacts, "name", location)
        browser.find_element(By.ID, "name").send_keys("Sam Patel")
        go_on()
        assert browser.title.startswith("How can we contact you?"), browser.title
        go_on()  # neither an email address nor a phone number
        assert browser.title.startswith("Error: How can we contact you?"), browser.title
        check(browser, artefacts, "contact-error", location)
        browser.find_element(By.ID, "email").send_keys("sam@example.org")
        go_on()
        go_on()  # no postcode: it is optional
        assert browser.title.startswith("How old are you?"), browser.title
        check(browser, artefacts, "question", location)
        browser.find_element(By.CSS_SELECTOR, "label[for=attr-age_band-2]").click()
        go_on()
        submit(browser, browser.find_element(By.CLASS_NAME, "link-button"))  # Back
        assert browser.title.startswith("How old are you?"), browser.title
        assert browser.find_element(By.ID, "attr-age_band-2").is_selected()  # the answer came back with it
        go_on()
        browser.find_element(By.CSS_SELECTOR, "label[for=attr-gender-pnts]").click()
        go_on()
        go_on()  # the deprivation decile: not answered
        assert browser.title.startswith("What you agree to"), browser.title
        check(browser, artefacts, "consent", location)
        for purpose in ("contact", "panel_membership"):
            browser.find_element(By.CSS_SELECTOR, f"label[for=consent-{purpose}]").click()
        go_on()
        assert browser.title.startswith("Check your answers"), browser.title
        check(browser, artefacts, "check", location)
        submit(browser, browser.find_element(By.CSS_SELECTOR, "button[value=q-gender]"))  # Change
        browser.find_element(By.CSS_SELECTOR, "label[for=attr-gender]").click()  # Woman
        go_on()
        assert browser.title.startswith("Check your answers"), browser.title
        assert "Woman" in browser.page_source
        assert table_rows(location) == before  # nothing written until the application is sent
        submit(browser, browser.find_element(By.CSS_SELECTOR, "form[action$='/check'] > button.button"))
        assert browser.title.startswith("Application sent"), browser.title
    assert table_rows(location) != before
