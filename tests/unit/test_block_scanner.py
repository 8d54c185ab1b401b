"""The block scanner against a reference reader written here, line by line: on generated logs
full of hostile lines, read in blocks of any size (boundaries inside lines and inside UTF-8
characters), both give the same records, line numbers and totals."""

from __future__ import annotations

import tempfile
from collections import Counter
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pytest_botaudit.config.profile import load_profile
from pytest_botaudit.logs.files import analyze_files
from pytest_botaudit.logs.grammar import (
    CANONICAL,
    HEADER,
    WORD,
    canonical_timestamp,
    fast_path,
    timestamp_text,
    valid_stamp,
)
from pytest_botaudit.logs.model import MAX_CONTINUATION, MAX_LINE, LogRecord
from pytest_botaudit.logs.reader import LogFollower, scan_file
from pytest_botaudit.logs.scanner import MIN_VECTOR_BLOCK, FastPath, Scanner, ScanTotals, bulk_of
from pytest_botaudit.logs.window import counted_categories, log_ticks

PROFILE = replace(load_profile(), log_timezone=UTC)
SINCE = datetime(2025, 10, 15, 2, 0, 0, tzinfo=UTC)
UNTIL = datetime(2025, 10, 15, 2, 0, 5, tzinfo=UTC)


def reference(
    content: bytes,
    name: str,
    fast: FastPath | None,
    since: datetime | None,
    until: datetime | None,
    max_line: int,
) -> tuple[list[tuple[Any, ...]], dict[str, Any]]:
    """Today's grammar, one physical line at a time over the whole file: every line cut to
    max_line; a bulk line (the fast path's pattern) counted; a header (the canonical form on
    bytes, else either format on the decoded text) a record; any other line continues the
    record before it, or is unparsable before the first header."""
    lines = content.split(b"\n")
    if not lines[-1]:
        lines.pop()  # the file ended with a newline (or was empty)
    truncated = sum(1 for line in lines if len(line) > max_line)
    lines = [line[:max_line] for line in lines]
    pattern, slots = fast_path(fast.echo_logger, fast.prefixes) if fast else (None, [])
    echo_slots = sum(1 for category, _ in slots if not category)
    low = timestamp_text(since, UTC) if since else ""
    high = timestamp_text(until, UTC) if until else ""
    records: list[LogRecord] = []
    counts = Counter[str]()
    bulk = Counter[tuple[str, str]]()
    echoes = Counter[str]()
    stamps: list[str] = []  # of the records inside the window, in order
    pending: LogRecord | None = None
    seen = False
    for number, raw in enumerate(lines, start=1):
        bulky = pattern.match(raw) if pattern else None
        header: tuple[str, str, str, str, str | None] | None = None
        text = ""
        if bulky is None:
            canonical = CANONICAL.match(raw)
            if canonical and valid_stamp(canonical[1].decode()):
                body = raw[canonical.end(3) + 3 :]
                try:
                    message = body.decode()
                except UnicodeDecodeError:
                    counts["undecodable"] += 1
                    message = body.decode("utf-8", "replace")
                word = canonical[4].decode() if canonical[4] else None
                header = (
                    canonical[1].decode(),
                    canonical[2].decode("utf-8", "replace"),
                    canonical[3].decode(),
                    message.rstrip("\r"),
                    word,
                )
            else:
                try:
                    text = raw.decode()
                except UnicodeDecodeError:
                    counts["undecodable"] += 1
                    text = raw.decode("utf-8", "replace")
                text = text.rstrip("\r")
                generic = HEADER.match(text)
                if generic and valid_stamp(generic["ts"]):
                    message = text[generic.end() :]
                    leading = WORD.match(message)
                    header = (
                        canonical_timestamp(generic["ts"]),
                        generic["name1"] or generic["name2"],
                        generic["level1"] or generic["level2"],
                        message,
                        leading[1] if leading else None,
                    )
        if bulky is None and header is None:
            if pending is not None:
                counts["continuation"] += 1
                if len(pending.lines) < MAX_CONTINUATION:
                    pending.lines.append(text)
            elif seen:
                counts["continuation"] += 1
            else:
                counts["unparsable"] += 1
            continue
        counts["headers"] += 1
        seen = True
        if pending is not None:
            records.append(pending)
            pending = None
        stamp = bulky[1].decode() if bulky else header[0]  # type: ignore[index]
        if (low and stamp < low) or (high and stamp >= high):
            counts["out"] += 1
            continue
        stamps.append(stamp)
        if bulky is not None:
            slot = bulky.lastindex or 0
            bulk[slots[slot - 2]] += 1
            if slot - 2 < echo_slots:
                echoes[bulky[slot].decode()] += 1
            continue
        assert header is not None
        counts["records"] += 1
        pending = LogRecord(name, number, *header, UTC)
    if pending is not None:
        records.append(pending)
    totals = {
        "lines": len(lines),
        "records": counts["headers"],
        "continuation_lines": counts["continuation"],
        "unparsable_lines": counts["unparsable"],
        "undecodable_lines": counts["undecodable"],
        "truncated_lines": truncated,
        "in_window": counts["records"] + sum(bulk.values()),
        "out_of_window": counts["out"],
        "bulk": dict(bulk),
        "echoes": dict(echoes),
        "first": stamps[0] if stamps else "",
        "last": stamps[-1] if stamps else "",
        "part_lines": len(lines),
    }
    return [as_tuple(r) for r in records], totals


