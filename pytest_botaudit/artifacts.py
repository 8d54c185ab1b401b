"""The audit's files: the snapshot JSON-lines file (flushed per line) and the final summary JSON."""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from datetime import datetime
from pathlib import Path
from types import TracebackType
from typing import IO, Any

from .metrics import Gap, Snapshot


def snapshot_file(out_dir: Path, started: datetime) -> Path:
    return out_dir / f"monitoring_snapshots_{started:%Y%m%d}.jsonl"


def summary_file(out_dir: Path, ended: datetime) -> Path:
    return out_dir / f"monitoring_report_{ended:%Y%m%d_%H%M%S}.json"


class SnapshotWriter:
    """Appends one JSON object per line and flushes it at once, so a killed audit keeps all
    but the tick in flight."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._handle: IO[str] | None = None

    def __enter__(self) -> SnapshotWriter:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._handle = self.path.open("a", encoding="utf-8")
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._handle is not None:
            self._handle.close()
            self._handle = None

    def write(self, record: Snapshot | Gap | Mapping[str, Any]) -> None:
        assert self._handle is not None, "SnapshotWriter used outside its with-block"
        data = record if isinstance(record, Mapping) else record.to_json()
        self._handle.write(json.dumps(data, separators=(",", ":")) + "\n")
        self._handle.flush()


def write_json(path: Path, data: Mapping[str, Any]) -> Path:
    """Write through a temporary file and rename, so a reader never sees half a report."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(path.name + ".tmp")
    temporary.write_text(json.dumps(data, indent=2, default=str) + "\n", encoding="utf-8")
    os.replace(temporary, path)
    return path
