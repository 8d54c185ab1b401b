"""Unit tests of the scalar parsers, DSN redaction and settings precedence."""

from __future__ import annotations

import string
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pytest_botaudit.config.dsn import redact_dsn, secrets_of
from pytest_botaudit.config.settings import resolve
from pytest_botaudit.config.values import format_duration, parse_bool, parse_duration, parse_time
from pytest_botaudit.errors import ConfigError


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("8h", 28800),
        ("90m", 5400),
        ("30s", 30),
        ("0.2s", 0.2),
        ("1h30m", 5400),
        ("45", 45),
        ("500ms", 0.5),
        ("2d", 172800),
        (" 5M ", 300),
    ],
)
def test_parse_duration_accepts(text: str, seconds: float) -> None:
    assert parse_duration(text) == pytest.approx(seconds)


@pytest.mark.parametrize(
    "text", ["8x", "", "h", "-5m", "0s", "0", "5m3", "1.2.3s", "nan", "inf", "m5", "5 m"]
)
def test_parse_duration_rejects(text: str) -> None:
    with pytest.raises(ValueError, match=r"duration"):
        parse_duration(text)


@given(st.integers(min_value=1, max_value=10**6))
def test_format_duration_round_trips(seconds: int) -> None:
    assert parse_duration(format_duration(seconds)) == seconds


def test_parse_bool_rejects_garbage() -> None:
    assert parse_bool("Yes") is True
    assert parse_bool("off") is False
    with pytest.raises(ValueError, match="true or false"):
        parse_bool("maybe")


def test_parse_time_relative_and_naive_iso() -> None:
    now = datetime(2025, 10, 18, 12, tzinfo=UTC)
    assert parse_time("-8h", now) == now - timedelta(hours=8)
    assert parse_time("2025-10-18T07:06", now) == datetime(2025, 10, 18, 7, 6, tzinfo=UTC)
    with pytest.raises(ValueError, match="ISO time"):
        parse_time("yesterday", now)


@pytest.mark.parametrize(
    ("dsn", "expected"),
    [
        ("postgresql://bot:s3cret@db:5432/fox", "postgresql://bot:***@db:5432/fox"),
        (
            "postgres://bot@db/fox?password=s3cret&sslmode=require",
            "postgres://bot@db/fox?password=***&sslmode=require",
        ),
        ("host=db user=bot password=s3cret dbname=fox", "host=db user=bot password=*** dbname=fox"),
        ("host=db password='a b' dbname=fox", "host=db password=*** dbname=fox"),
        ("postgresql://bot@/fox?host=/tmp/x", "postgresql://bot@/fox?host=/tmp/x"),
    ],
)
def test_redact_dsn(dsn: str, expected: str) -> None:
    assert redact_dsn(dsn) == expected
    for secret in secrets_of(dsn):
        assert secret not in redact_dsn(dsn)


_SECRET = st.text(
    alphabet=string.ascii_letters + string.digits + "!$&()*+,;=-._~%", min_size=3, max_size=20
)


@given(password=_SECRET, user=st.from_regex(r"[a-z]{1,8}", fullmatch=True))
def test_redacted_url_never_contains_the_password(password: str, user: str) -> None:
    dsn = f"postgresql://{user}:{password}@db.example:5432/fox_crypto"
    assert password in secrets_of(dsn)
    redacted = redact_dsn(dsn)
    assert f":{password}@" not in redacted
    assert redacted.startswith(f"postgresql://{user}:***@")


def _no_ini(name: str) -> None:
    return None


def test_precedence_command_line_over_env_over_ini_over_tool() -> None:
    tool = {"duration": "1h", "interval": "30s", "strict": True}
    settings = resolve(
        {"duration": "2h"},
        {"BOTAUDIT_INTERVAL": "10s"},
        lambda name: "5m" if name == "audit_duration" else None,
        tool,
    )
    assert settings.duration == 7200
    assert settings.origins["duration"] == "--audit-duration (command line)"
    assert settings.interval == 10
    assert settings.origins["interval"] == "BOTAUDIT_INTERVAL (environment)"
    assert settings.strict is True
    assert settings.origins["strict"] == "[tool.botaudit] strict"
    assert settings.out == Path(".")
    assert settings.expected_snapshots == 720


def test_bad_value_names_value_and_source() -> None:
    with pytest.raises(ConfigError) as caught:
        resolve({}, {"BOTAUDIT_DURATION": "8x"}, _no_ini, {})
    assert str(caught.value).startswith(
        "BOTAUDIT_DURATION (environment): invalid value '8x' for --audit-duration"
    )


def test_bad_dsn_value_is_redacted_in_the_error() -> None:
    settings = resolve({"dsn": "postgresql://u:hunter2@h/db"}, {}, _no_ini, {})
    assert settings.redacted_dsn == "postgresql://u:***@h/db"
    assert "hunter2" not in repr(settings.redacted_dsn)


def test_interval_longer_than_duration_is_rejected() -> None:
    with pytest.raises(ConfigError, match=r"interval 2m is longer than the audit duration 1m"):
        resolve({"duration": "1m", "interval": "2m"}, {}, _no_ini, {})


@pytest.mark.parametrize(
    ("key", "value"),
    [("bot_version", ["abc"]), ("dsn", {"host": "db", "password": "hunter2"}), ("run", ["x"])],
)
def test_a_toml_array_or_table_for_a_single_value_is_rejected(key: str, value: object) -> None:
    with pytest.raises(ConfigError, match=rf"\[tool.botaudit\] {key}: invalid value .*one value"):
        resolve({}, {}, _no_ini, {key: value})
    with pytest.raises(ConfigError) as caught:
        resolve({}, {}, _no_ini, {key: value})
    assert "hunter2" not in str(caught.value)


def test_unknown_tool_setting_is_rejected() -> None:
    with pytest.raises(ConfigError, match=r"unknown setting 'duraton'"):
        resolve({}, {}, _no_ini, {"duraton": "8h"})


@pytest.mark.parametrize(
    ("option", "value", "message"),
    [
        ("baseline_alpha", "0", "between 0 and 1"),
        ("baseline_alpha", "5%", "a significance level such as 0.01"),
        ("baseline_min_effect", "-0.1", "a finite number >= 0"),
        ("baseline_min_effect", "inf", "a finite number >= 0"),
    ],
)
def test_the_baseline_statistics_are_checked_and_named(
    option: str, value: str, message: str
) -> None:
    with pytest.raises(ConfigError, match=rf"--audit-{option.replace('_', '-')}.*{message}"):
        resolve({option: value}, {}, lambda _: None, {})
    settings = resolve({}, {"BOTAUDIT_BASELINE_ALPHA": "0.05"}, lambda _: None, {})
    assert (settings.baseline_alpha, settings.baseline_min_effect) == (0.05, 0.2)
