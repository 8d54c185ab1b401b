"""Every positions row carries its end under names of the audit's own (position_rows): a bot
whose positions table has columns called ended_at and forced_path is audited all the same."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import asyncpg
import pytest

from pytest_botaudit.config.profile import load_profile
from pytest_botaudit.database.analysis import run_analysis
from pytest_botaudit.database.connection import connect
from pytest_botaudit.database.queries import AuditDatabase

from ..conftest import reader

PROFILE = load_profile()


@pytest.mark.asyncio
async def test_a_table_with_columns_named_like_the_audits_own(database: str) -> None:
    now = datetime.now(UTC).replace(microsecond=0)
    admin = await asyncpg.connect(database)
    try:
        await admin.execute(
            "ALTER TABLE monitoring.positions ADD COLUMN ended_at timestamptz,"
            " ADD COLUMN forced_path text"
        )
        await admin.execute(
            "INSERT INTO monitoring.positions (symbol, exchange, side, quantity, entry_price,"
            " status, exit_reason, opened_at, closed_at, ended_at, forced_path) VALUES"
            " ('ARBUSDT', 'bybit', 'long', 1, 1, 'closed', 'emergency: no stop loss',"
            " $1, $2, $3, 'not ours')",
            (now - timedelta(minutes=3)).replace(tzinfo=None),  # naive columns, read as UTC
            (now - timedelta(minutes=2)).replace(tzinfo=None),
            now - timedelta(minutes=2),
        )
    finally:
        await admin.close()
    session = await connect(reader(database))
    try:
        db = await AuditDatabase.open(session, PROFILE)
        rows = await db.tick_rows(now - timedelta(minutes=5), now, now)
        kinds = {(r["kind"], r["event_type"]): r["total"] for r in rows}
        assert kinds[("opened", None)] == 1
        assert kinds[("closed", None)] == 1
        assert [k for k in kinds if k[0] == "force_closed"] != []
        analysis = await run_analysis(session, PROFILE, now - timedelta(minutes=5), now)
        broken = [
            (t.name, t.unavailable)
            for s in analysis.sections
            for t in s.tables
            if t.unavailable and "ambiguous" in t.unavailable
        ]
        assert broken == []
        forced = analysis.section(1).tables
        assert any(t.name == "01c_closed_by_force" and t.rows for t in forced)
    finally:
        await session.close()
