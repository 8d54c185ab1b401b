"""The tick's generic plans: the transaction's plan_cache_mode is force_generic_plan inside and
what it was after, and a statement that fails inside fails with its own error, not with the
restore's "current transaction is aborted"."""

from __future__ import annotations

import asyncpg
import pytest

from pytest_botaudit.database.connection import connect

MODE = "SELECT current_setting('plan_cache_mode')"


@pytest.mark.asyncio
async def test_generic_plans_inside_and_the_setting_back_after(database: str) -> None:
    session = await connect(database)
    try:
        async with session.transaction():
            before = await session.fetchval(MODE)
            async with session.generic_plans():
                assert await session.fetchval(MODE) == "force_generic_plan"
            assert await session.fetchval(MODE) == before != "force_generic_plan"
    finally:
        await session.close()


@pytest.mark.asyncio
async def test_a_failing_statement_inside_keeps_its_own_error(database: str) -> None:
    session = await connect(database)
    try:
        with pytest.raises(asyncpg.DivisionByZeroError):
            async with session.transaction(), session.generic_plans():
                await session.fetchval("SELECT 1 / (SELECT count(*) FROM pg_class WHERE false)")
        assert await session.fetchval("SELECT 42") == 42  # the session goes on
    finally:
        await session.close()
