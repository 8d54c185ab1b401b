"""The seed's deliverables in the run folder, by their seed names: analysis_db.txt/.json,
analysis_logs.txt/.json and hourly_observations.md, rendered from the judged audit."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from ..errors import WriteFailed
from ..judging.audit import AuditData
from ..record.folder import RunFolder
from ..record.model import CollectionResult
from ..record.summary import json_text, write_text
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


def deliverables(data: AuditData, folder: RunFolder) -> list[tuple[Path, Callable[[], str]]]:
    """Each deliverable's path and how to render it."""
    files: list[tuple[Path, Callable[[], str]]] = []
    text_path, json_path = folder.analysis_db
    analysis = data.window.analysis
    if analysis is not None:
        files += [
            (text_path, lambda: render_db_report(analysis)),
            (json_path, lambda: json_text(analysis.to_json())),
        ]
    else:
        reason = data.window.error or "no database analysis"
        files += [
            (text_path, lambda: f"BOT DATABASE ANALYSIS\nnot available: {reason}\n"),
            (json_path, lambda: json_text({"unavailable": reason})),
        ]
    log = data.log
    if log is not None:
        text_path, json_path = folder.analysis_logs
        files += [
            (text_path, lambda: render_log_report(log) + "\n"),
            (json_path, lambda: json.dumps(log.to_json(), indent=2, ensure_ascii=False)),
        ]
    files.append((folder.hourly_observations, lambda: render_hourly(hourly_rows(data.collection))))
    return files


def write_deliverables(data: AuditData, folder: RunFolder) -> list[str]:
    """Every deliverable that fits (a full disk costs the ones that do not, never the
    others nor the verdicts): what could not be written, and why."""
    problems = []
    for path, render in deliverables(data, folder):
        try:
            write_text(path, render())
        except WriteFailed as exc:
            problems.append(str(exc))
    return problems
