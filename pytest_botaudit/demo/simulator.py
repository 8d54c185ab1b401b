"""The simulated bot: plays a scenario's plan of actions against a database and a log file."""

from __future__ import annotations

import asyncio
import contextlib
import json
import random
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import IO, Any

import asyncpg

from . import faults, trading
from .scenarios import SCENARIOS, Action, Scenario, build_plan
from .trading import Position

# every action kind a plan may hold, and what plays it (a test checks the plans use no other)
ACTIONS: dict[str, trading.Handler] = {
    "startup": trading.startup,
    "heartbeat": trading.heartbeat,
    "open": trading.open_position,
    "price": trading.price,
    "ts_activate": trading.ts_activate,
    "ts_update": trading.ts_update,
    "close": trading.close_position,
    "sl_placed": trading.sl_placed,
    "zombie_check": faults.zombie_check,
    "synchronization": faults.synchronization,
    "sl_missing": faults.sl_missing,
    "sl_placed_late": faults.sl_placed_late,
    "emergency_close": faults.emergency_close,
    "late_trailing_move": faults.late_trailing_move,
    "ws_flap": faults.ws_flap,
    "api_error": faults.api_error,
    "load_aged": faults.load_aged,
    "lock_timeout": faults.lock_timeout,
    "zombie": faults.zombie,
    "novel_error": faults.novel_error,
}


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
        self.positions: dict[str, Position] = {}
        self.events_written = 0
        self.log_lines_written = 0
        self.rng = random.Random(seed + 1)
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
                    # a backfill writes 5 s of bot time a transaction, as the bot batches its
                    # inserts; each row keeps its own stamp
                    horizon = (
                        (time.monotonic() - loop_start)
                        if live
                        else self.plan[index].at + BACKFILL_BATCH_SECONDS
                    )
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

    def line(
        self, stamp: datetime, logger: str, level: str, message: str, extra: tuple[str, ...] = ()
    ) -> None:
        assert self._log is not None
        self._log.write(log_line(stamp, logger, level, message))
        for line in extra:
            self._log.write(line + "\n")
        self.log_lines_written += 1 + len(extra)

    async def event(
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
            self.line(stamp, "core.event_logger", "INFO", f"{event_type}: {data!r}")

    async def _apply(self, conn: asyncpg.Connection, action: Action, stamp: datetime) -> None:
        await ACTIONS[action.kind](self, conn, action.data, stamp)

    def open_count(self) -> int:
        return sum(1 for p in self.positions.values() if p.is_open)


BACKFILL_BATCH_SECONDS = 5.0


def log_line(stamp: datetime, logger: str, level: str, message: str) -> str:
    """One line as the bot's Python logging writes it (asctime is local time)."""
    local = stamp.astimezone()
    asctime = local.strftime("%Y-%m-%d %H:%M:%S") + f",{local.microsecond // 1000:03d}"
    return f"{asctime} - {logger} - {level} - {message}\n"
