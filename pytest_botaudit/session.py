"""The audit session: one object per pytest run, registered as a plugin; its methods are the
hook implementations. It resolves the settings only when an audit is asked for, collects at
most once, outside every test phase, and keeps the outcome (data or error) for every check."""

from __future__ import annotations

import time
from collections.abc import Generator
from dataclasses import dataclass, replace
from functools import partial
from pathlib import Path
from typing import Any

import pytest

from .collection.collect import collect, replay_source, run_folder, target
from .collection.replay import ALL_RUNS
from .collection.signals import run_interruptible
from .config.options import OPTIONS
from .config.settings import AuditSettings, Mode
from .errors import BotAuditError
from .finish import build_model
from .inputs import Configured, check_inputs, configure
from .judging.audit import AuditData, complete_audit
from .judging.preflight import PreflightResult
from .judging.verdicts import CheckResult, Verdict
from .record.folder import RunFolder
from .record.jsonl import RecordedRun
from .reporting.build import RunOutcome, interim_report
from .reporting.deliverables import write_deliverables, write_interim
from .reporting.html import RESULT_KEY
from .reporting.htmlsections import RowContext
from .reporting.issues import advice, headline, issues
from .reporting.model import ReportModel
from .reporting.notify import Notifier
from .reporting.series import Series, tick_series
from .reporting.terminal import (
    header_lines,
    render_terminal,
    terminal_observers,
    terminal_writer,
)
from .selection import AUDIT_FIXTURES, COLLECTED_FIXTURES, Selection, uses, verdict_status

XDIST_REFUSAL = (
    "pytest-xdist (-n): an audit collects once per session, and each xdist worker would start "
    "a collector of its own against the bot's database; run the audit checks without -n"
)


@dataclass(slots=True)
class RunState:
    """One run of the session: collected at most once, its data or its error kept."""

    key: str | None  # None: the session's only run; else the replayed run's id
    collected: bool = False
    data: AuditData | None = None
    error: str | None = None
    folder: RunFolder | None = None
    seconds: float | None = None
    series: tuple[Series, ...] | None = None  # computed once, for the charts and the report
    not_run: bool = False  # pre-flight failed: the run's checks are skipped as NOT RUN

    def tick_series(self) -> tuple[Series, ...]:
        if self.series is None:
            data = self.data
            self.series = tuple(tick_series(data.collection, data.metrics)) if data else ()
        return self.series


def _run_key(item: pytest.Item) -> str | None:
    """The replayed run an item judges under ``--audit-run all`` (else None)."""
    callspec = getattr(item, "callspec", None)
    key = callspec.params.get("audit_run") if callspec is not None else None
    return key if isinstance(key, str) else None


