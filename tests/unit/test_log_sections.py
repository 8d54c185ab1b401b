"""The sections of `botaudit logs` agree with each other, and say what window they cover."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC
from pathlib import Path

from pytest_botaudit.config.profile import load_profile
from pytest_botaudit.logs.files import analyze_files
from pytest_botaudit.reporting.logtext import render_log_report

PROFILE = replace(load_profile(), log_timezone=UTC)
FAILED_SL = (
    "2025-10-15 02:40:{s:02d},000 - core.stop_loss_manager - ERROR - Failed to set Bybit Stop "
    'Loss: bybit {{"retCode":10001,"retMsg":"params error"}}\n'
)


def test_stop_loss_failures_agree_with_the_errors_section(tmp_path: Path) -> None:
    log = tmp_path / "bot.log"
    log.write_text("".join(FAILED_SL.format(s=s) for s in range(60)))
    analysis = analyze_files([log], PROFILE)
    shapes = {s.shape: s.count for s in analysis.errors.shapes}
    failed_in_errors = sum(n for shape, n in shapes.items() if "Failed to set" in shape)
    assert failed_in_errors == 60
    assert analysis.stop_loss.set_failed == 60
    text = render_log_report(analysis)
    assert "failed 60 (to set 60, to update 0)" in text


def test_uptime_says_the_window_it_covers(tmp_path: Path) -> None:
    log = tmp_path / "bot.log"
    log.write_text(
        "2025-10-15 02:40:00,000 - websocket.improved_stream - WARNING - binance connection "
        "unhealthy, reconnecting...\n"
        "2025-10-15 02:40:10,000 - websocket.improved_stream - INFO - binance WebSocket connected\n"
        "2025-10-15 02:41:40,000 - m - INFO - later\n"
    )
    analysis = analyze_files([log], PROFILE)
    assert analysis.ws_uptime_percent == 90.0
    assert analysis.websocket.covers == "2025-10-15 02:40:00 UTC to 02:41:40 UTC"
    assert f"uptime 90 % over {analysis.websocket.covers}" in render_log_report(analysis)
