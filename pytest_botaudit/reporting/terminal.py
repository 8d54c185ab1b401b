"""The audit in the terminal: one line per verdict, the overall colour, where the files are."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ..collection.collect import Observers
from ..collection.live import Progress
from ..config.settings import AuditSettings, Mode
from ..config.values import format_duration
from ..judging.verdicts import CheckResult, Verdict
from ..record.model import Incident
from ..redaction import scrub
from ..reruns.render import baseline_lines as comparison_lines
from .model import ReportModel, RunReport, thresholds_text
from .notify import Notifier, shown


class _Scrubbed:
    """The terminal reporter, with the secrets the audit knows hidden in every line."""

    def __init__(self, reporter: Any) -> None:
        self._reporter = reporter

    def write_line(self, line: str, **markup: bool) -> None:
        self._reporter.write_line(scrub(line), **markup)

    def write_sep(self, sep: str, title: str = "", **markup: bool) -> None:
        self._reporter.write_sep(sep, scrub(title), **markup)


def render_terminal(
    reporter: Any, model: ReportModel | None, report_error: str | None = None
) -> None:
    reporter = _Scrubbed(reporter)
    if report_error is not None:
        reporter.write_line(
            f"botaudit: the report could not be built: {report_error}; the collected run is "
            "in its folder",
            red=True,
        )
    if model is None:
        return
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
    for run in model.runs:
        for line in baseline_lines(run):
            reporter.write_line(line, red=line.startswith(("  worse", "  new ")))
    for reason in model.gate or ():
        reporter.write_line(f"--audit-fail-on-regression: {reason}", red=True)
    if model.audit_error:
        reporter.write_line(f"audit error: {model.audit_error}", red=True)
    for problem in model.unwritten:
        reporter.write_line(f"not written: {problem}", red=True)
    if model.collection_seconds is not None:
        reporter.write_line(
            f"collection: {model.collection_seconds:.1f} s (outside every check's duration)"
        )
    if model.notified is not None:
        sent, failed = model.notified
        reporter.write_line(
            f"notifications: {sent} sent, {failed} failed", red=failed > 0, green=not failed
        )
    for run in model.runs:
        if run.folder is not None:
            reporter.write_line(
                f"run {run.identity.run_id} ({run.identity.status.value}): {run.folder.path}"
            )
            reporter.write_line(f"report:    {run.folder.audit_report}")
    if model.snapshot_path is not None:
        reporter.write_line(f"snapshots: {model.snapshot_path}")
    if model.summary_path is not None:
        reporter.write_line(f"summary:   {model.summary_path}")


def baseline_lines(run: RunReport) -> list[str]:
    """The comparison with ``--audit-baseline``, as the terminal shows it."""
    comparison = run.comparison
    if comparison is None:
        return []
    if isinstance(comparison, Exception):
        return [f"vs baseline: not compared: {comparison}"]
    return comparison_lines(comparison)


def terminal_observers(config: Any, expected: int, notifier: Notifier | None) -> Observers:
    """Progress and incidents to the terminal (and to the notifier, when there is one)."""
    say = terminal_writer(config)
    printer = _progress_printer(say, expected, _is_tty(config))

    def on_tick(progress: Progress) -> None:
        printer(progress)
        if notifier is not None:
            notifier.tick(progress.last)

    def on_incident(incident: Incident) -> None:
        say(
            f"botaudit: {incident.severity.value} incident opened: {incident.message}",
            red=incident.severity.value == "CRITICAL",
        )
        if notifier is not None:
            notifier.incident_opened(incident)

    def on_resolved(incident: Incident) -> None:
        if notifier is not None:
            notifier.incident_resolved(incident)

    return Observers(say=say, on_tick=on_tick, on_incident=on_incident, on_resolved=on_resolved)


def terminal_writer(config: Any) -> Callable[..., None]:
    """Lines for the terminal while the checks' output is captured (pytest's reporter)."""
    reporter = config.pluginmanager.get_plugin("terminalreporter")
    capman = config.pluginmanager.get_plugin("capturemanager")

    def say(line: str, **markup: bool) -> None:
        if reporter is None:
            return
        line = scrub(line)
        try:
            if capman is not None:
                with capman.global_and_fixture_disabled():
                    reporter.write_line(line, **markup)
            else:
                reporter.write_line(line, **markup)
        except OSError:  # a terminal that hung up (SIGHUP): the audit goes on without it
            pass

    return say


def _is_tty(config: Any) -> bool:
    reporter = config.pluginmanager.get_plugin("terminalreporter")
    return bool(reporter is not None and reporter.isatty)


def _progress_printer(
    say: Callable[..., None], expected: int, tty: bool = False
) -> Callable[[Progress], None]:
    """Every tick on a terminal; in a CI log at most ~40 plain lines (no control characters)."""
    every = 1 if tty else max(1, expected // 40)

    def show(progress: Progress) -> None:
        if progress.tick % every and progress.tick != progress.expected:
            return
        say(
            f"botaudit: {format_duration(max(1, round(progress.elapsed)))}/"
            f"{format_duration(progress.total)} elapsed, tick {progress.tick}/{progress.expected}, "
            f"{progress.snapshots} snapshots, {progress.gaps} gaps, "
            f"{progress.open_incidents} open incidents"
        )

    return show


def header_lines(s: AuditSettings, profile_source: str) -> list[str]:
    """The audit's settings in two or three lines, password and tokens hidden."""
    logs = ", ".join(str(p) for p in s.log) or "none"
    if s.mode is Mode.WINDOW:
        until = s.until.isoformat() if s.until else "now"
        what = f"mode window {s.since.isoformat() if s.since else ''} .. {until}"
    elif s.mode is Mode.REPLAY:
        source = s.snapshots if s.snapshots is not None else f"run {s.run} of {s.out}"
        picked = f" (run {s.run})" if s.snapshots is not None and s.run else ""
        what = f"mode replay of {source}{picked}"
    else:
        what = (
            f"mode live{' (resume)' if s.resume else ''}, duration "
            f"{format_duration(s.duration)} ({s.expected_snapshots} snapshots)"
        )
    # a replay samples as its run was recorded: its own interval is printed when it is read
    interval = (
        "interval as recorded"
        if s.mode is Mode.REPLAY
        else (f"interval {format_duration(s.interval)}")
    )
    lines = [
        f"botaudit: {what}, {interval}, strict {s.strict}, allow-no-data {s.allow_no_data}",
        f"botaudit: dsn {s.redacted_dsn}, log {logs}, profile {profile_source}, out {s.out}",
        *([f"botaudit: notify {', '.join(shown(url) for url in s.notify)}"] if s.notify else []),
    ]
    return [scrub(line) for line in lines]
