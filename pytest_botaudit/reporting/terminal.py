"""The audit in the terminal: one line per verdict, the overall colour, where the files are."""

from __future__ import annotations

from typing import Any

from ..judging.verdicts import CheckResult, Verdict
from .model import ReportModel, thresholds_text


def render_terminal(reporter: Any, model: ReportModel) -> None:
    reporter.write_sep("=", "botaudit verdicts")
    for row in model.rows:
        result = row.result
        colour = {
            "red": result.verdict in (Verdict.FAIL, Verdict.NO_DATA),
            "yellow": result.verdict is Verdict.WARN,
            "green": result.verdict is Verdict.PASS,
        }
        if isinstance(result, CheckResult):
            line = (
                f"{result.verdict.value:8} {row.name}: {row.measured} ({thresholds_text(result)})"
            )
        else:
            line = f"{result.verdict.value:8} {row.name}: {result.message}"
        reporter.write_line(line, **colour)
        if isinstance(result, CheckResult) and result.verdict in (Verdict.WARN, Verdict.NO_DATA):
            # FAILs are explained in pytest's failures section; these are not
            reporter.write_line(f"{'':9}{result.message}")
    if model.rows:
        reporter.write_line(f"overall: {model.overall}", bold=True)
    if model.audit_error:
        reporter.write_line(f"audit error: {model.audit_error}", red=True)
    if model.collection_seconds is not None:
        reporter.write_line(
            f"collection: {model.collection_seconds:.1f} s (outside every check's duration)"
        )
    if model.snapshot_path is not None:
        reporter.write_line(f"snapshots: {model.snapshot_path}")
    if model.summary_path is not None:
        reporter.write_line(f"summary:   {model.summary_path}")
