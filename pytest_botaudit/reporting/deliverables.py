"""The seed's deliverables in the run folder, by their seed names: analysis_db.txt/.json,
analysis_logs.txt/.json and hourly_observations.md, rendered from the judged audit."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from ..judging.audit import AuditData
from ..record.folder import RunFolder
from ..record.model import CollectionResult
from ..record.summary import write_json, write_text
from .dbtext import render_db_report
from .hourly import hourly_rows, render_hourly
from .logtext import render_log_report


def write_interim(
    folder: RunFolder,
    report: Callable[[RunFolder, CollectionResult], str] | None,
    so_far: CollectionResult,
) -> None:
    """A live audit's hourly observations and audit report so far, rewritten at the end of
    each hour, both marked interim."""
    write_text(folder.hourly_observations, render_hourly(hourly_rows(so_far), interim=True))
    if report is not None:
        write_text(folder.audit_report, report(folder, so_far))


def write_deliverables(data: AuditData, folder: RunFolder) -> list[Path]:
    written: list[Path] = []
    text_path, json_path = folder.analysis_db
    analysis = data.window.analysis
    if analysis is not None:
        written += [
            write_text(text_path, render_db_report(analysis)),
            write_json(json_path, analysis.to_json()),
        ]
    else:
        reason = data.window.error or "no database analysis"
        written += [
            write_text(text_path, f"BOT DATABASE ANALYSIS\nnot available: {reason}\n"),
            write_json(json_path, {"unavailable": reason}),
        ]
    if data.log is not None:
        text_path, json_path = folder.analysis_logs
        written += [
            write_text(text_path, render_log_report(data.log) + "\n"),
            write_text(json_path, json.dumps(data.log.to_json(), indent=2, ensure_ascii=False)),
        ]
    rows = hourly_rows(data.collection)
    written.append(write_text(folder.hourly_observations, render_hourly(rows)))
    return written
