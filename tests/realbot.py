"""Rows and log lines written the way JacobJanuary/TradingBot writes them (facts read from its
source at 9d9879e and 116d884, the code written for these tests): its repository's INSERTs and
UPDATEs, its event logger's rows and echo, and the message templates of its modules. A test
plays a past period with it, then judges that period in window mode.

- positions rows get opened_at as DEFAULT NOW() would give it at that moment (the server's
  TimeZone for the 2025 `timestamp` column), a rollback's closed_at is Python's naive utcnow()
  (core/atomic_position_manager.py:472-476@9d9879e, 1241-1246@116d884);
- events are stamped by the logger in Python, aware UTC, at the moment it is called
  (core/event_logger.py:249-261@9d9879e), and echoed as `<event_type>: {dict}`;
- the stop-loss manager's stop_loss_placed carries symbol and exchange only, no position_id
  (core/stop_loss_manager.py:541@9d9879e, :542@116d884); has_stop_loss is set later by the
  periodic protection check (core/position_manager.py:2459-2466@9d9879e);
- one trailing-stop move writes a trailing_stop_sl_updated and two trailing_stop_updated rows,
  a skipped move one trailing_stop_updated with action='skipped' (trailing_stop.py:564-604).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import asyncpg

OLD, HEAD = "9d9879e", "116d884"
SCHEMAS = Path(__file__).resolve().parent / "data"


def schema_sql(version: str) -> str:
    return (SCHEMAS / f"realbot_schema_{version}.sql").read_text("utf-8")


class RealBot:
    """Writes as the bot does, at moments the test chooses (a past period, played at once)."""

    def __init__(self, connection: asyncpg.Connection, log: Path, version: str) -> None:
        self.conn = connection
        self.log = log
        self.version = version
        self.lines: list[str] = []

    # -- the log -------------------------------------------------------------------------

    def line(self, at: datetime, logger: str, level: str, message: str, *continuation: str) -> None:
        """`%(asctime)s - %(name)s - %(levelname)s - %(message)s` in the host's local time."""
        local = at.astimezone()
        stamp = local.strftime("%Y-%m-%d %H:%M:%S") + f",{local.microsecond // 1000:03d}"
        self.lines.append(f"{stamp} - {logger} - {level} - {message}")
        self.lines.extend(continuation)

    def flush(self) -> None:
        with self.log.open("a", encoding="utf-8") as handle:
            handle.write("\n".join(self.lines) + "\n")
        self.lines.clear()

    # -- the event logger ----------------------------------------------------------------

    async def event(
        self,
        at: datetime,
        event_type: str,
        data: dict[str, Any],
        *,
        position_id: int | None = None,
        symbol: str | None = None,
        exchange: str | None = None,
        severity: str = "INFO",
    ) -> None:
        await self.conn.execute(
            "INSERT INTO monitoring.events (event_type, event_data, correlation_id, position_id,"
            " order_id, symbol, exchange, severity, error_message, stack_trace, created_at)"
            " VALUES ($1, $2::jsonb, NULL, $3, NULL, $4, $5, $6, NULL, NULL, $7)",
            event_type,
            json.dumps(data),
            position_id,
            symbol,
            exchange,
            severity,
            at.astimezone(UTC),
        )
        level = {"ERROR": "ERROR", "WARNING": "WARNING"}.get(severity, "INFO")
        self.line(at, "core.event_logger", level, f"{event_type}: {data!r}")

    # -- the repository ------------------------------------------------------------------

    async def open_position(
        self, at: datetime, symbol: str, exchange: str, side: str = "long", price: float = 100.0
    ) -> int:
        """An atomic open: the row (no position_created event at 116d884, none on this path at
        9d9879e either), its log lines, the stop-loss manager's event two seconds later."""
        position_id = int(
            await self.conn.fetchval(
                "INSERT INTO monitoring.positions (symbol, exchange, side, quantity, entry_price,"
                " status, opened_at, created_at, updated_at)"
                " VALUES ($1, $2, $3, 1, $4, 'active', $5::timestamptz, $5::timestamptz,"
                " $5::timestamptz) RETURNING id",
                symbol,
                exchange,
                side,
                price,
                at,
            )
        )
        self.line(
            at,
            "core.position_manager",
            "INFO",
            f"✅ Position #{position_id} for {symbol} opened ATOMICALLY at ${price:.4f}",
        )
        if self.version == HEAD:  # 116d884 logs the open twice (position_manager.py:1417)
            self.line(
                at,
                "core.position_manager",
                "INFO",
                f"✅ Position opened: {symbol} {side} 1.000000 @ ${price:.4f}",
            )
        return position_id

    async def place_stop_loss(
        self, at: datetime, symbol: str, exchange: str, price: float = 97.0
    ) -> None:
        data = {
            "symbol": symbol,
            "exchange": exchange,
            "stop_price": price,
            "method": "stop_market",
        }
        await self.event(at, "stop_loss_placed", data, symbol=symbol, exchange=exchange)
        self.line(at, "core.atomic_position_manager", "INFO", "✅ Stop-loss placed successfully")

    async def protection_check(self, at: datetime, position_id: int, price: float = 97.0) -> None:
        """The periodic check found the stop-loss on the exchange (it never writes FALSE)."""
        await self.conn.execute(
            "UPDATE monitoring.positions SET has_stop_loss = true, stop_loss_price = $2,"
            " updated_at = $3::timestamptz WHERE id = $1",
            position_id,
            price,
            at,
        )

    async def rollback(self, at: datetime, position_id: int, error: str) -> None:
        """The atomic open rolled back after its stop-loss failed: closed_at from utcnow()."""
        await self.conn.execute(
            "UPDATE monitoring.positions SET status = 'rolled_back', closed_at = $2,"
            " exit_reason = $3 WHERE id = $1",
            position_id,
            at.astimezone(UTC).replace(tzinfo=None),
            f"rollback: {error}"[:450],
        )

    async def close(self, at: datetime, position_id: int, pnl: float, reason: str) -> None:
        """repository.close_position: closed_at = NOW(), the PnL in `pnl`."""
        await self.conn.execute(
            "UPDATE monitoring.positions SET status = 'closed', pnl = $2, exit_reason = $3,"
            " closed_at = $4::timestamptz, updated_at = $4::timestamptz WHERE id = $1",
            position_id,
            pnl,
            reason,
            at,
        )
