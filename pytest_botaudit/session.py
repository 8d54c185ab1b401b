"""The audit session: one object per pytest run, registered as a plugin; its methods are the
hook implementations. It resolves the settings only when an audit is asked for, collects at
most once, outside every test phase, and keeps the outcome (data or error) for every check."""

from __future__ import annotations

import asyncio
import os
import time
import tomllib
from collections.abc import Generator, Mapping
from dataclasses import dataclass, replace
from functools import partial
from typing import Any

import pytest

from .collection.alerts import configure_rules
from .collection.botprocess import process_exists
from .collection.collect import collect, target
from .collection.replay import find_resumable, replay
from .collection.signals import run_interruptible
from .config.options import OPTIONS
from .config.profile import Profile, load_profile
from .config.settings import AuditSettings, Mode, resolve
from .database.connection import Target, connect
from .errors import BotAuditError, ConfigError, DatabaseUnavailable
from .judging.audit import AuditData, complete_audit
from .judging.catalogue import configure_metrics
from .judging.preflight import PreflightResult
from .judging.verdicts import CheckResult, MetricSpec, Verdict
from .logs.reader import rotated_set
from .record.folder import RunFolder
from .reporting.deliverables import write_deliverables, write_interim_hourly
from .reporting.html import RESULT_KEY
from .reporting.model import ReportModel
from .reporting.notify import Notifier, check_urls
from .reporting.terminal import header_lines, render_terminal, terminal_observers

XDIST_REFUSAL = (
    "pytest-xdist (-n): an audit collects once per session, and each xdist worker would start "
    "a collector of its own against the bot's database; run the audit checks without -n"
)
# fixtures that make a test an audit check (the settings are resolved and validated then)
AUDIT_FIXTURES = frozenset(
    {"audit", "audit_check", "audit_preflight", "audit_data", "audit_db", "audit_analysis"}
)
# fixtures that judge the collected run: collection happens before the first of these items
COLLECTED_FIXTURES = frozenset({"audit", "audit_check", "audit_data", "audit_analysis"})


@dataclass(frozen=True, slots=True)
class Configured:
    settings: AuditSettings
    profile: Profile
    metrics: Mapping[str, MetricSpec]
    rule_overrides: Mapping[str, float]


def _tool_table(config: pytest.Config) -> tuple[dict[str, Any], str]:
    """``[tool.botaudit]`` of the rootdir's pyproject.toml (or the ini file if it is one)."""
    candidates = (
        [config.inipath] if config.inipath and config.inipath.name == "pyproject.toml" else []
    )
    candidates.append(config.rootpath / "pyproject.toml")
    for path in candidates:
        if path is None or not path.is_file():
            continue
        try:
            data = tomllib.loads(path.read_text("utf-8"))
        except tomllib.TOMLDecodeError as exc:
            raise pytest.UsageError(f"{path}: invalid TOML ({exc})") from None
        table = data.get("tool", {}).get("botaudit", {})
        return (table if isinstance(table, dict) else {}), f"{path} [tool.botaudit]"
    return {}, "[tool.botaudit]"


def configure(config: pytest.Config) -> Configured:
    """Command line > BOTAUDIT_* > ini > [tool.botaudit] > defaults, the profile, thresholds
    and alert rules; any bad value is a one-line usage error naming it and its source."""
    cli = {opt.name: config.getoption(f"audit_{opt.name}") for opt in OPTIONS}
    tool, origin = _tool_table(config)
    try:
        settings = resolve(cli, os.environ, config.getini, tool, origin)
        profile = load_profile(settings.profile)
        # precedence: [tool.botaudit] thresholds over the profile's over the seed's
        from_profile = configure_metrics(profile.thresholds, f"profile {profile.source}")
        metrics = configure_metrics(settings.thresholds, origin, from_profile)
        rules = configure_rules(settings.alerts, origin)
        if settings.notify:
            check_urls(settings.notify, settings.origins["notify"])
    except ConfigError as exc:
        raise pytest.UsageError(str(exc)) from None
    return Configured(settings, profile, metrics, rules)


