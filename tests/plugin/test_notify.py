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
    assert result.ret == 1
    titles = [message["title"] for message in received]
    opened = [t for t in titles if t == "botaudit: CRITICAL incident opened"]
    resolved = [t for t in titles if t == "botaudit: CRITICAL incident resolved"]
    assert len(opened) == 2  # unprotected positions, the emergency close: once each, not per tick
    assert 1 <= len(resolved) <= 2
    assert titles[-1] == "botaudit: Audit finished: RED"
    assert "8 FAIL" in received[-1]["message"]
    # the dead target failed every message: counted, and the audit went on regardless
    count = len(received)
    result.stdout.fnmatch_lines([f"notifications: {count} sent, {count} failed*"])


def test_notification_tokens_stay_hidden() -> None:
    token = "123456789:AAEhBOweik6ad6PsWJxKr9aFhaTyS9nF2kQ"
    settings = AuditSettings(notify=(f"tgram://{token}/12345",))
    assert token not in repr(settings)
