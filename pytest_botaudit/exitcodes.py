"""The exit codes of an audit session, decided once: pytest's own (0-5) kept for what they
mean to pytest, and the audit's states beside them, so a CI job tells a RED bot from an audit
that never ran (k6 and Soda Core give thresholds and runtime errors their own codes too)."""

from __future__ import annotations

import enum


class AuditExit(enum.IntEnum):
    GREEN = 0  # every check passed, or a YELLOW the settings let pass
    RED = 1  # a check FAILed (pytest's "tests failed")
    INTERRUPTED = 2  # pytest's: interrupted before anything could be judged
    INTERNAL_ERROR = 3  # pytest's
    USAGE_ERROR = 4  # pytest's: a wrong option or configuration, named in one line
    NO_TESTS = 5  # pytest's: nothing collected
    YELLOW_FAILING = 6  # a WARN under --audit-strict, or a NO-DATA without --audit-allow-no-data
    NOT_RUN = 7  # the audit did not judge the bot: pre-flight failed, database unreachable ...
    REGRESSION = 8  # worse than the baseline under --audit-fail-on-regression (not RED)


MEANINGS = {
    AuditExit.GREEN: "GREEN, or a YELLOW whose WARN and NO-DATA verdicts the settings let pass",
    AuditExit.RED: "RED: a check FAILed",
    AuditExit.INTERRUPTED: "interrupted before anything was judged (pytest)",
    AuditExit.INTERNAL_ERROR: "internal error (pytest)",
    AuditExit.USAGE_ERROR: "usage error: a wrong option, setting or file, named in one line",
    AuditExit.NO_TESTS: "no tests collected (pytest)",
    AuditExit.YELLOW_FAILING: "YELLOW that fails: a WARN with --audit-strict, a NO-DATA "
    "without --audit-allow-no-data",
    AuditExit.NOT_RUN: "NOT RUN: the bot was not judged (pre-flight failed, database "
    "unreachable ...)",
    AuditExit.REGRESSION: "worse than --audit-baseline, with --audit-fail-on-regression",
}
# what pytest --help says in the audit's option group
SHORT = "exit 0 GREEN, 1 RED, 6 YELLOW that fails, 7 NOT RUN, 8 regression; botaudit --help"


def help_text() -> str:
    """The exit codes as ``--help`` lists them."""
    return "exit codes:\n" + "\n".join(f"  {int(code)}  {text}" for code, text in MEANINGS.items())


def audit_exit(
    overall: str,
    pytest_status: int,
    *,
    strict: bool,
    allow_no_data: bool,
    has_warn: bool,
    has_no_data: bool,
    regressed: bool,
) -> int:
    """The session's exit code from the audit's overall state (pytest's status kept where the
    audit has nothing to add: an interrupted session, a test that is not an audit check)."""
    if pytest_status in (AuditExit.INTERRUPTED, AuditExit.INTERNAL_ERROR, AuditExit.USAGE_ERROR):
        return pytest_status
    if overall == "NOT RUN":
        return AuditExit.NOT_RUN
    if overall == "RED":
        return AuditExit.RED
    if regressed:
        return AuditExit.REGRESSION
    if overall == "YELLOW" and ((has_warn and strict) or (has_no_data and not allow_no_data)):
        return AuditExit.YELLOW_FAILING
    return pytest_status
