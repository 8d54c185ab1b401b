"""The log reader and analyzer on real files: formats, tracebacks, rotation, windows, follow."""

from __future__ import annotations

import gzip
import tempfile
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from pytest_botaudit.config.profile import load_profile
from pytest_botaudit.logs.analyzer import LogAnalyzer
from pytest_botaudit.logs.files import analyze_files, analyze_parallel, record_offsets, scan_into
from pytest_botaudit.logs.model import ReadStats
from pytest_botaudit.logs.reader import LogFollower, read_records, rotated_set

UTC_PROFILE = replace(load_profile(), log_timezone=UTC)
SAMPLE_LOG = Path(__file__).parent.parent / "data" / "sample_bot.log"
BOT_LOG = SAMPLE_LOG.read_text(encoding="utf-8")


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def utc(minute: int, second: int) -> datetime:
    return datetime(2025, 10, 15, 2, minute, second, tzinfo=UTC)


def test_both_formats_tracebacks_and_every_line_accounted(tmp_path: Path) -> None:
    stats = ReadStats()
    records = list(read_records([write(tmp_path / "bot.log", BOT_LOG)], stats, UTC))
    assert len(records) == 9
    assert stats.lines == stats.records + stats.continuation_lines + stats.unparsable_lines == 13
    error = records[3]
    assert (error.logger, error.level, error.line_no) == ("core.stop_loss_manager", "ERROR", 4)
    assert error.exception_type == "ccxt.base.errors.ExchangeError"
    assert len(error.lines) == 4
    old_format = records[4]
    assert (old_format.logger, old_format.level) == ("websocket.improved_stream", "WARNING")
    assert old_format.timestamp == utc(40, 24)


def test_the_seven_analyses_see_what_the_old_tool_missed(tmp_path: Path) -> None:
    log = write(tmp_path / "bot.log", BOT_LOG)
    analysis = analyze_files([log], UTC_PROFILE)
    assert analysis.count("sl_missing") == 1  # "WITHOUT STOP LOSS"
    assert analysis.count("position_opened") == 1  # "opened ATOMICALLY"
    assert analysis.ws_reconnects == 1  # "connection unhealthy, reconnecting..."
    assert analysis.ws_longest_disconnect_s == 10
    assert analysis.count("timeout") == 1
    assert analysis.count("api_error") == 1  # the event_logger echo is not counted twice
    assert analysis.echoed_events == {"exchange_error": 1}
    assert analysis.slow_operations == 1
    assert analysis.latencies_ms["sl_updated_timed"]["max"] == 1250
    assert analysis.error_types == {"(no traceback)": 2, "ccxt.base.errors.ExchangeError": 1}
    assert analysis.exchange_codes == {"10001": 1}
    assert analysis.error_modules["core.stop_loss_manager"] == 1
    [sample] = analysis.samples["sl_missing"]
    assert sample.where == f"{log}:2"


def test_window_restricts_records(tmp_path: Path) -> None:
    log = write(tmp_path / "bot.log", BOT_LOG)
    analysis = analyze_files([log], UTC_PROFILE, since=utc(40, 22), until=utc(40, 35))
    assert analysis.records == 4
    assert analysis.out_of_window == 5
    assert analysis.count("sl_missing") == 0


def test_rotated_set_oldest_first_with_gz(tmp_path: Path) -> None:
    base = tmp_path / "trading_bot.log"
    write(base, "2025-10-15 03:00:00,000 - m - INFO - newest\n")
    write(tmp_path / "trading_bot.log.1", "2025-10-15 02:00:00,000 - m - INFO - middle\n")
    with gzip.open(tmp_path / "trading_bot.log.2.gz", "wt", encoding="utf-8") as handle:
        handle.write("2025-10-15 01:00:00,000 - m - INFO - oldest\n")
    write(tmp_path / "trading_bot.log.bak", "not part of the set\n")
    files = rotated_set(base)
    assert [f.name for f in files] == [
        "trading_bot.log.2.gz",
        "trading_bot.log.1",
        "trading_bot.log",
    ]
    messages = [r.message for r in read_records(files, zone=UTC)]
    assert messages == ["oldest", "middle", "newest"]


def test_invalid_utf8_is_counted_not_fatal(tmp_path: Path) -> None:
    path = tmp_path / "bot.log"
    path.write_bytes(
        b"garbage before any record\n2025-10-15 02:40:20,001 - m - INFO - ok \xff\xfe\n"
        b"\xc3\x28 continuation\n"
    )
    stats = ReadStats()
    [record] = list(read_records([path], stats, UTC))
    assert (stats.unparsable_lines, stats.undecodable_lines, stats.continuation_lines) == (1, 2, 1)
    assert record.message.startswith("ok")


