"""pytest glue: options, configuration, the session object's hooks and the audit fixtures."""

from __future__ import annotations

import asyncio
import os
import tomllib
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest

from . import preflight
from .alerts import configure_rules, seed_rules
from .audit import AuditData, complete_audit
from .checks import CheckResult, Kind, MetricSpec, Verdict, configure_metrics
from .collector import CollectionResult, Collector, Progress, write_summary
from .db import connect
from .errors import BotAuditError, ConfigError, DatabaseUnavailable
from .logs import rotated_set
from .profile import Profile, load_profile
from .reconstruct import reconstruct
from .replay import find_resumable, replay
from .report import RESULT_KEY, AuditHtml, terminal_summary
from .settings import OPTIONS, AuditSettings, format_duration, resolve

SESSION_KEY = pytest.StashKey["AuditSession"]()
AUDIT_FIXTURES = frozenset({"audit", "audit_check", "audit_preflight", "audit_data"})
MARKERS = {
    "good_indicator": "a good indicator of the seed: missing it WARNs (FAILs when critical)",
    "warning_sign": "a warning sign of the seed: its presence FAILs the check",
    "critical": "a check whose failure must block a deployment (unprotected positions, ...)",
    "preflight": "a pre-flight check, run before the collection starts",
}


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("botaudit", "trading-bot audit (pytest-botaudit)")
    for opt in OPTIONS:
        if opt.flag:
            group.addoption(
                opt.cli, action="store_true", default=None, dest=f"audit_{opt.name}", help=opt.help
            )
            parser.addini(opt.ini, help=opt.help, type="bool", default=None)
        elif opt.multiple:
            group.addoption(
                opt.cli, action="append", default=None, dest=f"audit_{opt.name}", help=opt.help
            )
            parser.addini(opt.ini, help=opt.help, type="args", default=[])
        else:
            group.addoption(
                opt.cli, action="store", default=None, dest=f"audit_{opt.name}", help=opt.help
            )
            parser.addini(opt.ini, help=opt.help, default=None)


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


def _settings(config: pytest.Config) -> tuple[AuditSettings, Profile, dict[str, MetricSpec]]:
    cli = {opt.name: config.getoption(f"audit_{opt.name}") for opt in OPTIONS}
    tool, origin = _tool_table(config)

    def ini(name: str) -> Any:
        return config.getini(name)

    try:
        settings = resolve(cli, os.environ, ini, tool, origin)
        profile = load_profile(settings.profile)
        # precedence: [tool.botaudit] thresholds over the profile's over the seed's
        from_profile = configure_metrics(profile.thresholds, f"profile {profile.source}")
        metrics = configure_metrics(settings.thresholds, origin, from_profile)
        configure_rules(settings.alerts, origin)
    except ConfigError as exc:
        raise pytest.UsageError(str(exc)) from None
    return settings, profile, metrics


def pytest_configure(config: pytest.Config) -> None:
    for name, text in MARKERS.items():
        config.addinivalue_line("markers", f"{name}: {text}")
    settings, profile, metrics = _settings(config)
    session = AuditSession(config, settings, profile, metrics)
    config.stash[SESSION_KEY] = session
    config.pluginmanager.register(session, "botaudit-session")
    if config.pluginmanager.hasplugin("html"):
        config.pluginmanager.register(AuditHtml(session.results), "botaudit-html")


def pytest_unconfigure(config: pytest.Config) -> None:
    for name in ("botaudit-session", "botaudit-html"):
        plugin = config.pluginmanager.get_plugin(name)
        if plugin is not None:
            config.pluginmanager.unregister(plugin, name)


