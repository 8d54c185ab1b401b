"""pytest glue for the end of an audit session: the baseline comparison, the regression gate,
the suite-level JUnit properties (as ``record_testsuite_property`` records them), and each
run's files (its message shapes, the summary with the verdicts, the audit report)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

import pytest
from _pytest.junitxml import xml_key as junit_xml_key

from .config.settings import AuditSettings
from .errors import WriteFailed
from .inputs import Configured
from .record.shapes import RunShapes, write_shapes
from .reporting.build import RunOutcome, finish_run, planned, write_run_files
from .reporting.issues import answer, headline, issues
from .reporting.model import ReportModel, RunReport
from .reporting.notify import Notifier
from .reruns.compare import CompareError, Comparison, Settings, compare_records
from .reruns.novelty import shapes_of
from .reruns.records import AuditRecord, judged_record, load_record
from .reruns.render import junit_properties


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
            s,
        )
        for outcome in outcomes
    ]
    model = ReportModel(tuple(planned(run) for run in runs))
    suite_properties(session.config, model)
    if s.fail_on_regression:
        model = replace(model, gate=tuple(gate(session, model)))
    return model


def announced(model: ReportModel, notifier: Notifier | None) -> ReportModel:
    """The end of the audit told to the notifier in the words of every other output (each
    run's headline and what to do), what was sent kept in the model."""
    if notifier is None:
        return model
    notifier.finished(model.overall, " | ".join(answer(r) for r in model.runs))
    notifier.close()
    return replace(model, notified=(notifier.sent, notifier.failed))


def written(model: ReportModel, refused: Sequence[str] = ()) -> ReportModel:
    """The model once each run's files are written, with what could not be (``refused``: the
    deliverables written earlier that did not fit)."""
    problems = [*refused, *write_files(model)]
    return replace(model, unwritten=tuple(problems)) if problems else model


def write_files(model: ReportModel) -> list[str]:
    """Each run's files, written after the JUnit XML (which is small, and goes first on a
    full disk): its message shapes for a later compare, the summary JSON with the verdicts
    and ``audit_report.md``, each if it fits; what could not be written, and why."""
    problems = []
    for run in model.runs:
        shapes = shapes_of_run(run)
        if shapes is not None and run.folder is not None:
            try:
                write_shapes(run.folder, shapes)
            except WriteFailed as exc:
                problems.append(str(exc))
        problems += write_run_files(run)
    return problems


def shapes_of_run(run: RunReport) -> RunShapes | None:
    """The run's message shapes and event types (None when it was not judged)."""
    if run.data is None or run.folder is None:
        return None
    return shapes_of(run.identity.run_id, run.data)


def compared(run: RunReport, settings: AuditSettings) -> RunReport:
    """The run with its comparison against ``--audit-baseline`` (or why there is none)."""
    shapes = shapes_of_run(run)
    baseline: Path | None = settings.baseline
    if baseline is None:
        return run
    rules = Settings(settings.baseline_alpha, settings.baseline_min_effect)
    try:
        comparison = compare_records(load_record(baseline), record_of(run, shapes), rules)
    except CompareError as exc:
        return replace(run, comparison=exc)
    return replace(run, comparison=comparison)


def gate(session: pytest.Session, model: ReportModel) -> list[str]:
    """``--audit-fail-on-regression``: a run worse than its baseline (or a baseline that could
    not be compared) fails the session; the reasons, for the terminal."""
    reasons = []
    for run in model.runs:
        comparison = run.comparison
        if isinstance(comparison, Comparison) and comparison.exit_code:
            # one line: what is worse is listed just above it, under "vs baseline"
            worse = comparison.gate_reasons()
            reasons.append(f"{comparison.headline} ({len(worse)} reason(s) above)")
        elif isinstance(comparison, CompareError):
            reasons.append(f"baseline not compared: {comparison}")
    if reasons:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
    return reasons


def suite_properties(config: pytest.Config, model: ReportModel) -> None:
    """The run's identity, overall verdict and counts as JUnit ``<testsuite>`` properties:
    known only at the end, so added here, before the junitxml plugin writes the file."""
    xml = config.stash.get(junit_xml_key, None)
    if xml is None or not model.runs:
        return
    first = model.runs[0]
    for name, value in first.properties():
        xml.add_global_property(name, value)
    # the problems in the words of every other output: the headline and one per problem
    found = issues(first)
    xml.add_global_property("headline", headline(first, found))
    xml.add_global_property("problems", str(len(found)))
    for issue in found:
        key = issue.metric or (issue.tests[0] if issue.tests else issue.title)
        xml.add_global_property(
            f"problem.{key}", f"{issue.severity} {issue.verdict.value}: {issue.title}"
        )
    if first.folder is not None:  # where a later compare finds the run's message shapes
        xml.add_global_property("run_folder", str(first.folder.path.resolve()))
    if isinstance(first.comparison, Comparison):
        for name, value in junit_properties(first.comparison):
            xml.add_global_property(name, value)
    elif isinstance(first.comparison, CompareError):
        xml.add_global_property("baseline_result", f"not compared: {first.comparison}")
    if len(model.runs) > 1:
        xml.add_global_property("run_ids", " ".join(r.identity.run_id for r in model.runs))
        xml.add_global_property("overall_all_runs", model.overall)


def record_of(run: RunReport, shapes: RunShapes | None = None) -> AuditRecord:
    """This session's run, as compare reads a finished one."""
    results = {row.name: dict(row.result.properties()) for row in run.rows}
    return judged_record(
        f"this run ({run.identity.run_id})", dict(run.properties()), results, shapes
    )
