"""Time that does not lie: a window that has not happened yet (or not ended yet) is refused in
one line, before anything waits."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from pytest_botaudit.config.settings import resolve
from pytest_botaudit.errors import ConfigError


def _no_ini(name: str) -> Any:
    return None


def _iso(moment: datetime) -> str:
    return moment.isoformat(timespec="seconds")


def test_a_window_in_the_future_is_refused() -> None:
    with pytest.raises(ConfigError) as refused:
        resolve({"since": "2030-01-01T00:00", "until": "2030-01-01T01:00"}, {}, _no_ini, {})
    message = str(refused.value)
    assert message.startswith("--audit-since (command line): window start 2030-01-01T00:00:00")
    assert "is in the future" in message
    assert "\n" not in message


def test_a_window_ending_in_the_future_is_refused() -> None:
    now = datetime.now(UTC)
    since, until = now - timedelta(hours=1), now + timedelta(hours=1)
    with pytest.raises(ConfigError) as refused:
        resolve({"since": _iso(since), "until": _iso(until)}, {}, _no_ini, {})
    message = str(refused.value)
    assert message.startswith(f"--audit-until (command line): window end {_iso(until)}")
    assert "has not ended yet" in message
    assert "leave --audit-until out" in message
    assert "\n" not in message


def test_a_window_up_to_now_is_accepted() -> None:
    now = datetime.now(UTC).replace(microsecond=0)
    settings = resolve(
        {"since": _iso(now - timedelta(hours=1)), "until": _iso(now)}, {}, _no_ini, {}
    )
    assert settings.until == now
    assert resolve({"since": "-1h"}, {}, _no_ini, {}).until is None  # up to now
