"""Secrets an audit is given or finds reach none of its outputs: the database password of a
server that really asks for it, an exchange API key the bot's log carries, and the tokens of a
notification target that really receives the audit's messages. Searched in the terminal and in
every file the run leaves: the top-level reports and each file of the run folder."""

from __future__ import annotations

import asyncio
import base64
import json
import re
import shutil
import subprocess
import threading
import urllib.parse
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import asyncpg
import pytest

from pytest_botaudit.demo.simulator import BotSimulator

from ..conftest import REPO, PasswordServer
from ..helpers import audit_command, latest_run
from .test_secrets import API_KEY, LISTEN_KEY, SIGNATURE, _asctime

NOTIFY_USER = "auditbot"
NOTIFY_TOKEN = "apprise-Tok3n-8f1d2a9c47b6e5"
HEADER_TOKEN = "hdr-Tok3n-5c0ffee1234abcd"
# what a run folder holds after a window audit (each file searched must exist)
RUN_FILES = {
    "analysis_db.json",
    "analysis_db.txt",
    "analysis_logs.json",
    "analysis_logs.txt",
    "audit_report.md",
    "hourly_observations.md",
    "shapes.json",
}


class _Hook(BaseHTTPRequestHandler):
    received: list[tuple[dict[str, str], dict[str, str]]]

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length", 0))
        body = json.loads(self.rfile.read(length))
        self.received.append(({k.lower(): v for k, v in self.headers.items()}, body))
        self.send_response(200)
        self.end_headers()

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def webhook() -> Iterator[tuple[int, list[tuple[dict[str, str], dict[str, str]]]]]:
    """A local HTTP server that keeps each request's headers and JSON body: (port, received)."""
    received: list[tuple[dict[str, str], dict[str, str]]] = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), type("Hook", (_Hook,), {"received": received}))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server.server_address[1], received
    server.shutdown()
    server.server_close()


def _plant_secrets(log: Path, start: datetime) -> None:
    with log.open("a") as handle:
        for n in range(3):
            stamp = _asctime(start + timedelta(seconds=30 + n))
            handle.write(
                f"{stamp} - core.stop_loss_manager - ERROR - Failed to set Bybit Stop Loss: bybit "
                f'{{"retCode":10003,"retMsg":"invalid apiKey={API_KEY}"}}\n'
                "Traceback (most recent call last):\n"
                f"ccxt.base.errors.ExchangeError: X-MBX-APIKEY: {API_KEY} signature={SIGNATURE}\n"
                f"{stamp} - websocket.improved_stream - ERROR - binance listenKey={LISTEN_KEY} "
                "expired; WebSocket error: closed\n"
            )


async def _plant_in_database(dsn: str, start: datetime) -> None:
    """The bot writes the exchange's error text into its events table, key and all."""
    connection = await asyncpg.connect(dsn)
    try:
        await connection.execute(
            "INSERT INTO monitoring.events (event_type, severity, exchange, symbol,"
            " error_message, created_at) VALUES ('exchange_error', 'ERROR', 'bybit', 'BTCUSDT',"
            " $1, $2)",
            f'Failed to set Bybit Stop Loss: {{"retMsg":"invalid apiKey={API_KEY}"}}',
            start + timedelta(seconds=40),
        )
    finally:
        await connection.close()


