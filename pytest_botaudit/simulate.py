"""A simulated bot of the contract: writes positions, events and log lines, with known faults."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import random
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import IO, Any

import asyncpg

log = logging.getLogger(__name__)

SYMBOLS = (
    "BTC",
    "ETH",
    "SOL",
    "XRP",
    "DOGE",
    "ADA",
    "AVAX",
    "LINK",
    "DOT",
    "HNT",
    "NEAR",
    "ATOM",
    "APT",
    "ARB",
    "OP",
    "SUI",
    "INJ",
    "TIA",
    "SEI",
    "WLD",
)
EXCHANGES = ("binance", "bybit")


@dataclass(frozen=True, slots=True)
class Faults:
    """What a scenario injects; tests assert the audit finds exactly these."""

    unprotected_positions: int = 0
    emergency_closes: int = 0
    ws_reconnects: int = 0
    api_errors: int = 0
    zombie_orders: int = 0
    slow_sl_updates: int = 0
    excessive_ts_updates: int = 0
    aged_positions: int = 0
    timeouts: int = 0


@dataclass(frozen=True, slots=True)
class Scenario:
    name: str
    description: str
    faults: Faults
    # a healthy bot still reconnects now and then
    background_ws_reconnects: int = 1


SCENARIOS: dict[str, Scenario] = {
    "healthy": Scenario(
        "healthy", "a well-behaved bot: every position protected, no errors", Faults()
    ),
    "faulty": Scenario(
        "faulty",
        "unprotected positions, an emergency close, WebSocket flapping and an API error burst",
        Faults(unprotected_positions=2, emergency_closes=1, ws_reconnects=24, api_errors=60),
    ),
    "degraded": Scenario(
        "degraded",
        "zombie orders, aged positions, lock timeouts, slow and excessive trailing-stop updates",
        Faults(
            zombie_orders=8,
            slow_sl_updates=30,
            excessive_ts_updates=25,
            aged_positions=12,
            timeouts=12,
        ),
    ),
}
SLOW_SL_UPDATE_MS = 1500.0


@dataclass(frozen=True, slots=True)
class Action:
    """One thing the bot does ``at`` seconds (bot time, before speed-up) after start."""

    at: float
    kind: str
    data: dict[str, Any] = field(default_factory=dict)


def build_plan(scenario: Scenario, duration: float, seed: int, speed: float = 1.0) -> list[Action]:
    """The whole run as a deterministic list of actions; ``at`` is real seconds from start.

    Base activity scales with ``speed``; injected faults are exact counts at fixed fractions
    of the run (all within its first 60 %), so an audit of the same duration sees all of them.
    """
    rng = random.Random(seed)
    actions: list[Action] = [Action(0.0, "startup")]
    bot_seconds = duration * speed
    keys = iter(range(1, 10**9))
    open_keys: list[str] = []
    opened_at: dict[str, float] = {}
    fault = scenario.faults

    def at(bot_time: float) -> float:
        return min(duration * 0.999, bot_time / speed)

    # positions open at a steady pace; each gets an SL, some a trailing stop, some close
    # about two openings a minute (the real bot's last audit: 164 in 8 hours), each on another
    # symbol and exchange, so one trailing stop's updates are not mixed with the next one's
    opens = max(4, int(bot_seconds / 30))
    offset = rng.randrange(len(SYMBOLS))
    for i in range(opens):
        t = at((i + 0.5) * bot_seconds / opens * 0.9)
        key = f"p{next(keys)}"
        symbol = SYMBOLS[(offset + i // len(EXCHANGES)) % len(SYMBOLS)]
        actions.append(
            Action(
                t,
                "open",
                {
                    "key": key,
                    "symbol": symbol,
                    "exchange": EXCHANGES[i % len(EXCHANGES)],
                    "side": rng.choice(("long", "short")),
                    "price": round(rng.uniform(0.5, 500), 4),
                    "api_ms": round(rng.uniform(60, 320), 1),
                    "protected": True,
                },
            )
        )
        open_keys.append(key)
        opened_at[key] = t
        # the first position always trails, so every run has stop-loss update timings; a
        # healthy trailing stop moves at most once a minute (of bot time)
        if rng.random() < 0.5 or i == 0:
            t_ts = min(duration * 0.999, t + rng.uniform(0.05, 0.2) * duration)
            actions.append(Action(t_ts, "ts_activate", {"key": key}))
            for step in range(max(1, min(4, int(bot_seconds / 60)))):
                t_update = t_ts + 0.01 * duration + step * 61.0 / speed
                if t_update < duration * 0.999 or step == 0:
                    update = {"key": key, "ms": round(rng.uniform(40, 150), 1)}
                    actions.append(Action(min(duration * 0.999, t_update), "ts_update", update))
        # the excessive-update fault targets the first position: it stays open
        if rng.random() < 0.3 and i > 0:
            actions.append(
                Action(
                    min(duration * 0.999, t + rng.uniform(0.3, 0.6) * duration),
                    "close",
                    {"key": key, "pnl": round(rng.uniform(-20, 35), 2)},
                )
            )
    # price ticks: about five a second of bot time
    ticks = int(bot_seconds * 5)
    for _ in range(ticks):
        actions.append(Action(at(rng.uniform(0, bot_seconds)), "price", {"pick": rng.random()}))
    # periodic zombie checks that find nothing
    for k in range(max(1, int(bot_seconds / 30))):
        actions.append(Action(at((k + 1) * 30.0), "zombie_check", {"k": k + 1}))
    for i in range(scenario.background_ws_reconnects):
        actions.append(Action(duration * (0.7 + 0.05 * i), "ws_flap", {"stream": "bybit"}))

    # injected faults, at fixed fractions of the run
    for i in range(fault.unprotected_positions):
        key = f"p{next(keys)}"
        actions.append(
            Action(
                duration * (0.08 + 0.01 * i),
                "open",
                {
                    "key": key,
                    "symbol": SYMBOLS[i % len(SYMBOLS)],
                    "exchange": EXCHANGES[i % 2],
                    "side": "long",
                    "price": 10.0 + i,
                    "api_ms": 150.0,
                    "protected": False,
                },
            )
        )
        for j in range(3):
            actions.append(
                Action(
                    duration * (0.15 + 0.12 * j),
                    "sl_missing",
                    {"key": key, "level": "CRITICAL" if j else "WARNING"},
                )
            )
        actions.append(Action(duration * 0.6, "sl_placed_late", {"key": key}))
    for i in range(fault.emergency_closes):
        key = f"p{next(keys)}"
        actions.append(
            Action(
                duration * (0.2 + 0.01 * i),
                "open",
                {
                    "key": key,
                    "symbol": "OP",
                    "exchange": "binance",
                    "side": "short",
                    "price": 1.7,
                    "api_ms": 120.0,
                    "protected": True,
                },
            )
        )
        actions.append(Action(duration * (0.3 + 0.01 * i), "emergency_close", {"key": key}))
    for i in range(fault.ws_reconnects):
        actions.append(
            Action(
                duration * (0.2 + 0.3 * i / max(1, fault.ws_reconnects)),
                "ws_flap",
                {"stream": "binance"},
            )
        )
    for i in range(fault.api_errors):
        actions.append(
            Action(
                duration * (0.4 + 0.05 * i / max(1, fault.api_errors)),
                "api_error",
                {"n": i, "traceback": i % 3 == 0},
            )
        )
    for i in range(fault.zombie_orders):
        actions.append(Action(duration * (0.45 + 0.001 * i), "zombie", {"n": i}))
    for i in range(fault.slow_sl_updates):
        when = duration * (0.5 + 0.003 * i)
        already_open = [k for k in open_keys if opened_at[k] < when] or open_keys[:1]
        slow = {"key": already_open[i % len(already_open)], "ms": SLOW_SL_UPDATE_MS}
        actions.append(Action(when, "ts_update", slow))
    for i in range(fault.excessive_ts_updates):
        update = {"key": open_keys[0], "ms": round(rng.uniform(40, 150), 1)}
        actions.append(Action(duration * (0.3 + 0.004 * i), "ts_update", update))
    if fault.aged_positions:
        actions.append(Action(duration * 0.05, "load_aged", {"n": fault.aged_positions}))
    for i in range(fault.timeouts):
        actions.append(Action(duration * (0.35 + 0.005 * i), "lock_timeout", {"n": i}))
    actions.append(Action(duration * 0.9995, "heartbeat"))
    actions.sort(key=lambda a: a.at)
    return actions


@dataclass(slots=True)
class _Position:
    db_id: int
    symbol: str
    exchange: str
    side: str
    price: float
    stop: float
    is_open: bool = True


class BotSimulator:
    """Plays a plan against a database and a log file, live (real time) or instantly (backfill)."""

    def __init__(
        self,
        dsn: str,
        log_path: Path,
        duration: float,
        scenario: str | Scenario = "healthy",
        seed: int = 0,
        speed: float = 1.0,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.dsn = dsn
        self.log_path = log_path
        self.duration = duration
        self.scenario = SCENARIOS[scenario] if isinstance(scenario, str) else scenario
        self.plan = build_plan(self.scenario, duration, seed, speed)
        self.clock = clock
        self.positions: dict[str, _Position] = {}
        self.events_written = 0
        self.log_lines_written = 0
        self._rng = random.Random(seed + 1)
        self._stop = asyncio.Event()
        self._log: IO[str] | None = None

    def stop(self) -> None:
        self._stop.set()

    async def run(self, start: datetime | None = None, live: bool = True) -> None:
        """Write the whole plan. Live: each action when it is due. Backfill: at once, stamped
        ``start + at`` (for judging a past window)."""
        began = start or self.clock()
        loop_start = time.monotonic()
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        conn = await asyncpg.connect(self.dsn)
        try:
            with self.log_path.open("a", encoding="utf-8") as self._log:
                index = 0
                while index < len(self.plan) and not self._stop.is_set():
                    if live:
                        due = self.plan[index].at - (time.monotonic() - loop_start)
                        if due > 0:
                            with contextlib.suppress(TimeoutError):
                                await asyncio.wait_for(self._stop.wait(), min(due, 0.25))
                            continue
                    batch: list[Action] = []
                    horizon = (time.monotonic() - loop_start) if live else self.plan[index].at
                    while index < len(self.plan) and self.plan[index].at <= horizon + 1e-9:
                        batch.append(self.plan[index])
                        index += 1
                    async with conn.transaction():  # the bot batches its inserts too
                        for action in batch:
                            stamp = self.clock() if live else began + timedelta(seconds=action.at)
                            await self._apply(conn, action, stamp)
                    self._log.flush()
        finally:
            self._log = None
            await conn.close()

    # -- writing helpers -------------------------------------------------------------------

    def _line(
        self, stamp: datetime, logger: str, level: str, message: str, extra: tuple[str, ...] = ()
    ) -> None:
        assert self._log is not None
        local = stamp.astimezone()  # Python logging's asctime is local time
        asctime = local.strftime("%Y-%m-%d %H:%M:%S") + f",{local.microsecond // 1000:03d}"
        self._log.write(f"{asctime} - {logger} - {level} - {message}\n")
        for line in extra:
            self._log.write(line + "\n")
        self.log_lines_written += 1 + len(extra)

    async def _event(
        self,
        conn: asyncpg.Connection,
        stamp: datetime,
        event_type: str,
        data: dict[str, Any],
        position_id: int | None = None,
        symbol: str | None = None,
        exchange: str | None = None,
        severity: str = "INFO",
        error: str | None = None,
        echo: bool = True,
    ) -> None:
        await conn.execute(
            "INSERT INTO monitoring.events (event_type, event_data, position_id, symbol, exchange,"
            " severity, error_message, created_at) VALUES ($1, $2::jsonb, $3, $4, $5, $6, $7, $8)",
            event_type,
            json.dumps(data),
            position_id,
            symbol,
            exchange,
            severity,
            error,
            stamp,
        )
        self.events_written += 1
        if echo:
            self._line(stamp, "core.event_logger", "INFO", f"{event_type}: {data!r}")

    async def _apply(self, conn: asyncpg.Connection, action: Action, stamp: datetime) -> None:
        handler: Callable[[asyncpg.Connection, dict[str, Any], datetime], Awaitable[None]] = (
            getattr(self, "_do_" + action.kind)
        )
        await handler(conn, action.data, stamp)

    # -- actions -------------------------------------------------------------------------------

    async def _do_startup(
        self, conn: asyncpg.Connection, data: dict[str, Any], stamp: datetime
    ) -> None:
        self._line(stamp, "__main__", "INFO", "🚀 Starting trading bot (testnet)")
        await self._event(conn, stamp, "bot_started", {"mode": "testnet"})
        self._line(
            stamp,
            "core.signal_processor_websocket",
            "INFO",
            "🔌 WebSocket connected to signal server",
        )
        for exchange in EXCHANGES:
            self._line(
                stamp, "websocket.improved_stream", "INFO", f"{exchange} WebSocket connected"
            )

    async def _do_heartbeat(
        self, conn: asyncpg.Connection, data: dict[str, Any], stamp: datetime
    ) -> None:
        self._line(stamp, "__main__", "INFO", f"📊 Open positions: {self._open_count()}")

    def _still_open(self, data: dict[str, Any]) -> _Position | None:
        """The action's position, unless it closed in the meantime (then the action lapses)."""
        position = self.positions[data["key"]]
        return position if position.is_open else None

    def _open_count(self) -> int:
        return sum(1 for p in self.positions.values() if p.is_open)

    async def _do_open(
        self, conn: asyncpg.Connection, data: dict[str, Any], stamp: datetime
    ) -> None:
        symbol = data["symbol"] + "USDT"
        price = float(data["price"])
        stop = round(price * (0.97 if data["side"] == "long" else 1.03), 6)
        protected = bool(data["protected"])
        naive = stamp.astimezone(UTC).replace(tzinfo=None)
        db_id = await conn.fetchval(
            "INSERT INTO monitoring.positions (symbol, exchange, side, quantity, entry_price,"
            " current_price, stop_loss_price, status, has_stop_loss, leverage, opened_at,"
            " created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $5, $6, 'active', $7, 10,"
            " $8, $8, $8) RETURNING id",
            symbol,
            data["exchange"],
            data["side"],
            10.0,
            price,
            stop if protected else None,
            protected,
            naive,
        )
        self.positions[data["key"]] = _Position(
            db_id, symbol, data["exchange"], data["side"], price, stop
        )
        await self._event(
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
        self._line(
            stamp,
            "core.atomic_position_manager",
            "INFO",
            f"✅ Position #{db_id} for {symbol} opened ATOMICALLY at ${price}",
        )
        self._line(stamp, "__main__", "INFO", f"📈 Position opened: {symbol} {data['side']}")
        if protected:
            await self._event(
                conn,
                stamp,
                "stop_loss_placed",
                {
                    "symbol": symbol,
                    "exchange": data["exchange"],
                    "stop_price": stop,
                    "execution_time_ms": round(data["api_ms"] * 0.8, 1),
                },
                db_id,
                symbol,
                data["exchange"],
            )
            self._line(
                stamp, "core.position_manager", "INFO", f"✅ Stop loss set for {symbol} at {stop}"
            )

    async def _do_price(
        self, conn: asyncpg.Connection, data: dict[str, Any], stamp: datetime
    ) -> None:
        live = [p for p in self.positions.values() if p.is_open]
        if not live:
            return
        position = live[int(data["pick"] * len(live))]
        position.price = round(position.price * (1 + (data["pick"] - 0.5) * 0.002), 6)
        await self._event(
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
        self._line(
            stamp,
            "core.position_manager",
            "INFO",
            f"📊 Position update: {base}/USDT:USDT → {position.symbol}, "
            f"mark_price={position.price}",
        )

    async def _do_ts_activate(
        self, conn: asyncpg.Connection, data: dict[str, Any], stamp: datetime
    ) -> None:
        position = self._still_open(data)
        if position is None:
            return
        await conn.execute(
            "INSERT INTO monitoring.trailing_stop_state (symbol, exchange, position_id, state,"
            " is_activated, activation_price, entry_price, side, current_stop_price, activated_at)"
            " VALUES ($1, $2, $3, 'active', true, $4, $4, $5, $6, $7)"
            " ON CONFLICT (symbol, exchange) DO UPDATE SET position_id = EXCLUDED.position_id,"
            " state = 'active', is_activated = true, activated_at = EXCLUDED.activated_at",
            position.symbol,
            position.exchange,
            position.db_id,
            position.price,
            position.side,
            position.stop,
            stamp.astimezone(UTC).replace(tzinfo=None),
        )
        await conn.execute(
            "UPDATE monitoring.positions SET has_trailing_stop = true,"
            " trailing_activated = true WHERE id = $1",
            position.db_id,
        )
        await self._event(
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
        self._line(
            stamp,
            "protection.trailing_stop",
            "INFO",
            f"✅ {position.symbol}: Trailing stop ACTIVATED at {position.price}, "
            f"stop at {position.stop}",
        )

    async def _do_ts_update(
        self, conn: asyncpg.Connection, data: dict[str, Any], stamp: datetime
    ) -> None:
        position = self._still_open(data)
        if position is None:
            return
        old, position.stop = position.stop, round(position.stop * 1.004, 6)
        await self._event(
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
        self._line(
            stamp,
            "protection.trailing_stop",
            "INFO",
            f"📈 {position.symbol}: SL moved - Trailing stop updated from {old} to "
            f"{position.stop} (+0.40%)",
        )
        await self._event(
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
        self._line(
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

    async def _do_close(
        self,
        conn: asyncpg.Connection,
        data: dict[str, Any],
        stamp: datetime,
        reason: str = "take_profit",
    ) -> None:
        position = self._still_open(data)
        if position is None:
            return
        position.is_open = False
        pnl = float(data.get("pnl", 0.0))
        await conn.execute(
            "UPDATE monitoring.positions SET status = 'closed', closed_at = $2, exit_reason = $3,"
            " realized_pnl = $4, pnl = $4, updated_at = $2 WHERE id = $1",
            position.db_id,
            stamp.astimezone(UTC).replace(tzinfo=None),
            reason,
            pnl,
        )
        await self._event(
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
        self._line(
            stamp, "__main__", "INFO", f"{mark} Position closed: {position.symbol} PnL: ${pnl}"
        )

    async def _do_zombie_check(
        self, conn: asyncpg.Connection, data: dict[str, Any], stamp: datetime
    ) -> None:
        self._line(
            stamp,
            "core.position_manager",
            "INFO",
            f"✨ No zombie orders found (check #{data['k']}, duration: 0.4s)",
        )

    # -- faults --------------------------------------------------------------------------------

    async def _do_sl_missing(
        self, conn: asyncpg.Connection, data: dict[str, Any], stamp: datetime
    ) -> None:
        position = self._still_open(data)
        if position is None:
            return
        secs = 60 * (1 + self._rng.randint(0, 80))
        if data["level"] == "WARNING":
            self._line(
                stamp,
                "core.position_manager",
                "WARNING",
                f"⚠️ Position {position.symbol} has no stop loss ({secs}s)",
            )
        else:
            self._line(
                stamp,
                "core.position_manager",
                "CRITICAL",
                f"🚨 CRITICAL ALERT: Position {position.symbol} WITHOUT STOP LOSS for "
                f"{secs} seconds! Position at risk!",
            )
        await self._event(
            conn,
            stamp,
            "positions_without_sl_detected",
            {"symbols": [position.symbol], "count": 1},
            None,
            position.symbol,
            position.exchange,
            severity="WARNING",
        )

    async def _do_sl_placed_late(
        self, conn: asyncpg.Connection, data: dict[str, Any], stamp: datetime
    ) -> None:
        position = self._still_open(data)
        if position is None:
            return
        await conn.execute(
            "UPDATE monitoring.positions SET has_stop_loss = true,"
            " stop_loss_price = $2 WHERE id = $1",
            position.db_id,
            position.stop,
        )
        await self._event(
            conn,
            stamp,
            "stop_loss_set_on_load",
            {"symbol": position.symbol, "stop_price": position.stop},
            position.db_id,
            position.symbol,
            position.exchange,
        )
        self._line(
            stamp,
            "core.position_manager",
            "INFO",
            f"✅ Stop loss set for {position.symbol} at {position.stop}",
        )

    async def _do_emergency_close(
        self, conn: asyncpg.Connection, data: dict[str, Any], stamp: datetime
    ) -> None:
        position = self.positions[data["key"]]
        self._line(
            stamp,
            "core.atomic_position_manager",
            "CRITICAL",
            f"🚨 EMERGENCY CLOSE for {position.symbol}",
        )
        await self._event(
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
        await self._do_close(conn, {"key": data["key"], "pnl": -3.5}, stamp, "emergency_close")
        self._line(stamp, "core.atomic_position_manager", "INFO", "✅ Emergency close completed")

    async def _do_ws_flap(
        self, conn: asyncpg.Connection, data: dict[str, Any], stamp: datetime
    ) -> None:
        stream = data["stream"]
        self._line(
            stamp,
            "websocket.improved_stream",
            "WARNING",
            f"{stream} connection unhealthy, reconnecting...",
        )
        self._line(
            stamp, "websocket.improved_stream", "INFO", "Waiting 0.1s before reconnect attempt 1"
        )
        self._line(
            stamp + timedelta(milliseconds=100),
            "websocket.improved_stream",
            "INFO",
            f"{stream} WebSocket connected",
        )

    async def _do_api_error(
        self, conn: asyncpg.Connection, data: dict[str, Any], stamp: datetime
    ) -> None:
        payload = '{"retCode":10001,"retMsg":"params error: StopLoss price invalid"}'
        message = f"Failed to set Bybit Stop Loss: bybit {payload}"
        extra: tuple[str, ...] = ()
        if data["traceback"]:
            extra = (
                "Traceback (most recent call last):",
                '  File "/app/core/stop_loss_manager.py", line 212, in set_stop_loss',
                "    order = await self.exchange.create_order(symbol, 'market', side, qty)",
                '  File "/usr/lib/python3.12/site-packages/ccxt/async_support/bybit.py", '
                "line 4410, in create_order",
                "    raise ExchangeError(self.id + ' ' + body)",
                f"ccxt.base.errors.ExchangeError: bybit {payload}",
            )
        self._line(stamp, "core.stop_loss_manager", "ERROR", message, extra)
        await self._event(
            conn,
            stamp,
            "exchange_error",
            {"exchange": "bybit", "error": payload, "operation": "set_stop_loss"},
            None,
            None,
            "bybit",
            severity="ERROR",
            error=message,
        )

    async def _do_load_aged(
        self, conn: asyncpg.Connection, data: dict[str, Any], stamp: datetime
    ) -> None:
        """Positions the bot loads at start-up that were opened hours ago."""
        opened = stamp.astimezone(UTC).replace(tzinfo=None) - timedelta(hours=4)
        for i in range(data["n"]):
            symbol = SYMBOLS[(i + 7) % len(SYMBOLS)] + "USDT"
            exchange = EXCHANGES[i % 2]
            db_id = await conn.fetchval(
                "INSERT INTO monitoring.positions (symbol, exchange, side, quantity, entry_price,"
                " stop_loss_price, status, has_stop_loss, opened_at, created_at, updated_at)"
                " VALUES ($1, $2, 'long', 5, 20, 19.4, 'active', true, $3, $3, $3) RETURNING id",
                symbol,
                exchange,
                opened,
            )
            self.positions[f"aged{i}"] = _Position(db_id, symbol, exchange, "long", 20.0, 19.4)
            self._line(
                stamp,
                "core.aged_position_manager",
                "WARNING",
                f"⏰ Found aged position {symbol}: age=4.0h (max=3h), pnl=-1.2 USD",
            )
        await self._event(conn, stamp, "positions_loaded", {"count": data["n"]})

    async def _do_lock_timeout(
        self, conn: asyncpg.Connection, data: dict[str, Any], stamp: datetime
    ) -> None:
        self._line(
            stamp,
            "core.lock_manager",
            "ERROR",
            f"❌ Lock timeout for position_{data['n']} after 30s",
        )

    async def _do_zombie(
        self, conn: asyncpg.Connection, data: dict[str, Any], stamp: datetime
    ) -> None:
        self._line(stamp, "core.position_manager", "WARNING", "🧟 Total found: 1")
        await self._event(
            conn,
            stamp,
            "zombie_order_cancelled",
            {"order_id": f"z-{data['n']}", "exchange": "binance"},
            None,
            None,
            "binance",
            severity="WARNING",
        )
        self._line(stamp, "core.position_manager", "WARNING", "✅ Total cleaned: 1")


async def simulate(
    dsn: str,
    log_path: Path,
    duration: float,
    scenario: str = "healthy",
    seed: int = 0,
    speed: float = 1.0,
) -> BotSimulator:
    """Run a live simulation to its end and return the simulator (for its counters)."""
    simulator = BotSimulator(dsn, log_path, duration, scenario, seed, speed)
    await simulator.run()
    return simulator
