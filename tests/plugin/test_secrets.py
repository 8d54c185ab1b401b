"""Secrets inside evidence: an API key, a signature or a listen key that a bot logs with an
exchange error, and the password of the audit's DSN, reach no artifact of the audit: the
terminal, the top-level HTML and JUnit, and every file of the run folder."""

from __future__ import annotations

import asyncio
import shutil
import subprocess
import sys
from datetime import UTC, datetime, timedelta

import pytest

from pytest_botaudit.demo.simulator import BotSimulator

from ..conftest import REPO
from ..helpers import audit_command, latest_run

API_KEY = "vmPUZE6mv9SD5VNHk4HlWFsOr6aKE2zvsw0MuIgwCIPy6utIco14y7Ju91duEh8A"
SIGNATURE = "c8db56825ae71d6d79447849e617115f4a920fa2acdcab2b053c4b2838bd6b71"
LISTEN_KEY = "pqia91ma19a5s61cv6a81va65sdf19v8a65a1a5s61cv6a81va65sdf19v8a65a1"
PASSWORD = "Db-Pa55word-of-the-bot"
SECRETS = (API_KEY, SIGNATURE, LISTEN_KEY, PASSWORD)


def _asctime(stamp: datetime) -> str:
    local = stamp.astimezone()
    return local.strftime("%Y-%m-%d %H:%M:%S") + f",{local.microsecond // 1000:03d}"


@pytest.mark.slow
def test_a_key_planted_in_the_log_reaches_no_artifact(
    pytester: pytest.Pytester, database: str
) -> None:
    shutil.copytree(REPO / "audit_checks", pytester.path / "audit_checks")
    start = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=1)
    log = pytester.path / "bot.log"
    asyncio.run(BotSimulator(database, log, 120, "faulty", seed=3).run(start, live=False))
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
    (pytester.path / ".env").write_text("BINANCE_TESTNET=true\n")
    dsn = database.replace("postgres@", f"postgres:{PASSWORD}@", 1)  # the test server trusts
    command = [
        *audit_command(pytester.path / "audit_checks", dsn, pytester.path, 120, 10),
        f"--audit-since={start.isoformat()}",
        f"--audit-until={(start + timedelta(minutes=2)).isoformat()}",
    ]
    done = subprocess.run(
        command, cwd=pytester.path, capture_output=True, text=True, timeout=120, check=False
    )
    assert "Failed to set Bybit Stop Loss" in done.stdout  # the evidence is there, redacted
    logs_json = subprocess.run(
        [sys.executable, "-m", "pytest_botaudit.cli", "logs", str(log), "--json"],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    ).stdout
    assert '"message"' in logs_json
    # every file the audit wrote: the top-level reports and each file of the run folder
    artifacts = {
        str(path.relative_to(pytester.path)): path.read_text(errors="replace")
        for path in pytester.path.rglob("*")
        if path.is_file()
        and path != log
        and path.parent.name != "audit_checks"
        and "__pycache__" not in path.parts
        and path.name != ".env"
    }
    run = latest_run(pytester.path).name
    assert {"audit.html", "audit.xml"} <= set(artifacts)
    assert {
        f"{run}/{name}"
        for name in ("analysis_logs.json", "analysis_logs.txt", "audit_report.md", "shapes.json")
    } <= set(artifacts)
    outputs = {
        "terminal": done.stdout + done.stderr,
        "botaudit logs --json": logs_json,
        **artifacts,
    }
    leaks = {(name, s[:8]) for name, text in outputs.items() for s in SECRETS if s in text}
    assert leaks == set()
