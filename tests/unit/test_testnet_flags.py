"""The testnet pre-flight reads the bot's .env as the bot does: python-dotenv's rules, then
`os.getenv(KEY, 'false').lower() == 'true'` (config/settings.py of JacobJanuary/TradingBot at
9d9879e and 116d884). Only what the bot itself reads as true passes."""

from __future__ import annotations

from pathlib import Path

import pytest

from pytest_botaudit.config.botenv import bot_reads_true, effective, parse_env
from pytest_botaudit.judging import preflight
from pytest_botaudit.judging.verdicts import Verdict


@pytest.mark.parametrize(
    "value",
    ["true", "True", "TRUE", '"true"', "'true'", "true # testnet", "  true  "],
)
def test_what_the_bot_reads_as_true_passes(tmp_path: Path, value: str) -> None:
    env = tmp_path / ".env"
    env.write_text(f"BINANCE_TESTNET={value}\nexport BYBIT_TESTNET=true\n")
    result = preflight.testnet_flags(env)
    assert result.verdict is Verdict.PASS, result.message
    assert "2 testnet flags true as the bot reads them" in result.message


@pytest.mark.parametrize(
    "value",
    ["", "n", "f", "disabled", "${TESTNET}", "1", "yes", "on", '"true "', "true#x", "false"],
)
def test_anything_else_fails_and_names_the_flag(tmp_path: Path, value: str) -> None:
    env = tmp_path / ".env"
    env.write_text(f"BINANCE_TESTNET=true\nBYBIT_TESTNET={value}\n")
    result = preflight.testnet_flags(env)
    assert result.verdict is Verdict.FAIL
    assert "BYBIT_TESTNET=" in result.message
    assert "is not true as the bot reads it" in result.message


def test_an_interpolated_flag_the_file_defines_is_read_through(tmp_path: Path) -> None:
    env = tmp_path / ".env"
    env.write_text("TESTNET=true\nBINANCE_TESTNET=${TESTNET}\n")
    assert preflight.testnet_flags(env).verdict is Verdict.PASS
    env.write_text("BINANCE_TESTNET=${TESTNET}\n")
    result = preflight.testnet_flags(env)
    assert result.verdict is Verdict.FAIL
    assert "${TESTNET} is not defined in the file" in result.message


def test_the_last_assignment_wins_as_in_python_dotenv(tmp_path: Path) -> None:
    env = tmp_path / ".env"
    env.write_text("BINANCE_TESTNET=true\nBINANCE_TESTNET=false\n")
    assert preflight.testnet_flags(env).verdict is Verdict.FAIL
    env.write_text("BINANCE_TESTNET=false\nBINANCE_TESTNET=true\n")
    assert preflight.testnet_flags(env).verdict is Verdict.PASS


def test_no_flag_at_all_fails_the_bot_defaults_to_the_live_exchange(tmp_path: Path) -> None:
    env = tmp_path / ".env"
    env.write_text("LOG_LEVEL=INFO\n# BINANCE_TESTNET=true\n")
    result = preflight.testnet_flags(env)
    assert result.verdict is Verdict.FAIL
    assert "no *_TESTNET flag: the bot defaults to the live exchange" in result.message


def test_an_exchange_with_keys_but_no_flag_fails_and_hides_the_key(tmp_path: Path) -> None:
    env = tmp_path / ".env"
    env.write_text("BINANCE_TESTNET=true\nBYBIT_API_KEY=sekrit-api-key-123\n")
    result = preflight.testnet_flags(env)
    assert result.verdict is Verdict.FAIL
    assert "BYBIT_API_KEY is set but BYBIT_TESTNET is not" in result.message
    assert "sekrit" not in result.message + "".join(result.evidence)


def test_a_missing_env_or_one_that_is_not_a_file_is_no_data(tmp_path: Path) -> None:
    missing = preflight.testnet_flags(tmp_path / ".env")
    assert missing.verdict is Verdict.NO_DATA
    assert "no such file" in missing.message
    (tmp_path / "dir.env").mkdir()
    assert "is a directory" in preflight.testnet_flags(tmp_path / "dir.env").message


def test_parse_env_follows_python_dotenv() -> None:
    text = (
        "A=1\n"
        "export B = 'two words'\n"
        'C="quoted # not a comment"\n'
        "D=value # a comment\n"
        "E=value#kept\n"
        "F\n"
        "G=\n"
    )
    entries = effective(parse_env(text))
    assert {k: e.value for k, e in entries.items()} == {
        "A": "1",
        "B": "two words",
        "C": "quoted # not a comment",
        "D": "value",
        "E": "value#kept",
        "G": "",
    }
    assert not any(bot_reads_true(e) for e in entries.values())
