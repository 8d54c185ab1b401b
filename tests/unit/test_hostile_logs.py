"""No log input kills the analysis: bad timestamps, damaged compressed files, endless lines,
binary garbage and files that are not files each give a result (or one clear error)."""

from __future__ import annotations

import gzip
import os
import tempfile
import time
import zlib
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pytest_botaudit.cli import main
from pytest_botaudit.config.profile import load_profile
from pytest_botaudit.logs.files import analyze_files
from pytest_botaudit.logs.model import MAX_LINE, LogAnalysis, ReadStats
from pytest_botaudit.logs.reader import read_records

PROFILE = replace(load_profile(), log_timezone=UTC)
GOOD = (
    "2025-10-15 02:40:20,001 - websocket.improved_stream - WARNING - "
    "binance connection unhealthy, reconnecting..."
)
BAD_STAMPS = [
    "2025-13-15 02:40:20,001",  # month 13
    "0000-10-15 02:40:20,001",  # year 0
    "2025-02-30 02:40:20,001",  # 30 February
    "2025-02-29 02:40:20,001",  # 29 February of a common year
    "2025-10-15 24:00:00,000",  # hour 24
    "2025-10-15 12:42:60,000",  # second 60
    "２０２５-10-15 02:40:20,001",  # full-width digits
    "9999-12-31 23:59:59,000",  # overflows when moved to UTC from a zone east of it
]


def _analyze(
    tmp_path: Path, content: bytes, name: str = "bot.log"
) -> tuple[LogAnalysis, ReadStats]:
    path = tmp_path / name
    path.write_bytes(content)
    stats = ReadStats()
    list(read_records([path], stats, UTC))
    return analyze_files([path], PROFILE), stats


@pytest.mark.parametrize("stamp", BAD_STAMPS)
def test_a_bad_timestamp_makes_the_line_unparsable(tmp_path: Path, stamp: str) -> None:
    line = f"{stamp} - websocket.improved_stream - WARNING - binance connection unhealthy\n"
    analysis, stats = _analyze(tmp_path, line.encode())
    assert (stats.records, stats.unparsable_lines) == (0, 1)
    assert analysis.read.unparsable_lines == 1
    # after a good record, the same line is a continuation of it, never a record
    analysis, stats = _analyze(tmp_path, (GOOD + "\n" + line).encode())
    assert (stats.records, stats.continuation_lines) == (1, 1)
    assert analysis.ws_reconnects == 1


@pytest.fixture
def eastern_local_zone() -> Iterator[None]:
    """The machine's zone far east of UTC, where 9999-12-31 overflows (``TZ`` + tzset)."""
    old = os.environ.get("TZ")
    os.environ["TZ"] = "Pacific/Kiritimati"
    time.tzset()
    yield
    if old is None:
        del os.environ["TZ"]
    else:
        os.environ["TZ"] = old
    time.tzset()


def test_the_year_9999_under_a_local_zone(tmp_path: Path, eastern_local_zone: None) -> None:
    local = load_profile()  # the default profile reads asctime as local time
    path = tmp_path / "bot.log"
    path.write_text(GOOD + "\n9999-12-31 23:59:59,000 - m - ERROR - far future\n")
    analysis = analyze_files([path], local)
    assert (analysis.records, analysis.read.continuation_lines) == (1, 1)


def _gz(path: Path, text: str) -> bytes:
    with gzip.open(path, "wt", encoding="utf-8") as handle:
        handle.write(text)
    return path.read_bytes()


def _numbered(count: int) -> str:
    return "".join(f"{GOOD} #{i}\n" for i in range(count))


def _numbers(path: Path) -> tuple[list[int], ReadStats]:
    stats = ReadStats()
    numbers = [int(r.message.rsplit("#", 1)[1]) for r in read_records([path], stats, UTC)]
    return numbers, stats


def _whole_lines_in(prefix: bytes) -> int:
    """The oracle: complete lines that the compressed bytes ``prefix`` hold, decompressed in
    one call (zlib returns all it can from a cut stream without an error)."""
    return zlib.decompressobj(16 + zlib.MAX_WBITS).decompress(prefix).count(b"\n")


