"""Headless Chromium (Debian's chromium and chromium-driver) driven by Selenium, with axe-core in the page.

Without the browser the tests are skipped, except under CI=true, where a missing browser fails
(`.ci/run` installs it). Screenshots go to PANEL_TEST_ARTEFACTS (default: the test's tmp folder).
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

AXE = Path(__file__).parent / "vendor" / "axe-core" / "axe.min.js"
WCAG_22_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
RUN_AXE = """
const done = arguments[arguments.length - 1];
axe.run(document, {runOnly: {type: 'tag', values: arguments[0]}, resultTypes: ['violations']})
  .then(r => done(r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
                                           nodes: v.nodes.map(n => n.target.join(' '))}))))
  .catch(e => done([{id: 'axe-error', help: String(e), nodes: []}]));
"""


def _find(*names: str) -> str | None:
    for name in names:
        found = shutil.which(name) or (f"/usr/bin/{name}" if Path(f"/usr/bin/{name}").exists() else None)
        if found:
            return found
    return None


@pytest.fixture(scope="session")
def chromium() -> tuple[str, str]:
    browser, driver = _find("chromium", "chromium-browser"), _find("chromedriver")
    if browser is None or driver is None:
        message = "Chromium and its driver are not installed: apt-get install chromium chromium-driver"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(message)
        pytest.skip(message)
    return browser, driver


@pytest.fixture
def browser(chromium: tuple[str, str]) -> Iterator[Any]:
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = chromium[0]
    for argument in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=1024,900",
                     "--disable-gpu", "--lang=en-GB"):  # fmt: skip
        options.add_argument(argument)
    driver = webdriver.Chrome(options=options, service=Service(executable_path=chromium[1]))
    driver.set_script_timeout(60)
    try:
        yield driver
    finally:
        driver.quit()


@pytest.fixture
def artefacts(tmp_path: Path) -> Path:
    folder = Path(os.environ.get("PANEL_TEST_ARTEFACTS", "") or tmp_path / "screenshots")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def axe_violations(driver: Any) -> list[dict[str, Any]]:
    """axe-core's WCAG 2.2 AA violations on the page the browser shows."""
    driver.execute_script(AXE.read_text())
    return driver.execute_async_script(RUN_AXE, WCAG_22_AA)


def reflows_at_320(driver: Any) -> bool:
    """True if the page needs no sideways scrolling 320 CSS pixels wide (what 400% zoom of 1280 px gives)."""
    size = driver.get_window_size()
    driver.set_window_size(320 + (size["width"] - driver.execute_script("return window.innerWidth")), size["height"])
    try:
        return bool(driver.execute_script("return document.documentElement.scrollWidth <= window.innerWidth"))
    finally:
        driver.set_window_size(size["width"], size["height"])
