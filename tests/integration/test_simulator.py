"""The simulated bot writes what the contract's bot writes, and exactly the faults it injects."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import asyncpg

from pytest_botaudit.config.profile import load_profile
from pytest_botaudit.demo.scenarios import SCENARIOS, build_plan
from pytest_botaudit.demo.simulator import BotSimulator
from pytest_botaudit.logs.files import analyze_files
from pytest_botaudit.logs.model import ReadStats
from pytest_botaudit.logs.reader import read_records

# bot_contract.md section 2: every event_type the real bot writes
_CONTRACT_WORDS = """
position_created position_updated position_closed position_error position_creation_failed
position_duplicate_prevented position_not_found_on_exchange positions_loaded
positions_without_sl_detected stop_loss_placed stop_loss_triggered stop_loss_error
stop_loss_set_on_load stop_loss_set_failed orphaned_sl_cleaned trailing_stop_created
trailing_stop_activated trailing_stop_updated trailing_stop_removed trailing_stop_sl_updated
trailing_stop_sl_update_failed order_filled order_below_minimum synchronization_started
synchronization_completed phantom_position_detected phantom_position_closed
missing_position_added missing_position_added_with_synthetic_id quantity_mismatch_detected
quantity_updated position_verified zombie_orders_detected zombie_order_cancelled
zombie_cleanup_completed zombie_alert_triggered aggressive_cleanup_triggered tpsl_orders_cleared
emergency_close_all_triggered emergency_stop_placed risk_limits_exceeded aged_position_detected
error_occurred warning_raised exchange_error database_error health_check_failed
symbol_unavailable websocket_connected websocket_disconnected websocket_error bot_started
bot_stopped sync_started sync_completed wave_detected wave_completed signal_executed
signal_execution_failed signal_filtered signal_validation_failed
"""
CONTRACT_EVENT_TYPES = set(_CONTRACT_WORDS.split())
POSITION_STATUSES = {
    "active",
    "closed",
    "rolled_back",
    "canceled",
    "pending_entry",
    "entry_placed",
    "pending_sl",
    "failed",
}


def backfill(dsn: str, log: Path, scenario: str, seed: int = 3) -> datetime:
    start = datetime.now(UTC) - timedelta(hours=1)
    simulator = BotSimulator(dsn, log, 120.0, scenario, seed)
    asyncio.run(simulator.run(start=start, live=False))
    return start


async def fetch(dsn: str, sql: str) -> list[asyncpg.Record]:
    connection = await asyncpg.connect(dsn)
    try:
        return list(await connection.fetch(sql))
    finally:
        await connection.close()


def test_faulty_bot_writes_the_contract_and_exactly_its_faults(
    database: str, tmp_path: Path
) -> None:
    log = tmp_path / "bot.log"
    start = backfill(database, log, "faulty")
    types = {
        r["event_type"]: r["n"]
        for r in asyncio.run(
            fetch(database, "SELECT event_type, count(*) AS n FROM monitoring.events GROUP BY 1")
        )
    }
    assert set(types) <= CONTRACT_EVENT_TYPES
    faults = SCENARIOS["faulty"].faults
    assert types["emergency_close_all_triggered"] == faults.emergency_closes == 1
    # the exchange refused a stop-loss: the bot writes stop_loss_error, not exchange_error
    assert types["stop_loss_error"] == faults.api_errors
    assert "exchange_error" not in types
    assert types["position_updated"] > 100
    positions = asyncio.run(
        fetch(
            database, "SELECT status, has_stop_loss, exchange, opened_at FROM monitoring.positions"
        )
    )
    assert {p["status"] for p in positions} <= POSITION_STATUSES
    assert {p["exchange"] for p in positions} == {"binance", "bybit"}
    naive = start.replace(tzinfo=None)
    # the injected unprotected positions were opened twenty minutes before the bot found them
    backdated = [p for p in positions if p["opened_at"] < naive]
    assert len(backdated) == faults.unprotected_positions
    assert all(naive - timedelta(minutes=21) <= p["opened_at"] for p in backdated)
    assert all(p["opened_at"] <= naive + timedelta(minutes=2) for p in positions)

    stats = ReadStats()
    records = list(read_records([log], stats, None))
    assert stats.unparsable_lines == 0
    assert stats.continuation_lines > 0  # tracebacks
    assert all(r.level in {"INFO", "WARNING", "ERROR", "CRITICAL"} for r in records)
    analysis = analyze_files([log], load_profile())
    background = SCENARIOS["faulty"].background_ws_reconnects
    assert analysis.ws_reconnects == faults.ws_reconnects + background
    assert analysis.count("emergency_close") == faults.emergency_closes
    assert analysis.count("api_error") == faults.api_errors
    assert analysis.stop_loss.missing_positions == faults.unprotected_positions
    # each refusal is two lines of the stop-loss manager (its own and its caller's): one
    # failure to set a stop-loss, as the events table has one stop_loss_error
    assert analysis.count("sl_set_failed") == faults.api_errors == types["stop_loss_error"]
    assert analysis.exchange_codes == {"10002": 2 * faults.api_errors}
    assert analysis.error_types["Exception"] == faults.api_errors // 3, analysis.error_types


def test_healthy_bot_has_no_faults(database: str, tmp_path: Path) -> None:
    log = tmp_path / "bot.log"
    backfill(database, log, "healthy")
    rows = asyncio.run(
        fetch(
            database,
            "SELECT count(*) FILTER (WHERE NOT has_stop_loss) AS bad,"
            " count(*) AS n FROM monitoring.positions",
        )
    )
    assert rows[0]["bad"] == 0
    assert rows[0]["n"] >= 4
    analysis = analyze_files([log], load_profile())
    assert analysis.count("emergency_close") == analysis.count("api_error") == 0
    assert analysis.count("sl_missing") == 0
    assert analysis.ws_reconnects == SCENARIOS["healthy"].background_ws_reconnects
    assert analysis.latencies_ms["sl_updated_timed"]["samples"] > 0


def test_plan_is_deterministic_for_a_seed() -> None:
    scenario = SCENARIOS["faulty"]
    assert build_plan(scenario, 60, seed=7) == build_plan(scenario, 60, seed=7)
    assert build_plan(scenario, 60, seed=7) != build_plan(scenario, 60, seed=8)
    faster = build_plan(scenario, 60, seed=7, speed=4)
    assert len([a for a in faster if a.kind == "price"]) == 4 * len(
        [a for a in build_plan(scenario, 60, seed=7) if a.kind == "price"]
    )
    assert max(a.at for a in faster) < 60
    counted = build_plan(replace(scenario, faults=replace(scenario.faults, zombie_orders=3)), 60, 1)
    assert len([a for a in counted if a.kind == "zombie"]) == 3