def as_tuple(record: LogRecord) -> tuple[Any, ...]:
    return (
        record.path,
        record.line_no,
        record.stamp,
        record.logger,
        record.level,
        record.message,
        record.word,
        tuple(record.lines),
    )


def summary(totals: ScanTotals) -> dict[str, Any]:
    stats = totals.stats
    return {
        "lines": stats.lines,
        "records": stats.records,
        "continuation_lines": stats.continuation_lines,
        "unparsable_lines": stats.unparsable_lines,
        "undecodable_lines": stats.undecodable_lines,
        "truncated_lines": stats.truncated_lines,
        "in_window": totals.records,
        "out_of_window": totals.out_of_window,
        "bulk": dict(totals.bulk),
        "echoes": dict(totals.echoes),
        "first": totals.first,
        "last": totals.last,
        "part_lines": totals.lines,
    }


# timestamps at the window's edges (in no order), broken ones of the bulk's plain shape, and
# ones of other shapes
STAMPS = [
    "2025-10-15 01:59:59,999",
    "2025-10-15 02:00:00,000",
    "2025-10-15 02:00:00,001",
    "2025-10-15 02:00:04,999",
    "2025-10-15 02:00:05,000",
    "2025-10-15 02:00:05,001",
    "2025-13-15 02:00:01,000",  # month 13
    "2025-02-29 02:00:01,000",  # 29 February of a common year
    "9999-99-99 99:99:99,999",
    "2025-10-15T02:00:01.5",
    "2025-10-15 02:00:01",
    "２０２５-10-15 02:00:01,000",  # full-width digits
    "2025-10-15 02:0x:01,000",
]
LOGGERS = [
    "core.position_manager",
    "core.event_logger",
    "core.event_logger2",
    "core.event",
    "m",
    "we\tird",
    "non\u00a0breaking",
    "",
]
LEVELS = ["INFO", "DEBUG", "WARNING", "ERROR", "CRITICAL", "NOTICE"]
MESSAGES = [
    "📊 Position update: BTC/USDT:USDT → BTCUSDT, mark_price=1.5",
    "📊 Position update: ETH",
    "📊 Position update:",
    "position_updated: {'symbol': 'XUSDT', 'source': 'websocket'}",
    "trailing_stop_updated: {}",
    "Position_updated: {}",
    "tick extra 1",
    "tick other",
    "tick: 5",
    "tick - DEBUG - position_updated: {}",
    "binance WebSocket connected",
    "binance connection unhealthy, reconnecting...",
    "WebSocket error: boom",
    "",
]
CONTINUATIONS = [
    b"Traceback (most recent call last):",
    b'  File "x.py", line 1, in f',
    b"ValueError: bad",
    b"",
    b"   ",
    b"\xff\xfe garbage \xc3",
    "ünïcødé 📊 Position update: in a traceback".encode(),
    b"2025-10-15 02:00:01,000",
]


