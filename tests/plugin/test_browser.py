"""The report in a real browser: Debian's chromium, headless, driven by selenium through
Debian's chromedriver (README and .ci/run install both; CI runs this, never skips it)."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from selenium import webdriver
from selenium.webdriver.chrome.options import Options
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By

from .test_report import _audit

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
DRIVER = shutil.which("chromedriver") or "/usr/bin/chromedriver"


# as root in CI, on a closed network: no sandbox, and none of Chromium's own connections
FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--window-size=1400,1000",
)


@pytest.fixture
def browser(tmp_path: Path) -> Iterator[webdriver.Chrome]:
    if not (Path(CHROMIUM).exists() and Path(DRIVER).exists()):
        message = "chromium and chromium-driver are not installed (apt-get install, see README)"
        if os.environ.get("CI"):
            pytest.fail(message)  # CI installs them: a missing browser is a broken CI
        pytest.skip(message)
    options = Options()
    options.binary_location = CHROMIUM
    for argument in (*FLAGS, f"--user-data-dir={tmp_path / 'chromium'}"):
        options.add_argument(argument)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(DRIVER), options=options)
    try:
        yield driver
    finally:
        driver.quit()


def test_the_report_works_in_a_browser(
    pytester: pytest.Pytester, database: str, browser: webdriver.Chrome
) -> None:
    _audit(pytester, database, "faulty")
    browser.get((pytester.path / "audit.html").as_uri())
    console = browser.get_log("browser")  # type: ignore[no-untyped-call]
    errors = [e for e in console if e["level"] == "SEVERE"]
    assert errors == []
    banner = browser.find_element(By.CSS_SELECTOR, ".botaudit-banner")
    assert banner.is_displayed()
    assert "Audit verdict: RED" in banner.text
    charts = browser.find_elements(By.CSS_SELECTOR, ".botaudit-charts .botaudit-chart svg")
    assert len(charts) >= 10
    for chart in charts:
        assert chart.size["width"] > 100
        assert chart.size["height"] > 50
    timeline = browser.find_elements(By.CSS_SELECTOR, ".botaudit-timeline svg")
    assert len(timeline) == 1
    assert timeline[0].size["width"] > 100

    def shown() -> list[str]:
        rows = browser.find_elements(By.CSS_SELECTOR, "#botaudit-findings tbody tr")
        return [row.get_attribute("data-verdict") or "" for row in rows if row.is_displayed()]

    everything = shown()
    assert "FAIL" in everything
    assert "PASS" in everything
    browser.find_element(By.CSS_SELECTOR, '#botaudit-filter button[data-show="FAIL"]').click()
    assert set(shown()) == {"FAIL"}
    assert len(shown()) == everything.count("FAIL")
    browser.find_element(By.CSS_SELECTOR, '#botaudit-filter button[data-show="all"]').click()
    assert shown() == everything
    # pytest-html's own results table is there too, with the Verdict column
    headers = browser.find_elements(By.CSS_SELECTOR, "#results-table th")
    assert any(h.text.startswith("Verdict") for h in headers)
