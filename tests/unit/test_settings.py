"""Unit tests of the scalar parsers, DSN redaction and settings precedence."""

from __future__ import annotations

import pathlib
import string
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pytest_botaudit.config.dsn import redact_dsn, secrets_of
from pytest_botaudit.config.settings import resolve
from pytest_botaudit.config.values import format_duration, parse_bool, parse_duration, parse_time
from pytest_botaudit.database.passfile import fields, passfile_password
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


# one setting given at every level: each level, from the top, wins over all the ones below it
_LEVELS = ("command line", "environment", "ini", "tool", "default")
_GIVEN = {"command line": "2h", "environment": "3h", "ini": "4h", "tool": "5h"}
_ORIGINS = {
    "command line": "--audit-duration (command line)",
    "environment": "BOTAUDIT_DURATION (environment)",
    "ini": "audit_duration (ini file)",
    "tool": "[tool.botaudit] duration",
    "default": "default",
}


@pytest.mark.parametrize("top", _LEVELS)
def test_each_level_wins_over_every_level_below_it(top: str) -> None:
    given = {level: _GIVEN[level] for level in _LEVELS[_LEVELS.index(top) :] if level in _GIVEN}
    settings = resolve(
        {"duration": given["command line"]} if "command line" in given else {},
        {"BOTAUDIT_DURATION": given["environment"]} if "environment" in given else {},
        lambda name: given.get("ini") if name == "audit_duration" else None,
        {"duration": given["tool"]} if "tool" in given else {},
    )
    expected = parse_duration(_GIVEN[top]) if top in _GIVEN else 8 * 3600.0
    assert settings.duration == expected
    assert settings.origins["duration"] == _ORIGINS[top]


def test_precedence_holds_in_a_real_run_of_ini_pyproject_and_environment(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The same ladder through pytest itself: a pytest.ini, the rootdir's pyproject.toml and
    the environment, as the report header shows them."""
    pytester.makeini("[pytest]\naudit_duration = 4h\naudit_interval = 2m\n")
    pytester.makefile(
        ".toml",
        pyproject="[tool.botaudit]\nduration = '5h'\ninterval = '3m'\nstrict = true\n",
    )
    pytester.makepyfile("def test_check(audit_check):\n    pass\n")
    monkeypatch.setenv("BOTAUDIT_DURATION", "3h")
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "--collect-only", "-q")
    # duration: environment over ini over tool; interval: ini over tool; strict: tool alone
    result.stdout.fnmatch_lines(
        ["botaudit: mode live, duration 3h (90 snapshots), interval 2m, strict True*"]
    )
    cli = pytester.runpytest_subprocess(
        "-p", "no:cacheprovider", "--collect-only", "-q", "--audit-duration=2h"
    )
    cli.stdout.fnmatch_lines(["botaudit: mode live, duration 2h (60 snapshots), interval 2m*"])


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


def test_a_passfile_is_read_as_libpq_reads_it(tmp_path: pathlib.Path) -> None:

    assert fields(r"db\:host:5432:*:bot:pa\:ss\\w:ord") == [
        "db:host",
        "5432",
        "*",
        "bot",
        "pa:ss\\w:ord",
    ]
    passfile = tmp_path / "pgpass"
    passfile.write_text("# comment\nother:5432:*:*:nope\n*:5433:fox:bot:first\n*:*:*:bot:second\n")
    passfile.chmod(0o600)
    uri = f"postgresql://bot@/fox?host=/srv/pg&port=5433&passfile={passfile}"
    assert passfile_password(uri, {}) == "first"
    assert passfile_password(uri.replace("5433", "5432"), {}) == "second"
    assert passfile_password(uri.replace("bot@", "bot:given@"), {}) is None  # named already
    assert passfile_password(uri, {"PGPASSWORD": "env"}) is None
    passfile.chmod(0o644)  # readable by others: libpq ignores it
    assert passfile_password(uri, {}) is None