def test_follower_survives_rotation_without_loss_or_duplicates(tmp_path: Path) -> None:
    path = tmp_path / "bot.log"
    write(path, "2025-10-15 02:00:00,000 - m - INFO - before the audit\n")
    follower = LogFollower(path, UTC)
    assert follower.poll() == []  # starts at the end: history is not the audit's
    with path.open("a") as handle:
        handle.write("2025-10-15 02:00:01,000 - m - INFO - one\n2025-10-15 02:00:02,000 - m - ")
    seen = [r.message for r in follower.poll()]
    with path.open("a") as handle:  # finish the half-written line, then rotate
        handle.write("INFO - two\nTraceback (most recent call last):\n")
    path.rename(tmp_path / "bot.log.1")
    write(path, "2025-10-15 02:00:03,000 - m - INFO - three\n")
    seen += [r.message for r in follower.poll()]
    with path.open("a") as handle:
        handle.write("2025-10-15 02:00:04,000 - m - INFO - four\n")
    seen += [r.message for r in follower.poll()]
    seen += [r.message for r in follower.close()]
    assert seen == ["one", "two", "three", "four"]


_LINE = st.one_of(
    st.just(
        "2025-10-15 02:40:20,001 - core.position_manager - INFO - ✅ Position opened: BTCUSDT long"
    ),
    st.just("2025-10-15 02:40:21,000 [ERROR] core.x: boom"),
    st.just("Traceback (most recent call last):"),
    st.just("ValueError: bad"),
    st.text(max_size=80).map(lambda t: t.replace("\n", " ").replace("\r", " ")),
)


@settings(max_examples=150, deadline=None)
@given(st.lists(_LINE, max_size=40))
def test_any_interleaving_is_fully_accounted(lines: list[str]) -> None:
    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory) / "bot.log"
        path.write_text("".join(line + "\n" for line in lines), encoding="utf-8")
        stats = ReadStats()
        records = list(read_records([path], stats, UTC))
    assert stats.lines == len(lines)
    assert stats.records == len(records)
    assert stats.records + stats.continuation_lines + stats.unparsable_lines == stats.lines


@settings(max_examples=150, deadline=None)
@given(st.binary(max_size=2000))
def test_arbitrary_bytes_never_crash(data: bytes) -> None:
    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory) / "bot.log"
        path.write_bytes(data)
        stats = ReadStats()
        records = list(read_records([path], stats, UTC))
    assert stats.records == len(records)
    assert stats.records + stats.continuation_lines + stats.unparsable_lines == stats.lines


# message bodies of records in both formats, after the timestamp
RECORD_BODIES = (
    (Path(__file__).parent.parent / "data" / "record_bodies.txt").read_text("utf-8").splitlines()
)
_RECORDS = st.one_of(
    st.sampled_from(RECORD_BODIES),
    st.text(max_size=60).map(lambda t: "- m - INFO - " + t.replace("\n", " ").replace("\r", " ")),
)
_TAIL = st.lists(
    st.sampled_from(
        [
            "Traceback (most recent call last):",
            '  File "x.py", line 1',
            "ValueError: bad",
            "garbage \udcff"[:-1],
        ]
    ),
    max_size=3,
)


@st.composite
def log_files(draw: st.DrawFn) -> tuple[bytes, list[int]]:
    """A log of random records (with tracebacks) and the byte offsets where records start."""
    seconds = 0
    out = bytearray(draw(st.sampled_from([b"", b"junk before the first record\n"])))
    starts = []
    for _ in range(draw(st.integers(1, 40))):
        seconds += draw(st.integers(0, 90))
        stamp = f"2025-10-15 {seconds // 3600:02d}:{seconds // 60 % 60:02d}:{seconds % 60:02d},000"
        body = draw(_RECORDS)
        starts.append(len(out))
        out += f"{stamp} {body}\n".encode()
        for line in draw(_TAIL):
            out += line.encode() + b"\n"
    return bytes(out), starts


@settings(max_examples=120, deadline=None)
@given(log_files(), st.data())
def test_byte_ranges_merged_equal_one_pass(
    log: tuple[bytes, list[int]],
    data: st.DataObject,
) -> None:
    content, starts = log
    cuts = sorted(data.draw(st.sets(st.sampled_from(starts), max_size=4)) - {0})
    since = data.draw(st.sampled_from([None, datetime(2025, 10, 15, 0, 10, tzinfo=UTC)]))
    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory) / "bot.log"
        path.write_bytes(content)
        single = analyze_files([path], UTC_PROFILE, since=since)
        merged = LogAnalyzer(UTC_PROFILE, since)
        for start, end in zip([0, *cuts], [*cuts, None], strict=True):
            merged.merge(scan_into(LogAnalyzer(UTC_PROFILE, since), path, start, end))
        assert merged.result() == single
        assert single.read.lines == content.count(b"\n")


