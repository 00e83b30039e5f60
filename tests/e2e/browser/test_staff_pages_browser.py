"""The staff pages that read the store, in a real browser as an admin (who may open them all): the
lookup (and its error), a participant's page, outstanding payments and the audit page (its first page,
its second through the Next link of its pagination, and a page number that is not one). Each is
checked with axe-core (WCAG 2.2 AA: 0 violations) and for reflow at 320 px, and saved as a screenshot."""

from __future__ import annotations

from panel.access import AccessLog
from panel.config import StoreLocation
from panel.payments import Payments
from panel.store.opening import open_store
from tests.e2e.browser.test_apply_browser import check_page, store, submit
from tests.e2e.webapp.server import serving
from tests.e2e.webapp.test_staff_roles import NAMES, named_vested
from tests.helpers.proc import store_env
from web.staff_pages import PAGE_SIZE

__all__ = ["store"]  # the fixture, shared with the applicant's browser tests


def test_the_staff_pages_in_a_browser(browser, artefacts, store, panel, location: StoreLocation) -> None:  # type: ignore[no-untyped-def]
    from selenium.webdriver.common.by import By

    app = open_store(location)
    try:
        eid, pids = named_vested(app)
        Payments(app).accrue(eid, by="sam.lee")
        for i in range(PAGE_SIZE):  # with the participant page's record below, the audit page has two pages
            AccessLog(app).record(f"actor.{i:03d}", "participant show", [pids["VES-002"]])
    finally:
        app.close()
    panel("staff", "add", "ada.admin", "--role", "admin", "--by", "sam.lee", "--password-stdin",
          stdin="correct horse battery staple\n")  # fmt: skip
    with serving(store_env(location)) as base:
        browser.get(base + "/staff/sign-in")
        browser.find_element(By.ID, "name").send_keys("ada.admin")
        browser.find_element(By.ID, "password").send_keys("correct horse battery staple")
        submit(browser, browser.find_element(By.CSS_SELECTOR, "button[type=submit]"))
        check_page(browser, artefacts, "staff-home-admin", location)
        browser.find_element(By.LINK_TEXT, "Look up a participant").click()
        assert browser.title.startswith("Look up a participant"), browser.title
        check_page(browser, artefacts, "staff-lookup", location)
        submit(browser, browser.find_element(By.CSS_SELECTOR, "button[type=submit]"))
        assert browser.title.startswith("Error: Look up a participant"), browser.title
        check_page(browser, artefacts, "staff-lookup-error", location)
        browser.find_element(By.ID, "ref").send_keys("VES-001")
        submit(browser, browser.find_element(By.CSS_SELECTOR, "button[type=submit]"))
        assert browser.title.startswith("Participant VES-001") and NAMES[0] in browser.page_source
        check_page(browser, artefacts, "staff-participant", location)
        browser.get(base + "/staff/payments")
        assert "awaiting approval" in browser.page_source and NAMES[0] not in browser.page_source
        check_page(browser, artefacts, "staff-payments", location)
        browser.get(base + "/staff/audit")
        assert "staff participant page" in browser.page_source and "actor.000" not in browser.page_source
        check_page(browser, artefacts, "staff-audit", location)
        browser.find_element(By.CSS_SELECTOR, "nav.pagination a[rel=next]").click()
        assert browser.title.startswith("Audit (page 2 of 2)"), browser.title
        assert "actor.000" in browser.page_source and "staff participant page" not in browser.page_source
        check_page(browser, artefacts, "staff-audit-page-2", location)
        browser.get(base + "/staff/audit?page=0")
        assert browser.title.startswith("Page not found: Audit"), browser.title
        check_page(browser, artefacts, "staff-audit-no-page", location)
