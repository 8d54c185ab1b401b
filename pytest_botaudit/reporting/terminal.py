"""The audit in the terminal: one line per problem, the counts, where the files are, and the
session's last line with the audit's state; while it collects, one status line (or a line
every few minutes in a CI log)."""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from ..collection.collect import Observers
from ..collection.live import Progress
from ..config.settings import AuditSettings, Mode
from ..config.values import format_duration
from ..escape import for_terminal
from ..judging.verdicts import CheckResult, Verdict
from ..record.model import Incident
from ..redaction import scrub
from ..reruns.render import baseline_lines as comparison_lines
from ..timefmt import clock
from .issues import answer, headline, incident_lines, issues, not_judged, not_run_reason
from .model import NOT_RUN, ReportModel, RunReport, cases_text
from .notify import Notifier, shown

STATE_MARKUP = {
    "GREEN": {"green": True},
    "YELLOW": {"yellow": True},
    "RED": {"red": True},
    NOT_RUN: {"purple": True},
}
VERDICT_MARKUP = {
    Verdict.PASS: {"green": True},
    Verdict.WARN: {"yellow": True},
    Verdict.FAIL: {"red": True},
    Verdict.NO_DATA: {"red": True},
}


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
    """The audit's section of pytest's summary: one line per problem (a metric's finding, its
    incidents under it), what was not judged, the pre-flight and test-case counts, the files."""
    reporter = _Scrubbed(reporter)
    if report_error is not None:
        reporter.write_line(
            f"botaudit: the report could not be built: {report_error}; the collected run is "
            "in its folder",
            red=True,
        )
    if model is None:
        return
    reporter.write_sep("=", "botaudit")
    for run in model.runs:
        if len(model.runs) > 1:
            reporter.write_line(f"run {run.identity.run_id}: {headline(run, issues(run))}")
        _run_lines(reporter, run)
    for run in model.runs:
        for line in baseline_lines(run):
            reporter.write_line(line, red=line.startswith(("  worse", "  new ")))
    for reason in model.gate or ():
        reporter.write_line(f"--audit-fail-on-regression: {reason}", red=True)
    if model.audit_error and all(run.judged for run in model.runs):
        reporter.write_line(f"audit error: {for_terminal(model.audit_error)}", red=True)
    for problem in model.unwritten:
        reporter.write_line(f"not written: {for_terminal(problem)}", red=True)
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


def _run_lines(reporter: Any, run: RunReport) -> None:
    found = issues(run)
    if not run.judged:
        stopped = any(i.verdict is Verdict.FAIL and not i.metric for i in found)
        reason = "a pre-flight check failed (below)" if stopped else not_run_reason(run)
        reporter.write_line(
            f"{'NOT RUN':18} {for_terminal(reason)}: the audit did not judge the bot",
            purple=True,
        )
    for issue in found:
        limits = f" ({issue.thresholds})" if issue.thresholds else ""
        reporter.write_line(
            f"{issue.verdict.value:8} {issue.severity:9} {for_terminal(issue.title)}{limits}",
            **VERDICT_MARKUP[issue.verdict],
        )
        for line in incident_lines(issue.incidents):
            reporter.write_line(f"{'':19}{for_terminal(line)}")
    for finding in not_judged(run):
        reason = finding.reason.split("\n", 1)[0].removeprefix("NO-DATA: ")
        reason = reason.removeprefix(f"{finding.title}: ")
        reporter.write_line(
            f"{'NO-DATA':18} {for_terminal(finding.title)}: {for_terminal(reason)}", red=True
        )
    passing = [f for f in run.findings if f.verdict is Verdict.PASS]
    if passing:
        near = [f"{f.title} ({f.value})" for f in passing if f.near_miss]
        reporter.write_line(
            f"{'PASS':18} {len(passing)} metric{'s' if len(passing) != 1 else ''} within "
            "their limits" + (f"; near a limit: {', '.join(near)}" if near else ""),
            green=True,
        )
    preflight = [r.result for r in run.rows if not isinstance(r.result, CheckResult)]
    if preflight:
        counts = ", ".join(
            f"{n} {v.value}"
            for v in Verdict
            for n in [sum(1 for r in preflight if r.verdict is v)]
            if n
        )
        reporter.write_line(f"{'pre-flight':18} {counts}")
    if run.cases:
        reporter.write_line(f"{'test cases':18} {cases_text(run.cases)} (pytest's counts below)")


