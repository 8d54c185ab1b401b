"""Pre-flight of the bot as it is: the zone its naive timestamps are read in, its clock, its
words against the profile (--audit-bot-source)."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path

import asyncpg
import pytest

from pytest_botaudit.config.profile import load_profile
from pytest_botaudit.judging import preflight_bot
from pytest_botaudit.judging.verdicts import Verdict

from ..conftest import reader
from ..realbot import HEAD, OLD
from ..unit.test_vocabulary import fake_bot

PROFILE = load_profile()


@pytest.mark.parametrize(
    ("realbot_database", "verdict", "said"),
    [
        ((OLD, "Asia/Dubai"), Verdict.WARN, "its Python utcnow() writes UTC"),
        ((HEAD, "Asia/Dubai"), Verdict.PASS, "every timestamp column has a time zone"),
        ((OLD, "UTC"), Verdict.PASS, "positions.opened_at read as UTC"),
    ],
    indirect=["realbot_database"],
    ids=["2025 schema east of UTC", "2026 schema", "2025 schema in UTC"],
)
def test_the_zone_of_naive_columns_is_named_and_a_disagreement_warned(
    realbot_database: str, verdict: Verdict, said: str
) -> None:
    result = asyncio.run(preflight_bot.timestamps_and_clock(reader(realbot_database), PROFILE))
    assert result.verdict is verdict, result.message
    assert said in result.message + " ".join(result.evidence)


@pytest.mark.parametrize("realbot_database", [(HEAD, "UTC")], indirect=True)
def test_rows_stamped_ahead_of_the_server_clock_are_warned_with_the_offset(
    realbot_database: str,
) -> None:
    async def stamp_ahead() -> None:
        connection = await asyncpg.connect(realbot_database)
        try:
            await connection.execute(
                "INSERT INTO monitoring.events (event_type, created_at) VALUES ('bot_started', $1)",
                datetime.now(UTC) + timedelta(hours=4),
            )
        finally:
            await connection.close()

    asyncio.run(stamp_ahead())
    result = asyncio.run(preflight_bot.timestamps_and_clock(reader(realbot_database), PROFILE))
    assert result.verdict is Verdict.WARN
    assert "the newest events row is stamped 4.0 h ahead of the server's clock" in result.message


def test_the_profile_held_against_the_bots_source(tmp_path: Path) -> None:
    result = preflight_bot.bot_vocabulary(fake_bot(tmp_path / "bot"), PROFILE)
    assert result.verdict is Verdict.WARN
    assert "does not know 2 ERROR/CRITICAL template(s)" in result.message
    assert any("💥 Brand new disaster for {symbol}" in e for e in result.evidence)
    missing = preflight_bot.bot_vocabulary(tmp_path / "nowhere", PROFILE)
    assert missing.verdict is Verdict.WARN
    assert "not a folder" in missing.message
