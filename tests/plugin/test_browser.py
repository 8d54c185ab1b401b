"""The report in a real browser: Debian's chromium, headless, driven by selenium through
Debian's chromedriver (README and .ci/run install both; CI runs this, never skips it)."""

from __future__ import annotations

import asyncio
import itertools
import os
import re
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from selenium import webdriver
from selenium.webdriver.chrome.options import Options
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webelement import WebElement

from ..conftest import TEMPLATE, Server
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
    "--window-size=1400,900",
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


def _bars(browser: webdriver.Chrome) -> list[tuple[int, dict[str, float]]]:
    """The timeline's bars: each bar's lane and its box on the page."""
    found = []
    for group in browser.find_elements(
        By.CSS_SELECTOR, ".botaudit-timeline g[id^='botaudit-incident-']"
    ):
        lane = int((group.get_attribute("id") or "").rsplit("-", 1)[1])
        box = browser.execute_script(
            "const r = arguments[0].getBoundingClientRect();"
            "return {left: r.left, right: r.right, top: r.top, bottom: r.bottom};",
            group,
        )
        found.append((lane, box))
    return found


def _ticks(chart: WebElement, axis: str) -> list[str]:
    texts = chart.find_elements(By.CSS_SELECTOR, f"g[id^='{axis}tick_'] text")
    return [(t.get_attribute("textContent") or "").strip() for t in texts]


@pytest.fixture
def second_database(pg_server: Server) -> Iterator[str]:
    name = "t_" + uuid.uuid4().hex[:12]
    asyncio.run(pg_server.execute(f"CREATE DATABASE {name} TEMPLATE {TEMPLATE}"))
    yield pg_server.dsn(name)
    asyncio.run(pg_server.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))


def test_the_report_works_in_a_browser(
    pytester: pytest.Pytester, database: str, second_database: str, browser: webdriver.Chrome
) -> None:
    _audit(pytester, database, "faulty")
    browser.get((pytester.path / "audit.html").as_uri())
    console = browser.get_log("browser")  # type: ignore[no-untyped-call]
    errors = [e for e in console if e["level"] == "SEVERE"]
    assert errors == []
    # the verdict first: the band inside the first 600 px of a 1400 px wide window
    band = browser.find_element(By.CSS_SELECTOR, ".botaudit-band")
    assert band.is_displayed()
    assert band.get_attribute("data-state") == "RED"
    assert band.text.startswith("RED\n")
    top = browser.execute_script("return arguments[0].getBoundingClientRect().bottom", band)
    assert top <= 600
    assert band.size["width"] > 1200  # full width
    red = band.value_of_css_property("background-color")
    charts = browser.find_elements(By.CSS_SELECTOR, ".botaudit-charts .botaudit-chart")
    assert len(charts) >= 10
    for chart in charts:
        svg = chart.find_element(By.CSS_SELECTOR, "svg")
        assert svg.size["width"] > 1200  # full width, as the page is
        assert svg.size["height"] > 50
        times = _ticks(chart, "x")
        assert times
        assert all(re.fullmatch(r"([01]\d|2[0-3]):[0-5]\d", t) for t in times), times
        if chart.get_attribute("data-integer") == "1":  # a count: whole numbers only
            values = _ticks(chart, "y")
            assert values
            assert all(re.fullmatch(r"[−-]?\d+", v) for v in values), values
    assert any(c.get_attribute("data-integer") == "1" for c in charts)
    timeline = browser.find_elements(By.CSS_SELECTOR, ".botaudit-timeline svg")
    assert len(timeline) == 1
    assert timeline[0].size["width"] > 1200
    bars = _bars(browser)
    assert len(bars) >= 3
    assert all(box["right"] - box["left"] >= 4 for _, box in bars)  # a one-tick bar is seen
    for lane in {lane for lane, _ in bars}:
        mine = sorted((box for n, box in bars if n == lane), key=lambda b: b["left"])
        for a, b in itertools.pairwise(mine):
            assert a["right"] <= b["left"], (lane, a, b)  # no two bars of a lane overlap

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
    # pytest-html's own results table is there too, with the Verdict column, after the audit
    headers = browser.find_elements(By.CSS_SELECTOR, "#results-table th")
    assert any(h.text.startswith("Verdict") for h in headers)
    table = browser.find_element(By.CSS_SELECTOR, "#results-table")
    assert table.location["y"] > band.location["y"]
    assert not browser.find_element(By.CSS_SELECTOR, "#environment").is_displayed()  # collapsed

    # a healthy bot's page looks different at once: another colour
    healthy = pytester.mkdir("healthy")
    _audit(pytester, second_database, "healthy", healthy)
    browser.get((healthy / "audit.html").as_uri())
    green = browser.find_element(By.CSS_SELECTOR, ".botaudit-band")
    assert green.get_attribute("data-state") in ("GREEN", "YELLOW")
    assert green.value_of_css_property("background-color") != red
