"""The end of a session: each run's report built from what was collected and judged, and its
files finished in its run folder (the summary JSON with the verdicts, ``audit_report.md``)."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path

from ..config.profile import Profile
from ..config.settings import AuditSettings, Mode
from ..database.window import WindowStats
from ..errors import WriteFailed
from ..fileio import read_regular_bytes
from ..judging.audit import AuditData
from ..judging.verdicts import MetricSpec
from ..record.folder import AuditDir, RunFolder
from ..record.model import CollectionResult
from ..record.summary import summary, write_json, write_text
from .hourly import hourly_rows
from .issues import problems_json
from .markdown import render_audit_report
from .model import Identity, ReportRow, Result, RunReport, audit_status, thresholds_digest
from .series import Series, tick_series

MAX_SUMMARY_BYTES = 64 * 2**20  # the collection's own summary, read back to add verdicts


@dataclass(frozen=True, slots=True)
class RunOutcome:
    """What the session knows of one run at its end (collected or not)."""

    rows: Sequence[tuple[str, Result]]
    folder: RunFolder | None
    data: AuditData | None
    error: str | None
    seconds: float | None
    series: tuple[Series, ...] = ()
    cases: Mapping[str, int] = field(default_factory=dict)  # pytest outcome -> test cases
    judging: bool = True  # False: only pre-flight checks were selected


def identity(
    settings: AuditSettings,
    profile_source: str,
    profile_digest: str,
    metrics: Mapping[str, MetricSpec],
    folder: RunFolder,
    collection: CollectionResult | None,
    error: str | None,
    preflight_failed: bool,
    judging: bool = True,
) -> Identity:
    s = settings
    start: datetime | None = None
    end: datetime | None = None
    if collection is not None:
        start, end = collection.started_at, collection.ended_at
        duration, interval = collection.duration, collection.interval
        expected, taken, gaps = (
            collection.expected_ticks,
            len(collection.snapshots),
            len(collection.gaps),
        )
    else:
        duration, interval = s.duration, s.interval
        expected, taken, gaps = s.expected_snapshots, 0, 0
    return Identity(
        error=error or (collection.error if collection is not None else None) or "",
        run_id=folder.run_id,
        mode=s.mode.value,
        window_start=start,
        window_end=end,
        duration=duration,
        interval=interval,
        dsn=s.redacted_dsn if s.dsn or s.mode is not Mode.REPLAY else "(none: replay)",
        profile=profile_source,
        profile_hash=profile_digest,
        thresholds_hash=thresholds_digest(metrics),
        logs=tuple(str(p) for p in s.log),
        bot_version=s.bot_version,
        ticks_expected=expected,
        ticks_taken=taken,
        gaps=gaps,
        status=audit_status(collection, error, preflight_failed, judging),
    )


def finish_run(
    outcome: RunOutcome,
    settings: AuditSettings,
    profile_source: str,
    profile_digest: str,
    metrics: Mapping[str, MetricSpec],
    preflight_failed: bool,
) -> RunReport:
    """The run's report; its folder (made now if the audit never started) gets the final
    summary JSON and ``audit_report.md``."""
    folder = outcome.folder or AuditDir(settings.out).new_run()
    collection = outcome.data.collection if outcome.data else None
    return RunReport(
        identity=identity(
            settings,
            profile_source,
            profile_digest,
            metrics,
            folder,
            collection,
            outcome.error,
            preflight_failed,
            outcome.judging,
        ),
        rows=tuple(ReportRow(nodeid.split("::")[-1], result) for nodeid, result in outcome.rows),
        folder=folder,
        data=outcome.data,
        error=outcome.error,
        collection_seconds=outcome.seconds,
        series=outcome.series,
        hours=tuple(hourly_rows(collection)) if collection is not None else (),
        cases=outcome.cases,
    )


def planned(run: RunReport) -> RunReport:
    """The run with the path its summary JSON will have (the collection's, when it wrote one;
    the one judging failed after; else a new one)."""
    folder = run.folder
    assert folder is not None
    collection = run.collection
    if collection is None or collection.summary_path is not None:
        return run
    existing = folder.summary_files()
    path = existing[-1] if existing else folder.summary_file(collection.ended_at)
    assert run.data is not None
    return replace(run, data=replace(run.data, collection=replace(collection, summary_path=path)))


def write_run_files(run: RunReport) -> list[str]:
    """The summary JSON, now with every verdict, and the filled audit report; each written
    if it fits (a full disk): what could not be written, with the reason."""
    folder = run.folder
    assert folder is not None
    collection = run.collection
    existing = folder.summary_files()  # the collection's, when judging it failed
    if collection is not None and collection.summary_path is not None:
        path = collection.summary_path
    else:
        path = existing[-1] if existing else folder.summary_file(datetime.now(UTC))
    if collection is not None:
        base = summary(collection)
    elif existing:
        base = json.loads(read_regular_bytes(existing[-1], MAX_SUMMARY_BYTES))
    else:
        base = {}
    base["error"] = run.identity.error or base.get("error")
    writes: list[Callable[[], Path]] = [
        lambda: write_json(path, {**base, **run.verdicts_json(), **problems_json(run)}),
        lambda: write_text(folder.audit_report, render_audit_report(run)),
    ]
    problems = []
    for write in writes:
        try:
            write()
        except WriteFailed as exc:
            problems.append(str(exc))
    return problems


def interim_report(
    settings: AuditSettings,
    profile: Profile,
    metrics: Mapping[str, MetricSpec],
    folder: RunFolder,
    so_far: CollectionResult,
) -> str:
    """``audit_report.md`` of a live audit still running: what is collected so far, no
    verdicts and no analyses yet (both come at the end)."""
    window = WindowStats(error="analysed when the audit ends")
    data = AuditData(so_far, None, window, profile, metrics)
    run = RunReport(
        identity=identity(
            settings, profile.source, profile.digest, metrics, folder, so_far, None, False
        ),
        rows=(),
        folder=folder,
        data=data,
        error=None,
        collection_seconds=None,
        series=tuple(tick_series(so_far, metrics)),
        hours=tuple(hourly_rows(so_far)),
    )
    return render_audit_report(run, interim=True)
