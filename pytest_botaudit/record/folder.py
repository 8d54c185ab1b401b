"""The run folder (``--audit-out``): where each artifact of a run lives, by its seed name."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

SNAPSHOT_GLOB = "monitoring_snapshots_*.jsonl"


@dataclass(frozen=True, slots=True)
class RunFolder:
    path: Path

    def snapshot_file(self, started: datetime) -> Path:
        return self.path / f"monitoring_snapshots_{started:%Y%m%d}.jsonl"

    def summary_file(self, ended: datetime) -> Path:
        return self.path / f"monitoring_report_{ended:%Y%m%d_%H%M%S}.json"

    # the seed's deliverables, by their seed names
    @property
    def analysis_db(self) -> tuple[Path, Path]:
        return self.path / "analysis_db.txt", self.path / "analysis_db.json"

    @property
    def analysis_logs(self) -> tuple[Path, Path]:
        return self.path / "analysis_logs.txt", self.path / "analysis_logs.json"

    @property
    def hourly_observations(self) -> Path:
        return self.path / "hourly_observations.md"

    def snapshot_files(self) -> list[Path]:
        """The folder's snapshot files, oldest written first."""
        return sorted(self.path.glob(SNAPSHOT_GLOB), key=lambda p: p.stat().st_mtime)