def final_line(reporter: Any, model: ReportModel) -> None:
    """The session's last line: the audit's state and problems, coloured on a terminal."""
    run = model.runs[0] if len(model.runs) == 1 else None
    if run is not None:
        text = answer(run)
    else:
        text = f"{model.overall}: {len(model.runs)} runs judged; each run's problems above"
    reporter.write_line(f"botaudit: {for_terminal(text)}", bold=True, **STATE_MARKUP[model.overall])


def baseline_lines(run: RunReport) -> list[str]:
    """The comparison with ``--audit-baseline``, as the terminal shows it."""
    comparison = run.comparison
    if comparison is None:
        return []
    if isinstance(comparison, Exception):
        return [f"vs baseline: not compared: {comparison}"]
    return comparison_lines(comparison)


def terminal_observers(config: Any, notifier: Notifier | None, every: float = 300.0) -> Observers:
    """Progress and incidents to the terminal (and to the notifier, when there is one)."""
    say = terminal_writer(config)
    printer = _progress_printer(say, _is_tty(config), every)

    def on_tick(progress: Progress) -> None:
        printer(progress)
        if notifier is not None:
            notifier.tick(progress.last)

    def on_incident(incident: Incident) -> None:
        say(
            f"botaudit: {incident.severity.value} incident opened: "
            f"{for_terminal(incident.message)}",
            red=incident.severity.value == "CRITICAL",
        )
        if notifier is not None:
            notifier.incident_opened(incident)

    def on_resolved(incident: Incident) -> None:
        if notifier is not None:
            notifier.incident_resolved(incident)

    return Observers(say=say, on_tick=on_tick, on_incident=on_incident, on_resolved=on_resolved)


class _Console:
    """pytest's reporter while the checks' output is captured: whole lines, and on a terminal
    one status line that each tick rewrites and any other line first clears."""

    def __init__(self, config: Any) -> None:
        self.reporter = config.pluginmanager.get_plugin("terminalreporter")
        self.capman = config.pluginmanager.get_plugin("capturemanager")
        self.status_shown = False

    def _io(self) -> Any:
        if self.capman is not None:
            return self.capman.global_and_fixture_disabled()
        return contextlib.nullcontext()

    def line(self, text: str, **markup: bool) -> None:
        if self.reporter is None:
            return
        text = scrub(text)
        try:
            with self._io():
                if self.status_shown:
                    self.reporter.rewrite("", erase=True)
                    self.reporter.write("\r")
                    self.status_shown = False
                self.reporter.write_line(text, **markup)
        except OSError:  # a terminal that hung up (SIGHUP): the audit goes on without it
            pass

    def status(self, text: str) -> None:
        if self.reporter is None:
            return
        try:
            with self._io():
                if not self.status_shown:
                    self.reporter.ensure_newline()
                self.reporter.rewrite(scrub(text), erase=True)
                self.status_shown = True
        except OSError:
            pass


def terminal_writer(config: Any) -> Callable[..., None]:
    """Lines for the terminal while the checks' output is captured (pytest's reporter); on a
    terminal ``say(text, status=True)`` rewrites the one status line."""
    console = _Console(config)

    def say(line: str, status: bool = False, **markup: bool) -> None:
        if status:
            console.status(line)
        else:
            console.line(line, **markup)

    return say


def _is_tty(config: Any) -> bool:
    reporter = config.pluginmanager.get_plugin("terminalreporter")
    return bool(reporter is not None and reporter.isatty)


def progress_text(progress: Progress) -> str:
    elapsed = round(progress.elapsed, 1 if progress.elapsed < 10 else 0)
    left = max(0.0, progress.total - progress.elapsed)
    eta = progress.last.window_end + timedelta(seconds=left)
    incidents = progress.open_incidents
    return (
        f"botaudit: {format_duration(elapsed)} of {format_duration(progress.total)}, "
        f"ETA {clock(eta)} ({format_duration(round(left, 1 if left < 10 else 0))} left) | tick "
        f"{progress.tick}/{progress.expected}: {progress.snapshots} snapshots, {progress.gaps} "
        f"gaps | {incidents} open incident{'s' if incidents != 1 else ''}"
    )


def _progress_printer(
    say: Callable[..., None], tty: bool, every: float
) -> Callable[[Progress], None]:
    """On a terminal one status line, rewritten each tick; in a CI log a plain line at the
    first tick, then once every ``every`` seconds of the audit, and at the last tick."""
    printed = [-1]

    def show(progress: Progress) -> None:
        text = progress_text(progress)
        if tty:
            # the last tick's status stays, as a line of its own
            say(text, status=progress.tick != progress.expected)
            return
        slot = int(progress.elapsed // every) if every > 0 else progress.tick
        if slot > printed[0] or progress.tick == progress.expected:
            printed[0] = slot
            say(text)

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
