"""Nothing collected is ever lost: a disk that fills up mid-run, SIGTERM while the audit is being
judged, a resume while the audit still runs, a snapshot file cut mid-line. Real pytest runs of
audit_checks/ in a subprocess, against the real server, on real file systems."""

from __future__ import annotations

import contextlib
import errno
import json
import os
import shutil
import signal
import subprocess
import sys
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from pytest_botaudit.config.options import command_line

from ..conftest import REPO
from ..helpers import outcomes_by_test, wait_for

LOG_LINE = "2025-10-15 02:40:20,001 - m - INFO - started\n"
# slow-path lines (each is categorized): a big log takes seconds to analyse at the end
SLOW_LINE = (
    "2025-10-15 02:40:20,001 - core.position_manager - INFO - "
    "✅ Position #17 for SOLUSDT opened ATOMICALLY at $142.1\n"
)


def _pytest_of(work: Path) -> list[str]:
    """pytest on the audit checks copied into ``work``, without its cache."""
    return [sys.executable, "-m", "pytest", str(work / "audit_checks"), "-p", "no:cacheprovider"]


def _command(work: Path, dsn: str, out: Path, duration: float, *extra: str) -> list[str]:
    """A live audit at 0.2 s of ``work``'s audit_checks, its runs in ``out``, its JUnit XML and
    HTML in ``work``."""
    audit = {
        "dsn": dsn,
        "log": [work / "bot.log"],
        "out": out,
        "duration": duration,
        "interval": 0.2,
        "env_file": work / ".env",
    }
    return [
        *_pytest_of(work),
        *command_line(audit),
        f"--junitxml={work / 'audit.xml'}",
        f"--html={work / 'audit.html'}",
        "--self-contained-html",
        *extra,
    ]


@pytest.fixture
def work(pytester: pytest.Pytester) -> Path:
    shutil.copytree(REPO / "audit_checks", pytester.path / "audit_checks")
    (pytester.path / "bot.log").write_text(LOG_LINE)
    (pytester.path / ".env").write_text("BINANCE_TESTNET=true\n")
    return pytester.path


def _snapshot_file(out: Path) -> Path | None:
    files = sorted(out.glob("*/monitoring_snapshots_*.jsonl"))
    return files[0] if files else None


def _records(out: Path) -> list[dict[str, Any]]:
    path = _snapshot_file(out)
    if path is None:
        return []
    records = []
    for line in path.read_text().splitlines():
        with contextlib.suppress(json.JSONDecodeError):  # the line in flight at a kill
            records.append(json.loads(line))
    return records


def _ticks(out: Path) -> int:
    return sum("tick" in record for record in _records(out))


@contextlib.contextmanager
def _three_ticks_in(command: list[str], work: Path) -> Iterator[subprocess.Popen[bytes]]:
    """The audit ``command`` started in ``work``, once it wrote 3 ticks (or ended)."""
    with subprocess.Popen(
        command, cwd=work, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    ) as audit:
        wait_for(lambda: _ticks(work) >= 3 or audit.poll() is not None, 60, "3 ticks")
        yield audit


def _suite_properties(xml: Path) -> dict[str, str]:
    """The JUnit suite's own properties (not its test cases')."""
    root = ET.parse(xml).getroot()
    return {
        p.get("name", ""): p.get("value", "")
        for suite in root.iter("testsuite")
        for p in suite.findall("properties/property")
    }


@pytest.fixture
def small_disk(pytester: pytest.Pytester) -> Iterator[Path]:
    """A file system of 256 KiB of its own (tmpfs), for a disk that fills up."""
    mount = pytester.path / "disk"
    mount.mkdir()
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=256k", "tmpfs", str(mount)],
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        reason = f"cannot mount a tmpfs here ({done.stderr.strip()}): run as root for this test"
        if os.environ.get("CI") == "true":
            pytest.fail(reason)
        pytest.skip(reason)
    try:
        yield mount
    finally:
        subprocess.run(["umount", "--lazy", str(mount)], check=False)


def _fill(disk: Path) -> None:
    """Every free byte of ``disk`` taken by a file, as a full disk would be."""
    fd = os.open(disk / "filler", os.O_WRONLY | os.O_CREAT | os.O_APPEND)
    try:
        while True:
            try:
                os.write(fd, b"\0" * 4096)
            except OSError as exc:
                if exc.errno != errno.ENOSPC:
                    raise
                return
    finally:
        os.close(fd)


