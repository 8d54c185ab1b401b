"""pytest glue for the end of an audit session: the baseline comparison, the regression gate,
and the suite-level JUnit properties (as ``record_testsuite_property`` records them)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

import pytest
from _pytest.junitxml import xml_key as junit_xml_key

from .inputs import Configured
from .reporting.build import RunOutcome, finish_run, write_run_files
from .reporting.model import ReportModel, RunReport
from .reruns.compare import CompareError, Comparison, compare_records
from .reruns.records import AuditRecord, CheckRecord, load_record


def build_model(
    session: pytest.Session,
    outcomes: Sequence[RunOutcome],
    configured: Configured,
    preflight_failed: bool,
) -> ReportModel:
    """Each run's report, compared with the baseline, its files finished; the model with
    the suite properties recorded and the regression gate applied."""
    s = configured.settings
    profile = configured.profile
    runs = [
        compared(
            finish_run(
                outcome, s, profile.source, profile.digest, configured.metrics, preflight_failed
            ),
            s.baseline,
        )
        for outcome in outcomes
    ]
    model = ReportModel(tuple(write_run_files(run) for run in runs))
    suite_properties(session.config, model)
    if s.fail_on_regression:
        model = replace(model, gate=tuple(gate(session, model)))
    return model


def compared(run: RunReport, baseline: Path | None) -> RunReport:
    """The run with its comparison against ``--audit-baseline`` (or why there is none)."""
    if baseline is None:
        return run
    try:
        old = load_record(baseline)
    except CompareError as exc:
        return replace(run, comparison=exc)
    return replace(run, comparison=compare_records(old, record_of(run)))


def gate(session: pytest.Session, model: ReportModel) -> list[str]:
    """``--audit-fail-on-regression``: any regression (or a baseline that could not be read)
    fails the session; the reasons, for the terminal."""
    reasons = []
    for run in model.runs:
        comparison = run.comparison
        if isinstance(comparison, Comparison) and comparison.regressions:
            reasons += [f"regression: {c.label}: {c.reason}" for c in comparison.regressions]
        elif isinstance(comparison, CompareError):
            reasons.append(f"baseline unreadable: {comparison}")
    if reasons:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
    return reasons


def suite_properties(config: pytest.Config, model: ReportModel) -> None:
    """The run's identity, overall verdict and counts as JUnit ``<testsuite>`` properties:
    known only at the end, so added here, before the junitxml plugin writes the file."""
    xml = config.stash.get(junit_xml_key, None)
    if xml is None or not model.runs:
        return
    for name, value in model.runs[0].properties():
        xml.add_global_property(name, value)
    if len(model.runs) > 1:
        xml.add_global_property("run_ids", " ".join(r.identity.run_id for r in model.runs))
        xml.add_global_property("overall_all_runs", model.overall)


def record_of(run: RunReport) -> AuditRecord:
    """This session's run, as compare reads a finished one."""
    checks = {
        row.name: CheckRecord.from_properties(row.name, dict(row.result.properties()))
        for row in run.rows
    }
    return AuditRecord(f"this run ({run.identity.run_id})", dict(run.properties()), checks)
