"""The log analyzer: routes each record's categories to the seven analyses and merges parts."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from datetime import datetime

from ..config.profile import Profile
from .analyses.base import Groups, Span
from .analyses.errors import Errors, ShapeTable
from .analyses.exchanges import Exchanges
from .analyses.lifecycle import Lifecycle
from .analyses.stoploss import StopLoss
from .analyses.tally import Tally
from .analyses.timing import Timing
from .analyses.trailing import Trailing
from .analyses.websocket import WebSocket
from .categorize import categorizer_for
from .grammar import parse_timestamp
from .model import LogAnalysis, LogRecord, LogSample, ReadStats
from .scanner import FastPath, Scanner, ScanTotals

_ERROR_LEVELS = frozenset({"ERROR", "CRITICAL"})
# the category whose records mark a stream going down: what one adds is the outage it starts
RECONNECT_CATEGORY = "ws_disconnected"
# levels whose every message shape the profile should know: the unknown ones are findings
_CLASSIFIED_LEVELS = frozenset({"WARNING", "ERROR", "CRITICAL"})
# what one record adds: (category, occurrences, the pattern's named groups)
Counted = tuple[str, int, Groups]
_NOTHING: Sequence[Counted] = ()


class LogAnalyzer:
    """Accumulates the analysis of the window ``[since, until)`` record by record.

    Records come from a Scanner (``scanner()`` makes one with this window and the profile's
    fast path; ``absorb`` takes what it counted in bulk) or from the live follower. ``merge``
    adds the analyzer of the part of the log that follows, exactly as if read in one pass."""

    def __init__(
        self, profile: Profile, since: datetime | None = None, until: datetime | None = None
    ) -> None:
        self.profile = profile
        self.since = since
        self.until = until
        self.zone = profile.log_timezone
        self.echo_logger = profile.log_echo_logger
        self.categorizer = categorizer_for(profile)
        self.tally = Tally(profile.redact, profile.log_repeats)
        self.lifecycle = Lifecycle()
        self.stop_loss = StopLoss()
        self.trailing = Trailing(profile.log_excessive_ts_updates)
        self.websocket = WebSocket(profile.log_streams)
        self.timing = Timing(profile.log_slow_ms)
        self.exchanges = Exchanges()
        self.errors = Errors(profile.redact)
        # WARNING and above that no pattern of the profile classifies: the bot's new words
        self.unclassified = ShapeTable(profile.redact)
        self.warnings = ShapeTable(profile.redact)  # WARNING shapes: what a rerun newly warns of
        self._routes: dict[str, list[Callable[[LogRecord, str, Groups], None]]] = {}
        for analysis in (self.lifecycle, self.stop_loss, self.trailing, self.websocket):
            for category in analysis.categories:
                self._routes.setdefault(category, []).append(analysis.feed)
        self.levels: Counter[str] = Counter()
        self.echoed: Counter[str] = Counter()
        self.records = 0
        self.out_of_window = 0
        self.stats = ReadStats()
        self.lines_per_file: dict[str, int] = {}
        self.first = ""  # first and last in-window timestamps, as the log writes them
        self.last = ""

    def scanner(self, name: str) -> Scanner:
        prefixes = tuple(
            (category, prefix)
            for category, literals in self.profile.log_high_volume.items()
            for prefix in literals
        )
        fast = FastPath(self.echo_logger, prefixes)
        return Scanner(name, self.zone, fast, self.since, self.until)

    def feed(self, record: LogRecord) -> Sequence[Counted]:
        """Account for one record; returns what it added to each category it matched (a
        repeat of an occurrence already counted adds nothing and is left out)."""
        self.records += 1
        self.levels[record.level] += 1
        word = record.word
        if word is not None and record.logger == self.echo_logger:
            self.echoed[word] += 1
            return _NOTHING
        level = record.level
        matches, exchange = self.categorizer.categorize(record.message, level)
        tally, routes, timing = self.tally, self._routes, self.timing
        counted: list[Counted] = []
        for category, groups, which in matches:
            occurrences = tally.feed(record, category, groups, which)
            if not occurrences:
                continue  # a repeat of an occurrence already counted
            outages = self.websocket.outages_started
            for feed in routes.get(category, ()):
                feed(record, category, groups)
            if category == RECONNECT_CATEGORY:  # a reconnect is an outage, not a record of one
                occurrences = self.websocket.outages_started - outages
            counted.append((category, occurrences, groups))
            if groups.get("ms"):
                timing.feed(record, category, groups)
        if not matches and level in _CLASSIFIED_LEVELS:
            self.unclassified.feed(record)
        if exchange:
            self.exchanges.entry(exchange)
        if level in _ERROR_LEVELS:
            self.errors.feed(record, tally)
            named = self.categorizer.exchange_of(record.message)
            if named:
                self.exchanges.error(named)
        elif level == "WARNING":
            self.warnings.feed(record)
        return counted

    def absorb(self, totals: ScanTotals) -> LogAnalyzer:
        """What a scan counted without emitting records: the bulk, the edges, its lines."""
        for (category, level), count in totals.bulk.items():
            self.records += count
            self.levels[level] += count
            if category:
                self.tally.bulk(category, count)
        self.echoed.update(totals.echoes)
        self.out_of_window += totals.out_of_window
        self.first = self.first or totals.first
        self.last = totals.last or self.last
        self.stats.add(totals.stats)
        name = totals.stats.files[0] if totals.stats.files else ""
        self.lines_per_file[name] = self.lines_per_file.get(name, 0) + totals.lines
        return self

    def merge(self, later: LogAnalyzer) -> LogAnalyzer:
        """Add the analyzer of the part of the log that follows this one."""
        offsets = dict(self.lines_per_file)

        def shift(sample: LogSample) -> LogSample:
            offset = offsets.get(sample.path, 0)
            return LogSample(
                sample.path, sample.line_no + offset, sample.timestamp, sample.level, sample.message
            )

        self.stats.add(later.stats)
        for name, lines in later.lines_per_file.items():
            self.lines_per_file[name] = self.lines_per_file.get(name, 0) + lines
        self.records += later.records
        self.out_of_window += later.out_of_window
        self.levels.update(later.levels)
        self.echoed.update(later.echoed)
        self.first = self.first or later.first
        self.last = later.last or self.last
        retracted = self.tally.merge(later.tally, shift)
        self.lifecycle.merge(later.lifecycle, shift)
        self.stop_loss.merge(later.stop_loss, shift)
        self.trailing.merge(later.trailing, shift)
        self.websocket.merge(later.websocket, shift)
        self.timing.merge(later.timing, shift)
        for category, groups in retracted:
            for analysis in (self.lifecycle, self.stop_loss, self.trailing, self.websocket):
                if category in analysis.categories:
                    analysis.retract(category, groups)
        self.exchanges.merge(later.exchanges)
        self.errors.merge(later.errors, shift)
        self.unclassified.merge(later.unclassified, shift)
        self.warnings.merge(later.warnings, shift)
        return self

    def _moment(self, stamp: str) -> datetime | None:
        """An edge timestamp; a bulk line is counted unread, so its date may be impossible."""
        try:
            return parse_timestamp(stamp, self.zone) if stamp else None
        except (ValueError, OverflowError):
            return None

    def result(self) -> LogAnalysis:
        zone = self.zone

        def iso(text: str) -> str:
            return parse_timestamp(text, zone).isoformat()

        first, last = self._moment(self.first), self._moment(self.last)
        span = Span(self.since or first, self.until or last)
        tally = self.tally
        categories, samples = tally.result()
        return LogAnalysis(
            since=self.since,
            until=self.until,
            records=self.records,
            out_of_window=self.out_of_window,
            read=self.stats.frozen(),
            levels=dict(self.levels),
            echoed_events=dict(self.echoed.most_common()),
            categories=categories,
            samples=samples,
            lifecycle=self.lifecycle.result(tally, span),
            stop_loss=self.stop_loss.result(tally, span),
            trailing_stop=self.trailing.result(tally, span),
            websocket=self.websocket.result(tally, span),
            exchanges=self.exchanges.result(),
            errors=self.errors.result(iso),
            unclassified=self.unclassified.result(iso),
            merged_repeats={
                c: tally.merged(c) for c in self.profile.log_repeats if tally.merged(c)
            },
            timing=self.timing.result(tally, span),
            warning_shapes=self.warnings.result(iso),
        )