class AuditSession:
    """Per-run state of an audit; its methods are the plugin's hook implementations."""

    def __init__(
        self,
        config: pytest.Config,
        settings: AuditSettings,
        profile: Profile,
        metrics: dict[str, MetricSpec],
    ) -> None:
        self.config = config
        self.settings = settings
        self.profile = profile
        self.metrics = metrics
        self.active = False
        self.preflight_failures: list[str] = []
        self.results: list[tuple[str, CheckResult | preflight.PreflightResult]] = []
        self._data: AuditData | None = None
        self._failure: str | None = None
        self._header_shown = False
        self.rule_overrides = configure_rules(settings.alerts, "[tool.botaudit]")

    # -- hooks --------------------------------------------------------------------------------

    def pytest_report_header(self, config: pytest.Config) -> list[str] | None:
        if not any(v != "default" for v in self.settings.origins.values()):
            return None  # not configured (yet): see pytest_report_collectionfinish
        self._header_shown = True
        return self._settings_lines()

    def pytest_report_collectionfinish(self, config: pytest.Config) -> list[str] | None:
        if self.active and not self._header_shown:
            return self._settings_lines()
        return None

    def _settings_lines(self) -> list[str]:
        s = self.settings
        logs = ", ".join(str(p) for p in s.log) or "none"
        if s.mode == "window":
            until = s.until.isoformat() if s.until else "now"
            what = f"mode window {s.since.isoformat() if s.since else ''} .. {until}"
        elif s.mode == "replay":
            what = f"mode replay of {s.snapshots}"
        else:
            what = (
                f"mode live{' (resume)' if s.resume else ''}, duration "
                f"{format_duration(s.duration)} ({s.expected_snapshots} snapshots)"
            )
        return [
            f"botaudit: {what}, interval {format_duration(s.interval)}, strict {s.strict}, "
            f"allow-no-data {s.allow_no_data}",
            f"botaudit: dsn {s.redacted_dsn}, log {logs}, profile {self.profile.source}, "
            f"out {s.out}",
        ]

    @pytest.hookimpl(trylast=True)
    def pytest_collection_modifyitems(self, items: list[pytest.Item]) -> None:
        audit_items = [
            i for i in items if AUDIT_FIXTURES.intersection(getattr(i, "fixturenames", ()))
        ]
        self.active = bool(audit_items)
        # pre-flight checks first, so nothing waits hours on a bot that cannot be audited
        items.sort(key=lambda i: 0 if i.get_closest_marker("preflight") else 1)

    def pytest_collection_finish(self, session: pytest.Session) -> None:
        """Configuration problems end the run here, as one line, before any check runs."""
        if not self.active or session.config.option.collectonly:
            return
        s = self.settings
        if s.snapshots is not None and not s.snapshots.is_file():
            raise pytest.UsageError(
                f"{s.origins['snapshots']}: snapshot file '{s.snapshots}' does not exist"
            )
        for path in s.log:
            if not rotated_set(path):
                raise pytest.UsageError(f"{s.origins['log']}: log file '{path}' does not exist")
        if s.mode == "replay" and s.dsn is None:
            return  # a recorded run needs no database
        try:
            asyncio.run(_probe(s.dsn))
        except DatabaseUnavailable as exc:
            where = s.origins["dsn"] if s.dsn else "libpq PG* environment"
            raise pytest.UsageError(f"{where}: {exc}") from None

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        props = dict(report.user_properties)
        if props.get("kind") == "preflight" and report.when == "call" and report.failed:
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

    def pytest_terminal_summary(self, terminalreporter: Any) -> None:
        if self.results or self._data is not None:
            terminal_summary(terminalreporter, self.results, self._data)

    # -- the audit ------------------------------------------------------------------------------

    def audit_data(self) -> AuditData:
        """Run the collection once (the long wait) and analyse log and database windows."""
        if self._failure is not None:
            pytest.fail(self._failure, pytrace=False)
        if self._data is not None:
            return self._data
        if self.preflight_failures:
            pytest.exit(
                "pre-flight failed, the audit did not start: " + "; ".join(self.preflight_failures),
                returncode=1,
            )
        try:
            self._data = self._collect()
        except BotAuditError as exc:
            self._failure = f"the audit could not run: {exc}"
            pytest.fail(self._failure, pytrace=False)
        return self._data

    def _collect(self) -> AuditData:
        s = self.settings
        reporter = self.config.pluginmanager.get_plugin("terminalreporter")
        say = _terminal_writer(self.config, reporter)
        if s.mode == "replay":
            assert s.snapshots is not None
            say(f"botaudit: replaying {s.snapshots}")
            collection = write_summary(replay(s.snapshots, self.rule_overrides, s.persist), s.out)
        elif s.mode == "window":
            assert s.since is not None
            until = s.until or datetime.now(UTC)
            say(
                f"botaudit: judging the window {s.since.isoformat()} .. {until.isoformat()} "
                f"every {format_duration(s.interval)}"
            )
            collection = asyncio.run(
                reconstruct(
                    s.dsn,
                    self.profile,
                    s.since,
                    until,
                    s.interval,
                    s.out,
                    log_paths=s.log,
                    rules=seed_rules(self.rule_overrides),
                    persist=s.persist,
                )
            )
        else:
            collection = self._collect_live(say)
        say(
            f"botaudit: {len(collection.snapshots)}/{collection.expected_ticks} snapshots "
            f"({collection.stop_reason.value}), {len(collection.gaps)} gaps; summary "
            f"{collection.summary_path}"
        )
        dsn_known = s.mode != "replay" or s.dsn is not None
        return asyncio.run(
            complete_audit(
                collection,
                self.profile,
                self.metrics,
                s.dsn if dsn_known else None,
                s.log,
                use_database=dsn_known,
            )
        )

    def _collect_live(self, say: Callable[..., None]) -> CollectionResult:
        s = self.settings
        resume = None
        if s.resume:
            try:
                resume = find_resumable(s.out, s.interval, s.duration)
            except ConfigError as exc:
                raise BotAuditError(str(exc)) from None
            say(
                f"botaudit: resuming the audit started {resume.started_at.isoformat()} from "
                f"{resume.path} ({len(resume.snapshots)} snapshots kept)"
            )
        else:
            say(
                f"botaudit: collecting for {format_duration(s.duration)} every "
                f"{format_duration(s.interval)} (Ctrl+C stops early and keeps the data)"
            )
        collector = Collector(
            s.dsn,
            self.profile,
            s.duration,
            s.interval,
            s.out,
            log_paths=s.log,
            rules=seed_rules(self.rule_overrides),
            persist=s.persist,
            abort_on_critical=s.abort_on_critical,
            on_tick=_progress_printer(say, s.expected_snapshots, _is_tty(self.config)),
            on_incident=lambda i: say(
                f"botaudit: {i.severity.value} incident opened: {i.message}",
                red=i.severity.value == "CRITICAL",
            ),
            resume=resume,
        )
        try:
            return asyncio.run(collector.run())
        except Exception as exc:  # the collector wrote its artifacts before re-raising
            raise BotAuditError(f"collector failed: {exc}") from exc

    def record(self, item: pytest.Item, result: CheckResult | preflight.PreflightResult) -> None:
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
            pytest.fail(f"{message} (--audit-strict)", pytrace=False)