@pytest.mark.slow
def test_a_full_disk_stops_collection_and_judges_what_was_collected(
    work: Path, database: str, small_disk: Path
) -> None:
    # the disk is small from the start: the pre-flight check of its free space would refuse it
    command = _command(work, database, small_disk, 120, "-k", "not test_disk_space")
    with subprocess.Popen(
        command, cwd=work, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    ) as process:
        wait_for(
            lambda: _ticks(small_disk) >= 4 or process.poll() is not None, 60, "4 ticks written"
        )
        assert process.poll() is None, "the audit ended before the disk filled up"
        _fill(small_disk)
        stdout, _ = process.communicate(timeout=120)
    # the checks judged the collected ticks: none says the audit could not run
    assert "the audit could not run" not in stdout, stdout
    results = outcomes_by_test(work / "audit.xml")
    collected = results["TestMonitoring::test_all_expected_snapshots_collected"]
    assert collected["verdict"] == "WARN"  # judged: fewer snapshots than expected
    assert 0 < float(collected["value"]) < 100
    suite = _suite_properties(work / "audit.xml")
    assert suite["audit_status"] == "error"
    assert "No space left on device" in suite["audit_error"]
    assert int(suite["ticks_taken"]) >= 4
    assert "audit error: cannot write " in stdout
    assert (work / "audit.html").stat().st_size > 10_000
    # no half-written file is left behind, no record is torn
    assert list(small_disk.rglob("*.tmp")) == []
    snapshots = _snapshot_file(small_disk)
    assert snapshots is not None
    text = snapshots.read_text()
    assert text.endswith("\n")
    records = [json.loads(line) for line in text.splitlines()]
    assert sum("tick" in r for r in records) >= 4
    # a later replay of the file does not call the run completed
    replay = subprocess.run(
        [
            *_pytest_of(work),
            f"--audit-snapshots={snapshots}",
            f"--audit-out={work / 'replayed'}",
            f"--audit-env-file={work / '.env'}",
            f"--junitxml={work / 'replay.xml'}",
        ],
        cwd=work,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert "snapshots (error)" in replay.stdout, replay.stdout
    assert _suite_properties(work / "replay.xml")["audit_status"] == "error"


@pytest.mark.slow
def test_sigterm_while_the_audit_is_judged_keeps_every_report(work: Path, database: str) -> None:
    with (work / "bot.log").open("ab") as handle:  # a big log: the final analysis takes seconds
        handle.write(SLOW_LINE.encode() * 800_000)
    command = _command(work, database, work, 1.0)
    with subprocess.Popen(
        command, cwd=work, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    ) as process:
        assert process.stdout is not None
        seen = []
        for line in process.stdout:  # collection done: the log analysis and judging begin
            seen.append(line)
            if "snapshots (completed)" in line:
                break
        else:
            raise AssertionError("collection never completed: " + "".join(seen))
        process.send_signal(signal.SIGTERM)
        stdout, _ = process.communicate(timeout=120)
    assert process.returncode == pytest.ExitCode.INTERRUPTED, stdout
    assert "interrupted while finishing the audit" in stdout
    assert "Traceback" not in stdout
    assert (work / "audit.xml").is_file()
    assert _suite_properties(work / "audit.xml")["run_id"]
    assert (work / "audit.html").stat().st_size > 10_000
    [report] = work.glob("*/audit_report.md")
    assert report.stat().st_size > 0


@pytest.mark.slow
def test_resume_while_the_audit_still_runs_is_refused(work: Path, database: str) -> None:
    # long enough to be still running after the refused resume, on a busy machine too
    command = _command(work, database, work, 20)
    with _three_ticks_in(command, work) as first:
        assert first.poll() is None, "the audit ended before the resume"
        resumed = subprocess.run(
            [*command, "--audit-resume"],
            cwd=work,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert resumed.returncode == pytest.ExitCode.USAGE_ERROR, resumed.stdout
        assert f"still being collected by pid {first.pid} on host" in resumed.stderr
        assert first.poll() is None, "the audit ended before it could be killed"
        first.send_signal(signal.SIGKILL)
        first.wait()
    # killed: its lock is stale, and a resume takes it over with a note
    again = subprocess.run(
        [*command, "--audit-resume"], cwd=work, capture_output=True, text=True, timeout=120
    )
    assert f"took over the lock of pid {first.pid} on host" in again.stdout, again.stdout
    records = _records(work)
    ticks = [r["tick"] for r in records if "tick" in r]
    assert sorted(ticks) == list(range(1, 101))  # every tick once: a snapshot or a gap
    assert sum("audit_end" in r for r in records) == 1
    assert sum("resumed" in r for r in records) == 1


@pytest.mark.slow
def test_resume_after_a_cut_line_starts_a_line_of_its_own(work: Path, database: str) -> None:
    command = _command(work, database, work, 4)
    with _three_ticks_in(command, work) as first:
        first.send_signal(signal.SIGKILL)
        first.wait()
    path = _snapshot_file(work)
    assert path is not None
    whole = path.read_bytes()
    path.write_bytes(whole[: len(whole) - 25])  # the last record cut in the middle
    kept = _ticks(work)
    resumed = subprocess.run(
        [*command, "--audit-resume"], cwd=work, capture_output=True, text=True, timeout=120
    )
    assert "botaudit: resuming run " in resumed.stdout, resumed.stdout
    lines = path.read_text().splitlines()
    torn = [line for line in lines if not _is_json(line)]
    assert len(torn) == 1  # the cut record alone, on its own line
    records = [json.loads(line) for line in lines if _is_json(line)]
    assert sum("resumed" in r for r in records) == 1
    assert records[-1]["audit_end"]["stop_reason"] == "completed"
    ticks = sorted(r["tick"] for r in records if "tick" in r)
    assert ticks == list(range(1, 21))
    assert kept < 20


def _is_json(line: str) -> bool:
    try:
        json.loads(line)
    except json.JSONDecodeError:
        return False
    return True