class AuditSession:
    """Per-run state of an audit; its methods are the plugin's hook implementations."""

    def __init__(self, config: pytest.Config) -> None:
        self.config = config
        self.active = False
        self.preflight_failures: list[str] = []
        self.results: list[tuple[str, CheckResult | PreflightResult, str | None]] = []
        self.report: ReportModel | None = None
        self._configured: Configured | None = None
        self._runs: dict[str | None, RunState] = {}
        self._replayed: tuple[Path, list[RecordedRun]] | None = None
        self._report_error: str | None = None
        self._refused: str | None = None  # an xdist worker never collects
        self._header_shown = False
        self._notifier: Notifier | None = None
        self.selection = Selection(config)

    def configured(self) -> Configured:
        """The audit's settings, resolved on first use (an unrelated project never is)."""
        if self._configured is None:
            self._configured = configure(self.config)
        return self._configured

    @property
    def settings(self) -> AuditSettings:
        return self.configured().settings

    def _asked_on_command_line(self) -> bool:
        return any(self.config.getoption(f"audit_{opt.name}") for opt in OPTIONS)

    # -- hooks: header and collection ----------------------------------------------------

    def pytest_sessionstart(self, session: pytest.Session) -> None:
        distributed = self.config.getoption("dist", "no") not in ("no", None)
        if distributed and self._asked_on_command_line():
            raise pytest.UsageError(XDIST_REFUSAL)

    def pytest_report_header(self, config: pytest.Config) -> list[str] | None:
        if not self._asked_on_command_line():
            return None  # not asked for (yet): see pytest_report_collectionfinish
        self._header_shown = True
        return self._settings_lines()

    def pytest_report_collectionfinish(self, config: pytest.Config) -> list[str] | None:
        if not self.active:
            return None
        notes = [f"botaudit: {note}" for note in self.selection.notes]
        return notes if self._header_shown else [*self._settings_lines(), *notes]

    def _settings_lines(self) -> list[str]:
        return header_lines(self.settings, self.configured().profile.source)

    def pytest_generate_tests(self, metafunc: pytest.Metafunc) -> None:
        """``--audit-run all``: every judging check once per run of the snapshot file."""
        if "audit_run" not in metafunc.fixturenames:
            return
        try:
            keys = self.run_keys()
        except (pytest.UsageError, BotAuditError):
            return  # reported as one line when the collection finishes
        if keys != [None]:
            metafunc.parametrize("audit_run", keys, ids=[str(k) for k in keys], scope="session")

    def run_keys(self) -> list[str | None]:
        s = self.settings
        if s.mode is Mode.REPLAY and s.run == ALL_RUNS:
            return [run.run_id for run in self.replayed()[1]]
        return [None]

    def replayed(self) -> tuple[Path, list[RecordedRun]]:
        """The replayed file and the runs of it to judge, read once per session."""
        if self._replayed is None:
            self._replayed = replay_source(self.settings)
        return self._replayed

    def _state(self, key: str | None) -> RunState:
        return self._runs.setdefault(key, RunState(key))

    def row_context(self, item: pytest.Item) -> RowContext:
        """A check's run folder and per-tick series, for its HTML row."""
        state = self._runs.get(_run_key(item))
        if state is None:
            return RowContext()
        return RowContext(state.folder, state.tick_series())

    @pytest.hookimpl(wrapper=True, tryfirst=True)
    def pytest_collection_modifyitems(
        self, items: list[pytest.Item]
    ) -> Generator[None, None, None]:
        preflight = [i for i in items if i.get_closest_marker("preflight")]
        result = yield  # -m, -k, --deselect and every other plugin filter the items
        self.active = any(uses(item, AUDIT_FIXTURES) for item in items)
        if not self.active:
            return result
        if hasattr(self.config, "workerinput"):  # an xdist worker: never a collector
            self._refused = XDIST_REFUSAL
        self.configured()  # a bad setting ends the run here, before anything waits
        self.selection.keep_preflight(preflight, items)
        self.selection.chosen(items, _run_key)
        return result

    def pytest_collection_finish(self, session: pytest.Session) -> None:
        """Configuration problems end the run here, as one line, before any check runs."""
        if not self.active or session.config.option.collectonly or self._refused:
            return
        # a database that does not answer is no usage error: pre-flight fails on it, and
        # the audit is NOT RUN with a JUnit file that says so
        check_inputs(self.settings)

    # -- hooks: running the checks ---------------------------------------------------------

    @pytest.hookimpl(tryfirst=True, hookwrapper=True)
    def pytest_runtest_protocol(
        self, item: pytest.Item, nextitem: pytest.Item | None
    ) -> Generator[None, Any, None]:
        """The long wait happens here, before the first check that judges the run: outside
        setup, call and teardown, so no check's duration (JUnit, HTML) includes it and no
        per-test timeout can cut it short."""
        if (
            self.active
            and not self._refused
            and uses(item, COLLECTED_FIXTURES)
            and not item.get_closest_marker("preflight")
        ):
            state = self._state(_run_key(item))
            if not state.collected:
                self._collect_once(state)
        yield

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        self.selection.record(report)
        props = dict(report.user_properties)
        blocking = props.get("verdict") in (Verdict.FAIL.value, Verdict.NO_DATA.value)
        # a pre-flight WARN never blocks the audit, not even when --audit-strict fails it
        if props.get("kind") == "preflight" and report.when == "call" and blocking:
            self.preflight_failures.append(
                f"{report.nodeid.split('::')[-1]}: {report.longreprtext.splitlines()[0]}"
            )

    def pytest_report_teststatus(
        self, report: pytest.TestReport, config: pytest.Config
    ) -> tuple[str, str, tuple[str, dict[str, bool]]] | None:
        return verdict_status(report)

    @pytest.hookimpl(tryfirst=True)
    def pytest_sessionfinish(self, session: pytest.Session) -> None:
        """The report model, built once before any renderer (pytest-html's and JUnit's files
        are written later): each run's files finished, the suite properties recorded."""
        if not self.results and not self._runs:
            return
        keys = list(self._runs) or [None]
        outcomes = [
            RunOutcome(
                # pre-flight rows belong to no replayed run: they go with the first
                [
                    (nodeid, r)
                    for nodeid, r, k in self.results
                    if k == key or (k is None and n == 0)
                ],
                state.folder,
                state.data,
                state.error,
                state.seconds,
                state.tick_series(),
                self.selection.cases_of(key, first=n == 0),
                self.selection.judging,
            )
            for n, key in enumerate(keys)
            for state in [self._state(key)]
        ]
        try:
            self.report = build_model(
                session, outcomes, self.configured(), bool(self.preflight_failures)
            )
        except Exception as exc:  # a report that cannot be built must not cost JUnit and HTML
            self._report_error = f"{type(exc).__name__}: {exc}"
            session.exitstatus = pytest.ExitCode.TESTS_FAILED
            return
        notifier = self._notifier
        if notifier is not None:
            # the same words as every other output: the headline and what to do
            told = [f"{headline(r, issues(r))}. {advice(r, issues(r))}" for r in self.report.runs]
            notifier.finished(self.report.overall, " | ".join(told))
            notifier.close()
            self.report = replace(self.report, notified=(notifier.sent, notifier.failed))

    def pytest_terminal_summary(self, terminalreporter: Any) -> None:
        render_terminal(terminalreporter, self.report, self._report_error)

    # -- the audit ------------------------------------------------------------------------

    def audit_data(self, key: str | None = None) -> AuditData:
        """The judged run; the first call collects if no hook did. An error is kept and
        reported by every check: the run is never collected twice."""
        if self._refused:
            pytest.fail(self._refused, pytrace=False)
        state = self._state(key)
        if not state.collected:
            self._collect_once(state)
        if state.data is None and state.not_run:
            # the pre-flight failures are the session's failures; what they stopped is skipped
            pytest.skip(f"NOT RUN: {state.error}")
        if state.data is None:
            pytest.fail(state.error or "the audit did not run", pytrace=False)
        return state.data

    def notifier(self) -> Notifier | None:
        """The session's notifier, made on first use when ``--audit-notify`` names targets."""
        settings = self.settings
        if self._notifier is None and settings.notify:
            self._notifier = Notifier(settings.notify, settings.notify_gap_ticks)
        return self._notifier

    def _collect_once(self, state: RunState) -> None:
        notifier = self.notifier()
        state.collected = True
        if self.preflight_failures:
            if notifier is not None:
                notifier.preflight_failed(self.preflight_failures)
            state.not_run = True
            state.error = "pre-flight failed, the audit did not start: " + "; ".join(
                self.preflight_failures
            )
            terminal_writer(self.config)(f"botaudit: {state.error}", red=True)
            return
        started = time.monotonic()
        try:
            source = self.replayed() if self.settings.mode is Mode.REPLAY else None
            state.data = collect_and_judge(
                self.config, self.configured(), state, self.notifier(), source
            )
        except KeyboardInterrupt:  # again, while the stopped audit was being finished
            pytest.exit(
                "interrupted while finishing the audit: what was collected is in "
                f"{self.settings.out}; no verdicts",
                returncode=pytest.ExitCode.INTERRUPTED,
            )
        except Exception as exc:  # recorded once: every check reports it, none collects again
            reason = str(exc) if isinstance(exc, BotAuditError) else f"{type(exc).__name__}: {exc}"
            state.error = f"the audit could not run: {reason}"
            if notifier is not None:
                notifier.crashed(state.error)
        finally:
            state.seconds = time.monotonic() - started

    def record(self, item: pytest.Item, result: CheckResult | PreflightResult) -> None:
        item.user_properties.extend(result.properties())
        if isinstance(result, CheckResult):
            item.stash[RESULT_KEY] = result
        self.results.append((item.nodeid, result, _run_key(item)))


