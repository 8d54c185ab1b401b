"""botaudit vocabulary: the bot's source read (never run), its words held against the profile."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest

from pytest_botaudit.cli import main
from pytest_botaudit.config.profile import load_profile
from pytest_botaudit.vocabulary.check import check_vocabulary
from pytest_botaudit.vocabulary.source import SourceError, read_source
from pytest_botaudit.vocabulary.templates import sample_value

FAKE_BOT = {
    "main.py": """
        import logging

        from core import trader
        from core.events import EventType

        logger = logging.getLogger(__name__)


        def run(symbol):
            logger.info(f"✅ Position opened: {symbol} long 1.0 @ $1.5")
            logger.error(f"Failed to set Stop Loss for {symbol}: boom")
            trader.trade(symbol)
            return EventType.POSITION_CREATED
    """,
    "core/__init__.py": "",
    "core/events.py": """
        from enum import Enum


        class EventType(Enum):
            POSITION_CREATED = "position_created"
            BRAND_NEW_EVENT = "brand_new_event"
    """,
    "core/trader.py": """
        import logging

        from . import health

        log = logging.getLogger("TraderClient")


        def trade(symbol):
            error_msg = f"Symbol {symbol} not tradable on binance"
            log.error(f"❌ {error_msg}")
            log.critical("💥 Brand new disaster for %s", symbol)
            log.warning("  - %s", symbol)
            health.check()
    """,
    "core/health.py": """
        from loguru import logger


        def check():
            logger.error("Health check failed badly")
    """,
    "core/unused.py": """
        import logging

        logging.getLogger(__name__).critical("never imported, never read")
    """,
}


def fake_bot(root: Path) -> Path:
    for name, text in FAKE_BOT.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text).lstrip(), encoding="utf-8")
    return root


def test_the_modules_the_entry_imports_are_read_with_their_calls(tmp_path: Path) -> None:
    source = read_source(fake_bot(tmp_path))
    assert source.modules == ("core/__init__.py", "core/events.py", "core/health.py",
                              "core/trader.py", "main.py")  # fmt: skip
    assert [e.value for e in source.event_types] == ["position_created", "brand_new_event"]
    found = {(t.where, t.level, t.logger, t.text) for t in source.templates}
    assert found == {
        ("main.py:10", "INFO", "__main__", "✅ Position opened: {symbol} long 1.0 @ $1.5"),
        ("main.py:11", "ERROR", "__main__", "Failed to set Stop Loss for {symbol}: boom"),
        # a local string variable is read through; %-formatting's holes are named
        (
            "core/trader.py:10",
            "ERROR",
            "TraderClient",
            "❌ Symbol {symbol} not tradable on binance",
        ),
        ("core/trader.py:11", "CRITICAL", "TraderClient", "💥 Brand new disaster for {symbol}"),
        ("core/trader.py:12", "WARNING", "TraderClient", "  - {symbol}"),
    }  # loguru's line goes to stderr, never to the log file: not a template of it


def test_an_unclassified_error_template_fails_and_is_named(tmp_path: Path) -> None:
    [report] = check_vocabulary([read_source(fake_bot(tmp_path))], load_profile())
    unclassified = {t.template.text for t in report.unclassified(("ERROR", "CRITICAL"))}
    assert unclassified == {"❌ Symbol {symbol} not tradable on binance",
                            "💥 Brand new disaster for {symbol}"}  # fmt: skip
    assert {t.template.text for t in report.wordless(("WARNING",))} == {"  - {symbol}"}
    assert report.failed
    assert "brand_new_event" in report.uncounted_event_types
    # the stop-loss failure is one the profile knows
    classified = {t.template.text: t.categories for t in report.classified(("ERROR",))}
    assert classified == {"Failed to set Stop Loss for {symbol}: boom": ("sl_set_failed",)}


def test_the_command_prints_text_and_json_and_exits_by_its_result(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = fake_bot(tmp_path / "bot")
    assert main(["vocabulary", "--bot-source", str(root)]) == 1
    text = capsys.readouterr().out
    assert "core/trader.py:11 TraderClient: 💥 Brand new disaster for {symbol}" in text
    assert "result: unclassified ERROR/CRITICAL templates: the audit would miss them" in text
    assert main(["vocabulary", "--bot-source", str(root), "--json"]) == 1
    [report] = json.loads(capsys.readouterr().out)
    assert report["failed"] is True
    assert [t["where"] for t in report["templates"]["CRITICAL"]["unclassified"]] == [
        "core/trader.py:11"
    ]
    # a profile that knows the new words passes
    profile = tmp_path / "profile.toml"
    default = Path(__file__).parents[2] / "pytest_botaudit/config/profiles/default.toml"
    profile.write_text(
        default.read_text("utf-8").replace(
            "known_warning = [",
            "known_warning = [\n    '^❌ Symbol \\S+ not tradable',\n    '^💥 Brand new disaster',",
        ),
        encoding="utf-8",
    )
    assert main(["vocabulary", "--bot-source", str(root), "--profile", str(profile)]) == 0
    assert "every ERROR/CRITICAL template is classified" in capsys.readouterr().out


def test_a_missing_source_or_entry_is_one_line(tmp_path: Path) -> None:
    with pytest.raises(SourceError, match="not a folder"):
        read_source(tmp_path / "nowhere")
    with pytest.raises(SourceError, match=r"no entry module main\.py"):
        read_source(tmp_path)


def test_a_fifo_or_a_broken_module_is_reported_not_read(tmp_path: Path) -> None:
    root = fake_bot(tmp_path)
    (root / "core" / "trader.py").write_text("def broken(:\n")
    source = read_source(root)
    assert source.unreadable == ("core/trader.py: not Python 3 (SyntaxError)",)


@pytest.mark.parametrize(
    ("expression", "value"),
    [
        ("ts.symbol", "BTCUSDT"),
        ("atomic_result['entry_price']", "1.5"),
        ("len(self.positions)", "3"),
        ("name or 'unnamed'", "unnamed"),
        ("reason", "stop_loss"),
        ("e", "some error"),
    ],
)
def test_placeholders_get_a_value_of_their_kind(expression: str, value: str) -> None:
    assert sample_value(expression) == value
