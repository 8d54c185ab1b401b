"""Reruns of a simulated bot judged in this process, as compare reads them: the noise and
change experiments (bench/rerun_bench.py and the tests) play a scenario into a fresh database,
rebuild its window as window mode does, judge every check and keep the run's message shapes."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from pathlib import Path

from ..collection.window import reconstruct
from ..config.profile import Profile, load_profile
from ..judging.audit import complete_audit
from ..judging.catalogue import METRICS
from ..judging.verdicts import Kind, MetricSpec
from ..reporting.model import overall, thresholds_digest
from ..reruns.novelty import shapes_of
from ..reruns.records import AuditRecord, judged_record
from .scenarios import Scenario
from .simulator import BotSimulator


async def judged_rerun(
    dsn: str,
    folder: Path,
    scenario: Scenario,
    seed: int,
    start: datetime,
    duration: float,
    interval: float = 60.0,
    metrics: Mapping[str, MetricSpec] = METRICS,
    profile: Profile | None = None,
) -> AuditRecord:
    """``duration`` seconds of the scenario from ``start``, written at once into the empty
    database ``dsn`` and its log in ``folder``, then judged over exactly that window."""
    profile = profile or load_profile()
    log = folder / "bot.log"
    await BotSimulator(dsn, log, duration, scenario, seed).run(start, live=False)
    until = start + timedelta(seconds=duration)
    collection = await reconstruct(dsn, profile, start, until, interval, folder, log_paths=[log])
    data = await complete_audit(collection, profile, metrics, dsn, [log])
    results = [
        (f"{metric}[{kind.value}]", data.check(metric, kind))
        for metric, spec in metrics.items()
        for kind in Kind
        if spec.threshold(kind) is not None
    ]
    run_id = f"{scenario.name}-seed{seed}"
    properties = {
        "run_id": run_id,
        "audit_status": "completed",
        "mode": "window",
        "window_start": start.isoformat(),
        "window_end": until.isoformat(),
        "duration_seconds": f"{duration:g}",
        "interval_seconds": f"{interval:g}",
        "gap_ticks": str(len(collection.gaps)),
        "thresholds_hash": thresholds_digest(metrics),
        "overall": overall([result for _, result in results]),
    }
    return judged_record(
        run_id,
        properties,
        {name: dict(result.properties()) for name, result in results},
        shapes_of(run_id, data),
    )


# The steady scenario's API errors (60 an hour) pass any limit under these thresholds, so its
# verdicts hold and what a rerun compares is the noise itself; and the simulator reuses 20
# symbols on 2 exchanges, so over hours one symbol's trailing stops add up past 20 updates (the
# metric counts per symbol and exchange).
STEADY_THRESHOLDS = {
    "api_errors": {"good": 1000, "warning": 5000},
    "ts_updates_per_position": {"warning": 1000},
}
