"""pytest glue for which checks run: pre-flight kept whatever ``-m`` selects, and pytest's own
outcome of every audit test case, which every output counts."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from .judging.verdicts import Verdict


def _deselected_by_name(item: pytest.Item, config: pytest.Config) -> bool:
    """Whether ``-k`` or ``--deselect`` names the item out (a ``-m`` expression does not)."""
    prefixes = tuple(config.getoption("deselect", None) or ())
    if prefixes and item.nodeid.startswith(prefixes):
        return True
    keyword = (config.getoption("keyword", "") or "").strip()
    if not keyword:
        return False
    from _pytest.mark import KeywordMatcher
    from _pytest.mark.expression import Expression

    return not Expression.compile(keyword).evaluate(KeywordMatcher.from_item(item))


Status = tuple[str, str, tuple[str, dict[str, bool]]]


def verdict_status(report: pytest.TestReport) -> Status | None:
    """The letter and word of a check's verdict in pytest's terminal."""
    if report.when != "call":
        return None
    # the verdict's letter and word, in pytest's own outcome category: a WARN passes (fails
    # with --audit-strict), a NO-DATA fails (is skipped with --audit-allow-no-data), so
    # pytest's counts, its FAILURES section, the JUnit file and pytest-html's boxes agree
    verdict = dict(report.user_properties).get("verdict")
    if verdict == Verdict.WARN.value:
        return report.outcome, "W", ("WARN", {"yellow": True})
    if verdict == Verdict.NO_DATA.value:
        return (
            report.outcome,
            "N",
            ("NO-DATA", {"red": True} if report.failed else {"yellow": True}),
        )
    return None


# the fixtures of an audit's test case, and of one that judges the collected run
AUDIT_FIXTURES = frozenset(
    {"audit", "audit_check", "audit_preflight", "audit_data", "audit_db", "audit_analysis"}
)
COLLECTED_FIXTURES = frozenset({"audit", "audit_check", "audit_data", "audit_analysis"})


def uses(item: pytest.Item, fixtures: frozenset[str]) -> bool:
    return bool(fixtures.intersection(getattr(item, "fixturenames", ())))


class Selection:
    """The session's audit items, what was said about their selection, and their outcomes."""

    def __init__(self, config: pytest.Config) -> None:
        self.config = config
        self.audit_items: dict[str, str | None] = {}  # nodeid -> its run (None: the only one)
        self.cases: dict[str, str] = {}  # nodeid -> pytest's outcome of the test case
        self.notes: list[str] = []  # what the terminal says about the selection
        self.judging = True  # a check that judges the collected run is selected

    def keep_preflight(self, collected: list[pytest.Item], items: list[pytest.Item]) -> None:
        """Pre-flight runs whatever ``-m`` selects: an audit without its read-only and testnet
        checks is not an audit. Only a check deselected by name (``-k``, ``--deselect``) stays
        out, and the terminal and the report say so."""
        kept = set(items)
        back = [i for i in collected if i not in kept and not _deselected_by_name(i, self.config)]
        items[:0] = back
        if back:
            self.notes.append(
                f"pre-flight always runs: {len(back)} pre-flight check(s) kept although -m "
                "deselected them"
            )
        left_out = [i.name for i in collected if i not in kept and i not in back]
        if left_out:
            self.notes.append(
                "WARNING: pre-flight checks deselected by name, the audit runs without them: "
                + ", ".join(left_out)
            )
        if not collected and not any(i.get_closest_marker("preflight") for i in items):
            self.notes.append(
                "WARNING: no pre-flight check selected: the audit runs without its read-only, "
                "schema and testnet checks (add audit_checks/test_preflight.py)"
            )

    def chosen(
        self, items: list[pytest.Item], run_key: Callable[[pytest.Item], str | None]
    ) -> None:
        """The selected items in the order they run (pre-flight first, so nothing waits hours on
        a bot that cannot be audited), the audit's test cases, and whether any judges a run."""
        items.sort(key=lambda i: 0 if i.get_closest_marker("preflight") else 1)
        self.audit_items = {i.nodeid: run_key(i) for i in items if uses(i, AUDIT_FIXTURES)}
        self.judging = any(
            uses(i, COLLECTED_FIXTURES) and not i.get_closest_marker("preflight") for i in items
        )

    def record(self, report: pytest.TestReport) -> None:
        """pytest's own outcome of an audit test case, as its summary line counts it."""
        if report.nodeid not in self.audit_items:
            return
        if report.when == "call":
            self.cases[report.nodeid] = report.outcome
        elif report.failed:
            self.cases[report.nodeid] = "error"
        elif report.skipped:
            self.cases[report.nodeid] = "skipped"

    def cases_of(self, key: str | None, first: bool) -> dict[str, int]:
        """pytest's outcomes of one run's test cases (pre-flight ones go with the first run)."""
        counts: dict[str, int] = {}
        for nodeid, outcome in self.cases.items():
            run = self.audit_items.get(nodeid)
            if run == key or (run is None and first):
                counts[outcome] = counts.get(outcome, 0) + 1
        return counts