def _uses(item: pytest.Item, fixtures: frozenset[str]) -> bool:
    return bool(fixtures.intersection(getattr(item, "fixturenames", ())))


class AuditSession:
    """Per-run state of an audit; its methods are the plugin's hook implementations."""

    def __init__(self, config: pytest.Config) -> None:
        self.config = config
        self.active = False
        self.preflight_failures: list[str] = []
        self.results: list[tuple[str, CheckResult | PreflightResult]] = []
        self.report: ReportModel | None = None
        self._configured: Configured | None = None
        self._data: AuditData | None = None
        self._error: str | None = None
        self._collected = False
        self._collection_seconds: float | None = None
        self._header_shown = False
        self._notifier: Notifier | None = None

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
        if self.active and not self._header_shown:
            return self._settings_lines()
        return None

    def _settings_lines(self) -> list[str]:
        return header_lines(self.settings, self.configured().profile.source)

    @pytest.hookimpl(trylast=True)
    def pytest_collection_modifyitems(self, items: list[pytest.Item]) -> None:
        self.active = any(_uses(item, AUDIT_FIXTURES) for item in items)
        if not self.active:
            return
        if hasattr(self.config, "workerinput"):  # an xdist worker: never a collector
            self._collected = True
            self._error = XDIST_REFUSAL
        self.configured()  # a bad setting ends the run here, before anything waits
        # pre-flight checks first, so nothing waits hours on a bot that cannot be audited
        items.sort(key=lambda i: 0 if i.get_closest_marker("preflight") else 1)

    def pytest_collection_finish(self, session: pytest.Session) -> None:
        """Configuration problems end the run here, as one line, before any check runs."""
        if not self.active or session.config.option.collectonly or self._error == XDIST_REFUSAL:
            return
        check_inputs(self.settings)
        s = self.settings
        if s.mode is Mode.REPLAY and s.dsn is None:
            return  # a recorded run needs no database
        try:
            asyncio.run(_probe(target(s)))
        except DatabaseUnavailable as exc:
            where = s.origins["dsn"] if s.dsn else "libpq PG* environment"
            raise pytest.UsageError(f"{where}: {exc}") from None

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
            and not self._collected
            and _uses(item, COLLECTED_FIXTURES)
            and not item.get_closest_marker("preflight")
        ):
            self._collect_once()
        yield

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
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
        if report.when != "call":
            return None
        verdict = dict(report.user_properties).get("verdict")
        if verdict == Verdict.WARN.value and report.passed:
            return "warned", "W", ("WARN", {"yellow": True})
        if verdict == Verdict.NO_DATA.value and report.failed:
            # \w-only, so the summary line stays parseable ("2 no_data")
            return "no_data", "N", ("NO-DATA", {"red": True})
        return None

    @pytest.hookimpl(tryfirst=True)
    def pytest_sessionfinish(self, session: pytest.Session) -> None:
        """The report model, built once before any renderer (pytest-html's is trylast)."""
        if not self.results and self._data is None and self._error is None:
            return
        collection = self._data.collection if self._data else None
        notifier = self._notifier
        self.report = ReportModel.build(
            self.results,
            self._collection_seconds,
            collection.snapshot_path if collection else None,
            collection.summary_path if collection else None,
            self._error,
        )
        if notifier is not None:
            counts = ", ".join(f"{n} {v.value}" for v, n in self.report.counts if n)
            notifier.finished(self.report.overall, counts)
            notifier.close()
            self.report = replace(self.report, notified=(notifier.sent, notifier.failed))

    def pytest_terminal_summary(self, terminalreporter: Any) -> None:
        if self.report is not None:
            render_terminal(terminalreporter, self.report)

    # -- the audit ------------------------------------------------------------------------

    def audit_data(self) -> AuditData:
        """The judged run; the first call collects if no hook did. An error is kept and
        reported by every check: the run is never collected twice."""
        if not self._collected:
            self._collect_once()
        if self._data is None:
            pytest.fail(self._error or "the audit did not run", pytrace=False)
        return self._data

    def notifier(self) -> Notifier | None:
        """The session's notifier, made on first use when ``--audit-notify`` names targets."""
        settings = self.settings
        if self._notifier is None and settings.notify:
            self._notifier = Notifier(settings.notify, settings.notify_gap_ticks)
        return self._notifier

    def _collect_once(self) -> None:
        notifier = self.notifier()
        if self.preflight_failures:
            if notifier is not None:
                notifier.preflight_failed(self.preflight_failures)
            pytest.exit(
                "pre-flight failed, the audit did not start: " + "; ".join(self.preflight_failures),
                returncode=1,
            )
        self._collected = True
        started = time.monotonic()
        try:
            self._data = self._collect()
        except KeyboardInterrupt:  # again, while the stopped audit was being finished
            pytest.exit(
                "interrupted while finishing the audit: what was collected is in "
                f"{self.settings.out}; no verdicts",
                returncode=pytest.ExitCode.INTERRUPTED,
            )
        except Exception as exc:  # recorded once: every check reports it, none collects again
            reason = str(exc) if isinstance(exc, BotAuditError) else f"{type(exc).__name__}: {exc}"
            self._error = f"the audit could not run: {reason}"
            if notifier is not None:
                notifier.crashed(self._error)
        finally:
            self._collection_seconds = time.monotonic() - started

    def _collect(self) -> AuditData:
        configured = self.configured()
        s = configured.settings
        folder = RunFolder(s.out)
        observers = replace(
            terminal_observers(self.config, s.expected_snapshots, self.notifier()),
            on_hour=partial(write_interim_hourly, folder),
        )
        collection = collect(s, configured.profile, configured.rule_overrides, observers)
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

    def record(self, item: pytest.Item, result: CheckResult | PreflightResult) -> None:
        item.user_properties.extend(result.properties())
        if isinstance(result, CheckResult):
            item.stash[RESULT_KEY] = result
        self.results.append((item.nodeid, result))

    def enforce(self, verdict: Verdict, message: str) -> None:
        """Turn a verdict into the test outcome."""
        if verdict is Verdict.FAIL:
            pytest.fail(message, pytrace=False)
        if verdict is Verdict.NO_DATA:
            if self.settings.allow_no_data:
                pytest.skip(message)
            pytest.fail(message, pytrace=False)
        if verdict is Verdict.WARN and self.settings.strict:
            first, _, evidence = message.partition("\n")  # the reason on the verdict's line
            pytest.fail(f"{first} (--audit-strict)\n{evidence}".rstrip(), pytrace=False)


