"""One run of an audit session: its state (collected at most once, its data or its error
kept, the files a full disk refused) and how it is collected and judged."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from functools import partial
from pathlib import Path

import pytest

from .collection.collect import collect, run_folder, target
from .collection.signals import run_interruptible
from .config.settings import Mode
from .inputs import Configured
from .judging.audit import AuditData, complete_audit
from .record.folder import RunFolder
from .record.jsonl import RecordedRun
from .reporting.build import RunOutcome, interim_report
from .reporting.deliverables import write_deliverables, write_interim
from .reporting.model import Result
from .reporting.notify import Notifier
from .reporting.series import Series, tick_series
from .reporting.terminal import terminal_observers


@dataclass(slots=True)
class RunState:
    """One run of the session: collected at most once, its data or its error kept."""

    key: str | None  # None: the session's only run; else the replayed run's id
    collected: bool = False
    data: AuditData | None = None
    error: str | None = None
    folder: RunFolder | None = None
    seconds: float | None = None
    unwritten: list[str] = field(default_factory=list)  # deliverables a full disk refused
    series: tuple[Series, ...] | None = None  # computed once, for the charts and the report
    not_run: bool = False  # pre-flight failed: the run's checks are skipped as NOT RUN

    def outcome(
        self, rows: Sequence[tuple[str, Result]], cases: Mapping[str, int], judging: bool
    ) -> RunOutcome:
        """What the end of the session knows of this run: its rows of results, pytest's
        outcomes of its test cases, and whether a check that judges it was selected."""
        return RunOutcome(
            rows,
            self.folder,
            self.data,
            self.error,
            self.seconds,
            self.tick_series(),
            cases,
            judging,
        )

    def tick_series(self) -> tuple[Series, ...]:
        if self.series is None:
            data = self.data
            self.series = tuple(tick_series(data.collection, data.metrics)) if data else ()
        return self.series


def collect_and_judge(
    config: pytest.Config,
    configured: Configured,
    state: RunState,
    notifier: Notifier | None,
    source: tuple[Path, list[RecordedRun]] | None,
) -> AuditData:
    """One run collected (or rebuilt, or replayed from ``source``) into its folder, and
    everything the checks judge gathered; the analyses and hourly observations written beside
    it."""
    s = configured.settings
    recorded = None
    if source is not None:
        path, runs = source
        recorded = (path, next(r for r in runs if r.run_id == state.key) if state.key else runs[0])
    folder = state.folder = run_folder(s)
    observers = replace(
        terminal_observers(config, notifier, s.progress_every),
        on_hour=partial(
            write_interim,
            folder,
            partial(interim_report, s, configured.profile, configured.metrics),
        ),
    )
    collection = collect(
        s,
        configured.profile,
        configured.rule_overrides,
        observers,
        folder,
        recorded,
        configured.metrics,
    )
    dsn_known = s.mode is not Mode.REPLAY or s.dsn is not None
    # a Ctrl+C while the stopped audit is judged cancels this at a safe point
    data = run_interruptible(
        complete_audit(
            collection,
            configured.profile,
            configured.metrics,
            target(s) if dsn_known else None,
            s.log,
            use_database=dsn_known,
        )
    )
    state.unwritten += write_deliverables(data, folder)
    return data
