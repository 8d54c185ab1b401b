"""The statistics compare decides with, held against their definitions: the conditional
binomial test of two Poisson rates, Welch's t-test from summaries against the raw-data test,
Holm's adjustment, and the log histogram's exact standard deviation."""

from __future__ import annotations

import math
import statistics
from collections import defaultdict
from dataclasses import replace
from datetime import UTC, datetime

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st
from scipy import stats

from pytest_botaudit.judging.sample import Sample, SampleKind
from pytest_botaudit.logs.analyses.base import BatchMeans, Histogram
from pytest_botaudit.reruns.stats import BATCH_TEST, MEAN_TEST, holm, mean_test, rate_test

T0 = datetime(2026, 1, 1, tzinfo=UTC)


def test_the_rate_test_is_the_binomial_test_of_the_new_runs_share() -> None:
    result = rate_test(40, 1.0, 80, 1.0)
    assert result is not None
    assert result.p_value == pytest.approx(stats.binomtest(80, 120, 0.5).pvalue)
    assert result.p_value < 0.001
    assert result.effect == pytest.approx(
        2 * math.asin(math.sqrt(80 / 120)) - 2 * math.asin(math.sqrt(0.5))
    )
    # the same rate over four times the hours is no change at all
    same = rate_test(10, 1.0, 40, 4.0)
    assert same is not None
    assert same.p_value == pytest.approx(1.0)
    assert same.effect == pytest.approx(0)


@pytest.mark.parametrize(
    ("args", "why"),
    [
        ((0, 1.0, 0, 1.0), "no events"),
        ((1.5, 1.0, 2, 1.0), "not whole"),
        ((1, 0.0, 2, 1.0), "no hours"),
    ],
)
def test_the_rate_test_declines_what_it_cannot_test(args: tuple[float, ...], why: str) -> None:
    assert rate_test(*args) is None, why


LATENCIES = st.lists(st.floats(1, 5000, allow_nan=False), min_size=2, max_size=60)


def _summary(values: list[float]) -> Sample:
    return Sample(
        SampleKind.LATENCY, len(values), mean=statistics.fmean(values), sd=statistics.stdev(values)
    )


@given(LATENCIES, LATENCIES)
def test_welch_from_summaries_is_welch_on_the_samples(old: list[float], new: list[float]) -> None:
    # a constant sample makes the raw-data reference warn of its precision (constants below)
    assume(statistics.stdev(old) > 0.01 and statistics.stdev(new) > 0.01)
    result = mean_test(_summary(old), _summary(new))
    assert result is not None
    expected = stats.ttest_ind(new, old, equal_var=False).pvalue
    assert result.p_value == pytest.approx(expected, rel=1e-6, abs=1e-12)
    assert (
        math.copysign(1, result.effect)
        == math.copysign(1, statistics.fmean(new) - statistics.fmean(old))
        or result.effect == 0
    )


def test_constant_samples_and_missing_spreads() -> None:
    flat = Sample(SampleKind.LATENCY, 5, mean=100, sd=0)
    higher = Sample(SampleKind.LATENCY, 5, mean=120, sd=0)
    moved = mean_test(flat, higher)
    assert moved is not None
    assert moved.p_value == 0
    assert moved.effect == math.inf
    still = mean_test(flat, flat)
    assert still is not None
    assert still.p_value == 1
    assert still.effect == 0
    assert mean_test(flat, Sample(SampleKind.LATENCY, 5, mean=120)) is None  # no sd recorded
    assert mean_test(Sample(SampleKind.LATENCY, 1, mean=100, sd=0), higher) is None


def test_holm_on_a_worked_example() -> None:
    assert holm([0.01, 0.04, 0.03, 0.005]) == pytest.approx([0.03, 0.06, 0.06, 0.02])
    assert holm([]) == []


