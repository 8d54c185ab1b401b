"""Comparing two audits: one entry per metric, noise told from change, the headline and the exit
rule, thresholds that differ refused by name, what is new since the baseline, and the files of
earlier versions still read."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pytest_botaudit.judging.sample import Sample, SampleKind
from pytest_botaudit.judging.verdicts import Direction, Threshold, Verdict
from pytest_botaudit.record.folder import RunFolder
from pytest_botaudit.record.shapes import EventType, MessageShape, RunShapes, write_shapes
from pytest_botaudit.reruns.compare import (
    OVERALL_RANK,
    Outcome,
    Settings,
    comparability,
    compare_records,
)
from pytest_botaudit.reruns.records import AuditRecord, CheckRecord, CompareError, load_record
from pytest_botaudit.reruns.render import plain, text_lines, to_json

GOOD, WARNING = Threshold("<", 10), Threshold(">", 50)


def check(
    metric: str,
    verdict: Verdict,
    value: float | None = None,
    kind: str = "warning_sign",
    sample: Sample | None = None,
    good: Threshold | None = GOOD,
) -> CheckRecord:
    return CheckRecord(
        name=f"{metric}[{kind}]",
        kind=kind,
        verdict=verdict,
        metric=metric,
        title=metric.replace("_", " "),
        value=value,
        unit="errors",
        good=good,
        warning=WARNING,
        sample=sample,
    )


def pair(
    metric: str,
    verdicts: tuple[Verdict, Verdict],
    value: float | None,
    sample: Sample | None = None,
    good: Threshold | None = GOOD,
) -> list[CheckRecord]:
    """A metric's good indicator and warning sign, as every audit judges it."""
    first, second = verdicts
    return [
        check(metric, first, value, "good_indicator", sample, good),
        check(metric, second, value, "warning_sign", sample, good),
    ]


def record(*checks: CheckRecord, shapes: RunShapes | None = None, **props: str) -> AuditRecord:
    return AuditRecord("x.xml", props, {c.name: c for c in checks}, shapes=shapes)


def count(events: int, hours: float = 1.0) -> Sample:
    return Sample.count(events, hours)


P, W, F, N = Verdict.PASS, Verdict.WARN, Verdict.FAIL, Verdict.NO_DATA


def test_a_metric_judged_by_two_checks_is_one_entry_listed_once() -> None:
    old = record(*pair("api_errors", (P, P), 5), *pair("timeouts", (W, F), 60))
    new = record(*pair("api_errors", (W, F), 60), *pair("timeouts", (P, P), 5))
    result = compare_records(old, new)
    assert [e.key for e in result.entries] == ["api_errors", "timeouts"]
    assert [e.key for e in result.worse] == ["api_errors"]
    assert [e.key for e in result.better] == ["timeouts"]
    assert result.worse[0].names == ("api_errors[good_indicator]", "api_errors[warning_sign]")
    assert "verdict PASS → FAIL" in result.worse[0].reason  # the worse verdict of the two
    text = "\n".join(text_lines(result))
    assert text.count("api errors: 5 errors → 60 errors") == 1


def test_anything_to_no_data_is_worse_and_no_data_to_a_verdict_is_better() -> None:
    old = record(*pair("a", (P, P), 1), *pair("b", (N, N), None))
    new = record(*pair("a", (N, N), None), *pair("b", (P, P), 1))
    result = compare_records(old, new)
    assert ([e.key for e in result.worse], [e.key for e in result.better]) == (["a"], ["b"])


def test_small_counts_moved_by_chance_are_noise_and_never_worse() -> None:
    # 3 -> 5 errors in an hour: p = 0.73, far from significant
    old = record(*pair("api_errors", (P, P), 3, sample=count(3)), overall="GREEN")
    new = record(*pair("api_errors", (P, P), 5, sample=count(5)), overall="GREEN")
    result = compare_records(old, new)
    (entry,) = result.entries
    assert entry.outcome is Outcome.NOISE
    assert "not significant at 0.01" in entry.reason
    assert entry.test is not None
    assert entry.test.p_value > 0.5
    assert (result.exit_code, result.headline) == (
        0,
        "GREEN → GREEN: the same (what moved is within noise)",
    )