@st.composite
def hostile_kind(
    draw: st.DrawFn, loggers: list[str], levels: list[str]
) -> tuple[int, str, str, bytes]:
    """A kind of line: its format, logger, level and message (the timestamp comes later)."""
    message = draw(st.sampled_from(MESSAGES)).encode()
    if draw(st.integers(0, 5)) == 0:
        message += draw(st.sampled_from([b"\xff", "é".encode(), b"x" * 150, "📊".encode() * 40]))
    return (
        draw(st.integers(0, 5)),
        draw(st.sampled_from(loggers)),
        draw(st.sampled_from(levels)),
        message,
    )


@st.composite
def hostile_logs(draw: st.DrawFn) -> bytes:
    """A few kinds of line, repeated with any timestamps as a bot repeats its price ticks and
    echoes, between continuation lines; \n or \r\n; maybe no newline at the end."""
    # few loggers and levels, so that kinds share them (and prefixes and echoes compete)
    loggers = draw(st.lists(st.sampled_from(LOGGERS), min_size=1, max_size=3))
    levels = draw(st.lists(st.sampled_from(LEVELS), min_size=1, max_size=3))
    kinds = draw(st.lists(hostile_kind(loggers, levels), min_size=1, max_size=6))
    lines = []
    for _ in range(draw(st.integers(0, 300))):
        pick = draw(st.integers(0, len(kinds) + 1))
        if pick >= len(kinds):
            lines.append(draw(st.sampled_from(CONTINUATIONS)))
            continue
        form, logger, level, message = kinds[pick]
        stamp = draw(st.sampled_from(STAMPS))
        if form == 0:  # the other format
            lines.append(f"{stamp} [{level}] {logger}: ".encode() + message)
        else:
            lines.append(f"{stamp} - {logger} - {level} - ".encode() + message)
    crlf = draw(st.booleans())
    content = b"".join(
        line + (b"\r\n" if crlf and i % 3 else b"\n") for i, line in enumerate(lines)
    )
    if draw(st.booleans()):
        content = content.rstrip(b"\n")  # no newline at the end of the file
    return content


FAST_PATHS = [
    None,
    bulk_of(PROFILE),
    # overlapping prefixes, either order: the first one tried that matches is the slot
    FastPath(
        "core.event_logger", (("a", "tick extra"), ("b", "tick"), ("c", "📊 Position update: "))
    ),
    FastPath("core.event_logger", (("b", "tick"), ("a", "tick extra"))),
    FastPath(None, (("p", "📊 Position update: "), ("q", "📊 Position update"))),
    FastPath("m", (("p", "tick"), ("e", ""))),
    FastPath("core.event", (("p", "📊 Position update: "),)),
    FastPath("we\tird", (("p", "tick"),)),  # an echo logger no canonical header can name
    FastPath("m - INFO - tick", (("p", "tick"),)),  # one that reads as a header and more
]


@settings(max_examples=250, deadline=None)
@given(
    hostile_logs(),
    st.sampled_from(FAST_PATHS),
    st.sampled_from([(None, None), (SINCE, None), (None, UNTIL), (SINCE, UNTIL)]),
    st.sampled_from([1, 2, 7, 61, 256, 1000, 4096, 2**20]),
    st.sampled_from([0, 64, MIN_VECTOR_BLOCK]),
    st.sampled_from([16, 60, 120, MAX_LINE]),
)
def test_the_block_scanner_reads_as_the_reference_reader(
    content: bytes,
    fast: FastPath | None,
    window: tuple[datetime | None, datetime | None],
    block_size: int,
    vector_from: int,
    max_line: int,
) -> None:
    since, until = window
    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory) / "bot.log"
        path.write_bytes(content)
        scanner = Scanner(str(path), UTC, fast, since, until, vector_from=vector_from)
        records: list[LogRecord] = []
        totals = scan_file(path, scanner, records.append, block_size=block_size, max_line=max_line)
    want_records, want = reference(content, str(path), fast, since, until, max_line)
    assert [as_tuple(r) for r in records] == want_records
    assert summary(totals) == want


