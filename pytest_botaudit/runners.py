"""What the checks in audit_checks/ call: judge one metric, or run one pre-flight check, and
turn its verdict into the test's outcome, recording it for every report."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence

import pytest

from .collection.collect import target
from .config.settings import AuditSettings, Mode
from .judging import preflight, preflight_bot
from .judging.verdicts import CheckResult, Kind, Verdict
from .reporting.evidence import evidence_items
from .session import AuditSession


class CheckRunner:
    """``audit_check.good_indicator("ws_reconnects")`` judges one metric of the audit,
    recording value, thresholds and evidence for every report."""

    def __init__(self, session: AuditSession, item: pytest.Item, run: str | None = None) -> None:
        self._session = session
        self._item = item
        self._run = run

    def good_indicator(self, metric: str) -> CheckResult:
        return self._judge(metric, Kind.GOOD_INDICATOR)

    def warning_sign(self, metric: str) -> CheckResult:
        return self._judge(metric, Kind.WARNING_SIGN)

    def _judge(self, metric: str, kind: Kind) -> CheckResult:
        result = self._session.audit_data(self._run).check(metric, kind)
        self._session.record(self._item, result)
        # what the terminal and JUnit show: the evidence grouped as the report groups it
        # (one line per message shape with its count and first place, not sixty alike)
        evidence = evidence_items(result.evidence, None)
        enforce(self._session.settings, result.verdict, result.message, evidence)
        return result


class PreflightRunner:
    """The pre-flight checks, each turning its verdict into the test outcome."""

    def __init__(self, session: AuditSession, item: pytest.Item) -> None:
        self._session = session
        self._item = item
        self.settings = session.settings
        self.profile = session.configured().profile

    def run(self, check: Callable[[], preflight.PreflightResult]) -> preflight.PreflightResult:
        result = check()
        self._session.record(self._item, result)
        enforce(self._session.settings, result.verdict, result.message, result.evidence)
        return result

    def _skip_in_replay(self, what: str) -> None:
        if self.settings.mode is Mode.REPLAY:
            pytest.skip(f"replay mode: {what} is not part of re-judging a recorded run")

    def database(self) -> preflight.PreflightResult:
        if self.settings.dsn is None:
            self._skip_in_replay("the database")
        return self.run(
            lambda: asyncio.run(preflight.database_reachable(target(self.settings), self.profile))
        )

    def schema(self) -> preflight.PreflightResult:
        if self.settings.dsn is None:
            self._skip_in_replay("the database schema")
        return self.run(
            lambda: asyncio.run(preflight.schema_present(target(self.settings), self.profile))
        )

    def role(self) -> preflight.PreflightResult:
        if self.settings.dsn is None:
            self._skip_in_replay("the database role")
        strict = self.settings.require_read_only_role
        return self.run(
            lambda: asyncio.run(
                preflight.role_read_only(target(self.settings), self.profile, strict)
            )
        )

    def queries(self) -> preflight.PreflightResult:
        if self.settings.dsn is None:
            self._skip_in_replay("the profile's queries")
        return self.run(
            lambda: asyncio.run(
                preflight.profile_queries_read_only(target(self.settings), self.profile)
            )
        )

    def timestamps(self) -> preflight.PreflightResult:
        if self.settings.dsn is None:
            self._skip_in_replay("the database's timestamps")
        return self.run(
            lambda: asyncio.run(
                preflight_bot.timestamps_and_clock(target(self.settings), self.profile)
            )
        )

    def vocabulary(self) -> preflight.PreflightResult:
        source = self.settings.bot_source
        if source is None:
            pytest.skip("no --audit-bot-source: the profile is not held against the bot's source")
        return self.run(lambda: preflight_bot.bot_vocabulary(source, self.profile))

    def testnet(self) -> preflight.PreflightResult:
        self._skip_in_replay("the bot's .env")
        env_file = self.settings.env_file
        if env_file is None:
            pytest.skip("--audit-env-file none: the bot has no .env, so no testnet flag to check")
        return self.run(lambda: preflight.testnet_flags(env_file))

    def disk_space(self) -> preflight.PreflightResult:
        return self.run(lambda: preflight.disk_space(self.settings.out))

    def log_file(self) -> preflight.PreflightResult:
        if not self.settings.log:
            self._skip_in_replay("the bot log")
        # a past window's log is not written any more: only a live audit wants it fresh
        fresh = preflight.LOG_FRESH_SECONDS if self.settings.mode is Mode.LIVE else None
        return self.run(lambda: preflight.log_files(self.settings.log, fresh))


def enforce(
    settings: AuditSettings, verdict: Verdict, reason: str, evidence: Sequence[str]
) -> None:
    """Turn a verdict into the test outcome, its message the reason and an evidence line each."""
    message = "".join([reason, *(f"\n  evidence: {e}" for e in evidence)])
    if verdict is Verdict.FAIL:
        pytest.fail(message, pytrace=False)
    if verdict is Verdict.NO_DATA:
        if settings.allow_no_data:
            pytest.skip(message)
        pytest.fail(message, pytrace=False)
    if verdict is Verdict.WARN and settings.strict:
        first, _, rest = message.partition("\n")  # the reason on the verdict's line
        pytest.fail(f"{first} (--audit-strict)\n{rest}".rstrip(), pytrace=False)
