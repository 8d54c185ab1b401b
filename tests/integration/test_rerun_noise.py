"""Noise and change, the honest small version of bench/rerun_bench.py: reruns of one simulated
bot with different seeds (window mode, judged in this process) are never worse than each
other, and each injected change is found worse, for the reason injected."""

from __future__ import annotations

import asyncio
import itertools
import uuid
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from pytest_botaudit.demo.reruns import STEADY_THRESHOLDS, judged_rerun
from pytest_botaudit.demo.scenarios import Scenario, tuned
from pytest_botaudit.judging.catalogue import configure_metrics
from pytest_botaudit.reruns.compare import Outcome, compare_records
from pytest_botaudit.reruns.records import AuditRecord

from ..conftest import TEMPLATE, Server

START = datetime.now(UTC).replace(microsecond=0, second=0) - timedelta(hours=3)
HOUR = 3600.0
METRICS = configure_metrics(STEADY_THRESHOLDS)
STEADY = tuned("steady", price_ticks_per_second=0.5)  # fewer price ticks: a faster backfill
SPARSE = replace(STEADY, api_errors_per_hour=4.0)  # small counts that move by chance
SEEDS = range(10)
CHANGED_SEEDS = range(100, 110)

Rerun = Callable[..., AuditRecord]


@pytest.fixture(scope="module")
def rerun(pg_server: Server, tmp_path_factory: pytest.TempPathFactory) -> Rerun:
    """An hour of a scenario, in a database of its own (dropped once judged), as a record."""

    def judge(
        scenario: Scenario, seed: int, hours: float = 1.0, interval: float = 60
    ) -> AuditRecord:
        name = "t_" + uuid.uuid4().hex[:12]
        asyncio.run(pg_server.execute(f"CREATE DATABASE {name} TEMPLATE {TEMPLATE}"))
        try:
            folder = tmp_path_factory.mktemp(f"{scenario.name}-{seed}")
            run = judged_rerun(
                pg_server.dsn(name), folder, scenario, seed, START, hours * HOUR, interval, METRICS
            )
            return asyncio.run(run)
        finally:
            asyncio.run(pg_server.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))

    return judge


@pytest.fixture(scope="module")
def steady_runs(rerun: Rerun) -> list[AuditRecord]:
    return [rerun(STEADY, seed) for seed in SEEDS]


def _api_errors(record: AuditRecord) -> float | None:
    return record.checks["api_errors[warning_sign]"].value


def test_reruns_of_one_bot_are_never_worse(steady_runs: list[AuditRecord], rerun: Rerun) -> None:
    sparse_runs = [rerun(SPARSE, seed) for seed in SEEDS]
    moved_by_chance = []
    for runs in (steady_runs, sparse_runs):
        for old, new in itertools.pairwise(runs):
            comparison = compare_records(old, new)
            assert comparison.exit_code == 0, comparison.headline
            assert comparison.worse == ()
            assert comparison.headline.startswith("GREEN → GREEN: the same")
            api = comparison.entry("api_errors")
            assert api is not None
            if api.outcome is Outcome.NOISE and runs is sparse_runs:
                moved_by_chance.append((_api_errors(old), _api_errors(new)))
    # the small counts did move by chance (3 -> 5 and the like), and that was called noise
    assert any(abs(a - b) >= 2 for a, b in moved_by_chance if a is not None and b is not None)
    counts = {_api_errors(r) for r in sparse_runs}
    assert len(counts) >= 3, counts


@pytest.mark.parametrize(
    ("change", "found"),
    [
        (replace(STEADY, sl_latency_factor=1.5), "sl_update_latency_ms"),
        (replace(STEADY, api_errors_per_hour=120.0), "api_errors"),
        (replace(STEADY, novel_error=True), "new shape"),
    ],
    ids=["stop-loss latency x1.5", "API error rate x2", "a new exception type"],
)
def test_each_injected_change_is_found_worse_in_9_of_10_seeds(
    steady_runs: list[AuditRecord], rerun: Rerun, change: Scenario, found: str
) -> None:
    missed = []
    for baseline, seed in zip(steady_runs, CHANGED_SEEDS, strict=True):
        comparison = compare_records(baseline, rerun(change, seed))
        worse = [e.key for e in comparison.worse]
        if comparison.exit_code == 0:  # power is not 100 %: a miss is a noise verdict...
            missed.append(comparison.headline)
            assert worse == []
            assert comparison.headline.startswith("GREEN → GREEN: the same")
            continue
        # ...and a hit is worse for the reason injected, nothing else
        if found == "new shape":
            assert worse == []
            (shape,) = comparison.novelty.error_shapes
            assert shape.shape.startswith("❌ Failed to open position for <sym>: binance")
            assert shape.count == 3
            assert ".log:" in shape.where
        else:
            assert worse == [found], comparison.headline
            assert comparison.novelty.error_shapes == ()
    assert len(missed) <= 1, missed


def test_a_30_minute_run_compares_with_a_2_hour_run_of_the_same_bot(rerun: Rerun) -> None:
    short = rerun(STEADY, 3, hours=0.5, interval=30)
    long = rerun(STEADY, 4, hours=2.0, interval=60)
    for old, new in ((long, short), (short, long)):
        comparison = compare_records(old, new)  # compared, not refused
        assert comparison.exit_code == 0, comparison.headline
        assert comparison.warnings == ()
        api = comparison.entry("api_errors")
        assert api is not None
        assert api.test is not None
        assert api.outcome in (Outcome.NOISE, Outcome.SAME)
        hours = {s.sample.hours for s in (api.old, api.new) if s is not None and s.sample}
        assert hours == {0.5, 2.0}
