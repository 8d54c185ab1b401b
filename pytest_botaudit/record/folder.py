"""Where runs live: ``--audit-out`` (an ``AuditDir``) holds one folder per run, named by its
run id, and a ``latest`` file naming the newest; a ``RunFolder`` owns each artifact's path."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from ..errors import ConfigError
from ..fileio import NotARegularFile, read_regular_bytes

SNAPSHOT_GLOB = "monitoring_snapshots_*.jsonl"
SUMMARY_GLOB = "monitoring_report_*.json"
RUN_ID_FORMAT = "%Y%m%dT%H%M%SZ"
RUN_ID = re.compile(r"^\d{8}T\d{6}Z(-\d+)?$")
LATEST = "latest"


def run_id_of(started: datetime) -> str:
    """A run's id: its start in UTC, to the second (``20261125T152309Z``)."""
    return started.astimezone(UTC).strftime(RUN_ID_FORMAT)


@dataclass(frozen=True, slots=True)
class RunFolder:
    path: Path

    @property
    def run_id(self) -> str:
        return self.path.name

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

    @property
    def audit_report(self) -> Path:
        return self.path / "audit_report.md"

    @property
    def shapes(self) -> Path:
        """The run's message shapes and event types, which a later compare reads."""
        return self.path / "shapes.json"

    def snapshot_files(self) -> list[Path]:
        """The folder's snapshot files, oldest written first."""
        return sorted(self.path.glob(SNAPSHOT_GLOB), key=lambda p: p.stat().st_mtime)

    def summary_files(self) -> list[Path]:
        """The folder's summaries, oldest written first."""
        return sorted(self.path.glob(SUMMARY_GLOB), key=lambda p: p.stat().st_mtime)


@dataclass(frozen=True, slots=True)
class AuditDir:
    """``--audit-out``: a folder per run (``DIR/<run id>/``) and ``DIR/latest`` naming the
    newest run's id (a text file, not a symlink, so it works on every file system)."""

    path: Path

    def new_run(self, started: datetime | None = None) -> RunFolder:
        """A fresh folder for a run starting now; ``-2``, ``-3`` ... when the second is taken."""
        base = run_id_of(started or datetime.now(UTC))
        self.path.mkdir(parents=True, exist_ok=True)
        for n in range(1, 1000):
            candidate = self.path / (base if n == 1 else f"{base}-{n}")
            try:
                candidate.mkdir()
            except FileExistsError:
                continue
            self.mark_latest(RunFolder(candidate))
            return RunFolder(candidate)
        raise ConfigError(f"'{self.path}': 999 runs already started at {base}")

    def mark_latest(self, run: RunFolder) -> None:
        temporary = self.path / f".{LATEST}.tmp"
        temporary.write_text(run.run_id + "\n", encoding="utf-8")
        temporary.replace(self.path / LATEST)

    def runs(self) -> list[RunFolder]:
        """Every run folder, oldest first (run ids sort by their start)."""
        if not self.path.is_dir():
            return []
        found = [p for p in self.path.iterdir() if p.is_dir() and RUN_ID.match(p.name)]
        return [RunFolder(p) for p in sorted(found, key=_id_order)]

    def latest(self) -> RunFolder | None:
        try:  # a run id and a newline; anything else in its place is no marker
            text = read_regular_bytes(self.path / LATEST, 256).decode("utf-8", "replace")
        except NotARegularFile:
            text = ""
        named = text.strip()
        if RUN_ID.match(named) and (self.path / named).is_dir():
            return RunFolder(self.path / named)
        runs = self.runs()
        return runs[-1] if runs else None

    def named(self, run: str, option: str = "--audit-run", recorded: bool = False) -> RunFolder:
        """The run ``ID`` or ``latest`` (with ``recorded``: the newest that holds snapshots,
        not a replay's); a one-line error naming what there is otherwise."""
        known = ", ".join(r.run_id for r in self.runs()[-5:]) or "none"
        if run == LATEST:
            candidates = [r for r in self.runs() if r.snapshot_files()] if recorded else []
            folder = (candidates[-1] if candidates else None) if recorded else self.latest()
            if folder is None:
                what = "run with snapshots" if recorded else "run"
                raise ConfigError(f"{option}: no {what} in '{self.path}' (runs there: {known})")
            return folder
        if not (RUN_ID.match(run) and (self.path / run).is_dir()):
            raise ConfigError(f"{option}: no run '{run}' in '{self.path}' (runs there: {known})")
        folder = RunFolder(self.path / run)
        if recorded and not folder.snapshot_files():
            raise ConfigError(
                f"{option}: run '{folder.run_id}' in '{self.path}' holds no snapshots"
            )
        return folder


def _id_order(path: Path) -> tuple[str, int]:
    base, _, n = path.name.partition("-")
    return base, int(n or 1)