@pytest.mark.parametrize("lines", [2000, 200_000])
def test_a_truncated_gz_is_read_to_its_last_complete_line(tmp_path: Path, lines: int) -> None:
    whole = _gz(tmp_path / "x.gz", _numbered(lines))
    path = tmp_path / "bot.log.1.gz"
    for cut in (len(whole) // 3, len(whole) // 2 + 7, len(whole) - 5):  # the last in the trailer
        path.write_bytes(whole[:cut])
        numbers, stats = _numbers(path)
        expected = _whole_lines_in(whole[:cut])
        assert 0 < expected < lines or cut == len(whole) - 5
        assert numbers == list(range(expected))  # every complete line, in order, nothing else
        (note,) = stats.damaged
        assert f"damaged at byte {cut:,} of the file (truncated" in note


def test_a_corrupt_gz_is_read_to_the_damaged_byte(tmp_path: Path) -> None:
    first = gzip.compress(_numbered(3000).encode(), mtime=0)
    second = bytearray(gzip.compress(b"more\n" * 100, mtime=0))
    second[1] = 0x8C  # the second member's magic is damaged: zlib knows at that byte
    path = tmp_path / "bot.log.2.gz"
    path.write_bytes(first + bytes(second))
    numbers, stats = _numbers(path)
    assert numbers == list(range(3000))
    (note,) = stats.damaged
    assert f"damaged at byte {len(first) + 1:,} of the file (incorrect header check)" in note


def test_damage_only_the_crc_finds_is_said_to_lie_before_it(tmp_path: Path) -> None:
    whole = bytearray(gzip.compress(_numbered(50_000).encode(), mtime=0))
    whole[len(whole) // 2] ^= 0xFF  # deflate decodes on; the member's CRC-32 fails at its end
    path = tmp_path / "bot.log.2.gz"
    path.write_bytes(bytes(whole))
    numbers, stats = _numbers(path)
    assert numbers[:100] == list(range(100))
    (note,) = stats.damaged
    assert f"damaged before byte {len(whole) - 5:,} of the file (incorrect data check:" in note


def test_multi_member_and_padded_gz_read_whole(tmp_path: Path) -> None:
    first = _gz(tmp_path / "a.gz", _numbered(300))
    second = gzip.compress(_numbered(600)[len(_numbered(300)) :].encode())
    path = tmp_path / "bot.log.1.gz"
    path.write_bytes(first + second + b"\x00" * 100)
    numbers, stats = _numbers(path)
    assert numbers == list(range(600))
    assert stats.damaged == []


def test_damaged_compressed_logs_are_reported_per_file(tmp_path: Path) -> None:
    whole = _gz(tmp_path / "x.gz", _numbered(2000))
    (tmp_path / "bot.log").write_text(GOOD + "\n")
    (tmp_path / "bot.log.1.gz").write_bytes(whole[: len(whole) // 2])  # truncated
    (tmp_path / "bot.log.2.gz").write_text(GOOD + "\n")  # plain text named .gz
    analysis = analyze_files([tmp_path / "bot.log"], PROFILE)
    one, two = sorted(analysis.read.damaged)
    assert one.startswith(f"{tmp_path / 'bot.log.1.gz'}: damaged at byte {len(whole) // 2:,}")
    assert two.startswith(f"{tmp_path / 'bot.log.2.gz'}: damaged at byte 0 of the file (not a")
    kept = _whole_lines_in(whole[: len(whole) // 2])
    assert analysis.read.lines == kept + 1  # the truncated file's whole lines, then bot.log


def test_an_endless_line_is_capped_and_counted(tmp_path: Path) -> None:
    content = (GOOD + "\n").encode() + b"x" * (3 * MAX_LINE) + b"\n" + (GOOD + "\n").encode()
    analysis, stats = _analyze(tmp_path, content)
    assert stats.truncated_lines == 1
    assert analysis.read.truncated_lines == 1
    assert analysis.ws_reconnects == 1  # one episode, two lines
    # and without any newline at all
    analysis, stats = _analyze(tmp_path, b"y" * (2 * MAX_LINE + 5))
    assert stats.truncated_lines == 1
    assert stats.lines == 1


_HOSTILE = st.one_of(
    st.just(GOOD),
    st.sampled_from([f"{s} - m - ERROR - boom" for s in BAD_STAMPS]),
    st.just("Traceback (most recent call last):"),
    st.binary(max_size=120).map(lambda b: b.replace(b"\n", b" ").decode("latin-1")),
)


@settings(max_examples=120, deadline=None)
@given(st.lists(_HOSTILE, max_size=30))
def test_hostile_lines_are_all_accounted(lines: list[str]) -> None:
    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory) / "bot.log"
        path.write_bytes("".join(line + "\n" for line in lines).encode("utf-8", "surrogatepass"))
        analysis = analyze_files([path], PROFILE)
    read = analysis.read
    assert read.lines == len(lines)
    assert read.records + read.continuation_lines + read.unparsable_lines == read.lines
    assert analysis.records == sum(1 for line in lines if line == GOOD)


def test_botaudit_logs_survives_and_refuses_non_files(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "bot.log").write_text(GOOD + "\n")
    (tmp_path / "bot.log.1.gz").write_text("plain text named .gz\n")
    assert main(["logs", str(tmp_path / "bot.log")]) == 0
    assert "DAMAGED:" in capsys.readouterr().out
    assert main(["logs", str(tmp_path)]) == 2
    fifo = tmp_path / "fifo.log"
    os.mkfifo(fifo)
    assert main(["logs", str(fifo)]) == 2  # refused at once: a FIFO with no writer never ends
    assert main(["logs", str(tmp_path / "bot.log"), "--since=-99999999d"]) == 2
    errors = capsys.readouterr().err.splitlines()
    assert len(errors) == 3
    assert all(line.startswith("botaudit: error: ") for line in errors)