def test_parallel_reader_equals_one_pass(tmp_path: Path) -> None:
    log = tmp_path / "bot.log"
    log.write_text(BOT_LOG * 400, encoding="utf-8")
    single = analyze_files([log], UTC_PROFILE)
    assert len(record_offsets(log, 3)) == 3
    assert analyze_parallel([log], UTC_PROFILE, jobs=3) == single
    assert single.ws_reconnects == 400  # one unhealthy -> connected episode per copy
    assert single.count("timeout") == 400


def test_parallel_reader_of_more_parts_than_processes_equals_one_pass(tmp_path: Path) -> None:
    """Two logs of two parts each on two processes (the pool reads them all; with a part a
    process, this one reads the last itself): the same analysis as one pass."""
    logs = [tmp_path / "a.log", tmp_path / "b.log"]
    for log in logs:
        log.write_text(BOT_LOG * 300, encoding="utf-8")
    single = analyze_files(logs, UTC_PROFILE)
    assert analyze_parallel(logs, UTC_PROFILE, jobs=2) == single
    assert analyze_parallel(logs[:1], UTC_PROFILE, jobs=2) == analyze_files(logs[:1], UTC_PROFILE)
    assert single.count("timeout") == 600


@settings(max_examples=150, deadline=None)
@given(st.binary(max_size=3000), st.lists(_RECORDS, max_size=10))
def test_the_fast_scanner_never_crashes_and_accounts_every_line(
    garbage: bytes, bodies: list[str]
) -> None:
    records = "".join(f"2025-10-15 02:40:{i:02d},000 {b}\n" for i, b in enumerate(bodies))
    content = garbage + b"\n" + records.encode() + garbage
    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory) / "bot.log"
        path.write_bytes(content)
        analysis = analyze_files([path], UTC_PROFILE)
    read = analysis.read
    assert read.lines == content.count(b"\n") + (0 if content.endswith(b"\n") else 1)
    assert read.records + read.continuation_lines + read.unparsable_lines == read.lines
    assert analysis.records >= len(bodies)


# (the bot's own words: core/stop_loss_manager.py:423 and :226@9d9879e, one failure; then
# core/atomic_position_manager.py's and main.py's lines of two openings of one symbol)
_FAILED = "Bybit API error 10002: invalid request"
ONE_FAILURE_TWO_OPENINGS = "".join(
    f"2025-10-15 02:{stamp} - {logger} - {level} - {message}\n"
    for stamp, logger, level, message in [
        (
            "40:20,001",
            "core.stop_loss_manager",
            "ERROR",
            f"Failed to set Bybit Stop Loss: {_FAILED}",
        ),
        (
            "40:20,003",
            "core.stop_loss_manager",
            "ERROR",
            f"Failed to set Stop Loss for SOLUSDT: {_FAILED}",
        ),
        (
            "40:25,001",
            "core.stop_loss_manager",
            "ERROR",
            f"Failed to set Bybit Stop Loss: {_FAILED}",
        ),
        (
            "40:25,003",
            "core.stop_loss_manager",
            "ERROR",
            f"Failed to set Stop Loss for SOLUSDT: {_FAILED}",
        ),
        (
            "41:00,000",
            "core.atomic_position_manager",
            "INFO",
            "✅ Position #5 for ARBUSDT opened ATOMICALLY at $0.8",
        ),
        ("41:00,000", "__main__", "INFO", "📈 Position opened: ARBUSDT long"),
        (
            "41:11,000",
            "core.atomic_position_manager",
            "INFO",
            "✅ Position #7 for ARBUSDT opened ATOMICALLY at $493.636",
        ),
        ("41:11,000", "__main__", "INFO", "📈 Position opened: ARBUSDT short"),
    ]
)


def test_one_error_in_two_lines_is_one_and_a_second_opening_is_another(tmp_path: Path) -> None:
    """Repeats fold another message of one occurrence (the caller's line of a failure), not the
    same words again: a retry and a second opening of a symbol are occurrences of their own."""
    analysis = analyze_files([write(tmp_path / "bot.log", ONE_FAILURE_TWO_OPENINGS)], UTC_PROFILE)
    assert analysis.count("sl_set_failed") == 2
    assert analysis.count("api_error") == 2
    assert analysis.exchange_codes == {"10002": 4}
    assert analysis.count("position_opened") == 2
