"""Nothing hangs on a file that is not one: every input the audit and its commands read (the
profile, pyproject.toml, a snapshot file, a JUnit XML or a run folder's summary and shapes,
the ``latest`` marker, a baseline, a log at pre-flight) replaced by a FIFO without a writer or
a link to /dev/zero is a one-line problem of that file. Each call runs under a deadline (a
thread or a subprocess with a timeout), so a regression fails instead of hanging the suite."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from pytest_botaudit.config.profile import load_profile
from pytest_botaudit.errors import ProfileError, RecordError
from pytest_botaudit.judging.preflight import log_files
from pytest_botaudit.judging.verdicts import Verdict
from pytest_botaudit.record.folder import AuditDir, RunFolder
from pytest_botaudit.record.jsonl import read_runs
from pytest_botaudit.record.shapes import read_shapes
from pytest_botaudit.reruns.records import CompareError, load_record

from ..conftest import REPO
from ..helpers import finishes, wait_for
from .test_data_loss import LOG_LINE, _command, _records, _suite_properties, _ticks

DEADLINE = 20.0


def _fifo(path: Path) -> Path:
    os.mkfifo(path)
    return path


def _zero(path: Path) -> Path:
    path.symlink_to("/dev/zero")
    return path


Make = Callable[[Path], Path]
NOT_FILES: dict[str, tuple[Make, str]] = {
    "fifo": (_fifo, "is a FIFO"),
    "dev-zero": (_zero, "is a device"),
}


@pytest.fixture(params=sorted(NOT_FILES))
def not_a_file(request: pytest.FixtureRequest) -> tuple[str, Make]:
    """The problem that names it, and how to put a FIFO or a link to /dev/zero at a path."""
    make, problem = NOT_FILES[request.param]
    return problem, make


def test_a_profile_that_is_not_a_file(tmp_path: Path, not_a_file: tuple[str, Make]) -> None:
    problem, make = not_a_file
    path = make(tmp_path / "profile.toml")
    with pytest.raises(ProfileError, match=f"profile {path}: {problem}, not a regular file"):
        finishes(lambda: load_profile(path), DEADLINE, "loading the profile")


def test_a_snapshot_file_that_is_not_a_file(tmp_path: Path, not_a_file: tuple[str, Make]) -> None:
    problem, make = not_a_file
    path = make(tmp_path / "monitoring_snapshots_20251018.jsonl")
    with pytest.raises(RecordError, match=f"{problem}, not a regular file"):
        finishes(lambda: read_runs(path), DEADLINE, "reading the snapshot file")


def test_files_compare_reads_that_are_not_files(
    tmp_path: Path, not_a_file: tuple[str, Make]
) -> None:
    problem, make = not_a_file
    xml = make(tmp_path / "audit.xml")
    with pytest.raises(CompareError, match=f"{problem}, not a regular file"):
        finishes(lambda: load_record(xml), DEADLINE, "reading a JUnit XML file")
    run = tmp_path / "20251018T070000Z"
    run.mkdir()
    make(run / "monitoring_report_20251018_080000.json")
    with pytest.raises(CompareError, match=f"{problem}, not a regular file"):
        finishes(lambda: load_record(run), DEADLINE, "reading a run folder's summary")
    make(run / "shapes.json")
    with pytest.raises(ValueError, match=f"{problem}, not a regular file"):
        finishes(lambda: read_shapes(RunFolder(run)), DEADLINE, "reading shapes.json")


def test_a_latest_marker_that_is_not_a_file(tmp_path: Path, not_a_file: tuple[str, Make]) -> None:
    _, make = not_a_file
    (tmp_path / "20251018T070000Z").mkdir()
    make(tmp_path / "latest")
    latest = finishes(lambda: AuditDir(tmp_path).latest(), DEADLINE, "reading latest")
    assert latest is not None
    assert latest.run_id == "20251018T070000Z"  # the newest run folder, as without a marker


def test_preflight_of_a_log_that_is_not_a_file(
    tmp_path: Path, not_a_file: tuple[str, Make]
) -> None:
    problem, make = not_a_file
    log = make(tmp_path / "bot.log")
    result = finishes(lambda: log_files([log]), DEADLINE, "pre-flight of the log")
    assert result.verdict is Verdict.FAIL
    assert f"{log}: {problem}, not a regular file" in result.message


def test_botaudit_compare_of_a_fifo_exits_2_at_once(tmp_path: Path) -> None:
    fifo = _fifo(tmp_path / "fifo.xml")
    zero = _zero(tmp_path / "zero.xml")
    good = tmp_path / "good.xml"
    good.write_text(
        '<testsuites><testsuite><testcase name="test_few_api_errors"><properties>'
        '<property name="verdict" value="PASS"/><property name="metric" value="api_errors"/>'
        '<property name="kind" value="good_indicator"/></properties></testcase>'
        "</testsuite></testsuites>"
    )
    for path, problem in ((fifo, "is a FIFO"), (zero, "is a device")):
        done = subprocess.run(
            [sys.executable, "-m", "pytest_botaudit.cli", "compare", str(good), str(path)],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert done.returncode == 2
        assert f"'{path}': {problem}, not a regular file" in done.stderr


def test_an_audit_refuses_inputs_that_are_not_files(pytester: pytest.Pytester) -> None:
    shutil.copytree(REPO / "audit_checks", pytester.path / "audit_checks")
    snapshots = _fifo(pytester.path / "snapshots.jsonl")
    refused = pytester.runpytest_subprocess(
        "audit_checks", f"--audit-snapshots={snapshots}", timeout=60
    )
    assert refused.ret == pytest.ExitCode.USAGE_ERROR
    assert f"snapshot file '{snapshots}' is a FIFO, not a regular file" in refused.stderr.str()
    _fifo(pytester.path / "pyproject.toml")
    refused = pytester.runpytest_subprocess(
        "audit_checks", "--audit-snapshots=none.jsonl", timeout=60
    )
    assert refused.ret == pytest.ExitCode.USAGE_ERROR
    assert "pyproject.toml: is a FIFO, not a regular file" in refused.stderr.str()


def _replace_by(path: Path, kind: str) -> str:
    """The followed log's path taken by a FIFO, a link to /dev/zero or a directory; the
    problem the audit names it with."""
    path.unlink()
    if kind == "fifo":
        os.mkfifo(path)
        return "is a FIFO, not a regular file"
    if kind == "dev-zero":
        path.symlink_to("/dev/zero")
        return "is a device, not a regular file"
    path.mkdir()
    return "is a directory"


@pytest.mark.slow
@pytest.mark.parametrize("kind", ["fifo", "dev-zero", "directory"])
def test_a_followed_log_replaced_mid_run_is_a_gap_of_the_log_and_sigterm_stops(
    pytester: pytest.Pytester, database: str, kind: str
) -> None:
    work = pytester.path
    shutil.copytree(REPO / "audit_checks", work / "audit_checks")
    log = work / "bot.log"
    log.write_text(LOG_LINE)
    (work / ".env").write_text("BINANCE_TESTNET=true\n")
    command = _command(work, database, work, 60)
    process = subprocess.Popen(
        command, cwd=work, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    try:
        wait_for(lambda: _ticks(work) >= 2 or process.poll() is not None, 60, "2 ticks")
        assert process.poll() is None, "the audit ended before the log was replaced"
        problem = _replace_by(log, kind)
        replaced_at = _ticks(work)

        def gap_recorded() -> bool:
            return any(problem in r.get("log_gap", "") for r in _records(work))

        wait_for(lambda: gap_recorded() or process.poll() is not None, 30, "a log gap")
        wait_for(lambda: _ticks(work) >= replaced_at + 5, 30, "5 more ticks")  # not blocked
        process.send_signal(signal.SIGTERM)
        stdout, _ = process.communicate(timeout=60)
    finally:
        if process.poll() is None:  # blocked (the regression): never hang the suite
            process.kill()
            process.communicate()
    assert f"the log cannot be read ({log}: {problem}" in stdout, stdout
    assert "the audit could not run" not in stdout
    assert "snapshots (interrupted)" in stdout
    records = _records(work)
    after = [r for r in records if "tick" in r and r["tick"] > replaced_at + 1]
    assert after, "no tick after the log was replaced"
    assert all("gauges" in r for r in after)  # the database was sampled all the same
    assert all(problem in r["log_gap"] for r in after)
    [summary] = work.glob("*/monitoring_report_*.json")
    log_gaps = json.loads(summary.read_text())["log_gaps"]
    assert len(log_gaps) == 1
    assert problem in log_gaps[0]["reason"]
    assert _suite_properties(work / "audit.xml")["audit_status"] == "interrupted"