def test_a_significant_and_relevant_rise_is_worse_with_the_same_verdict() -> None:
    old = record(*pair("api_errors", (P, P), 5, sample=count(40)))
    new = record(*pair("api_errors", (P, P), 5, sample=count(120)))
    result = compare_records(old, new)
    assert [e.key for e in result.worse] == ["api_errors"]
    assert result.exit_code == 1
    assert result.headline.endswith(": worse: api errors")
    # the same move the other way is better, and a higher-is-better metric mirrors it
    assert [e.key for e in compare_records(new, old).better] == ["api_errors"]


def test_a_significant_change_smaller_than_the_minimum_effect_is_noise() -> None:
    # 10 000 vs 10 400 errors: p ~ 0.005, yet Cohen's h is 0.014, far under "small" (0.2)
    old = record(*pair("api_errors", (P, P), 1, sample=count(10_000)))
    new = record(*pair("api_errors", (P, P), 1, sample=count(10_400)))
    (entry,) = compare_records(old, new).entries
    assert entry.test is not None
    assert entry.test.p_value < 0.01
    assert entry.outcome is Outcome.NOISE
    assert "smaller than the minimum relevant effect 0.2" in entry.reason
    # with no minimum it counts, which shows the setting is what held it back
    lenient = compare_records(old, new, Settings(alpha=0.01, min_effect=0.0))
    assert lenient.worse


def test_rates_make_runs_of_different_lengths_comparable() -> None:
    # 10 errors in 1 hour and 40 in 4 hours are the same rate; 10 in 1 h vs 10 in 4 h is not
    one_hour = record(*pair("api_errors", (P, P), 10, sample=count(10, 1.0)))
    same_rate = record(*pair("api_errors", (P, P), 40, sample=count(40, 4.0)))
    assert compare_records(one_hour, same_rate).of(Outcome.SAME)
    quieter = record(*pair("api_errors", (P, P), 10, sample=count(10, 4.0)))
    (entry,) = compare_records(one_hour, quieter).entries
    assert entry.test is not None
    assert entry.test.effect < 0


def test_a_metric_without_a_noise_model_moves_and_is_judged_by_its_verdict() -> None:
    old = record(*pair("aged_positions", (P, P), 1))
    new = record(*pair("aged_positions", (P, P), 4))
    (entry,) = compare_records(old, new).entries
    assert entry.outcome is Outcome.UNTESTED
    assert "no noise model (a peak over the ticks)" in entry.reason


def test_faulty_to_healthy_is_better_and_the_headline_leads() -> None:
    old = record(*pair("unprotected_positions", (F, F), 2), overall="RED")
    new = record(*pair("unprotected_positions", (P, P), 0), overall="GREEN")
    result = compare_records(old, new)
    assert (result.headline, result.result, result.exit_code) == (
        "RED → GREEN: better",
        "better",
        0,
    )
    assert text_lines(result)[0] == "RED → GREEN: better"
    assert next(iter(to_json(result))) == "headline"


def test_an_improved_verdict_with_one_metric_worse_names_both_and_exits_1() -> None:
    old = record(
        *pair("unprotected_positions", (F, F), 2),
        *pair("api_errors", (P, P), 3, sample=count(3)),
        overall="RED",
    )
    new = record(
        *pair("unprotected_positions", (P, P), 0),
        *pair("api_errors", (P, P), 9, sample=count(90)),
        overall="GREEN",
    )
    result = compare_records(old, new)
    assert result.headline == "RED → GREEN: better overall, but worse: api errors"
    assert result.exit_code == 1


@pytest.mark.parametrize("shown", ["NOT RUN", "NOT_RUN", "not run"])
def test_an_audit_that_did_not_run_is_shown_and_never_passes(shown: str) -> None:
    judged = record(*pair("api_errors", (P, P), 3), overall="GREEN")
    not_run = record(*pair("api_errors", (N, N), None), overall=shown)
    result = compare_records(judged, not_run)
    assert result.headline.startswith("GREEN → NOT RUN: worse: this audit did not judge the bot")
    assert result.exit_code == 1
    back = compare_records(not_run, judged)
    assert back.headline.startswith("NOT RUN → GREEN: the baseline did not judge the bot")


