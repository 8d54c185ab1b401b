"""What a working bot does: start, open positions with their stop-loss, follow prices,
trail stops and close."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

import asyncpg

from .scenarios import EXCHANGES

if TYPE_CHECKING:
    from .simulator import BotSimulator


@dataclass(slots=True)
class Position:
    db_id: int
    symbol: str
    exchange: str
    side: str
    price: float
    stop: float
    is_open: bool = True


Handler = Callable[["BotSimulator", asyncpg.Connection, dict[str, Any], datetime], Awaitable[None]]
PositionHandler = Callable[
    ["BotSimulator", asyncpg.Connection, Position, dict[str, Any], datetime], Awaitable[None]
]


def lapses_when_closed(action: PositionHandler) -> Handler:
    """An action on the position ``data["key"]``; it lapses once that position closed."""

    async def run(
        bot: BotSimulator, conn: asyncpg.Connection, data: dict[str, Any], stamp: datetime
    ) -> None:
        position = bot.positions[data["key"]]
        if position.is_open:
            await action(bot, conn, position, data, stamp)

    return run


async def startup(
    bot: BotSimulator, conn: asyncpg.Connection, data: dict[str, Any], stamp: datetime
) -> None:
    bot.line(stamp, "__main__", "INFO", "🚀 Starting trading bot (testnet)")
    await bot.event(conn, stamp, "bot_started", {"mode": "testnet"})
    bot.line(
        stamp,
        "core.signal_processor_websocket",
        "INFO",
        "🔌 WebSocket connected to signal server",
    )
    for exchange in EXCHANGES:
        bot.line(stamp, "websocket.improved_stream", "INFO", f"{exchange} WebSocket connected")


async def heartbeat(
    bot: BotSimulator, conn: asyncpg.Connection, data: dict[str, Any], stamp: datetime
) -> None:
    bot.line(stamp, "__main__", "INFO", f"📊 Open positions: {bot.open_count()}")


async def open_position(
    bot: BotSimulator, conn: asyncpg.Connection, data: dict[str, Any], stamp: datetime
) -> None:
    symbol = data["symbol"] + "USDT"
    price = float(data["price"])
    stop = round(price * (0.97 if data["side"] == "long" else 1.03), 6)
    protected = bool(data["protected"])
    # a position found open (and unprotected) may have been opened well before it is written;
    # an instant, stored as the bot's DEFAULT NOW() would store it (the server's zone, for a
    # naive column: the cast to the column's type does it)
    opened = stamp - timedelta(seconds=data.get("ago", 0.0))
    db_id = await conn.fetchval(
        "INSERT INTO monitoring.positions (symbol, exchange, side, quantity, entry_price,"
        " current_price, stop_loss_price, status, has_stop_loss, leverage, opened_at,"
        " created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $5, $6, 'active', $7, 10,"
        " $8::timestamptz, $8::timestamptz, $8::timestamptz) RETURNING id",
        symbol,
        data["exchange"],
        data["side"],
        10.0,
        price,
        stop if protected else None,
        protected,
        opened,
    )
    bot.positions[data["key"]] = Position(
        db_id, symbol, data["exchange"], data["side"], price, stop
    )
    if data.get("ago"):
        # opened before the audit: its event and log lines were written then, before the
        # window, not now (the log's openings in the window are the rows' of the window)
        if protected:
            await place_stop_loss(bot, conn, bot.positions[data["key"]], data["api_ms"], stamp)
        return
    await bot.event(
        conn,
        stamp,
        "position_created",
        {
            "symbol": symbol,
            "exchange": data["exchange"],
            "side": data["side"],
            "entry_price": price,
            "execution_time_ms": data["api_ms"],
        },
        db_id,
        symbol,
        data["exchange"],
    )
    bot.line(
        stamp,
        "core.atomic_position_manager",
        "INFO",
        f"✅ Position #{db_id} for {symbol} opened ATOMICALLY at ${price}",
    )
    bot.line(stamp, "__main__", "INFO", f"📈 Position opened: {symbol} {data['side']}")
    if protected:
        await place_stop_loss(bot, conn, bot.positions[data["key"]], data["api_ms"], stamp)


@lapses_when_closed
async def sl_placed(
    bot: BotSimulator,
    conn: asyncpg.Connection,
    position: Position,
    data: dict[str, Any],
    stamp: datetime,
) -> None:
    """The stop-loss of an open position, placed a moment after its fill."""
    await mark_protected(conn, position)
    await place_stop_loss(bot, conn, position, data["api_ms"], stamp)


async def mark_protected(conn: asyncpg.Connection, position: Position) -> None:
    """The position's row now says it has its stop-loss."""
    await conn.execute(
        "UPDATE monitoring.positions SET has_stop_loss = true, stop_loss_price = $2 WHERE id = $1",
        position.db_id,
        position.stop,
    )


async def place_stop_loss(
    bot: BotSimulator,
    conn: asyncpg.Connection,
    position: Position,
    api_ms: float | None,
    stamp: datetime,
    event_type: str = "stop_loss_placed",
) -> None:
    """The event and the log line of a stop-loss set: at the fill, later, or found on load
    (``api_ms`` None: no exchange call was timed)."""
    data: dict[str, Any] = {"symbol": position.symbol, "stop_price": position.stop}
    if api_ms is not None:
        data |= {"exchange": position.exchange, "execution_time_ms": round(api_ms * 0.8, 1)}
    await bot.event(
        conn,
        stamp,
        event_type,
        data,
        position.db_id,
        position.symbol,
        position.exchange,
    )
    bot.line(
        stamp,
        "core.position_manager",
        "INFO",
        f"✅ Stop loss set for {position.symbol} at {position.stop}",
    )