async def _probe(dsn: Target | str | None) -> None:
    session = await connect(dsn, connect_timeout=5.0)
    await session.close()


def check_inputs(s: AuditSettings) -> None:
    """Files named by the settings are what they should be, before anything waits."""
    if s.snapshots is not None:
        if not s.snapshots.is_file():
            raise pytest.UsageError(
                f"{s.origins['snapshots']}: snapshot file '{s.snapshots}' does not exist"
            )
        try:
            replay(s.snapshots)  # read once now: a file that is not one fails here
        except ConfigError as exc:
            raise pytest.UsageError(f"{s.origins['snapshots']}: {exc}") from None
    for path in s.log:
        files = rotated_set(path)
        if not files:
            raise pytest.UsageError(f"{s.origins['log']}: log file '{path}' does not exist")
        odd = next((f for f in files if not f.is_file()), None)
        if odd is not None:
            raise pytest.UsageError(
                f"{s.origins['log']}: '{odd}' is not a regular file (a directory, a FIFO "
                "or a device is not a log)"
            )
    if s.bot_pid is not None and not process_exists(s.bot_pid):
        raise pytest.UsageError(f"{s.origins['bot_pid']}: no process {s.bot_pid} on this machine")
    if s.resume:
        try:
            find_resumable(s.out, s.interval, s.duration)
        except ConfigError as exc:
            raise pytest.UsageError(f"{s.origins['resume']}: {exc}") from None
