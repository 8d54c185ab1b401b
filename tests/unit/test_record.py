"""The run record read back: a killed audit's half-written line is the tick in flight."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from pytest_botaudit.collection.replay import recorded_runs, replay
from pytest_botaudit.errors import ConfigError
from pytest_botaudit.record.folder import AuditDir
from pytest_botaudit.record.jsonl import read_run, read_runs
from pytest_botaudit.record.summary import BLOCK_CHARACTERS, json_text, write_json
from pytest_botaudit.redaction import REDACTED, forget, remember, scrub


def test_read_run_skips_a_half_written_line(tmp_path: Path) -> None:
    path = tmp_path / "monitoring_snapshots_20251018.jsonl"
    good = {
        "timestamp": "2025-10-18T07:00:00+00:00",
        "tick": 1,
        "window": ["2025-10-18T06:59:00+00:00", "2025-10-18T07:00:00+00:00"],
        "gauges": {"positions_total": 3},
        "counters": {},
        "by_exchange": {},
    }
    path.write_text(
        json.dumps(
            {"audit": {"started_at": "2025-10-18T06:59:00+00:00", "interval": 60, "duration": 120}}
        )
        + "\n"
        + json.dumps(good)
        + "\n"
        + '{"timestamp": "2025-10-18T07:01'
    )
    run = read_run(path)
    assert [s.tick for s in run.snapshots] == [1]
    assert run.ended is None


def _two_runs(path: Path) -> None:
    """What older versions left: two audits appended to one day's file."""
    lines: list[dict[str, object]] = []
    for started, interval, ticks, unprotected in (("06:00", 60, 3, 0), ("09:00", 1.25, 4, 2)):
        start = f"2025-10-18T{started}:00+00:00"
        duration = interval * ticks
        lines.append({"audit": {"started_at": start, "interval": interval, "duration": duration}})
        for tick in range(1, ticks + 1):
            lines.append(
                {
                    "timestamp": start,
                    "tick": tick,
                    "window": [start, start],
                    "gauges": {"unprotected_positions": unprotected},
                    "counters": {},
                }
            )
        lines.append({"audit_end": {"ended_at": start, "stop_reason": "completed"}})
    path.write_text("".join(json.dumps(line) + "\n" for line in lines))


def test_a_file_of_two_audits_is_two_runs_never_one(tmp_path: Path) -> None:
    path = tmp_path / "monitoring_snapshots_20251018.jsonl"
    _two_runs(path)
    first, second = read_runs(path)
    assert (first.run_id, len(first.snapshots)) == ("20251018T060000Z", 3)
    assert (second.run_id, len(second.snapshots)) == ("20251018T090000Z", 4)
    assert second.header is not None
    assert second.header.interval == 1.25  # the interval recorded, not a default
    with pytest.raises(ConfigError, match="holds 2 audits") as refused:
        recorded_runs(path)
    assert "20251018T090000Z (started 2025-10-18T09:00:00+00:00, 4 ticks every 1.25s)" in str(
        refused.value
    )
    assert [r.run_id for r in recorded_runs(path, "all")] == [first.run_id, second.run_id]
    assert replay(path, run=recorded_runs(path, "latest")[0]).interval == 1.25
    with pytest.raises(ConfigError, match="no run '20251018T120000Z'"):
        recorded_runs(path, "20251018T120000Z")


def test_run_ids_latest_and_clashes(tmp_path: Path) -> None:
    audits = AuditDir(tmp_path / "out")
    moment = datetime(2026, 11, 25, 15, 23, 9, tzinfo=UTC)
    first = audits.new_run(moment)
    second = audits.new_run(moment)  # the same second: -2
    assert [first.run_id, second.run_id] == ["20261125T152309Z", "20261125T152309Z-2"]
    assert (tmp_path / "out" / "latest").read_text().strip() == second.run_id
    assert audits.named("latest") == second
    assert audits.named(first.run_id) == first
    with pytest.raises(ConfigError, match="runs there: 20261125T152309Z, 20261125T152309Z-2"):
        audits.named("20261125T000000Z")
    with pytest.raises(ConfigError, match="no run with snapshots"):
        audits.named("latest", recorded=True)


def test_a_json_file_written_in_blocks_is_the_whole_text_scrubbed(tmp_path: Path) -> None:
    """write_json encodes and scrubs a block at a time (a day's summary is megabytes): the file
    is json_text's text with every secret hidden, also where one falls near a block's end."""
    secret = "s3cret-pa55word"
    data = {
        "incidents": [
            {"message": f"{'x' * (k % 97)} dsn postgresql://bot:{secret}@db/fox", "n": k * 0.5}
            for k in range(40_000)
        ],
        "unicode": "🦊 ×",
    }
    remember([secret])
    try:
        path = write_json(tmp_path / "summary.json", data)
        expected = scrub(json_text(data))
    finally:
        forget()
    written = path.read_text("utf-8")
    assert len(written) > 3 * BLOCK_CHARACTERS
    assert written == expected
    assert secret not in written
    assert written.count(REDACTED) == 40_000
    assert not list(tmp_path.glob("*.tmp"))