@pytest.mark.slow
@pytest.mark.parametrize(
    "key_also_in",
    [
        "the log",
        pytest.param(
            "the events table",
            marks=pytest.mark.xfail(
                reason="the database analysis (analysis_db.json/.txt, audit_report.md, the "
                "HTML) shows events.error_message as the bot wrote it, cut short but not "
                "redacted: the log's redaction patterns must reach the database's texts too",
                strict=True,
            ),
        ),
    ],
)
def test_no_secret_reaches_any_output_of_a_run(
    pytester: pytest.Pytester,
    password_server: PasswordServer,
    password_database: str,
    webhook: tuple[int, list[tuple[dict[str, str], dict[str, str]]]],
    key_also_in: str,
) -> None:
    port, received = webhook
    dsn = password_server.dsn(password_database)
    password = password_server.PASSWORD
    shutil.copytree(REPO / "audit_checks", pytester.path / "audit_checks")
    start = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=1)
    out = pytester.path / "out"  # the audit's inputs (log, .env) and every file it writes
    out.mkdir()
    log = out / "bot.log"
    asyncio.run(BotSimulator(dsn, log, 120, "faulty", seed=3).run(start, live=False))
    _plant_secrets(log, start)
    if key_also_in == "the events table":
        asyncio.run(_plant_in_database(dsn, start))
    env = out / ".env"
    env.write_text("BINANCE_TESTNET=true\nBYBIT_TESTNET=true\n")
    notify = (
        f"json://{NOTIFY_USER}:{NOTIFY_TOKEN}@127.0.0.1:{port}/hook?+X-Api-Token={HEADER_TOKEN}"
    )
    command = [
        *audit_command(pytester.path / "audit_checks", dsn, out, 120, 10),
        f"--audit-since={start.isoformat()}",
        f"--audit-until={(start + timedelta(minutes=2)).isoformat()}",
        f"--audit-notify={notify}",
    ]
    done = subprocess.run(
        command, cwd=pytester.path, capture_output=True, text=True, timeout=180, check=False
    )
    terminal = done.stdout + done.stderr
    # the secrets were used where they belong: the password logged in (the simulator's rows
    # were read back), the target received the messages with both of its tokens
    assert "botaudit: 12/12 snapshots (completed)" in done.stdout, terminal
    assert "Failed to set Bybit Stop Loss" in done.stdout  # the evidence is there, redacted
    assert received, "the notification target received nothing"
    assert received[-1][1]["title"] == "botaudit: Audit finished: RED"
    basic = base64.b64encode(f"{NOTIFY_USER}:{NOTIFY_TOKEN}".encode()).decode()
    assert {headers.get("authorization") for headers, _ in received} == {f"Basic {basic}"}
    assert {headers.get("x-api-token") for headers, _ in received} == {HEADER_TOKEN}
    # ... and in no output: the terminal, each report, each file of the run folder
    run = latest_run(out)
    files = {
        path: path.read_bytes().decode("utf-8", "replace")
        for path in out.rglob("*")
        if path.is_file() and path not in (log, env)
    }
    names = {path.name for path in files if path.parent == run}
    assert names >= RUN_FILES | {"audit_report.md"}, sorted(names)
    assert any(name.startswith("monitoring_snapshots_") for name in names)
    assert any(name.startswith("monitoring_report_") for name in names)
    assert {"audit.html", "audit.xml"} <= {path.name for path in files}
    evidence = [path.name for path, text in files.items() if "Failed to set Bybit" in text]
    assert {"analysis_logs.json", "analysis_logs.txt", "audit.html"} <= set(evidence)
    secrets = {
        "database password": password,
        "database password, URL-quoted": urllib.parse.quote(password, safe=""),
        "API key": API_KEY,
        "signature": SIGNATURE,
        "listen key": LISTEN_KEY,
        "notification token": NOTIFY_TOKEN,
        "notification header token": HEADER_TOKEN,
    }
    outputs = {"terminal": terminal, **{str(path.relative_to(out)): t for path, t in files.items()}}
    assert leaks(outputs, secrets) == []


def fragments(secret: str) -> set[str]:
    """Pieces of ``secret`` whose presence is a leak: every run of 12 characters (a message cut
    short keeps its head), also as a message shape spells it (digits as N)."""
    size = min(12, len(secret))
    pieces = {secret[i : i + size] for i in range(len(secret) - size + 1)}
    return pieces | {re.sub(r"\d", "N", piece) for piece in pieces if re.search(r"\d", piece)}


def leaks(outputs: dict[str, str], secrets: dict[str, str]) -> list[tuple[str, str, str]]:
    """(output, secret, the first piece of it found there), for each output a secret leaks to."""
    found = []
    for where, text in outputs.items():
        for what, secret in secrets.items():
            pieces = sorted(piece for piece in fragments(secret) if piece in text)
            if pieces:
                found.append((where, what, pieces[0]))
    return sorted(found)