@given(st.lists(st.floats(0, 1), max_size=20))
def test_holm_never_lowers_a_p_value_and_keeps_their_order(p_values: list[float]) -> None:
    adjusted = holm(p_values)
    assert all(p <= a <= 1 for p, a in zip(p_values, adjusted, strict=True))
    for i, j in ((i, j) for i in range(len(p_values)) for j in range(len(p_values))):
        if p_values[i] < p_values[j]:
            assert adjusted[i] <= adjusted[j]


@given(
    st.lists(st.floats(0.001, 10_000).map(lambda x: round(x, 3)), min_size=2, max_size=80),
    st.integers(0, 80),
)
def test_the_log_histograms_sd_is_exact_and_merges_exactly(values: list[float], cut: int) -> None:
    whole, first, second = Histogram(), Histogram(), Histogram()
    for n, value in enumerate(values):
        whole.add(value)
        (first if n < cut else second).add(value)
    first.merge(second)
    assert whole.sd() == first.sd()
    assert whole.sd() == pytest.approx(statistics.stdev(values), abs=0.0011)
    assert whole.stats()["p50"] == first.stats()["p50"]


@pytest.mark.parametrize(
    ("props", "message"),
    [
        ({"sample_kind": "guess", "sample_n": "3"}, "sample_kind 'guess' is not one of"),
        ({"sample_kind": "count"}, "sample_n is missing"),
        ({"sample_kind": "count", "sample_n": "-2"}, "is not a finite number >= 0"),
        ({"sample_kind": "latency", "sample_n": "3", "sample_mean": "nan"}, "is not a finite"),
    ],
)
def test_a_malformed_sample_is_refused_by_name(props: dict[str, str], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        Sample.from_properties(props)


TIMED = st.lists(
    st.tuples(st.integers(0, 900), st.floats(0.001, 5000).map(lambda x: round(x, 3))),
    max_size=60,
).map(sorted)


@given(TIMED, st.integers(0, 60), st.integers(0, 60))
def test_batch_means_of_parts_merge_to_one_pass_and_to_their_definition(
    timed: list[tuple[int, float]], cut: int, second_cut: int
) -> None:
    whole = BatchMeans()
    parts = [BatchMeans(), BatchMeans(), BatchMeans()]
    low, high = sorted((cut, second_cut))
    for n, (second, value) in enumerate(timed):
        whole.add(T0.timestamp() + second, value)
        parts[0 if n < low else 1 if n < high else 2].add(T0.timestamp() + second, value)
    merged = parts[0]
    merged.merge(parts[1])
    merged.merge(parts[2])
    assert merged.stats() == whole.stats()
    minutes: dict[int, list[float]] = defaultdict(list)
    for second, value in timed:
        minutes[second // 60].append(value)
    means = [statistics.fmean(v) for v in minutes.values()]
    stats_ = whole.stats()
    assert stats_["batches"] == len(means)
    if len(means) >= 2:
        assert stats_["batch_mean"] == pytest.approx(statistics.fmean(means), abs=0.0011)
        assert stats_["batch_sd"] == pytest.approx(statistics.stdev(means), abs=0.0011)


def test_latencies_are_tested_on_batch_means_where_both_runs_have_them() -> None:
    old = Sample(SampleKind.LATENCY, 200, mean=100, sd=30, batches=50, batch_mean=100, batch_sd=15)
    new = Sample(SampleKind.LATENCY, 200, mean=104, sd=30, batches=50, batch_mean=104, batch_sd=15)
    batched = mean_test(old, new)
    assert batched is not None
    assert batched.test == BATCH_TEST
    assert batched.p_value == pytest.approx(
        stats.ttest_ind_from_stats(104, 15, 50, 100, 15, 50, equal_var=False).pvalue
    )
    assert batched.effect == pytest.approx(4 / 30)  # the effect is in the samples' own spread
    raw = mean_test(replace(old, batches=None), replace(new, batches=None))
    assert raw is not None
    assert raw.test == MEAN_TEST  # a file of an earlier version: the samples themselves
    # one run too short for two batches is not tested rather than tested wrongly
    assert mean_test(old, replace(new, batches=1, batch_sd=None)) is None