def test_the_overall_verdict_of_a_record_without_one_comes_from_its_checks() -> None:
    old, new = record(*pair("a", (W, P), 12)), record(*pair("a", (P, P), 1))
    assert compare_records(old, new).overall == ("YELLOW", "GREEN")


def test_different_thresholds_are_refused_naming_each() -> None:
    old = record(*pair("api_errors", (P, P), 3))
    moved = CheckRecord(
        "t", "warning_sign", P, "api_errors", "", 3, "errors", GOOD, Threshold(">", 40)
    )
    with pytest.raises(CompareError) as refused:
        compare_records(old, record(moved))
    assert (
        "thresholds differ: api_errors (good < 10, warning > 40 vs good < 10, warning > 50"
        in str(refused.value)
    )
    # a severity changed: not visible in the checks, but the hash tells
    a = record(*pair("api_errors", (P, P), 3), thresholds_hash="aaa")
    b = record(*pair("api_errors", (P, P), 3), thresholds_hash="bbb")
    with pytest.raises(CompareError, match="thresholds hash bbb vs aaa"):
        compare_records(a, b)


def test_durations_and_intervals_no_longer_matter_but_profiles_and_gaps_are_noted() -> None:
    base = {
        "profile_hash": "a",
        "interval_seconds": "60",
        "duration_seconds": "28800",
        "gap_ticks": "0",
    }
    other = {**base, "interval_seconds": "5", "duration_seconds": "1800"}
    assert comparability(AuditRecord("a", base, {}), AuditRecord("b", other, {})) == []
    changed = {**base, "profile_hash": "b", "gap_ticks": "3"}
    found = comparability(AuditRecord("a", base, {}), AuditRecord("b", changed, {}))
    assert any("profiles differ" in w for w in found)
    assert any("gaps the other lacks" in w for w in found)


def _shapes(*shapes: tuple[str, str], types: tuple[str, ...] = ()) -> RunShapes:
    return RunShapes(
        "r",
        True,
        True,
        tuple(
            MessageShape(text, level, 2, "2026-01-01T00:00:00+00:00", "-", "bot.log:7", "x")
            for level, text in shapes
        ),
        tuple(EventType(t, 1, "2026-01-01T00:00:00+00:00") for t in types),
    )


def test_a_new_error_shape_is_worse_a_new_warning_shape_and_event_type_are_listed() -> None:
    old = record(
        *pair("a", (P, P), 1),
        shapes=_shapes(("ERROR", "known <n>"), ("WARNING", "slow <n>"), types=("x",)),
    )
    new_shapes = _shapes(
        ("ERROR", "known <n>"),
        ("WARNING", "odd <n>"),
        ("ERROR", "slow <n>"),  # was a WARNING: a new kind at ERROR
        ("CRITICAL", "\x1b[31mboom\x1b[0m <n>"),
        types=("x", "y"),
    )
    result = compare_records(old, record(*pair("a", (P, P), 1), shapes=new_shapes))
    assert [s.shape for s in result.novelty.error_shapes] == ["slow <n>", "\x1b[31mboom\x1b[0m <n>"]
    assert [s.shape for s in result.novelty.warning_shapes] == ["odd <n>"]
    assert [e.event_type for e in result.novelty.event_types] == ["y"]
    assert result.exit_code == 1
    assert result.headline == "GREEN → GREEN: worse: 2 new error shapes"
    text = "\n".join(text_lines(result))
    assert "\x1b" not in text
    assert "\\x1b[31mboom" in text
    assert "odd <n>" not in text  # WARNING shapes only when asked
    assert "odd <n>" in "\n".join(text_lines(result, warnings=True))


def test_without_shapes_on_one_side_novelty_says_it_was_not_compared() -> None:
    old = AuditRecord("old.xml", {}, {}, shapes_missing="old.xml is a JUnit XML file: ...")
    new = record(shapes=_shapes(("ERROR", "boom")))
    result = compare_records(old, new)
    assert result.novelty.error_shapes == ()
    assert result.novelty.not_compared == ("old.xml is a JUnit XML file: ...",)
    assert "not compared: old.xml is a JUnit XML file" in "\n".join(text_lines(result))


CHECKS = st.dictionaries(
    st.sampled_from([f"metric_{n}" for n in range(8)]),
    st.tuples(
        st.sampled_from(list(Verdict)),
        st.one_of(st.none(), st.integers(0, 500)),
        st.floats(0.25, 8),
    ),
    max_size=8,
)


