"""The real bot's write patterns, judged exactly: a past period played with JacobJanuary/
TradingBot's own ways of writing (tests/realbot.py) on each version's schema, on a server whose
TimeZone is east of UTC, then audited in window mode. Every fault below was missed or
mis-counted when the audit followed only the contract's summary of the bot."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import asyncpg
import pytest

from pytest_botaudit.collection.window import reconstruct
from pytest_botaudit.config.profile import load_profile
from pytest_botaudit.judging.audit import AuditData, complete_audit
from pytest_botaudit.judging.catalogue import METRICS
from pytest_botaudit.judging.verdicts import Kind, Verdict

from ..conftest import reader
from ..realbot import HEAD, OLD, RealBot

P, W, F, N = Verdict.PASS, Verdict.WARN, Verdict.FAIL, Verdict.NO_DATA
G, S = Kind.GOOD_INDICATOR, Kind.WARNING_SIGN
PROFILE = load_profile()
EXCHANGE_ERROR = 'bybit {"retCode":10001,"retMsg":"params error: StopLoss price invalid"}'
SL_REJECTED = 'binance {"code":-2021,"msg":"Order would immediately trigger."}'
MOVES, SKIPPED = 12, 10
# (metric, kind): verdict on 9d9879e's and 116d884's writes (116d884 moves no trailing stop)
EXPECTED: dict[tuple[str, Kind], tuple[Verdict, Verdict]] = {
    ("snapshots_collected", G): (P, P),
    ("snapshot_gaps", G): (P, P),
    ("critical_alerts", G): (F, F),  # two unprotected episodes and the rollback close
    ("critical_alerts", S): (F, F),
    ("unprotected_positions", G): (F, F),  # HNT (row and log) and NEAR (only the log)
    ("unprotected_positions", S): (F, F),
    ("emergency_closes", G): (F, F),  # the rollback: status rolled_back, no event counts it
    ("emergency_closes", S): (F, F),
    ("aged_positions", G): (W, W),  # six open four hours, in naive local time at 9d9879e
    ("aged_positions", S): (P, P),
    ("api_response_ms", G): (N, N),  # the bot times no API call
    ("sl_update_latency_ms", G): (P, N),
    ("timeouts", G): (W, W),
    ("ws_reconnects", G): (W, W),  # six outages, four attempt lines each
    ("ws_reconnects", S): (P, P),
    ("api_errors", G): (W, W),  # twenty errors, each logged by three layers
    ("api_errors", S): (P, P),
    ("zombie_orders", G): (W, W),  # "Total found: 3" and "Total found: 4"
    ("zombie_orders", S): (F, F),
    ("ts_updates_per_position", S): (P, N),  # 12 moves in 34 rows
    ("ts_updates_per_minute", S): (P, N),
    ("slow_operations", S): (P, P),
}


async def play(dsn: str, log: Path, version: str, start: datetime) -> dict[str, int]:
    """Forty minutes of the bot from ``start``; returns what was played, to check against."""
    connection = await asyncpg.connect(dsn)
    bot = RealBot(connection, log, version)
    minute = timedelta(minutes=1)
    opened = 0
    try:
        # six positions open for four hours already, protected (loaded at start-up)
        for i in range(6):
            at = start - timedelta(hours=4) + i * minute
            symbol, exchange = f"OLD{i}USDT", ("binance", "bybit")[i % 2]
            position = await bot.open_position(at, symbol, exchange)
            await bot.place_stop_loss(at + timedelta(seconds=2), symbol, exchange)
            await bot.protection_check(at + timedelta(minutes=3), position)
            if version == OLD:
                bot.line(
                    start + timedelta(minutes=30),
                    "core.aged_position_manager",
                    "WARNING",
                    f"⏰ Found aged position {symbol}: age=4.5h (max=3h), pnl=-1.20 USD",
                )
        # eight atomic opens in the window, each protected two seconds later by an event
        # without position_id; the row says so only at the protection check, 150 s later
        for i in range(8):
            at = start + (1 + i) * minute
            symbol, exchange = f"SYM{i}USDT", ("binance", "bybit")[i % 2]
            position = await bot.open_position(at, symbol, exchange)
            opened += 1
            await bot.place_stop_loss(at + timedelta(seconds=2), symbol, exchange)
            await bot.protection_check(at + timedelta(seconds=150), position)
            if i % 2:
                await bot.close(at + timedelta(minutes=20), position, 1.5, "stop_loss")
        # HNT: no stop-loss for six minutes; the row and the log both say so
        at = start + 10 * minute
        hnt = await bot.open_position(at, "HNTUSDT", "binance")
        opened += 1
        bot.line(
            at + 2 * minute,
            "core.position_manager",
            "CRITICAL",
            "🚨 CRITICAL ALERT: Position HNTUSDT WITHOUT STOP LOSS for 120 seconds! "
            "Position at risk!",
        )
        bot.line(
            at + 4 * minute,
            "core.position_manager",
            "WARNING",
            "⚠️ Position HNTUSDT has no stop loss (240s)",
        )
        await bot.place_stop_loss(at + 6 * minute, "HNTUSDT", "binance")
        bot.line(
            at + 6 * minute, "core.position_manager", "INFO", "✅ Stop loss set for HNTUSDT at 97.0"
        )
        await bot.protection_check(at + 8 * minute, hnt)
        # NEAR: protected, its flag set, then its stop-loss gone: only the log knows
        at = start + 12 * minute
        near = await bot.open_position(at, "NEARUSDT", "bybit")
        opened += 1
        await bot.place_stop_loss(at + timedelta(seconds=2), "NEARUSDT", "bybit")
        await bot.protection_check(at + 3 * minute, near)
        bot.line(
            at + 15 * minute,
            "core.position_manager",
            "WARNING",
            "⚠️ Position NEARUSDT has no stop loss on exchange!",
        )
        bot.line(
            at + 15 * minute + timedelta(milliseconds=3),
            "core.position_manager",
            "CRITICAL",
            "🚨 CRITICAL ALERT: Position NEARUSDT WITHOUT STOP LOSS for 0 seconds! "
            "Position at risk!",
        )
        # OP: the stop-loss fails three times, the open is rolled back (a force close)
        at = start + 20 * minute
        op = await bot.open_position(at, "OPUSDT", "binance")
        opened += 1
        for attempt in range(3):
            moment = at + timedelta(seconds=1 + 2 * attempt)
            await cascade(bot, moment, SL_REJECTED, "OPUSDT", "binance", attempt)
        moment = at + timedelta(seconds=7)
        bot.line(
            moment,
            "core.atomic_position_manager",
            "WARNING",
            "🔄 Rolling back position for OPUSDT, state=pending_sl",
        )
        bot.line(
            moment,
            "core.atomic_position_manager",
            "CRITICAL",
            "⚠️ CRITICAL: Position without SL detected, closing immediately!",
        )
        bot.line(
            moment, "core.atomic_position_manager", "INFO", "✅ Emergency close executed: 9981"
        )
        await bot.rollback(moment, op, f"Failed to place stop-loss after 3 attempts: {SL_REJECTED}")
        # seventeen more exchange errors, each logged by three layers (a traceback too)
        for k in range(17):
            moment = start + timedelta(minutes=2, seconds=30 * k)
            await cascade(bot, moment, EXCHANGE_ERROR, "ETHUSDT", "bybit", None)
        # two zombie cleanups, with the count in the message
        for at, found in ((start + 15 * minute, 3), (start + 25 * minute, 4)):
            for message in (
                "⚠️ ZOMBIE CLEANUP SUMMARY:",
                f"  🧟 Total found: {found}",
                f"  ✅ Total cleaned: {found}",
                "  ❌ Failed to clean: 0",
                "  ⏱️ Duration: 0.40 seconds",
                "  📊 Check #: 7",
            ):
                bot.line(at, "core.position_manager", "WARNING", message)
        # six WebSocket outages, four attempts each
        for k in range(6):
            await outage(bot, version, start + timedelta(minutes=5 + 5 * k))
        # one timeout
        if version == OLD:
            bot.line(
                start + 33 * minute,
                "core.lock_manager",
                "ERROR",
                "❌ Lock timeout for position_42 after 30s",
            )
        else:
            bot.line(
                start + 33 * minute,
                "SignalWSClient",
                "ERROR",
                "💀 HEARTBEAT TIMEOUT! Last heartbeat 95s ago (threshold: 90s)",
            )
        if version == OLD:  # 116d884 moves no trailing stop (trailing_stop.py:907@116d884)
            await trailing_moves(bot, start)
        await price_updates(bot, start)
        bot.flush()
    finally:
        await connection.close()
    return {"opened": opened}


async def cascade(
    bot: RealBot, at: datetime, error: str, symbol: str, exchange: str, attempt: int | None
) -> None:
    """One exchange error as the bot logs it: the rate limiter, the stop-loss manager and
    its caller, within milliseconds, and the stop_loss_error row."""
    bot.line(
        at, "utils.rate_limiter", "ERROR", f"Unexpected error in rate limited function: {error}"
    )
    bot.line(
        at + timedelta(milliseconds=2),
        "core.stop_loss_manager",
        "ERROR",
        f"Failed to set Stop Loss for {symbol}: {error}",
    )
    if attempt is None:
        bot.line(
            at + timedelta(milliseconds=4),
            "core.position_manager",
            "ERROR",
            f"Failed to set stop loss for {symbol}: {error}",
            "Traceback (most recent call last):",
            '  File "/app/core/position_manager.py", line 2335, in _set_stop_loss',
            f"ccxt.base.errors.InvalidOrder: {error}",
        )
    else:
        bot.line(
            at + timedelta(milliseconds=4),
            "core.atomic_position_manager",
            "WARNING",
            f"⚠️ SL attempt {attempt + 1}/3 failed: {error}",
        )
    await bot.event(
        at + timedelta(milliseconds=5),
        "stop_loss_error",
        {"symbol": symbol, "exchange": exchange, "error": error},
        symbol=symbol,
        exchange=exchange,
        severity="ERROR",
    )


async def outage(bot: RealBot, version: str, at: datetime) -> None:
    second = timedelta(seconds=1)
    if version == OLD:  # websocket/improved_stream.py@9d9879e
        bot.line(
            at,
            "websocket.improved_stream",
            "WARNING",
            "Binance connection unhealthy, reconnecting...",
        )
        for n in range(1, 5):
            bot.line(
                at + n * second,
                "websocket.improved_stream",
                "INFO",
                f"Waiting {n}s before reconnect attempt {n}",
            )
        bot.line(
            at + 6 * second, "websocket.improved_stream", "INFO", "Binance WebSocket connected"
        )
        return
    bot.line(
        at, "websocket.binance_hybrid_stream", "ERROR", "❌ [MARK] Connection error: reset by peer"
    )
    for n in range(1, 5):
        bot.line(
            at + n * second,
            "websocket.binance_hybrid_stream",
            "INFO",
            f"[MARK] Reconnecting in {n:.1f}s (attempt {n})...",
        )
    bot.line(at + 6 * second, "websocket.binance_hybrid_stream", "INFO", "✅ [MARK] Connected")


async def trailing_moves(bot: RealBot, start: datetime) -> None:
    """ETH's trailing stop: twelve moves (three rows each) and ten skipped ones."""
    at = start + timedelta(minutes=3)
    eth = await bot.open_position(at, "ETHUSDT", "binance")
    await bot.place_stop_loss(at + timedelta(seconds=2), "ETHUSDT", "binance")
    stop = 97.0
    for k in range(MOVES):
        moment = start + timedelta(minutes=5 + 2 * k)
        old, stop = stop, round(stop * 1.004, 4)
        sl = {"method": "binance_cancel_create_optimized", "execution_time_ms": 120.0}
        await bot.event(
            moment, "trailing_stop_sl_updated", sl, symbol="ETHUSDT", exchange="binance"
        )
        await bot.event(
            moment + timedelta(milliseconds=5),
            "trailing_stop_updated",
            {"old_stop": old, "new_stop": stop, "improvement_percent": 0.4},
            symbol="ETHUSDT",
            exchange="binance",
        )
        await bot.event(
            moment + timedelta(milliseconds=6),
            "trailing_stop_updated",
            {"old_stop_price": old, "new_stop_price": stop},
            position_id=eth,
            symbol="ETHUSDT",
            exchange="binance",
        )
        bot.line(
            moment,
            "protection.trailing_stop",
            "INFO",
            "✅ ETHUSDT: SL updated via binance_cancel_create_optimized in 120.00ms",
        )
        bot.line(
            moment,
            "protection.trailing_stop",
            "INFO",
            f"📈 ETHUSDT: SL moved - Trailing stop updated from {old:.4f} to {stop:.4f} (+0.40%)",
        )
    for k in range(SKIPPED):
        await bot.event(
            start + timedelta(minutes=6 + 2 * k),
            "trailing_stop_updated",
            {"action": "skipped", "skip_reason": "rate_limit: 20.0s elapsed, need 60s"},
            symbol="ETHUSDT",
            exchange="binance",
            severity="DEBUG",
        )


