"""A metric without a real source is NO-DATA, never a 0 that passes: a log category whose
pattern list is empty, a log that never shows a topic the profile's [log.coverage] needs to
see, alert checks with no judged tick. Each audit here is judged as the plugin judges one
(complete_audit, then the check)."""

from __future__ import annotations

import asyncio
import tomllib
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from pytest_botaudit.collection.live import Collector
from pytest_botaudit.config.profile import Profile, load_profile, parse_profile
from pytest_botaudit.judging.audit import AuditData, complete_audit
from pytest_botaudit.judging.catalogue import METRICS
from pytest_botaudit.judging.verdicts import Kind, Verdict
from pytest_botaudit.record.model import CollectionResult

from ..conftest import REPO

DEFAULT = (REPO / "pytest_botaudit" / "config" / "profiles" / "default.toml").read_text()
PROFILE = replace(load_profile(), log_timezone=UTC)
# records of the bot's own templates: a timeout, a reconnect (unhealthy, then connected again)
TIMEOUT = "exchanges.bybit - ERROR - Request timed out after 10000 ms: GET /v5/order/realtime"
RECONNECT = (
    "websocket.improved_stream - WARNING - binance connection unhealthy, reconnecting...",
    "websocket.improved_stream - INFO - binance WebSocket connected",
)
UNRELATED = "core.position_manager - INFO - ✅ Position #17 for SOLUSDT opened ATOMICALLY at $1.5"


def _without(*categories: str) -> Profile:
    """The default profile with these log categories' pattern lists emptied."""
    data: dict[str, Any] = tomllib.loads(DEFAULT)
    for category in categories:
        data["log"]["patterns"][category] = []
    return replace(parse_profile(data, "empty-categories.toml"), log_timezone=UTC)


def _stamped(moment: datetime, lines: list[str]) -> str:
    stamp = moment.strftime("%Y-%m-%d %H:%M:%S") + f",{moment.microsecond // 1000:03d}"
    return "".join(f"{stamp} - {line}\n" for line in lines)


def _judged(database: str | None, profile: Profile, tmp_path: Path, lines: list[str]) -> AuditData:
    """A 2-tick live audit (without a database: 2 gap ticks), then a log whose records lie
    inside its window, judged together."""
    dsn = database or "postgresql://x@/db?host=/nonexistent-dir"
    collection: CollectionResult = asyncio.run(
        Collector(dsn, profile, 0.4, 0.2, tmp_path / "out").run()
    )
    log = tmp_path / "bot.log"
    log.write_text(_stamped(collection.started_at + timedelta(milliseconds=100), lines))
    return asyncio.run(
        complete_audit(collection, profile, METRICS, database, [log], use_database=bool(database))
    )


def _verdicts(audit: AuditData, metric: str) -> set[Verdict]:
    """The verdict of each check the metric has (its good indicator, its warning sign)."""
    spec = METRICS[metric]
    kinds = ((Kind.GOOD_INDICATOR, spec.good), (Kind.WARNING_SIGN, spec.warning))
    return {audit.check(metric, kind).verdict for kind, limit in kinds if limit is not None}


@pytest.mark.parametrize(
    ("metric", "category"), [("timeouts", "timeout"), ("ws_reconnects", "ws_disconnected")]
)
def test_an_empty_log_category_is_no_data(
    database: str, tmp_path: Path, metric: str, category: str
) -> None:
    # the log holds the very lines the emptied category would have counted
    audit = _judged(database, _without(category), tmp_path, [TIMEOUT, *RECONNECT])
    assert audit.log is not None
    assert audit.log.records == 3
    # with the default profile the same log counts them: the lines are the bot's own
    counted = _judged(database, PROFILE, tmp_path / "default", [TIMEOUT, *RECONNECT])
    assert counted.measure(metric).value == 1
    assert _verdicts(audit, metric) == {Verdict.NO_DATA}
    assert f"log.patterns.{category}" in (audit.measure(metric).no_data_reason or "")


def test_a_log_silent_on_its_streams_is_no_data_for_reconnects_but_not_for_timeouts(
    database: str, tmp_path: Path
) -> None:
    """[log.coverage]: the bot logs every timeout, so any record makes none a real 0; its
    reconnects count only where the log shows its WebSocket streams at all."""
    audit = _judged(database, PROFILE, tmp_path, [UNRELATED])
    assert audit.log is not None
    assert audit.log.records == 1  # the log is live ...
    assert audit.log.count("position_opened") == 1
    assert _verdicts(audit, "ws_reconnects") == {Verdict.NO_DATA}  # ... but shows no stream
    assert "ws_connected" in (audit.measure("ws_reconnects").no_data_reason or "")
    timeouts = audit.measure("timeouts")
    assert (timeouts.value, _verdicts(audit, "timeouts")) == (0, {Verdict.PASS})
    # a stream that connected and stayed up: its zero reconnects are a real zero
    shown = _judged(database, PROFILE, tmp_path / "shown", [UNRELATED, RECONNECT[1]])
    assert shown.measure("ws_reconnects").value == 0
    assert _verdicts(shown, "ws_reconnects") == {Verdict.PASS}


@pytest.mark.parametrize("metric", ["critical_alerts", "warning_alerts"])
def test_alert_checks_without_a_judged_tick_are_no_data(tmp_path: Path, metric: str) -> None:
    audit = _judged(None, PROFILE, tmp_path, [UNRELATED])
    assert len(audit.collection.gaps) == audit.collection.expected_ticks == 2
    assert len(audit.collection.snapshots) == 0
    assert _verdicts(audit, metric) == {Verdict.NO_DATA}
