"""Ground truth: every check of the catalogue against simulated bots with known faults.

Like promtool's rule tests: a table of scenario x check -> verdict. The audit must find exactly
the injected faults (no more, no fewer), and say NO-DATA where a data source is missing.
"""

from __future__ import annotations

import asyncio
import re
from pathlib import Path

import pytest

from pytest_botaudit.collection.live import Collector, Progress
from pytest_botaudit.config.profile import load_profile
from pytest_botaudit.demo.simulator import BotSimulator
from pytest_botaudit.judging.audit import complete_audit
from pytest_botaudit.judging.catalogue import METRICS
from pytest_botaudit.judging.verdicts import Kind, Verdict

from ..conftest import REPO
from ..helpers import async_wait_for

P, W, F, N = Verdict.PASS, Verdict.WARN, Verdict.FAIL, Verdict.NO_DATA
G, S = Kind.GOOD_INDICATOR, Kind.WARNING_SIGN
SCENARIOS = ("healthy", "faulty", "degraded", "healthy, no log")

# (metric, kind): verdict per scenario, in the order of SCENARIOS
TABLE: dict[tuple[str, Kind], tuple[Verdict, ...]] = {
    ("snapshots_collected", G): (P, P, P, P),
    ("snapshots_collected", S): (P, P, P, P),
    ("snapshot_gaps", G): (P, P, P, P),
    ("critical_alerts", G): (P, F, P, P),
    ("critical_alerts", S): (P, F, P, P),
    ("warning_alerts", S): (P, P, P, P),
    ("unprotected_positions", G): (P, F, P, P),
    ("unprotected_positions", S): (P, F, P, P),
    ("emergency_closes", G): (P, F, P, N),
    ("emergency_closes", S): (P, F, P, N),
    ("aged_positions", G): (P, P, W, P),
    ("aged_positions", S): (P, P, F, P),
    ("api_response_ms", G): (P, P, P, P),
    ("api_response_ms", S): (P, P, P, P),
    ("sl_update_latency_ms", G): (P, P, W, P),
    ("sl_update_latency_ms", S): (P, P, F, P),
    ("timeouts", G): (P, P, W, N),
    ("timeouts", S): (P, P, F, N),
    ("ws_reconnects", G): (P, W, P, N),
    ("ws_reconnects", S): (P, F, P, N),
    ("api_errors", G): (P, W, P, N),
    ("api_errors", S): (P, F, P, N),
    ("zombie_orders", G): (P, P, W, N),
    ("zombie_orders", S): (P, P, F, N),
    ("ts_updates_per_position", S): (P, P, F, P),
    ("ts_updates_per_minute", S): (P, P, F, P),
    ("slow_operations", S): (P, P, F, N),
}
_CALL = re.compile(r'audit_check\.(good_indicator|warning_sign)\("(\w+)"\)')


def test_table_covers_every_check_in_audit_checks() -> None:
    used = set()
    for module in (REPO / "audit_checks").glob("test_*.py"):
        for kind, metric in _CALL.findall(module.read_text()):
            used.add((metric, Kind(kind)))
    assert used == set(TABLE)
    assert {metric for metric, _ in TABLE} == set(METRICS)


async def audit_scenario(
    dsn: str, out: Path, scenario: str, with_log: bool
) -> dict[tuple[str, Kind], Verdict]:
    profile = load_profile()
    log = out / "bot.log"
    logs = [log] if with_log else []
    progress: list[Progress] = []
    collector = Collector(dsn, profile, 3.0, 0.1, out, log_paths=logs, on_tick=progress.append)
    collecting = asyncio.create_task(collector.run())
    await async_wait_for(lambda: bool(progress), 10, "the first tick")
    simulator = BotSimulator(dsn, log, 2.4, scenario, seed=21)
    await simulator.run()
    collection = await collecting
    data = await complete_audit(collection, profile, dict(METRICS), dsn, logs)
    return {key: data.check(*key).verdict for key in TABLE}


@pytest.mark.parametrize("column", range(len(SCENARIOS)), ids=SCENARIOS)
@pytest.mark.asyncio
async def test_scenario_verdicts(column: int, database: str, tmp_path: Path) -> None:
    scenario = SCENARIOS[column].split(",")[0]
    verdicts = await audit_scenario(database, tmp_path, scenario, "no log" not in SCENARIOS[column])
    expected = {key: row[column] for key, row in TABLE.items()}
    wrong = {
        f"{metric} {kind.value}": f"{verdicts[(metric, kind)].value} (expected "
        f"{expected[(metric, kind)].value})"
        for metric, kind in TABLE
        if verdicts[(metric, kind)] is not expected[(metric, kind)]
    }
    assert wrong == {}