async def _probe(dsn: str | None) -> None:
    connection = await connect(dsn, connect_timeout=5.0)
    await connection.close()


def _terminal_writer(config: pytest.Config, reporter: Any) -> Callable[..., None]:
    capman = config.pluginmanager.get_plugin("capturemanager")

    def say(line: str, **markup: bool) -> None:
        if reporter is None:
            return
        if capman is not None:
            with capman.global_and_fixture_disabled():
                reporter.write_line(line, **markup)
        else:
            reporter.write_line(line, **markup)

    return say


def _is_tty(config: pytest.Config) -> bool:
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


# -- fixtures -----------------------------------------------------------------------------------


def _session(config: pytest.Config) -> AuditSession:
    return config.stash[SESSION_KEY]


@pytest.fixture(scope="session")
def audit_settings(pytestconfig: pytest.Config) -> AuditSettings:
    """The effective audit settings (command line > env > ini > [tool.botaudit] > defaults)."""
    return _session(pytestconfig).settings


@pytest.fixture(scope="session")
def audit_data(pytestconfig: pytest.Config) -> AuditData:
    """The collected audit: waits for the whole collection the first time it is requested."""
    return _session(pytestconfig).audit_data()


class CheckRunner:
    """What a check in audit_checks/ calls: judge one metric and turn the verdict into the
    test's outcome, recording value, thresholds and evidence for every report."""

    def __init__(self, session: AuditSession, item: pytest.Item) -> None:
        self._session = session
        self._item = item

    def good_indicator(self, metric: str) -> CheckResult:
        return self._run(metric, Kind.GOOD_INDICATOR)

    def warning_sign(self, metric: str) -> CheckResult:
        return self._run(metric, Kind.WARNING_SIGN)

    def _run(self, metric: str, kind: Kind) -> CheckResult:
        result = self._session.audit_data().check(metric, kind)
        self._session.record(self._item, result)
        self._session.enforce(result.verdict, result.explain())
        return result


@pytest.fixture
def audit_check(request: pytest.FixtureRequest) -> CheckRunner:
    """``audit_check.good_indicator("ws_reconnects")`` judges one metric of the audit."""
    return CheckRunner(_session(request.config), request.node)


class PreflightRunner:
    """The pre-flight checks, each turning its verdict into the test outcome."""

    def __init__(self, session: AuditSession, item: pytest.Item) -> None:
        self._session = session
        self._item = item
        self.settings = session.settings

    def run(self, check: Callable[[], preflight.PreflightResult]) -> preflight.PreflightResult:
        result = check()
        self._session.record(self._item, result)
        text = "\n".join([result.message, *(f"  evidence: {e}" for e in result.evidence)])
        self._session.enforce(result.verdict, text)
        return result

    def _skip_in_replay(self, what: str) -> None:
        if self.settings.mode == "replay":
            pytest.skip(f"replay mode: {what} is not part of re-judging a recorded run")

    def database(self) -> preflight.PreflightResult:
        if self.settings.dsn is None:
            self._skip_in_replay("the database")
        return self.run(
            lambda: asyncio.run(
                preflight.database_reachable(self.settings.dsn, self._session.profile)
            )
        )

    def schema(self) -> preflight.PreflightResult:
        if self.settings.dsn is None:
            self._skip_in_replay("the database schema")
        return self.run(
            lambda: asyncio.run(preflight.schema_present(self.settings.dsn, self._session.profile))
        )

    def testnet(self) -> preflight.PreflightResult:
        self._skip_in_replay("the bot's .env")
        return self.run(lambda: preflight.testnet_flags(self.settings.env_file))

    def disk_space(self) -> preflight.PreflightResult:
        return self.run(lambda: preflight.disk_space(self.settings.out))

    def log_file(self) -> preflight.PreflightResult:
        if not self.settings.log:
            self._skip_in_replay("the bot log")
        # a past window's log is not written any more: only a live audit wants it fresh
        fresh = preflight.LOG_FRESH_SECONDS if self.settings.mode == "live" else None
        return self.run(lambda: preflight.log_files(self.settings.log, fresh))


@pytest.fixture
def audit_preflight(request: pytest.FixtureRequest) -> PreflightRunner:
    return PreflightRunner(_session(request.config), request.node)


@pytest.fixture(scope="session")
def audit(audit_data: AuditData) -> AuditData:
    """The audit's data for custom checks (snapshots, log analysis, database window stats)."""
    return audit_data