def collect_and_judge(
    config: pytest.Config,
    configured: Configured,
    state: RunState,
    notifier: Notifier | None,
    source: tuple[Path, list[RecordedRun]] | None,
) -> AuditData:
    """One run collected (or rebuilt, or replayed from ``source``) into its folder, and
    everything the checks judge gathered; the analyses and hourly observations written beside
    it."""
    s = configured.settings
    recorded = None
    if source is not None:
        path, runs = source
        recorded = (path, next(r for r in runs if r.run_id == state.key) if state.key else runs[0])
    folder = state.folder = run_folder(s)
    observers = replace(
        terminal_observers(config, notifier, s.progress_every),
        on_hour=partial(
            write_interim,
            folder,
            partial(interim_report, s, configured.profile, configured.metrics),
        ),
    )
    collection = collect(
        s,
        configured.profile,
        configured.rule_overrides,
        observers,
        folder,
        recorded,
        configured.metrics,
    )
    dsn_known = s.mode is not Mode.REPLAY or s.dsn is not None
    # a Ctrl+C while the stopped audit is judged cancels this at a safe point
    data = run_interruptible(
        complete_audit(
            collection,
            configured.profile,
            configured.metrics,
            target(s) if dsn_known else None,
            s.log,
            use_database=dsn_known,
        )
    )
    write_deliverables(data, folder)
    return data
