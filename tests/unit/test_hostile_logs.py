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


def _damaged_set(tmp_path: Path, lines: int) -> bytes:
    """bot.log with one record of its own, and three damaged rotated files: .1.gz cut in
    half, .2.gz with 64 zeroed bytes in its middle, .3.gz plain text. The whole .gz's bytes."""
    body = "".join(f"{GOOD} {i}\n" for i in range(lines))
    whole = _gz(tmp_path / "x.gz", body)
    (tmp_path / "bot.log").write_text(OWN + "\n")
    (tmp_path / "bot.log.1.gz").write_bytes(whole[: len(whole) // 2])  # truncated
    corrupt = bytearray(whole)
    corrupt[len(corrupt) // 2 : len(corrupt) // 2 + 64] = b"\x00" * 64
    (tmp_path / "bot.log.2.gz").write_bytes(bytes(corrupt))
    (tmp_path / "bot.log.3.gz").write_text(GOOD + "\n")  # plain text named .gz
    (tmp_path / "x.gz").unlink()
    return whole


# a record of bot.log itself, of a category no damaged file holds
OWN = (
    "2025-10-15 02:40:21,001 - core.position_manager - INFO - "
    "✅ Position #17 for SOLUSDT opened ATOMICALLY at $142.1"
)


def test_each_damaged_compressed_log_is_named_and_the_rest_is_still_read(
    tmp_path: Path,
) -> None:
    _damaged_set(tmp_path, 2000)
    analysis = analyze_files([tmp_path / "bot.log"], PROFILE)
    damaged = analysis.read.damaged
    assert {note.split(":")[0] for note in damaged} == {
        str(tmp_path / f"bot.log.{n}.gz") for n in (1, 2, 3)
    }
    assert all("damaged after" in note and "bytes of content" in note for note in damaged)
    # bot.log's own record counts, whatever the damaged files gave
    assert str(tmp_path / "bot.log") in analysis.read.files
    assert analysis.count("position_opened") == 1


def _complete_lines_before(data: bytes) -> int:
    """The complete lines a gzip decoder gives from ``data`` before it fails or ends."""
    decoder = zlib.decompressobj(wbits=31)
    try:
        text = decoder.decompress(data)
    except zlib.error:
        text = b""
    return text.count(b"\n")


@pytest.mark.xfail(
    reason="issue 23 §1: a damaged .gz is read only up to an 8 MiB boundary before the damage "
    "(a small file: nothing at all, 'damaged after 0 bytes'); every complete record before "
    "the damaged byte must count, and the note name that offset",
    strict=True,
)
@pytest.mark.parametrize("lines", [2000, 200_000], ids=["small", "200k lines"])
def test_every_complete_record_before_the_damage_counts(tmp_path: Path, lines: int) -> None:
    whole = _damaged_set(tmp_path, lines)
    (tmp_path / "bot.log").write_text("")  # only the damaged files hold records
    (tmp_path / "bot.log.2.gz").unlink()
    (tmp_path / "bot.log.3.gz").unlink()
    truncated = whole[: len(whole) // 2]
    expected = _complete_lines_before(truncated)
    assert 0 < expected < lines
    analysis = analyze_files([tmp_path / "bot.log"], PROFILE)
    assert analysis.records == expected
    [note] = analysis.read.damaged
    offset = int(note.split("damaged after ")[1].split(" bytes")[0].replace(",", ""))
    complete = len("".join(f"{GOOD} {i}\n" for i in range(expected)).encode())
    assert complete <= offset <= complete + len(f"{GOOD} {expected}\n")


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
