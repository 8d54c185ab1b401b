"""A metric without a real source is NO-DATA, never a 0 that passes: a log category whose
pattern list is empty, a log that never mentions a topic, alert checks with no judged tick.
Each audit here is judged as the plugin judges one (complete_audit, then the check).

These wait on issue 23 §1 (the lead's): today each of them measures 0 and passes."""

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


@pytest.mark.xfail(
    reason="issue 23 §1: a log category with an empty pattern list measures 0 and passes; it "
    "is no source: NO-DATA",
    strict=True,
)
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
    assert category in (audit.measure(metric).detail or "")


@pytest.mark.xfail(
    reason="issue 23 §1: a log with records that never mentions a topic measures 0 and passes; "
    "zero mentions is evidence only where the profile says the bot logs that topic (this "
    "test takes the default profile as saying nothing of timeouts: adjust it to the rule the "
    "README sets)",
    strict=True,
)
def test_a_log_that_never_mentions_timeouts_is_no_data_for_them(
    database: str, tmp_path: Path
) -> None:
    audit = _judged(database, PROFILE, tmp_path, [UNRELATED])
    assert audit.log is not None
    assert audit.log.records == 1  # the log is live ...
    assert audit.log.count("position_opened") == 1
    assert _verdicts(audit, "timeouts") == {Verdict.NO_DATA}  # ... but silent on timeouts


@pytest.mark.xfail(
    reason="issue 23 §1: the alert checks pass 'zero critical alerts' on a run with no judged "
    "snapshot (every tick a gap): NO-DATA",
    strict=True,
)
@pytest.mark.parametrize("metric", ["critical_alerts", "warning_alerts"])
def test_alert_checks_without_a_judged_tick_are_no_data(tmp_path: Path, metric: str) -> None:
    audit = _judged(None, PROFILE, tmp_path, [UNRELATED])
    assert len(audit.collection.gaps) == audit.collection.expected_ticks == 2
    assert len(audit.collection.snapshots) == 0
    assert _verdicts(audit, metric) == {Verdict.NO_DATA}
