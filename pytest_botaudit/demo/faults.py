"""The faults a scenario injects, each written the way the real bot writes it."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

import asyncpg

from .scenarios import EXCHANGES, SYMBOLS
from .trading import (
    Position,
    close_position,
    lapses_when_closed,
    mark_protected,
    place_stop_loss,
)

if TYPE_CHECKING:
    from .simulator import BotSimulator


async def zombie_check(
    bot: BotSimulator, conn: asyncpg.Connection, data: dict[str, Any], stamp: datetime
) -> None:
    bot.line(
        stamp,
        "core.position_manager",
        "INFO",
        f"✨ No zombie orders found (check #{data['k']}, duration: 0.4s)",
    )


async def synchronization(
    bot: BotSimulator, conn: asyncpg.Connection, data: dict[str, Any], stamp: datetime
) -> None:
    """The bot's periodic reconciliation with an exchange: every open position verified."""
    exchange = data["exchange"]
    verified = sum(1 for p in bot.positions.values() if p.is_open and p.exchange == exchange)
    await bot.event(conn, stamp, "synchronization_started", {}, exchange=exchange, echo=False)
    await bot.event(
        conn,
        stamp,
        "synchronization_completed",
        {"verified": verified, "phantoms": 0, "missing": 0},
        exchange=exchange,
        echo=False,
    )
    bot.line(
        stamp,
        "core.position_synchronizer",
        "INFO",
        f"🔄 Synchronization with {exchange} completed: {verified} positions verified",
    )


# -- faults --------------------------------------------------------------------------------


@lapses_when_closed
async def sl_missing(
    bot: BotSimulator,
    conn: asyncpg.Connection,
    position: Position,
    data: dict[str, Any],
    stamp: datetime,
) -> None:
    secs = 60 * (1 + bot.rng.randint(0, 80))
    if data["level"] == "WARNING":
        bot.line(
            stamp,
            "core.position_manager",
            "WARNING",
            f"⚠️ Position {position.symbol} has no stop loss ({secs}s)",
        )
    else:
        bot.line(
            stamp,
            "core.position_manager",
            "CRITICAL",
            f"🚨 CRITICAL ALERT: Position {position.symbol} WITHOUT STOP LOSS for "
            f"{secs} seconds! Position at risk!",
        )
    await bot.event(
        conn,
        stamp,
        "positions_without_sl_detected",
        {"symbols": [position.symbol], "count": 1},
        None,
        position.symbol,
        position.exchange,
        severity="WARNING",
    )


@lapses_when_closed
async def sl_placed_late(
    bot: BotSimulator,
    conn: asyncpg.Connection,
    position: Position,
    data: dict[str, Any],
    stamp: datetime,
) -> None:
    await mark_protected(conn, position)
    await place_stop_loss(bot, conn, position, None, stamp, "stop_loss_set_on_load")


async def emergency_close(
    bot: BotSimulator, conn: asyncpg.Connection, data: dict[str, Any], stamp: datetime
) -> None:
    position = bot.positions[data["key"]]
    bot.line(
        stamp,
        "core.atomic_position_manager",
        "CRITICAL",
        f"🚨 EMERGENCY CLOSE for {position.symbol}",
    )
    await bot.event(
        conn,
        stamp,
        "emergency_close_all_triggered",
        {
            "symbol": position.symbol,
            "exchange": position.exchange,
            "reason": "stop loss could not be placed",
        },
        position.db_id,
        position.symbol,
        position.exchange,
        severity="CRITICAL",
    )
    closing = {"key": data["key"], "pnl": -3.5, "reason": "emergency_close"}
    await close_position(bot, conn, closing, stamp)
    bot.line(stamp, "core.atomic_position_manager", "INFO", "✅ Emergency close completed")


async def late_trailing_move(
    bot: BotSimulator, conn: asyncpg.Connection, data: dict[str, Any], stamp: datetime
) -> None:
    """A race: the position closes, and its trailing stop's move, already on its way, lands
    0.4 s later for a position that is gone (protection/trailing_stop.py:862@9d9879e writes
    trailing_stop_sl_updated with symbol and exchange, no position_id)."""
    position = bot.positions[data["key"]]
    await close_position(bot, conn, {"key": data["key"], "pnl": 4.2}, stamp)
    moved = stamp + timedelta(milliseconds=400)
    stop = round(position.stop * 1.004, 6)
    await bot.event(
        conn,
        moved,
        "trailing_stop_sl_updated",
        {
            "symbol": position.symbol,
            "exchange": position.exchange,
            "new_sl_price": stop,
            "execution_time_ms": 85.0,
        },
        None,
        position.symbol,
        position.exchange,
    )
    bot.line(
        moved,
        "protection.trailing_stop",
        "INFO",
        f"✅ {position.symbol}: SL updated via edit_order in 85ms",
    )


async def ws_flap(
    bot: BotSimulator, conn: asyncpg.Connection, data: dict[str, Any], stamp: datetime
) -> None:
    stream = data["stream"]
    bot.line(
        stamp,
        "websocket.improved_stream",
        "WARNING",
        f"{stream} connection unhealthy, reconnecting...",
    )
    bot.line(stamp, "websocket.improved_stream", "INFO", "Waiting 0.1s before reconnect attempt 1")
    bot.line(
        stamp + timedelta(milliseconds=100),
        "websocket.improved_stream",
        "INFO",
        f"{stream} WebSocket connected",
    )


