"""Comparing two audits: tolerance boundaries, verdict order, comparability, and the property
that every check lands in exactly one list."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pytest_botaudit.judging.verdicts import Direction, Threshold, Verdict
from pytest_botaudit.reruns.compare import comparability, compare_records, moved, parse_tolerances
from pytest_botaudit.reruns.records import AuditRecord, CheckRecord, CompareError, load_record


def check(
    name: str, verdict: Verdict, value: float | None = None, kind: str = "warning_sign"
) -> CheckRecord:
    return CheckRecord(
        name=name,
        kind=kind,
        verdict=verdict,
        metric=name,
        title=name.replace("_", " "),
        value=value,
        unit="errors",
        good=Threshold("<", 10),
        warning=Threshold(">", 50),
    )


def record(*checks: CheckRecord, **props: str) -> AuditRecord:
    return AuditRecord("x.xml", props, {c.name: c for c in checks})


@pytest.mark.parametrize(
    ("old", "new", "tolerance", "expected"),
    [
        (20, 22, 0.10, 0),  # exactly 10 %: within
        (20, 22.01, 0.10, -1),  # just beyond, the bad way
        (20, 18, 0.10, 0),
        (20, 17.99, 0.10, 1),  # just beyond, the good way
        (0, 0.5, 0.10, -1),  # from 0 any move the bad way counts
        (0, 0, 0.10, 0),
        (20, 30, 0.50, 0),  # a wider tolerance for this metric
    ],
)
def test_tolerance_boundaries_both_ways(
    old: float, new: float, tolerance: float, expected: int
) -> None:
    assert moved(old, new, Direction.LOWER_IS_BETTER, tolerance) == expected
    # the same move is the mirror image for a metric where higher is better
    assert moved(old, new, Direction.HIGHER_IS_BETTER, tolerance) == -expected


def test_verdict_changes_are_regressions_and_improvements() -> None:
    old = record(
        check("a", Verdict.PASS, 5),
        check("b", Verdict.WARN, 20),
        check("c", Verdict.FAIL, 60),
        check("d", Verdict.PASS, 5),
        check("gone", Verdict.PASS, 1),
    )
    new = record(
        check("a", Verdict.FAIL, 60),
        check("b", Verdict.PASS, 5),
        check("c", Verdict.NO_DATA),
        check("d", Verdict.PASS, 5.4),
        check("added", Verdict.PASS, 1),
    )
    result = compare_records(old, new)
    assert {c.name for c in result.regressions} == {"a", "c"}  # anything -> NO-DATA too
    assert {c.name for c in result.improvements} == {"b"}
    assert {c.name for c in result.unchanged} == {"d"}
    assert result.added == ("added",)
    assert result.gone == ("gone",)
    back = compare_records(new, old)
    assert {c.name for c in back.regressions} == {"b"}
    assert {c.name for c in back.improvements} == {"a", "c"}


def test_a_metric_moving_beyond_its_tolerance_regresses_with_the_same_verdict() -> None:
    old = record(check("api_errors", Verdict.PASS, 20))
    new = record(check("api_errors", Verdict.PASS, 30))
    assert [c.name for c in compare_records(old, new).regressions] == ["api_errors"]
    wide = parse_tolerances(["api_errors=60%"])
    assert compare_records(old, new, wide).regressions == ()
    assert compare_records(old, new, parse_tolerances(["60%"])).regressions == ()


@pytest.mark.parametrize("text", ["api_errors=ten%", "api_errors=10", "=10%", "10 %", "x=-5%"])
def test_a_malformed_tolerance_is_refused(text: str) -> None:
    with pytest.raises(CompareError, match="expected METRIC=PERCENT%"):
        parse_tolerances([text])


def test_comparability_names_each_difference() -> None:
    base = {
        "profile_hash": "a",
        "thresholds_hash": "t1",
        "interval_seconds": "60",
        "duration_seconds": "28800",
        "gap_ticks": "0",
    }
    same = comparability(record(**base), record(**base))
    assert same == []
    changed = {**base, "thresholds_hash": "t2", "interval_seconds": "30", "gap_ticks": "3"}
    found = comparability(record(**base), record(**changed))
    assert any("thresholds differ" in w for w in found)
    assert any("interval differs" in w for w in found)
    assert any("gaps the other lacks" in w for w in found)
    assert comparability(record(**base), record(**{**base, "duration_seconds": "30000"})) == []


def test_margin_and_direction_are_recomputed_from_value_thresholds_and_kind() -> None:
    # a file written when a warning sign's margin had the other sign still compares right
    sign = check("api_errors", Verdict.PASS, 20)
    assert sign.margin == 30  # 30 errors below the warning sign's > 50
    assert sign.direction is Direction.LOWER_IS_BETTER
    good = check("api_errors", Verdict.WARN, 20, kind="good_indicator")
    assert good.margin == -10


VERDICTS = st.sampled_from(list(Verdict))
CHECKS = st.dictionaries(
    st.sampled_from([f"check_{n}" for n in range(12)]),
    st.tuples(VERDICTS, st.one_of(st.none(), st.floats(0, 1000, allow_nan=False))),
    max_size=12,
)


@given(CHECKS, CHECKS)
def test_every_check_is_in_exactly_one_list(
    old: dict[str, tuple[Verdict, float | None]], new: dict[str, tuple[Verdict, float | None]]
) -> None:
    a = record(*(check(n, v, x) for n, (v, x) in old.items()))
    b = record(*(check(n, v, x) for n, (v, x) in new.items()))
    result = compare_records(a, b)
    listed = [
        *(c.name for c in result.regressions),
        *(c.name for c in result.improvements),
        *(c.name for c in result.unchanged),
    ]
    assert sorted(listed) == sorted(set(old) & set(new))
    assert sorted([*listed, *result.added, *result.gone]) == sorted(set(old) | set(new))


def test_an_older_junit_without_suite_properties_is_read_and_said_so(tmp_path: Path) -> None:
    old = tmp_path / "old.xml"
    old.write_text(
        '<testsuites><testsuite name="pytest" tests="1"><testcase classname="c" name="t">'
        '<properties><property name="metric" value="api_errors"/>'
        '<property name="verdict" value="PASS"/><property name="value" value="3"/>'
        '<property name="unit" value="errors"/><property name="good_threshold" value="&lt; 10"/>'
        '<property name="warning_threshold" value="&gt; 50"/>'
        '<property name="margin" value="-47"/><property name="kind" value="warning_sign"/>'
        "</properties></testcase></testsuite></testsuites>"
    )
    record = load_record(old)
    assert record.notes
    assert "no suite properties" in record.notes[0]
    check = record.checks["t"]
    # the margin written then (the other sign) is ignored: recomputed, positive is safe
    assert check.margin == 47
    assert check.direction is Direction.LOWER_IS_BETTER


@pytest.mark.parametrize(
    "verdicts",
    [[1, 2], [{"verdict": "PASS"}], [{"name": "t", "verdict": "PASS", "value": "lots"}]],
    ids=["not objects", "no name", "value not a number"],
)
def test_a_run_folder_with_verdicts_of_the_wrong_shape_is_one_error(
    tmp_path: Path, verdicts: list[object]
) -> None:
    (tmp_path / "monitoring_report_20250101_000000.json").write_text(
        json.dumps({"verdicts": verdicts})
    )
    with pytest.raises(CompareError, match="verdict 1 of the wrong shape"):
        load_record(tmp_path)


def test_a_run_folder_with_an_identity_of_the_wrong_shape_is_read_without_it(
    tmp_path: Path,
) -> None:
    verdict = {"name": "t", "verdict": "PASS", "value": 3, "kind": "preflight"}
    (tmp_path / "monitoring_report_20250101_000000.json").write_text(
        json.dumps({"identity": [1], "verdicts": [verdict]})
    )
    record = load_record(tmp_path)
    assert record.properties == {}
    assert record.checks["t"].verdict is Verdict.PASS
