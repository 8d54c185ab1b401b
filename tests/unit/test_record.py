"""The run record read back: a killed audit's half-written line is the tick in flight."""

from __future__ import annotations

import json
from pathlib import Path

from pytest_botaudit.record.jsonl import read_run


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
