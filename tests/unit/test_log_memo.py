"""The log analysis's caches of answers: bounded, left behind when a part is pickled, and never
older than the secrets the audit knows."""

from __future__ import annotations

import pickle
from collections.abc import Iterator

import pytest

from pytest_botaudit import redaction
from pytest_botaudit.logs.analyses.errors import ShapeTable
from pytest_botaudit.logs.memo import Memo
from pytest_botaudit.logs.model import LogRecord


@pytest.fixture
def no_secrets() -> Iterator[None]:
    redaction.forget()
    yield
    redaction.forget()


def _record(message: str, line_no: int = 1) -> LogRecord:
    return LogRecord(
        "bot.log", line_no, "2025-10-15 02:00:00,000", "m", "ERROR", message, None, None
    )


def test_a_full_memo_forgets_everything_and_a_pickled_one_comes_back_empty() -> None:
    memo: Memo[str, int] = Memo(limit=3)
    for n in range(3):
        memo.keep(str(n), n)
    assert memo == {"0": 0, "1": 1, "2": 2}
    assert memo.keep("3", 3) == 3
    assert memo == {"3": 3}
    copy = pickle.loads(pickle.dumps(memo))
    assert isinstance(copy, Memo)
    assert copy == {}
    assert copy.limit == 3


def test_a_shape_follows_the_secrets_the_audit_learns(no_secrets: None) -> None:
    message = "login failed for key hunter2secret (attempt 3)"
    table = ShapeTable(lambda text: text)
    table.feed(_record(message))
    redaction.remember(["hunter2secret"])
    table.feed(_record(message, 2))
    redaction.forget()
    table.feed(_record(message, 3))
    shapes = {shape: known.count for shape, known in table.shapes.items()}
    assert shapes == {
        "login failed for key hunter<n>secret (attempt <n>)": 2,
        "login failed for key *** (attempt <n>)": 1,
    }