async def api_error(
    bot: BotSimulator, conn: asyncpg.Connection, data: dict[str, Any], stamp: datetime
) -> None:
    """The exchange refuses a stop-loss, as the bot's Bybit path meets it
    (core/stop_loss_manager.py:401-423@9d9879e): its trading-stop call answers a retCode, the
    manager writes one stop_loss_error event (symbol and exchange, no position_id, the code in
    ``ret_code``) and logs the failure twice, its own line and its caller's (:226@9d9879e,
    :311@116d884), milliseconds apart."""
    symbol = data.get("symbol") or SYMBOLS[data["n"] % len(SYMBOLS)] + "USDT"
    code, text = 10002, "invalid request, please check your server timestamp or recv_window param"
    error = f"Bybit API error {code}: {text}"
    extra: tuple[str, ...] = ()
    if data["traceback"]:
        extra = (
            "Traceback (most recent call last):",
            '  File "/app/core/stop_loss_manager.py", line 219, in set_stop_loss',
            "    return await self._set_bybit_stop_loss(symbol, stop_price)",
            '  File "/app/core/stop_loss_manager.py", line 420, in _set_bybit_stop_loss',
            "    raise Exception(error_message)",
            f"Exception: {error}",
        )
    await bot.event(
        conn,
        stamp,
        "stop_loss_error",
        {
            "symbol": symbol,
            "exchange": "bybit",
            "stop_price": 19.4,
            "error": error,
            "ret_code": code,
        },
        None,
        symbol,
        "bybit",
        severity="ERROR",
    )
    bot.line(stamp, "core.stop_loss_manager", "ERROR", f"Failed to set Bybit Stop Loss: {error}")
    bot.line(
        stamp + timedelta(milliseconds=2),
        "core.stop_loss_manager",
        "ERROR",
        f"Failed to set Stop Loss for {symbol}: {error}",
        extra,
    )


async def load_aged(
    bot: BotSimulator, conn: asyncpg.Connection, data: dict[str, Any], stamp: datetime
) -> None:
    """Positions the bot loads at start-up that were opened hours ago."""
    opened = stamp - timedelta(hours=4)
    for i in range(data["n"]):
        symbol = SYMBOLS[(i + 7) % len(SYMBOLS)] + "USDT"
        exchange = EXCHANGES[i % 2]
        db_id = await conn.fetchval(
            "INSERT INTO monitoring.positions (symbol, exchange, side, quantity, entry_price,"
            " stop_loss_price, status, has_stop_loss, opened_at, created_at, updated_at)"
            " VALUES ($1, $2, 'long', 5, 20, 19.4, 'active', true, $3::timestamptz,"
            " $3::timestamptz, $3::timestamptz) RETURNING id",
            symbol,
            exchange,
            opened,
        )
        bot.positions[f"aged{i}"] = Position(db_id, symbol, exchange, "long", 20.0, 19.4)
        bot.line(
            stamp,
            "core.aged_position_manager",
            "WARNING",
            f"⏰ Found aged position {symbol}: age=4.0h (max=3h), pnl=-1.2 USD",
        )
    await bot.event(conn, stamp, "positions_loaded", {"count": data["n"]})


async def lock_timeout(
    bot: BotSimulator, conn: asyncpg.Connection, data: dict[str, Any], stamp: datetime
) -> None:
    bot.line(
        stamp,
        "core.lock_manager",
        "ERROR",
        f"❌ Lock timeout for position_{data['n']} after 30s",
    )


async def zombie(
    bot: BotSimulator, conn: asyncpg.Connection, data: dict[str, Any], stamp: datetime
) -> None:
    bot.line(stamp, "core.position_manager", "WARNING", "🧟 Total found: 1")
    await bot.event(
        conn,
        stamp,
        "zombie_order_cancelled",
        {"order_id": f"z-{data['n']}", "exchange": "binance"},
        None,
        None,
        "binance",
        severity="WARNING",
    )
    bot.line(stamp, "core.position_manager", "WARNING", "✅ Total cleaned: 1")


async def novel_error(
    bot: BotSimulator, conn: asyncpg.Connection, data: dict[str, Any], stamp: datetime
) -> None:
    """An exception type no other scenario writes: an order the exchange refuses for margin.
    Only in the log (the bot writes no event for it), so only its message shape tells."""
    symbol = SYMBOLS[int(data["pick"] * len(SYMBOLS))] + "USDT"
    payload = '{"code":-2019,"msg":"Margin is insufficient."}'
    bot.line(
        stamp,
        "core.atomic_position_manager",
        "ERROR",
        f"❌ Failed to open position for {symbol}: binance {payload}",
        (
            "Traceback (most recent call last):",
            '  File "/app/core/atomic_position_manager.py", line 388, in open_position',
            "    order = await exchange.create_order(symbol, 'market', side, qty)",
            f"ccxt.base.errors.InsufficientFunds: binance {payload}",
        ),
    )