def _price(second: int, n: int) -> str:
    return (
        f"2025-10-15 02:00:{second:02d},{n % 1000:03d} - core.position_manager - INFO - "
        f"📊 Position update: BTC/USDT:USDT → BTCUSDT, mark_price={n}.5"
    )


def test_a_long_bulk_run_is_found_at_once_and_counted_exactly(tmp_path: Path) -> None:
    lines = []
    for n in range(30_000):
        lines.append(_price(n // 1000 % 60, n))
        if n % 97 == 0:
            lines.append(
                f"2025-10-15 02:00:{n // 1000 % 60:02d},500 - core.event_logger - INFO - "
                "position_updated: {'symbol': 'BTCUSDT'}"
            )
        if n % 1009 == 0:
            lines += ["2025-10-15 02:00:03,000 - m - ERROR - boom", "Traceback (most recent):"]
    content = ("\n".join(lines) + "\n").encode()
    path = tmp_path / "bot.log"
    path.write_bytes(content)
    for since, until in [(None, None), (SINCE, UNTIL)]:
        records: list[LogRecord] = []
        scanner = Scanner(str(path), UTC, bulk_of(PROFILE), since, until)
        totals = scan_file(path, scanner, records.append, block_size=64 * 1024)
        want_records, want = reference(content, str(path), bulk_of(PROFILE), since, until, MAX_LINE)
        assert [as_tuple(r) for r in records] == want_records
        assert summary(totals) == want
    assert want["bulk"][("price_tick", "INFO")] < 30_000  # the window left some out
    records = []
    totals = scan_file(path, Scanner(str(path), UTC, bulk_of(PROFILE)), records.append)
    assert totals.bulk[("price_tick", "INFO")] == 30_000
    assert len(records) == 30


def test_lines_over_a_mebibyte_across_block_boundaries(tmp_path: Path) -> None:
    good = "2025-10-15 02:00:01,000 - websocket.improved_stream - WARNING - binance unhealthy"
    content = (
        (good + "\n").encode()
        + b"x" * (MAX_LINE + 10)
        + b"\n"
        + (_price(2, 1) + "\n").encode()
        + b"y" * (MAX_LINE - 1)
        + b"\n"
        + ("é" * MAX_LINE).encode()  # cut inside a character, and no newline at the end
    )
    path = tmp_path / "bot.log"
    path.write_bytes(content)
    want_records, want = reference(content, str(path), bulk_of(PROFILE), None, None, MAX_LINE)
    assert (want["lines"], want["truncated_lines"]) == (5, 2)
    for block_size in (4096, 300_000, MAX_LINE, 2**22):
        records: list[LogRecord] = []
        scanner = Scanner(str(path), UTC, bulk_of(PROFILE))
        totals = scan_file(path, scanner, records.append, block_size=block_size)
        assert [as_tuple(r) for r in records] == want_records
        assert summary(totals) == want


def test_the_follower_counts_the_bulk_and_keeps_every_other_record(tmp_path: Path) -> None:
    path = tmp_path / "bot.log"
    path.write_text("")
    follower = LogFollower(path, UTC, fast=bulk_of(PROFILE))
    written = b""

    def append(text: str) -> None:
        nonlocal written
        with path.open("ab") as handle:
            handle.write(text.encode())
        written += text.encode()

    seen = [as_tuple(r) for r in follower.poll()]
    append("".join(_price(1, n) + "\n" for n in range(5000)))
    append("2025-10-15 02:00:02,000 - m - ERROR - boom\nTraceback (most rec")
    seen += [as_tuple(r) for r in follower.poll()]
    assert seen == []  # the error may still get continuation lines
    append("ent call last):\n")
    # the audit's last tick: what was appended, and the record still waiting
    seen += [as_tuple(r) for r in follower.poll() + follower.release()]
    assert [s[5] for s in seen] == ["boom"]
    assert seen[0][7] == ("Traceback (most recent call last):",)
    append("".join(_price(3, n) + "\n" for n in range(5000)))
    append("2025-10-15 02:00:04,000 - m - INFO - binance WebSocket connected\n")
    path.rename(tmp_path / "bot.log.1")  # rotated mid-audit
    path.write_text("2025-10-15 02:00:05,000 - m - INFO - after the rotation\n")
    seen += [as_tuple(r) for r in follower.poll()]
    seen += [as_tuple(r) for r in follower.close()]
    want, _ = reference(written, str(path), bulk_of(PROFILE), None, None, MAX_LINE)
    assert seen[:2] == want
    assert [s[5] for s in seen[2:]] == ["after the rotation"]
    assert follower.stats.records == 10_000 + 3
    assert follower.stats.lines == 10_000 + 4


def test_the_follower_reads_a_truncated_log_from_its_start(tmp_path: Path) -> None:
    path = tmp_path / "bot.log"
    path.write_text("".join(_price(1, n) + "\n" for n in range(3000)))
    follower = LogFollower(path, UTC, fast=bulk_of(PROFILE))
    assert follower.poll() == []
    with path.open("a") as handle:
        handle.write("2025-10-15 02:00:02,000 - m - ERROR - before the truncation\n")
    path.write_text("2025-10-15 02:00:03,000 - m - ERROR - after it\n")  # copytruncate
    messages = [r.message for r in follower.poll() + follower.close()]
    assert messages == ["after it"]


@pytest.mark.parametrize(
    ("fast", "kinds", "unlearned", "learned"),
    [
        (  # a prefix written by the echo logger: an echo may start the same way
            FastPath("core.event_logger", (("short", "tick"),)),
            ["tick other", "tick: 5", "position_updated: {}"],
            b" - core.event_logger - INFO - tick",
            b" - core.event_logger - INFO - ",
        ),
        (  # a prefix that one tried before it extends: the rest of the message chooses
            FastPath(None, (("long", "tick extra"), ("short", "tick"))),
            ["tick other", "tick extra 1"],
            b" - core.event_logger - INFO - tick",
            b" - core.event_logger - INFO - tick extra",
        ),
    ],
)
def test_shapes_that_would_not_decide_their_line_are_never_learned(
    tmp_path: Path, fast: FastPath, kinds: list[str], unlearned: bytes, learned: bytes
) -> None:
    lines = [
        f"2025-10-15 02:00:0{n % 7},000 - core.event_logger - INFO - {kinds[n % len(kinds)]}"
        for n in range(600)
    ]
    content = ("\n".join(lines) + "\n").encode()
    path = tmp_path / "bot.log"
    path.write_bytes(content)
    want_records, want = reference(content, str(path), fast, SINCE, UNTIL, MAX_LINE)
    assert len(want["bulk"]) + bool(want["echoes"]) == len(kinds)  # each kind its own slot
    for block_size in (97, 1000, 2**20):
        records: list[LogRecord] = []
        scanner = Scanner(str(path), UTC, fast, SINCE, UNTIL, vector_from=0)
        totals = scan_file(path, scanner, records.append, block_size=block_size)
        assert [as_tuple(r) for r in records] == want_records
        assert summary(totals) == want
        heads = {shape.head for shape in scanner._shapes.shapes}
        assert unlearned not in heads
        assert learned in heads


def test_frequent_event_words_get_shapes_of_their_own_and_count_the_same(tmp_path: Path) -> None:
    """An event word echoed often enough in a block is counted with the block from the next
    one on (its own shape), the rarer words still one by one: the same figures either way."""
    lines = []
    for n in range(20_000):
        second = n // 400
        kind = "position_updated" if n % 3 else ("balance_checked" if n % 2 else "order_filled")
        level = "DEBUG" if n % 7 == 0 else "INFO"
        lines.append(
            f"2025-10-15 02:00:{second:02d},{n % 1000:03d} - core.event_logger - {level} - "
            f"{kind}: {{'n': {n}}}"
        )
        if n % 5 == 0:
            lines.append(_price(second, n))
        if n % 999 == 0:  # a word cut short, and an echo that is no word: the grammar's
            lines.append(f"2025-10-15 02:00:{second:02d},000 - core.event_logger - INFO - pos")
            lines.append(f"2025-10-15 02:00:{second:02d},000 - core.event_logger - INFO - X: 1")
    content = ("\n".join(lines) + "\n").encode()
    path = tmp_path / "bot.log"
    path.write_bytes(content)
    for since, until in [(None, None), (SINCE, UNTIL)]:
        want_records, want = reference(content, str(path), bulk_of(PROFILE), since, until, MAX_LINE)
        for block_size in (8 * 1024, 64 * 1024):
            records: list[LogRecord] = []
            scanner = Scanner(str(path), UTC, bulk_of(PROFILE), since, until)
            totals = scan_file(path, scanner, records.append, block_size=block_size)
            assert [as_tuple(r) for r in records] == want_records
            assert summary(totals) == want
            words = {shape.word for shape in scanner._shapes.shapes if shape.word}
            # a block of 8 KiB holds fewer echoes of a word than earn it a shape
            assert words == ({b"position_updated"} if block_size > 8 * 1024 else set())


def test_an_echo_logger_with_spaces_in_its_name(tmp_path: Path) -> None:
    """Its echoes read as headers of another logger: the fast path's own pattern decides."""
    fast = FastPath("m - INFO - tick", (("p", "tick"),))
    kinds = ["m - INFO - tick - DEBUG - position_updated: {}", "m - INFO - tick 2", "m - INFO - x"]
    content = "".join(f"2025-10-15 02:00:01,000 - {kinds[n % 3]}\n" for n in range(300)).encode()
    path = tmp_path / "bot.log"
    path.write_bytes(content)
    want_records, want = reference(content, str(path), fast, None, None, MAX_LINE)
    assert want["echoes"] == {"position_updated": 100}
    for block_size in (50, 4096):
        records: list[LogRecord] = []
        scanner = Scanner(str(path), UTC, fast, vector_from=0)
        totals = scan_file(path, scanner, records.append, block_size=block_size)
        assert [as_tuple(r) for r in records] == want_records
        assert summary(totals) == want


def test_window_mode_counts_what_the_analysis_counts(tmp_path: Path) -> None:
    """Per tick, the timeouts add up to the analysis's: a price tick that mentions a timeout
    is a price tick for both (the bulk is counted unread), a record that says one is one."""
    lines = []
    for n in range(3000):
        second = n // 100
        lines.append(_price(second % 60, n).replace("BTCUSDT,", "timed out," if n % 7 else "BTC,"))
        if n % 90 == 0:
            lines.append(
                f"2025-10-15 02:00:{second % 60:02d},900 - m - ERROR - request {n} timed out"
            )
    path = tmp_path / "bot.log"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    since = datetime(2025, 10, 15, 2, 0, 3, tzinfo=UTC)
    until = datetime(2025, 10, 15, 2, 0, 27, tzinfo=UTC)
    assert "timeout" in counted_categories(PROFILE)
    per_tick = log_ticks([path], PROFILE, since, until, 5.0).counts
    analysis = analyze_files([path], PROFILE, since, until)
    total = sum(counts.get("timeout", 0) for counts in per_tick.values())
    assert total == analysis.count("timeout") == sum(1 for n in range(300, 2700) if n % 90 == 0)
    assert set(per_tick) == {1, 2, 3, 4, 5}
