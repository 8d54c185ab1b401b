"""The audit session: one object per pytest run, registered as a plugin; its methods are the
hook implementations. It resolves the settings only when an audit is asked for, collects at
most once, outside every test phase, and keeps the outcome (data or error) for every check."""

from __future__ import annotations

import time
from collections.abc import Callable, Generator
from pathlib import Path
from typing import Any

import pytest

from .collection.collect import replay_source
from .collection.replay import ALL_RUNS
from .collection.signals import install_session_signals
from .config.options import OPTIONS
from .config.settings import AuditSettings, Mode
from .errors import BotAuditError
from .finish import announced, build_model, written
from .inputs import Configured, check_inputs, configure
from .judging.audit import AuditData
from .judging.preflight import PreflightResult
from .judging.verdicts import CheckResult, Verdict
from .record.jsonl import RecordedRun
from .redaction import forget
from .reporting.build import RunOutcome
from .reporting.html import RESULT_KEY
from .reporting.htmlsections import RowContext
from .reporting.model import ReportModel
from .reporting.notify import Notifier
from .reporting.terminal import header_lines, render_terminal, terminal_writer
from .runs import RunState, collect_and_judge
from .selection import AUDIT_FIXTURES, COLLECTED_FIXTURES, Selection, uses, verdict_status

XDIST_REFUSAL = (
    "pytest-xdist (-n): an audit collects once per session, and each xdist worker would start "
    "a collector of its own against the bot's database; run the audit checks without -n"
)


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
        self._restore_signals: Callable[[], None] = lambda: None

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
        self._restore_signals = install_session_signals()  # SIGTERM, SIGHUP: as Ctrl+C
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

    @pytest.hookimpl(wrapper=True, trylast=True)
    def pytest_sessionfinish(self, session: pytest.Session) -> Generator[None, None, None]:
        """The report model and the suite properties, built before any renderer; pytest's
        JUnit XML (small: first on a full disk) and HTML; then each run's files, if they fit."""
        self._build_report(session)
        try:
            return (yield)
        finally:
            self._write_run_files(session)

    def _write_run_files(self, session: pytest.Session) -> None:
        refused = [line for state in self._runs.values() for line in state.unwritten]
        try:
            self.report = written(self.report, refused) if self.report else None
        except Exception as exc:  # a file that cannot be rendered must not cost the others
            self._report_error = f"{type(exc).__name__}: {exc}"
            session.exitstatus = pytest.ExitCode.TESTS_FAILED

    def close(self) -> None:
        """The end of the pytest run: its signal handlers put back, its secrets forgotten."""
        forget()
        self._restore_signals()
        self._restore_signals = lambda: None

    def _build_report(self, session: pytest.Session) -> None:
        if not self.results and not self._runs:
            return
        for key in self._runs or [None]:
            self._state(key)
        outcomes = _outcomes(self.results, self._runs, self.selection)
        try:
            model = build_model(session, outcomes, self.configured(), bool(self.preflight_failures))
        except Exception as exc:  # a report that cannot be built must not cost JUnit and HTML
            self._report_error = f"{type(exc).__name__}: {exc}"
            session.exitstatus = pytest.ExitCode.TESTS_FAILED
            return
        self.report = announced(model, self._notifier)

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


def _outcomes(
    results: list[tuple[str, CheckResult | PreflightResult, str | None]],
    runs: dict[str | None, RunState],
    selection: Selection,
) -> list[RunOutcome]:
    """Each run's outcome with its rows and pytest's outcomes of its test cases (pre-flight
    rows belong to no replayed run: they go with the first)."""
    return [
        state.outcome(
            [(node, r) for node, r, k in results if k == key or (k is None and n == 0)],
            selection.cases_of(key, first=n == 0),
            selection.judging,
        )
        for n, (key, state) in enumerate(runs.items())
    ]
