"""The report model: an audit's results and figures computed once at the end of the session,
which the terminal, pytest-html (and later Markdown and JSON) only render."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from ..judging.preflight import PreflightResult
from ..judging.verdicts import CheckResult, Verdict

Result = CheckResult | PreflightResult
OVERALL_COLOURS = {"GREEN": "#1a7f37", "YELLOW": "#b58900", "RED": "#cf222e"}
VERDICT_COLOURS = {
    Verdict.PASS: "#1a7f37",
    Verdict.WARN: "#b58900",
    Verdict.FAIL: "#cf222e",
    Verdict.NO_DATA: "#6e40c9",
}


def overall(results: Sequence[Result]) -> str:
    """GREEN: all pass; YELLOW: warnings or missing data; RED: any failure."""
    verdicts = {r.verdict for r in results}
    if Verdict.FAIL in verdicts:
        return "RED"
    if verdicts & {Verdict.WARN, Verdict.NO_DATA}:
        return "YELLOW"
    return "GREEN"


def thresholds_text(result: CheckResult) -> str:
    good = f"good {result.good_threshold}" if result.good_threshold else ""
    warning = f"warning {result.warning_threshold}" if result.warning_threshold else ""
    return ", ".join(x for x in (good, warning) if x)


@dataclass(frozen=True, slots=True)
class ReportRow:
    name: str  # the check's test name
    result: Result

    @property
    def measured(self) -> str:
        result = self.result
        if not isinstance(result, CheckResult) or result.value is None:
            return "-"
        return f"{result.value:g} {result.unit}"


@dataclass(frozen=True, slots=True)
class ReportModel:
    rows: tuple[ReportRow, ...]
    overall: str
    counts: tuple[tuple[Verdict, int], ...]
    collection_seconds: float | None
    snapshot_path: Path | None
    summary_path: Path | None
    audit_error: str | None
    notified: tuple[int, int] | None = None  # notifications (sent, failed)

    @classmethod
    def build(
        cls,
        results: Sequence[tuple[str, Result]],
        collection_seconds: float | None = None,
        snapshot_path: Path | None = None,
        summary_path: Path | None = None,
        audit_error: str | None = None,
    ) -> ReportModel:
        rows = tuple(ReportRow(nodeid.split("::")[-1], result) for nodeid, result in results)
        verdicts = [row.result.verdict for row in rows]
        return cls(
            rows=rows,
            overall=overall([row.result for row in rows]),
            counts=tuple((v, verdicts.count(v)) for v in Verdict),
            collection_seconds=collection_seconds,
            snapshot_path=snapshot_path,
            summary_path=summary_path,
            audit_error=audit_error,
        )