async def price(
    bot: BotSimulator, conn: asyncpg.Connection, data: dict[str, Any], stamp: datetime
) -> None:
    live = [p for p in bot.positions.values() if p.is_open]
    if not live:
        return
    position = live[int(data["pick"] * len(live))]
    position.price = round(position.price * (1 + (data["pick"] - 0.5) * 0.002), 6)
    await bot.event(
        conn,
        stamp,
        "position_updated",
        {
            "symbol": position.symbol,
            "exchange": position.exchange,
            "mark_price": position.price,
            "source": "websocket",
        },
        None,
        position.symbol,
        position.exchange,
        echo=False,
    )
    base = position.symbol.removesuffix("USDT")
    bot.line(
        stamp,
        "core.position_manager",
        "INFO",
        f"📊 Position update: {base}/USDT:USDT → {position.symbol}, mark_price={position.price}",
    )


@lapses_when_closed
async def ts_activate(
    bot: BotSimulator,
    conn: asyncpg.Connection,
    position: Position,
    data: dict[str, Any],
    stamp: datetime,
) -> None:
    await conn.execute(
        "INSERT INTO monitoring.trailing_stop_state (symbol, exchange, position_id, state,"
        " is_activated, activation_price, entry_price, side, current_stop_price, activated_at)"
        " VALUES ($1, $2, $3, 'active', true, $4, $4, $5, $6, $7::timestamptz)"
        " ON CONFLICT (symbol, exchange) DO UPDATE SET position_id = EXCLUDED.position_id,"
        " state = 'active', is_activated = true, activated_at = EXCLUDED.activated_at",
        position.symbol,
        position.exchange,
        position.db_id,
        position.price,
        position.side,
        position.stop,
        stamp,
    )
    await conn.execute(
        "UPDATE monitoring.positions SET has_trailing_stop = true,"
        " trailing_activated = true WHERE id = $1",
        position.db_id,
    )
    await bot.event(
        conn,
        stamp,
        "trailing_stop_activated",
        {
            "symbol": position.symbol,
            "exchange": position.exchange,
            "activation_price": position.price,
        },
        None,
        position.symbol,
        position.exchange,
    )
    bot.line(
        stamp,
        "protection.trailing_stop",
        "INFO",
        f"✅ {position.symbol}: Trailing stop ACTIVATED at {position.price}, "
        f"stop at {position.stop}",
    )


@lapses_when_closed
async def ts_update(
    bot: BotSimulator,
    conn: asyncpg.Connection,
    position: Position,
    data: dict[str, Any],
    stamp: datetime,
) -> None:
    old, position.stop = position.stop, round(position.stop * 1.004, 6)
    await bot.event(
        conn,
        stamp,
        "trailing_stop_updated",
        {
            "symbol": position.symbol,
            "exchange": position.exchange,
            "old_stop": old,
            "new_stop": position.stop,
        },
        None,
        position.symbol,
        position.exchange,
    )
    bot.line(
        stamp,
        "protection.trailing_stop",
        "INFO",
        f"📈 {position.symbol}: SL moved - Trailing stop updated from {old} to "
        f"{position.stop} (+0.40%)",
    )
    await bot.event(
        conn,
        stamp,
        "trailing_stop_sl_updated",
        {
            "symbol": position.symbol,
            "exchange": position.exchange,
            "new_sl_price": position.stop,
            "execution_time_ms": data["ms"],
        },
        None,
        position.symbol,
        position.exchange,
    )
    bot.line(
        stamp,
        "protection.trailing_stop",
        "INFO",
        f"✅ {position.symbol}: SL updated via edit_order in {data['ms']:g}ms",
    )
    await conn.execute(
        "UPDATE monitoring.positions SET stop_loss_price = $2 WHERE id = $1",
        position.db_id,
        position.stop,
    )


@lapses_when_closed
async def close_position(
    bot: BotSimulator,
    conn: asyncpg.Connection,
    position: Position,
    data: dict[str, Any],
    stamp: datetime,
) -> None:
    reason = str(data.get("reason", "take_profit"))
    position.is_open = False
    pnl = float(data.get("pnl", 0.0))
    await conn.execute(
        "UPDATE monitoring.positions SET status = 'closed', closed_at = $2::timestamptz,"
        " exit_reason = $3, realized_pnl = $4, pnl = $4, updated_at = $2::timestamptz"
        " WHERE id = $1",
        position.db_id,
        stamp,
        reason,
        pnl,
    )
    await bot.event(
        conn,
        stamp,
        "position_closed",
        {
            "symbol": position.symbol,
            "exchange": position.exchange,
            "realized_pnl": pnl,
            "reason": reason,
        },
        position.db_id,
        position.symbol,
        position.exchange,
    )
    mark = "✅" if pnl >= 0 else "❌"
    bot.line(stamp, "__main__", "INFO", f"{mark} Position closed: {position.symbol} PnL: ${pnl}")
