"""pytest glue: the options, the session object's registration, and the audit fixtures."""

from __future__ import annotations

from collections.abc import AsyncIterator, Generator

import pytest
import pytest_asyncio

from .collection.collect import target
from .config.options import OPTIONS
from .config.settings import AuditSettings, Mode
from .database.analysis import DatabaseAnalysis
from .database.connection import ReadOnlySession, connect
from .errors import DatabaseUnavailable
from .exitcodes import SHORT, audit_exit
from .judging.audit import AuditData
from .judging.verdicts import Verdict
from .reporting.html import AuditHtml
from .reporting.terminal import final_line
from .runners import CheckRunner, PreflightRunner
from .session import AuditSession

SESSION_KEY = pytest.StashKey[AuditSession]()
MARKERS = {
    "good_indicator": "a good indicator of the seed: missing it WARNs (FAILs when critical)",
    "warning_sign": "a warning sign of the seed: its presence FAILs the check",
    "critical": "a check whose failure must block a deployment (unprotected positions, ...)",
    "preflight": "a pre-flight check, run before the collection starts",
}


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup(
        "botaudit",
        "trading-bot audit (pytest-botaudit): pytest audit_checks --audit-duration=8h "
        f"--audit-dsn=DSN --audit-log=FILE --html=audit.html --junitxml=audit.xml; {SHORT}",
    )
    for opt in OPTIONS:
        dest = f"audit_{opt.name}"
        if opt.flag:
            group.addoption(opt.cli, action="store_true", default=None, dest=dest, help=opt.help)
            parser.addini(opt.ini, help=opt.help, type="bool", default=None)
        elif opt.multiple:
            group.addoption(opt.cli, action="append", default=None, dest=dest, help=opt.help)
            parser.addini(opt.ini, help=opt.help, type="args", default=[])
        else:
            group.addoption(opt.cli, action="store", default=None, dest=dest, help=opt.help)
            parser.addini(opt.ini, help=opt.help, default=None)


def pytest_configure(config: pytest.Config) -> None:
    for name, text in MARKERS.items():
        config.addinivalue_line("markers", f"{name}: {text}")
    session = AuditSession(config)  # inert: nothing is read or checked until an audit is asked
    config.stash[SESSION_KEY] = session
    config.pluginmanager.register(session, "botaudit-session")
    config.pluginmanager.register(AuditFinale(session), "botaudit-finale")
    if config.pluginmanager.hasplugin("html"):
        config.pluginmanager.register(
            AuditHtml(lambda: session.report, session.row_context), "botaudit-html"
        )


def pytest_unconfigure(config: pytest.Config) -> None:
    for name in ("botaudit-session", "botaudit-finale", "botaudit-html"):
        plugin = config.pluginmanager.get_plugin(name)
        if plugin is not None:
            config.pluginmanager.unregister(plugin, name)


class AuditFinale:
    """The end of the session, after pytest's own summary line: the audit's exit code, and
    its state as the session's last line."""

    def __init__(self, session: AuditSession) -> None:
        self.session = session

    @pytest.hookimpl(wrapper=True, tryfirst=True)
    def pytest_sessionfinish(self, session: pytest.Session) -> Generator[None, None, None]:
        result = yield  # the report model, JUnit, pytest-html and pytest's summary
        model = self.session.report
        if model is None or not model.runs:
            return result
        s = self.session.settings
        verdicts = {row.result.verdict for run in model.runs for row in run.rows}
        session.exitstatus = audit_exit(
            model.overall,
            int(session.exitstatus),
            strict=s.strict,
            allow_no_data=s.allow_no_data,
            has_warn=Verdict.WARN in verdicts,
            has_no_data=Verdict.NO_DATA in verdicts,
            regressed=bool(model.gate),
        )
        reporter = session.config.pluginmanager.get_plugin("terminalreporter")
        if reporter is not None:
            final_line(reporter, model)
        return result


def _session(config: pytest.Config) -> AuditSession:
    return config.stash[SESSION_KEY]


@pytest.fixture(scope="session")
def audit_settings(pytestconfig: pytest.Config) -> AuditSettings:
    """The effective audit settings (command line > env > ini > [tool.botaudit] > defaults)."""
    return _session(pytestconfig).settings


@pytest.fixture(scope="session")
def audit_run(request: pytest.FixtureRequest) -> str | None:
    """The replayed run a check judges under ``--audit-run all`` (its id); else None."""
    return getattr(request, "param", None)


@pytest.fixture(scope="session")
def audit_data(pytestconfig: pytest.Config, audit_run: str | None) -> AuditData:
    """The collected audit (collected once per session, before the first check judging it)."""
    return _session(pytestconfig).audit_data(audit_run)


@pytest.fixture(scope="session")
def audit(audit_data: AuditData) -> AuditData:
    """The audit's data for custom checks (snapshots, log analysis, database window stats)."""
    return audit_data


@pytest.fixture(scope="session")
def audit_analysis(audit_data: AuditData) -> DatabaseAnalysis | None:
    """The 14-section database analysis of the audit window (None without a database)."""
    return audit_data.window.analysis


@pytest.fixture
def audit_check(request: pytest.FixtureRequest, audit_run: str | None) -> CheckRunner:
    """``audit_check.good_indicator("ws_reconnects")`` judges one metric of the audit."""
    return CheckRunner(_session(request.config), request.node, audit_run)


@pytest.fixture
def audit_preflight(request: pytest.FixtureRequest) -> PreflightRunner:
    return PreflightRunner(_session(request.config), request.node)


@pytest_asyncio.fixture(scope="session", loop_scope="session")
async def audit_db(pytestconfig: pytest.Config) -> AsyncIterator[ReadOnlySession]:
    """The bot's database for custom checks, on the session's event loop: ``fetch``,
    ``fetchrow`` and ``fetchval``, each one statement in a read-only transaction."""
    settings = _session(pytestconfig).settings
    if settings.mode is Mode.REPLAY and settings.dsn is None:
        pytest.skip("replay mode without --audit-dsn has no database")
    try:
        session = await connect(target(settings))
    except DatabaseUnavailable as exc:
        pytest.fail(f"audit_db: {exc}", pytrace=False)
    try:
        yield session
    finally:
        await session.close()
