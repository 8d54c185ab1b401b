"""Profiles: validation with pointed errors, and metrics a user adds without Python."""

from __future__ import annotations

import asyncio
import tomllib
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import asyncpg
import pytest

from pytest_botaudit.collection.live import Collector, Progress
from pytest_botaudit.config.profile import load_profile, parse_profile
from pytest_botaudit.demo.simulator import BotSimulator
from pytest_botaudit.errors import ProfileError

from ..conftest import REPO
from ..helpers import async_wait_for

DEFAULT = (REPO / "pytest_botaudit" / "config" / "profiles" / "default.toml").read_text()


def profile_with(extra: str = "", replace: tuple[str, str] = ("", "")) -> dict[str, Any]:
    return tomllib.loads(DEFAULT.replace(*replace) + "\n" + extra)


@pytest.mark.parametrize(
    ("extra", "replace", "message"),
    [
        (
            "",
            ('events = "events"', 'events = "events; DROP TABLE x"'),
            "tables.events: expected an SQL identifier",
        ),
        (
            "",
            ('open_statuses = ["active", "entry_placed", "pending_sl"]', "open_statuses = []"),
            "positions.open_statuses: must not be empty",
        ),
        ("[log.patterns.bad]\n", ("", ""), "log.patterns.bad: expected a list of strings"),
        ("", ("timeout = [", "timeout = ['(unclosed', "), "log.patterns.timeout: bad regular"),
        (
            "[counters.x]\nevent_types = ['a']\nlog_category = 'nope'\n",
            ("", ""),
            "counters.x.log_category: no log.patterns.nope in the profile",
        ),
        ("[queries.q]\nsql = 'SELECT $3'\n", ("", ""), "queries.q.sql: only $1"),
        (
            "",
            ('timezone = "local"', 'timezone = "Mars/Olympus"'),
            "log.timezone: unknown time zone 'Mars/Olympus'",
        ),
    ],
)
def test_bad_profiles_are_named(extra: str, replace: tuple[str, str], message: str) -> None:
    try:
        data = profile_with(extra, replace)
    except tomllib.TOMLDecodeError:
        pytest.fail("the test's TOML itself is broken")
    with pytest.raises(ProfileError, match=r"^profile my.toml: ") as caught:
        parse_profile(data, "my.toml")
    assert message in str(caught.value)


def test_unreadable_profile_file(tmp_path: Path) -> None:
    with pytest.raises(ProfileError, match=r"cannot read it"):
        load_profile(tmp_path / "missing.toml")
    (tmp_path / "broken.toml").write_text("[tables\n")
    with pytest.raises(ProfileError, match=r"invalid TOML"):
        load_profile(tmp_path / "broken.toml")


def test_user_metrics_from_the_profile_alone(tmp_path: Path, database: str) -> None:
    extra = """
[counters.stop_losses_placed]
event_types = ["stop_loss_placed"]

[queries.bybit_positions]
kind = "gauge"
sql = "SELECT count(*) FROM monitoring.positions WHERE exchange = 'bybit' AND status = 'active'"

[queries.errors_in_window]
sql = \"\"\"SELECT count(*) FROM monitoring.events
         WHERE severity = 'ERROR' AND created_at >= $1 AND created_at < $2\"\"\"
"""
    path = tmp_path / "profile.toml"
    path.write_text(DEFAULT + extra)
    profile = load_profile(path)
    progress: list[Progress] = []

    async def run() -> Any:
        start = datetime.now(UTC) - timedelta(minutes=5)
        await BotSimulator(database, tmp_path / "bot.log", 60, "faulty", 2).run(start, live=False)
        collector = Collector(database, profile, 2.0, 0.25, tmp_path, on_tick=progress.append)
        collecting = asyncio.create_task(collector.run())
        await async_wait_for(lambda: len(progress) >= 2, 20, "two ticks")
        # inside the audit window: three errors and two stop-losses the bot writes now
        connection = await asyncpg.connect(database)
        try:
            await connection.execute(
                "INSERT INTO monitoring.events (event_type, severity)"
                " SELECT 'exchange_error', 'ERROR' FROM generate_series(1, 3)"
                " UNION ALL SELECT 'stop_loss_placed', 'INFO' FROM generate_series(1, 2)"
            )
        finally:
            await connection.close()
        return await collecting

    result = asyncio.run(run())
    assert not result.gaps
    last = result.snapshots[-1]
    assert last.gauges["bybit_positions"] > 0
    # each query ran at every tick: the first ticks saw none of the rows (the backfill lies
    # before the audit window), and the rows written during the audit are counted once each
    assert all("errors_in_window" in s.counters for s in result.snapshots)
    assert result.snapshots[0].counters["errors_in_window"] == 0
    assert result.total("errors_in_window") == 3
    assert result.total("stop_losses_placed") == 2
