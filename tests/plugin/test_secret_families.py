"""Secrets in the bot's words, round two: a password as ``password=`` or in JSON, a DSN with its
password inside a log line, an AWS secret key, the body of a PEM private key and the bot's own
``MASTER_KEY=`` line are hidden by the default redaction; the secrets the audit itself knows
(its DSN's password, a notification URL's token, the secret values of the bot's .env) are
hidden wherever they appear, in the log or in the bot's database. A window audit of a planted
log and database, every output read back: terminal, JUnit, audit.html, every file of the run
folder (audit_report.md, analysis_logs.json, the summary JSON ...)."""

from __future__ import annotations

import asyncio
import json
import shutil
import subprocess
from datetime import UTC, datetime, timedelta

import asyncpg
import pytest

from pytest_botaudit.demo.simulator import BotSimulator

from ..conftest import REPO
from ..helpers import audit_command

# no digits where the database analysis masks them: each secret must reach it whole
DB_PASSWORD = "Db-Secret-fkQxZw"  # the audit's own DSN
NOTIFY_TOKEN = "NotifyTok-hgWqRt"  # the password of its notification URL
ENV_SECRET = "EnvApiSecret-mnBvCx"  # a secret value of the bot's .env
LOGGED = {  # family -> the secret, planted in the log as the bot would write it
    "password=": "hunter-two-PLAIN",
    "json password": "json-pw-QuotedValue",
    "DSN in a line": "dsn-pw-InTheUrl",
    "aws_secret_access_key": "AKfake/Secret+short",
    "PEM body": "MIIBVwIBADANBgkqhkiG9w",
    "MASTER_KEY": "master-key-RealBotLine",
}
KNOWN = {"DSN password": DB_PASSWORD, "notify token": NOTIFY_TOKEN, ".env secret": ENV_SECRET}


def _asctime(stamp: datetime) -> str:
    local = stamp.astimezone()
    return local.strftime("%Y-%m-%d %H:%M:%S") + f",{local.microsecond // 1000:03d}"


def _planted_lines(at: datetime) -> str:
    s = _asctime(at)
    pem = LOGGED["PEM body"]
    return "".join(
        [
            f"{s} - core.exchange_manager - ERROR - Login refused: "
            f"password={LOGGED['password=']}\n",
            f"{s} - core.exchange_manager - ERROR - Config rejected: "
            f'{{"user": "bot", "password": "{LOGGED["json password"]}"}}\n',
            f"{s} - database.repository - ERROR - Cannot connect to "
            f"postgresql://bot:{LOGGED['DSN in a line']}@db:5432/fox_crypto: timeout\n",
            f"{s} - utils.backup - ERROR - Upload refused with "
            f"aws_secret_access_key={LOGGED['aws_secret_access_key']}\n",
            f"{s} - utils.crypto_manager - ERROR - Bad key -----BEGIN PRIVATE KEY-----\n",
            f"{pem}\nQEFAASCAT8wggE7AgEAAkEA\n-----END PRIVATE KEY-----\n",
            f"{s} - utils.crypto_manager - ERROR - Key in one line: -----BEGIN RSA PRIVATE KEY"
            f"-----\\n{pem}\\n-----END RSA PRIVATE KEY-----\n",
            f"{s} - utils.crypto_manager - WARNING - MASTER_KEY={LOGGED['MASTER_KEY']}\n",
            f"{s} - utils.crypto_manager - INFO - MASTER_KEY={LOGGED['MASTER_KEY']}\n",
            f"{s} - core.exchange_manager - ERROR - Auth failed, the bot sent {DB_PASSWORD}\n",
            # an exchange error the checks quote as evidence (terminal, JUnit, HTML row)
            f"{s} - core.stop_loss_manager - ERROR - Failed to set Bybit Stop Loss: bybit "
            f'{{"retCode":10003,"retMsg":"invalid password={LOGGED["password="]} for '
            f'{DB_PASSWORD} with {ENV_SECRET}"}}\n',
            f"{s} - core.notifier - ERROR - Webhook refused the token {NOTIFY_TOKEN}\n",
            f"{s} - core.exchange_manager - ERROR - Bybit refused key {ENV_SECRET} (10003)\n",
        ]
    )


async def _plant_event(database: str, at: datetime) -> None:
    connection = await asyncpg.connect(database)
    try:
        await connection.execute(
            "INSERT INTO monitoring.events (event_type, event_data, exchange, severity,"
            " error_message, created_at) VALUES ('exchange_error', $1::jsonb, 'bybit', 'ERROR',"
            " $2, $3)",
            json.dumps({"error": f"auth failed for {DB_PASSWORD}"}),
            f"auth failed for {DB_PASSWORD} and {ENV_SECRET}",
            at,
        )
    finally:
        await connection.close()


@pytest.mark.slow
def test_no_secret_of_any_family_reaches_an_output(
    pytester: pytest.Pytester, database: str
) -> None:
    work = pytester.path
    shutil.copytree(REPO / "audit_checks", work / "audit_checks")
    start = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=1)
    log = work / "bot.log"
    asyncio.run(BotSimulator(database, log, 120, "faulty", seed=3).run(start, live=False))
    with log.open("a") as handle:
        handle.write(_planted_lines(start + timedelta(seconds=30)))
    asyncio.run(_plant_event(database, start + timedelta(seconds=31)))
    (work / ".env").write_text(f"BINANCE_TESTNET=true\nBYBIT_API_SECRET={ENV_SECRET}\n")
    dsn = database.replace("postgres@", f"postgres:{DB_PASSWORD}@", 1)
    command = [
        *audit_command(work / "audit_checks", dsn, work, 120, 10),
        f"--audit-since={start.isoformat()}",
        f"--audit-until={(start + timedelta(minutes=2)).isoformat()}",
        f"--audit-notify=json://user:{NOTIFY_TOKEN}@127.0.0.1:9/nobody-listens",
    ]
    done = subprocess.run(command, cwd=work, capture_output=True, text=True, timeout=180)
    outputs = {"terminal": done.stdout + done.stderr}
    for path in work.rglob("*"):
        if path.is_file() and path.suffix in (".html", ".xml", ".json", ".jsonl", ".md", ".txt"):
            outputs[str(path.relative_to(work))] = path.read_text(errors="replace")
    run = next(p.parent for p in work.glob("*/monitoring_snapshots_*.jsonl"))
    names = {str(p.relative_to(work)) for p in run.iterdir()}
    for deliverable in ("audit_report.md", "analysis_logs.json", "analysis_db.json"):
        assert f"{run.name}/{deliverable}" in names
    assert any(n.startswith(f"{run.name}/monitoring_report_") for n in names)
    assert {"audit.html", "audit.xml"} <= set(outputs)
    # the planted lines and rows are there, as evidence: only their secrets are hidden
    logs = outputs[f"{run.name}/analysis_logs.json"]
    for marker in (
        "Login refused: password=",
        "Cannot connect to postgresql://bot:",
        "MASTER_KEY=",
    ):
        assert marker in logs, marker
    assert "auth failed for ***" in outputs[f"{run.name}/analysis_db.json"]
    assert "Auth failed, the bot sent ***" in outputs["audit.html"]
    for where in ("terminal", "audit.xml"):
        assert "Failed to set Bybit Stop Loss" in outputs[where], where
    leaks = {
        (family, where)
        for family, secret in {**LOGGED, **KNOWN}.items()
        for where, text in outputs.items()
        if secret in text
    }
    assert leaks == set()