async def price_updates(bot: RealBot, start: datetime) -> None:
    """position_updated rows, one every 20 s for the whole window (the bot's price ticks)."""
    rows = [
        (
            "position_updated",
            '{"source": "websocket"}',
            "BTCUSDT",
            "binance",
            (start + timedelta(seconds=20 * k)).astimezone(UTC),
        )
        for k in range(40 * 3)
    ]
    await bot.conn.executemany(
        "INSERT INTO monitoring.events (event_type, event_data, symbol, exchange, created_at)"
        " VALUES ($1, $2::jsonb, $3, $4, $5)",
        rows,
    )


async def audit(dsn: str, out: Path, log: Path, start: datetime) -> AuditData:
    until = start + timedelta(minutes=40)
    collection = await reconstruct(reader(dsn), PROFILE, start, until, 60.0, out, log_paths=[log])
    return await complete_audit(collection, PROFILE, dict(METRICS), reader(dsn), [log])


CASES = [(OLD, "Asia/Dubai"), (HEAD, "Asia/Dubai"), (OLD, "UTC")]


@pytest.mark.parametrize("realbot_database", CASES, indirect=True, ids=lambda c: "-".join(c))
@pytest.mark.asyncio
async def test_window_audit_of_the_real_bots_writes_judges_each_fault_exactly(
    realbot_database: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    version = request.node.callspec.params["realbot_database"][0]
    column = 0 if version == OLD else 1
    start = datetime.now(UTC).replace(second=0, microsecond=0) - timedelta(minutes=60)
    log = tmp_path / "trading_bot.log"
    played = await play(realbot_database, log, version, start)
    data = await audit(realbot_database, tmp_path, log, start)
    verdicts = {key: data.check(*key).verdict for key in EXPECTED}
    wrong = {
        f"{metric} {kind.value}": f"{verdicts[(metric, kind)].value} (expected "
        f"{EXPECTED[(metric, kind)][column].value})"
        for metric, kind in EXPECTED
        if verdicts[(metric, kind)] is not EXPECTED[(metric, kind)][column]
    }
    assert wrong == {}
    values = {metric: data.check(metric, kind).value for metric, kind in EXPECTED}
    assert values["unprotected_positions"] == 2
    assert values["emergency_closes"] == 1
    assert values["api_errors"] == 20
    assert values["zombie_orders"] == 7
    assert values["ws_reconnects"] == 6
    assert values["aged_positions"] == 6
    if version == OLD:
        assert values["ts_updates_per_position"] == MOVES
    # the opens come from the rows (no position_created event at all)
    assert data.collection.total("new_positions_opened") == played["opened"] + (version == OLD)
    # the evidence says which path closed OP, and which positions went unprotected
    emergency = data.check("emergency_closes", Kind.GOOD_INDICATOR)
    assert any("OPUSDT" in e and "stop-loss could not be placed" in e for e in emergency.evidence)
    unprotected = data.check("unprotected_positions", Kind.GOOD_INDICATOR)
    text = "\n".join(unprotected.evidence)
    assert "HNTUSDT" in text
    assert "NEARUSDT" in text
    assert not any(f"SYM{i}USDT" in text for i in range(8))  # protected by symbol-only events
