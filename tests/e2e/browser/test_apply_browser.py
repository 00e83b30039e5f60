"""The applicant's story in a real browser: a closed campaign, the form, the error summary, a sent application.

Every page is checked with axe-core (WCAG 2.2 AA: 0 violations) and for reflow at 320 px, and
saved as a screenshot.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta
from email import message_from_bytes, policy
from pathlib import Path
from typing import Any

import pytest

from panel.config import StoreLocation
from panel.queries import Queries
from tests.e2e.browser.conftest import axe_violations, reflows_at_320
from tests.e2e.webapp.conftest import EXAMPLES
from tests.e2e.webapp.server import serving
from tests.helpers.proc import store_env
from tests.helpers.store import table_rows


@pytest.fixture
def store(panel) -> None:  # type: ignore[no-untyped-def]
    today = datetime.now(UTC).date()
    panel("init")
    panel("engagement", "open", "Vested youth panel", "--ref", "vested-youth-panel", "--type", "involve",
          "--purpose", "Shape youth services", "--session", (today + timedelta(days=30)).isoformat())  # fmt: skip
    for slug, opens, closes in (("youth", today - timedelta(days=1), today + timedelta(days=13)),
                                ("last-year", today - timedelta(days=400), today - timedelta(days=386))):  # fmt: skip
        panel("campaign", "open", slug, "--engagement", "vested-youth-panel", "--opens", opens.isoformat(),
              "--closes", closes.isoformat(), "--questions", str(EXAMPLES / "questions.csv"),
              "--notice", str(EXAMPLES / "notice-v3.md"), "--phone", "0113 496 0000",
              "--address", "Youth Health Panel, PO Box 123, Leeds, LS1 1AA")  # fmt: skip


def submit(browser: Any, button: Any) -> None:
    """Press a button that sends a form, and wait until the next page has replaced this one and loaded."""
    from selenium.common.exceptions import WebDriverException
    from selenium.webdriver.support.ui import WebDriverWait

    browser.execute_script("window.panelOldPage = true")
    button.click()
    WebDriverWait(browser, 30, ignored_exceptions=(WebDriverException,)).until(
        lambda b: b.execute_script("return window.panelOldPage === undefined && document.readyState === 'complete'")
    )


def check_page(browser: Any, artefacts: Path, name: str, location: StoreLocation) -> None:
    assert axe_violations(browser) == [], name
    assert reflows_at_320(browser), f"{name} scrolls sideways at 320 px"
    browser.save_screenshot(str(artefacts / f"{location.dialect}-{name}.png"))


def test_apply_in_a_browser(browser, artefacts, store, panel, location: StoreLocation, tmp_path) -> None:  # type: ignore[no-untyped-def]
    from selenium.webdriver.common.by import By

    outbox = tmp_path / "outbox"
    # Selenium fills the form faster than a person can, which the minimum fill time is there to refuse
    # (tests/e2e/webapp/test_abuse_limits.py); here it is off.
    env = {**store_env(location), "PANEL_OUTBOX_DIR": str(outbox), "PANEL_WEB_MIN_FILL_SECONDS": "0"}
    with serving(env) as base:
        for name, path, title in (("home", "/", "Take part in health and care decisions"),
                                  ("accessibility", "/accessibility", "Accessibility statement"),
                                  ("closed", "/apply/last-year", "Applications have closed"),
                                  ("api-docs", "/api/docs", "Partner API"),
                                  ("links", "/links", "Get a new link"),
                                  ("not-found", "/apply/nope", "Page not found")):  # fmt: skip
            browser.get(base + path)
            assert browser.title.startswith(title), browser.title
            check_page(browser, artefacts, name, location)

        preview = panel("campaign", "preview", "last-year", "--base-url", base).out.strip()
        browser.get(preview)  # staff see the form of a closed campaign, with a banner
        assert "Preview for staff" in browser.page_source
        check_page(browser, artefacts, "preview", location)

        browser.get(base + "/apply/youth")
        assert browser.title == "Apply to take part: Vested youth panel - Take part in health and care decisions"
        check_page(browser, artefacts, "apply", location)
        before = table_rows(location)
        browser.find_element(By.ID, "email").send_keys("not-an-email")
        submit(browser, browser.find_element(By.CSS_SELECTOR, "button[type=submit]"))
        assert browser.title.startswith("Error: Apply to take part")
        summary = browser.find_element(By.CLASS_NAME, "error-summary")
        links = [a.get_attribute("href").split("#")[1] for a in summary.find_elements(By.TAG_NAME, "a")]
        assert links == ["name", "email", "consent-contact", "consent-panel_membership"]
        check_page(browser, artefacts, "apply-errors", location)
        assert table_rows(location) == before
        summary.find_element(By.LINK_TEXT, "Enter your name").click()  # the link takes them to the field
        assert browser.switch_to.active_element.get_attribute("id") == "name"

        browser.find_element(By.ID, "name").send_keys("Sam Patel")
        email_box = browser.find_element(By.ID, "email")
        email_box.clear()
        email_box.send_keys("sam@example.org")
        browser.find_element(By.CSS_SELECTOR, "label[for=attr-age_band-2]").click()
        browser.find_element(By.CSS_SELECTOR, "label[for=attr-gender-pnts]").click()
        for purpose in ("contact", "panel_membership"):
            browser.find_element(By.CSS_SELECTOR, f"label[for=consent-{purpose}]").click()
        submit(browser, browser.find_element(By.CSS_SELECTOR, "button[type=submit]"))
        assert browser.title.startswith("Application sent"), browser.title
        check_page(browser, artefacts, "done", location)

        (mail,) = outbox.glob("*.eml")  # the confirmation email, with its two personal links
        assert oct(mail.stat().st_mode & 0o777) == "0o600"
        text = message_from_bytes(mail.read_bytes(), policy=policy.default).get_content()
        confirm = re.search(rf"{re.escape(base)}/confirm/\S+", text).group(0)  # type: ignore[union-attr]
        me = re.search(rf"{re.escape(base)}/me/\S+", text).group(0)  # type: ignore[union-attr]
        browser.get(confirm)
        check_page(browser, artefacts, "confirm", location)
        submit(browser, browser.find_element(By.CSS_SELECTOR, "button[type=submit]"))
        assert browser.title.startswith("Email address confirmed")
        check_page(browser, artefacts, "confirmed", location)
        browser.get(me)
        assert "sam@example.org" in browser.page_source
        check_page(browser, artefacts, "me", location)
        submit(browser, browser.find_element(By.ID, "withdraw-contact"))
        assert "You took this back on" in browser.page_source
        assert len(browser.find_elements(By.CSS_SELECTOR, "button[id^=withdraw-]")) == 1
        check_page(browser, artefacts, "me-withdrawn", location)
        browser.find_element(By.LINK_TEXT, "Change your contact details").click()
        assert browser.title.startswith("Change your contact details")
        check_page(browser, artefacts, "me-details", location)
        email_box = browser.find_element(By.ID, "email")
        email_box.clear()
        email_box.send_keys("sam.new@example.org")
        submit(browser, browser.find_element(By.CSS_SELECTOR, "button[type=submit]"))
        assert browser.title.startswith("Check your new email address"), browser.title
        check_page(browser, artefacts, "new-email-sent", location)
        (told,) = [m for m in outbox.glob("*email_change_asked*.eml")]  # the old address is told
        text = message_from_bytes(told.read_bytes(), policy=policy.default).get_content()
        keep = re.search(rf"{re.escape(base)}/keep-email/\S+", text).group(0)  # type: ignore[union-attr]
        browser.get(keep)
        assert browser.title.startswith("Stop the change of email address"), browser.title
        check_page(browser, artefacts, "keep-email", location)
        (change,) = [m for m in outbox.glob("*new_email*.eml")]
        text = message_from_bytes(change.read_bytes(), policy=policy.default).get_content()
        browser.get(re.search(rf"{re.escape(base)}/email/\S+", text).group(0))  # type: ignore[union-attr]
        check_page(browser, artefacts, "new-email", location)
        submit(browser, browser.find_element(By.CSS_SELECTOR, "button[type=submit]"))
        assert browser.title.startswith("Your email address is changed"), browser.title
        check_page(browser, artefacts, "new-email-done", location)
        browser.get(keep)  # too late to stop it: the page says so, with no button
        assert not browser.find_elements(By.CSS_SELECTOR, "main button"), browser.page_source
        check_page(browser, artefacts, "keep-email-used", location)
        browser.get(me + "/answers")
        assert browser.title.startswith("Change your answers"), browser.title
        check_page(browser, artefacts, "me-answers", location)
        browser.find_element(By.CSS_SELECTOR, "label[for=attr-gender-other]").click()  # and no description
        submit(browser, browser.find_element(By.CSS_SELECTOR, "button[type=submit]"))
        assert browser.title.startswith("Error: Change your answers"), browser.title
        check_page(browser, artefacts, "me-answers-error", location)
        browser.find_element(By.CSS_SELECTOR, "label[for=attr-gender-pnts]").click()
        browser.find_element(By.CSS_SELECTOR, "label[for=attr-age_band-3]").click()
        submit(browser, browser.find_element(By.CSS_SELECTOR, "button[type=submit]"))
        assert browser.title.startswith("Your details") and "22 to 25" not in browser.title, browser.title
        browser.get(me + "/erase")
        submit(browser, browser.find_element(By.CSS_SELECTOR, "button[type=submit]"))  # the box not ticked
        assert browser.title.startswith("Error: Delete your details"), browser.title
        check_page(browser, artefacts, "me-erase-error", location)
        browser.get(base + "/links")
        submit(browser, browser.find_element(By.CSS_SELECTOR, "button[type=submit]"))  # no address given
        assert browser.title.startswith("Error: Get a new link"), browser.title
        check_page(browser, artefacts, "links-error", location)
        browser.find_element(By.ID, "email").send_keys("sam.new@example.org")
        submit(browser, browser.find_element(By.CSS_SELECTOR, "button[type=submit]"))
        assert browser.title.startswith("Check your email"), browser.title
        check_page(browser, artefacts, "links-sent", location)
    from panel.confirmations import Confirmations
    from panel.store.opening import open_store

    app = open_store(location)
    try:
        (person,) = Queries(app).participants()
        assert person.ref.startswith("APP-") and person.channel == "online"
        assert person.personal.email == "sam.new@example.org"  # changed at /me, and confirmed
        assert person.personal.attributes == {"age_band": "22-25", "gender": "prefer_not_to_say"}  # changed at /me
        assert {(c.purpose, c.notice_version, c.withdrawn_by) for c in Queries(app).consent_history(person.id)} == {
            ("contact", "v3", "self_service"), ("panel_membership", "v3", None)
        }  # fmt: skip
        assert Confirmations(app).confirmed_at(person.id) is not None
    finally:
        app.close()


def picture_placement(browser: Any) -> str:
    """Where every Easy Read picture of the page sits against its words: "left", "above", or "mixed"."""
    found = browser.execute_script(
        "return [...document.querySelectorAll('.pictured')].map(d => {"
        " const i = d.firstElementChild.getBoundingClientRect(), t = d.lastElementChild.getBoundingClientRect();"
        " return i.right <= t.left && i.top < t.bottom ? 'left' : i.bottom <= t.top ? 'above' : 'mixed'; })"
    )
    return str(found[0]) if found and len(set(found)) == 1 else "mixed"


def test_the_easy_read_apply_page_in_a_browser(browser, artefacts, store, panel, location: StoreLocation) -> None:  # type: ignore[no-untyped-def]
    """A campaign opened with --language en-easyread: its form and its error page, in Easy Read, pass axe."""
    from selenium.webdriver.common.by import By

    today = datetime.now(UTC).date()
    panel("campaign", "open", "youth-easy", "--engagement", "vested-youth-panel", "--language", "en-easyread",
          "--opens", (today - timedelta(days=1)).isoformat(), "--closes", (today + timedelta(days=13)).isoformat(),
          "--questions", str(EXAMPLES / "questions.csv"), "--notice", str(EXAMPLES / "notice-v3.md"),
          "--phone", "0113 496 0000")  # fmt: skip
    env = {**store_env(location), "PANEL_WEB_MIN_FILL_SECONDS": "0"}
    with serving(env) as base:
        browser.get(base + "/apply/youth-easy")
        assert browser.title == "Ask to take part: Vested youth panel - Help make health and care better"
        assert browser.find_element(By.TAG_NAME, "html").get_attribute("lang") == "en"
        check_page(browser, artefacts, "apply-easy-read", location)
        pictured = browser.find_elements(By.CSS_SELECTOR, ".pictured img")
        assert len(pictured) == 4 and all(p.get_attribute("alt") == "" for p in pictured)
        assert all(browser.execute_script("return arguments[0].naturalWidth", p) == 64 for p in pictured)  # loaded
        assert picture_placement(browser) == "left"  # beside the words on a wide screen
        size = browser.get_window_size()
        browser.set_window_size(
            320 + size["width"] - browser.execute_script("return window.innerWidth"), size["height"]
        )
        try:
            assert picture_placement(browser) == "above"  # above them at 320 px (400% zoom)
        finally:
            browser.set_window_size(size["width"], size["height"])
        browser.find_element(By.ID, "email").send_keys("not-an-email")
        submit(browser, browser.find_element(By.CSS_SELECTOR, "button[type=submit]"))
        assert browser.title.startswith("Problem: Ask to take part"), browser.title
        assert "Something needs to be fixed" in browser.page_source
        check_page(browser, artefacts, "apply-easy-read-errors", location)


def test_axe_finds_violations_where_there_are_some(browser) -> None:  # type: ignore[no-untyped-def]
    """The check above can fail: a page without a language, a title or a label has violations."""
    browser.get("data:text/html,<html><body><input type=text><img src=x></body></html>")
    found = {v["id"] for v in axe_violations(browser)}
    assert {"html-has-lang", "document-title", "label", "image-alt"} <= found


def test_staff_enter_a_phone_application_in_a_browser(
    browser, artefacts, store, panel, location: StoreLocation
) -> None:  # type: ignore[no-untyped-def]
    from selenium.webdriver.common.by import By

    from panel.queries import Queries
    from panel.store.opening import open_store

    panel("staff", "add", "amy.khan", "--role", "recruiter", "--by", "sam.lee", "--password-stdin",
          stdin="correct horse battery staple\n")  # fmt: skip
    with serving(store_env(location)) as base:
        browser.get(base + "/staff")  # not signed in: the sign-in page
        assert browser.title.startswith("Sign in as staff"), browser.title
        check_page(browser, artefacts, "staff-sign-in", location)
        browser.find_element(By.ID, "name").send_keys("amy.khan")
        browser.find_element(By.ID, "password").send_keys("not the password")
        submit(browser, browser.find_element(By.CSS_SELECTOR, "button[type=submit]"))
        assert browser.title.startswith("Error: Sign in as staff")
        check_page(browser, artefacts, "staff-sign-in-error", location)
        browser.find_element(By.ID, "password").send_keys("correct horse battery staple")
        submit(browser, browser.find_element(By.CSS_SELECTOR, "button[type=submit]"))
        assert browser.title.startswith("Staff"), browser.title
        check_page(browser, artefacts, "staff-home", location)
        browser.find_element(By.PARTIAL_LINK_TEXT, "Enter an application for").click()
        assert browser.title.startswith("Apply to take part: Vested youth panel"), browser.title
        check_page(browser, artefacts, "staff-entry", location)
        submit(browser, browser.find_element(By.CSS_SELECTOR, "button[type=submit]"))
        summary = browser.find_element(By.CLASS_NAME, "error-summary")
        links = [a.get_attribute("href").split("#")[1] for a in summary.find_elements(By.TAG_NAME, "a")]
        assert links[0] == "channel" and "method" in links
        check_page(browser, artefacts, "staff-entry-errors", location)
        browser.find_element(By.CSS_SELECTOR, "label[for=channel]").click()  # by phone
        browser.find_element(By.ID, "name").send_keys("Bo Chen")
        browser.find_element(By.ID, "phone").send_keys("07700 900123")
        for purpose in ("contact", "panel_membership"):
            browser.find_element(By.CSS_SELECTOR, f"label[for=consent-{purpose}]").click()
        browser.find_element(By.CSS_SELECTOR, "label[for=method]").click()  # verbally
        submit(browser, browser.find_element(By.CSS_SELECTOR, "button[type=submit]"))
        assert "Application entered" in browser.page_source, browser.title
        check_page(browser, artefacts, "staff-entered", location)
    app = open_store(location)
    try:
        (person,) = Queries(app).participants()
        details = Queries(app).participant(person.id)
        assert (details.channel, details.captured_by, details.personal.name) == ("phone", "amy.khan", "Bo Chen")
    finally:
        app.close()


def test_answer_an_invitation_in_a_browser(browser, artefacts, store, panel, location: StoreLocation, tmp_path) -> None:  # type: ignore[no-untyped-def]
    from selenium.webdriver.common.by import By

    outbox = tmp_path / "outbox"
    panel("participant", "register", "--ref", "INV-1", "--channel", "phone", "--captured-by", "amy",
          "--email", "ann@example.org", "--consent", "contact", "--consent", "panel_membership",
          "--notice-version", "v3")  # fmt: skip
    panel("invite", "vested-youth-panel", "INV-1")
    env = {**store_env(location), "PANEL_OUTBOX_DIR": str(outbox)}
    with serving(env) as base:
        panel("invitations", "send", "vested-youth-panel", "--base-url", base, env={"PANEL_OUTBOX_DIR": str(outbox)})
        (mail,) = outbox.glob("*.eml")
        text = message_from_bytes(mail.read_bytes(), policy=policy.default).get_content()
        accept = re.search(rf"{re.escape(base)}/invitation/accept\.\S+", text).group(0)  # type: ignore[union-attr]
        browser.get(accept)
        assert browser.title.startswith("You are invited: Vested youth panel"), browser.title
        check_page(browser, artefacts, "invitation", location)
        submit(browser, browser.find_element(By.ID, "accept"))
        assert "You said yes" in browser.page_source
        check_page(browser, artefacts, "invitation-accepted", location)
        browser.get(accept.replace("/invitation/accept.", "/invitation/decline."))  # a changed link
        assert browser.title.startswith("This link does not work"), browser.title
        check_page(browser, artefacts, "invitation-bad-link", location)
    status = json.loads(panel("invitations", "status", "vested-youth-panel", "--json").out)
    assert [p["status"] for p in status["invitations"]] == ["accepted"]