@given(CHECKS, CHECKS)
def test_every_metric_is_one_entry_and_worse_exits_1(
    old: dict[str, tuple[Verdict, int | None, float]],
    new: dict[str, tuple[Verdict, int | None, float]],
) -> None:
    def build(checks: dict[str, tuple[Verdict, int | None, float]]) -> AuditRecord:
        return record(
            *(
                c
                for m, (v, x, hours) in checks.items()
                for c in pair(m, (v, v), x, sample=None if x is None else count(x, hours))
            )
        )

    result = compare_records(build(old), build(new))
    keys = [e.key for e in result.entries]
    assert sorted(keys) == sorted(set(old) | set(new))
    assert len(keys) == len(set(keys))
    before, after = result.overall
    overall_worse = OVERALL_RANK[after] > OVERALL_RANK[before]
    assert (result.exit_code == 1) == bool(result.worse or overall_worse)
    assert bool(result.gate_reasons()) == (result.exit_code == 1)  # never worse without a reason
    assert all(e.outcome is Outcome.NEW for e in result.entries if e.key not in old)


def test_samples_round_trip_through_the_properties_and_a_bad_one_is_named() -> None:
    sample = Sample(
        SampleKind.LATENCY, 120, mean=95.25, sd=31.5, p50=94, p95=147.5, max=150, source="log"
    )
    props = {"verdict": "PASS", "kind": "warning_sign", **dict(sample.properties())}
    assert CheckRecord.from_properties("t", props).sample == sample
    with pytest.raises(CompareError, match="check t: sample_sd 'wide' is not a number"):
        CheckRecord.from_properties("t", {**props, "sample_sd": "wide"})


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
    loaded = load_record(old)
    assert "no suite properties" in loaded.notes[0]
    found = loaded.checks["t"]
    # the margin written then (the other sign) is ignored: recomputed, positive is safe
    assert (found.margin, found.direction, found.sample) == (47, Direction.LOWER_IS_BETTER, None)
    assert loaded.shapes is None
    assert "JUnit XML file" in loaded.shapes_missing


def test_a_run_folder_carries_its_shapes_and_a_junit_beside_it_finds_them(tmp_path: Path) -> None:
    verdict = {"name": "t", "verdict": "PASS", "value": 3, "kind": "preflight"}
    (tmp_path / "monitoring_report_20250101_000000.json").write_text(
        json.dumps({"identity": {"run_id": "r"}, "overall": "GREEN", "verdicts": [verdict]})
    )
    write_shapes(RunFolder(tmp_path), _shapes(("ERROR", "boom")))
    loaded = load_record(tmp_path)
    assert loaded.properties["overall"] == "GREEN"
    assert loaded.shapes is not None
    assert loaded.shapes.shapes[0].shape == "boom"
    xml = tmp_path / "audit.xml"
    xml.write_text(
        '<testsuites><testsuite><properties><property name="run_id" value="r"/></properties>'
        '<testcase name="t"><properties><property name="verdict" value="PASS"/>'
        "</properties></testcase></testsuite></testsuites>"
    )
    assert load_record(xml).shapes == loaded.shapes
    (tmp_path / "shapes.json").write_text("[1]")
    with pytest.raises(CompareError, match="not a shapes file"):
        load_record(tmp_path)


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
    loaded = load_record(tmp_path)
    assert loaded.properties == {}
    assert loaded.checks["t"].verdict is Verdict.PASS


def test_plain_escapes_control_characters_and_keeps_the_rest() -> None:
    assert plain("a\x1b[2Jb\tc ✅ ü") == "a\\x1b[2Jb\\tc ✅ ü"


def test_markdown_escapes_markup_not_numbers() -> None:
    from pytest_botaudit.escape import for_markdown

    assert for_markdown("6.7") == "6.7"
    assert for_markdown("-3.5 USDT") == "-3.5 USDT"
    assert for_markdown("1. not a list") == "1\\. not a list"
    assert for_markdown("- not a list") == "\\- not a list"
    assert for_markdown("# not a heading") == "\\# not a heading"
    assert for_markdown("a | b *c*") == "a \\| b \\*c\\*"
