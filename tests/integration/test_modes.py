"""Replay, window and resume modes, and the ways a live audit ends early."""

from __future__ import annotations

import asyncio
import json
from datetime import timedelta
from pathlib import Path

import pytest

from pytest_botaudit.collection.live import Collector, Progress
from pytest_botaudit.collection.replay import recorded_runs, replay
from pytest_botaudit.collection.window import reconstruct
from pytest_botaudit.config.profile import load_profile
from pytest_botaudit.demo.simulator import BotSimulator
from pytest_botaudit.errors import ConfigError
from pytest_botaudit.record.legacy import LEGACY_BLIND
from pytest_botaudit.record.model import StopReason

from ..helpers import async_wait_for

PROFILE = load_profile()


def test_the_real_legacy_file_holds_several_runs_judged_one_by_one(legacy_run: Path) -> None:
    path = legacy_run / "monitoring_snapshots_20251018.jsonl"
    # bot_monitor.py appended every run of the day to one file: never judged as one run
    with pytest.raises(ConfigError, match="holds 7 audits; name one with --audit-run") as error:
        recorded_runs(path)
    assert "20251018T070625Z (started 2025-10-18T07:06:25+00:00, 474 ticks every 1m)" in str(
        error.value
    )
    runs = recorded_runs(path, "all")
    assert sum(len(r.snapshots) for r in runs) == 817
    # the runs its three legacy reports describe start where those reports say they did
    starts = {r.run_id for r in runs}
    for report in legacy_run.glob("monitoring_report_*.json"):
        started = json.loads(report.read_text())["monitoring_start"]
        assert started[:19].replace("-", "").replace(":", "") + "Z" in starts
    [day] = recorded_runs(path, "20251018T070625Z")
    collection = replay(path, run=day)
    assert collection.interval == 60
    assert len(collection.snapshots) == 474
    assert len(collection.snapshots) + len(collection.gaps) == collection.expected_ticks
    assert collection.peak("unprotected_positions") == 7
    # the legacy monitor's blind columns are flagged, not trusted as zeros
    assert set(collection.missing_event_types) == set(LEGACY_BLIND)
    critical = [i for i in collection.incidents if i.severity.value == "CRITICAL"]
    assert {i.rule_id for i in critical} == {"unprotected_positions"}
    # the legacy report of this run saw 50 CRITICAL alert lines; here they are incidents
    report = json.loads((legacy_run / "monitoring_report_20251018_145943.json").read_text())
    assert report["critical_alerts"] == 50
    assert 0 < len(critical) < report["critical_alerts"]
    assert recorded_runs(path, "latest")[0].run_id == runs[-1].run_id


@pytest.mark.asyncio
async def test_our_snapshot_file_replays_to_the_same_run(database: str, tmp_path: Path) -> None:
    simulator = BotSimulator(database, tmp_path / "bot.log", 1.5, "faulty", seed=4, speed=2)
    collector = Collector(database, PROFILE, 1.6, 0.2, tmp_path)
    bot = asyncio.create_task(simulator.run())
    live = await collector.run()
    await bot
    again = replay(live.snapshot_path)
    assert again.snapshots == live.snapshots
    assert [i.rule_id for i in again.incidents] == [i.rule_id for i in live.incidents]
    assert again.missing_event_types == live.missing_event_types
    assert again.expected_ticks == live.expected_ticks


@pytest.mark.asyncio
async def test_window_mode_reproduces_a_live_run(database: str, tmp_path: Path) -> None:
    progress: list[Progress] = []
    log = tmp_path / "bot.log"
    collector = Collector(
        database, PROFILE, 2.4, 0.2, tmp_path / "live", log_paths=[log], on_tick=progress.append
    )
    collecting = asyncio.create_task(collector.run())
    await async_wait_for(lambda: bool(progress), 10, "the first tick")
    await BotSimulator(database, log, 2.0, "faulty", seed=8).run()
    live = await collecting
    window = await reconstruct(
        database,
        PROFILE,
        live.started_at,
        live.started_at + timedelta(seconds=2.4),
        0.2,
        tmp_path / "window",
        log_paths=[log],
    )
    assert [s.window_start for s in window.snapshots] == [s.window_start for s in live.snapshots]
    for counter in (
        "new_positions_opened",
        "price_updates",
        "api_errors",
        "emergency_closes",
        "positions_closed",
        "sl_updates_with_ts",
        "ts_activations",
    ):
        assert [s.counters[counter] for s in window.snapshots] == [
            s.counters[counter] for s in live.snapshots
        ], counter
    assert window.total("ws_reconnects") == live.total("ws_reconnects") == 25
    assert window.peak("unprotected_positions") == live.peak("unprotected_positions") == 2
    assert {i.rule_id for i in window.incidents if i.severity.value == "CRITICAL"} == {
        i.rule_id for i in live.incidents if i.severity.value == "CRITICAL"
    }


@pytest.mark.asyncio
async def test_abort_on_critical_stops_early(database: str, tmp_path: Path) -> None:
    progress: list[Progress] = []
    collector = Collector(
        database, PROFILE, 30.0, 0.2, tmp_path, abort_on_critical=True, on_tick=progress.append
    )
    collecting = asyncio.create_task(collector.run())
    await async_wait_for(lambda: bool(progress), 10, "the first tick")
    simulator = BotSimulator(database, tmp_path / "bot.log", 2.0, "faulty", seed=3)
    bot = asyncio.create_task(simulator.run())
    result = await collecting
    simulator.stop()
    await bot
    assert result.stop_reason is StopReason.ABORTED_ON_CRITICAL
    assert len(result.snapshots) < result.expected_ticks
    assert result.incidents[-1].severity.value == "CRITICAL" or any(
        i.severity.value == "CRITICAL" for i in result.incidents
    )
