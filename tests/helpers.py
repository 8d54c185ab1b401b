"""Helpers of the project's tests: waiting on conditions instead of sleeping and hoping, the
one builder of an audit's command line, and readers of the JUnit and HTML reports."""

from __future__ import annotations

import asyncio
import html
import json
import os
import re
import sys
import time
import xml.etree.ElementTree as ET
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import NoReturn

import pytest

from pytest_botaudit.config.options import command_line


def wait_for(predicate: Callable[[], bool], seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {seconds:g}s waiting for {what}")
        time.sleep(0.02)


async def async_wait_for(
    predicate: Callable[[], bool | Awaitable[bool]], seconds: float, what: str
) -> None:
    deadline = time.monotonic() + seconds
    while True:
        outcome = predicate()
        if not isinstance(outcome, bool):
            outcome = await outcome
        if outcome:
            return
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {seconds:g}s waiting for {what}")
        await asyncio.sleep(0.02)


def reading(pid: int, path: Path) -> bool:
    """Whether process ``pid`` has ``path`` open and has read into it (Linux /proc): the
    condition "it is inside its reading of that file", to wait on instead of sleeping."""
    target = str(path.resolve())
    try:
        descriptors = list(Path(f"/proc/{pid}/fd").iterdir())
    except OSError:
        return False
    for descriptor in descriptors:
        try:
            if os.readlink(descriptor) != target:
                continue
            info = Path(f"/proc/{pid}/fdinfo/{descriptor.name}").read_text()
        except OSError:  # closed meanwhile
            continue
        position = re.search(r"^pos:\s+(\d+)", info, re.M)
        if position and int(position[1]) > 0:
            return True
    return False


def on_ci() -> bool:
    """CI sets ``CI=true``: there every input of the suite is provided, so none may be missing."""
    return os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")


def unavailable(message: str) -> NoReturn:
    """An input this machine lacks: a skip on a developer's machine, a failure under CI (which
    installs and checks out everything the suite needs: a missing input is a broken CI)."""
    if on_ci():
        pytest.fail(f"{message} (CI=true: the suite's inputs must all be there)")
    pytest.skip(message)


def audit_command(
    checks: Path, dsn: str, out: Path, duration: float, interval: float, *extra: str
) -> list[str]:
    """``python -m pytest CHECKS --audit-...`` for a live audit writing into ``out``."""
    audit = {
        "dsn": dsn,
        "log": [out / "bot.log"],
        "out": out,
        "duration": duration,
        "interval": interval,
        "env_file": out / ".env",
    }
    return [
        sys.executable,
        "-m",
        "pytest",
        str(checks),
        "-p",
        "no:cacheprovider",
        *command_line(audit),
        f"--junitxml={out / 'audit.xml'}",
        f"--html={out / 'audit.html'}",
        "--self-contained-html",
        *extra,
    ]


def outcomes_by_test(xml_path: Path) -> dict[str, dict[str, str]]:
    tree = ET.parse(xml_path)
    found = {}
    for case in tree.iter("testcase"):
        name = f"{case.get('classname', '').split('.')[-1]}::{case.get('name')}"
        props = {p.get("name", ""): p.get("value", "") for p in case.iter("property")}
        props["outcome"] = (
            "failed"
            if case.find("failure") is not None
            else ("skipped" if case.find("skipped") is not None else "passed")
        )
        found[name] = props
    return found


def suite_properties(xml_path: Path) -> dict[str, str]:
    """The JUnit file's <testsuite> properties (the run's identity, state and counts)."""
    suite = ET.parse(xml_path).getroot().find("testsuite")
    assert suite is not None
    return {p.get("name", ""): p.get("value", "") for p in suite.findall("properties/property")}


def html_rows(path: Path) -> dict[str, dict[str, str]]:
    """The results table of a pytest-html report: its JS renders rows from a JSON blob."""
    match = re.search(r'id="data-container" data-jsonblob="([^"]*)"', path.read_text())
    assert match, "pytest-html data blob not found"
    blob = json.loads(html.unescape(match.group(1)))
    rows = {}
    for test_id, entries in blob["tests"].items():
        cells = {}
        for cell in entries[0]["resultsTableRow"]:
            parsed = re.match(r'<td class="col-(\w+)"[^>]*>(.*)</td>$', cell, re.S)
            assert parsed, cell
            cells[parsed.group(1)] = html.unescape(parsed.group(2))
        cells["extras"] = " ".join(e.get("content", "") for e in entries[0]["extras"])
        cells["log"] = entries[0].get("log", "")
        rows[test_id.split("::", 1)[1]] = cells
    return rows


def latest_run(out: Path) -> Path:
    """The newest run folder of an audit's --audit-out (named by DIR/latest)."""
    from pytest_botaudit.record.folder import AuditDir

    run = AuditDir(out).latest()
    assert run is not None, f"no run folder in {out}: {sorted(p.name for p in out.iterdir())}"
    return run.path
