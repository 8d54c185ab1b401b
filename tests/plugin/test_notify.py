"""Notifications reach a local webhook (Apprise's json://): one per CRITICAL incident opening
and resolving, one at the end; a target that fails is counted and never stops the audit."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from pytest_botaudit.config.settings import AuditSettings
from pytest_botaudit.exitcodes import AuditExit

from .test_plugin import run_live_audit


class _Hook(BaseHTTPRequestHandler):
    received: list[dict[str, str]]

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length", 0))
        self.received.append(json.loads(self.rfile.read(length)))
        self.send_response(200)
        self.end_headers()

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def webhook() -> Iterator[tuple[str, list[dict[str, str]]]]:
    received: list[dict[str, str]] = []
    handler = type("Hook", (_Hook,), {"received": received})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"json://127.0.0.1:{server.server_address[1]}/hook", received
    server.shutdown()
    server.server_close()


@pytest.mark.slow
def test_the_operator_is_told_about_incidents_and_the_end(
    pytester: pytest.Pytester,
    checks_dir: Path,
    database: str,
    webhook: tuple[str, list[dict[str, str]]],
) -> None:
    url, received = webhook
    dead = "json://127.0.0.1:9/nobody-listens"
    result = run_live_audit(
        pytester,
        checks_dir,
        database,
        "faulty",
        5.0,
        0.25,
        f"--audit-notify={url}",
        f"--audit-notify={dead}",
    )
    assert result.ret == AuditExit.RED
    titles = [message["title"] for message in received]
    opened = [t for t in titles if t == "botaudit: CRITICAL incident opened"]
    resolved = [t for t in titles if t == "botaudit: CRITICAL incident resolved"]
    assert len(opened) == 2  # unprotected positions, the emergency close: once each, not per tick
    assert 1 <= len(resolved) <= 2
    assert titles[-1] == "botaudit: Audit finished: RED"
    assert received[-1]["message"].startswith("RED: 5 problems (3 critical, 2 high). Do not")
    # the dead target failed every message: counted, and the audit went on regardless
    count = len(received)
    result.stdout.fnmatch_lines([f"notifications: {count} sent, {count} failed*"])


def test_the_settings_repr_hides_notification_tokens() -> None:
    # what a failing check prints of the settings; the tokens in real output (terminal, reports,
    # run folder) of a target that receives the messages: tests/plugin/test_secrets_everywhere.py
    token = "123456789:AAEhBOweik6ad6PsWJxKr9aFhaTyS9nF2kQ"
    settings = AuditSettings(notify=(f"tgram://{token}/12345",))
    assert token not in repr(settings)
    assert "tgram://***" in repr(settings)


def test_a_failed_preflight_is_said_once_then_the_end(
    pytester: pytest.Pytester,
    checks_dir: Path,
    database: str,
    webhook: tuple[str, list[dict[str, str]]],
) -> None:
    url, received = webhook
    (pytester.path / "bot.log").write_text("2025-10-15 02:40:20,001 - m - INFO - started\n")
    (pytester.path / ".env").write_text("BINANCE_TESTNET=false\n")
    result = pytester.runpytest_subprocess(
        str(checks_dir),
        f"--audit-dsn={database}",
        f"--audit-log={pytester.path / 'bot.log'}",
        f"--audit-env-file={pytester.path / '.env'}",
        f"--audit-notify={url}",
    )
    assert result.ret == AuditExit.NOT_RUN
    assert [m["title"] for m in received] == [
        "botaudit: Pre-flight failed: the audit did not start",
        "botaudit: Audit finished: NOT RUN",
    ]
    assert "BINANCE_TESTNET='false' is not true" in received[0]["message"]


def test_an_outage_is_said_once_after_the_ticks_it_takes(
    webhook: tuple[str, list[dict[str, str]]],
) -> None:
    from datetime import UTC, datetime

    from pytest_botaudit.record.model import Gap
    from pytest_botaudit.reporting.notify import Notifier

    url, received = webhook
    notifier = Notifier([url], gap_ticks=3)
    now = datetime.now(UTC)
    for tick in range(1, 8):  # seven ticks without the database: one message, at the third
        notifier.tick(Gap(tick, now, now, "database unavailable: connection refused"))
    notifier.close()
    assert [m["title"] for m in received] == ["botaudit: Database unreachable"]
    assert "3 ticks in a row" in received[0]["message"]
    assert (notifier.sent, notifier.failed) == (1, 0)
