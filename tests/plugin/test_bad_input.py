"""Every bad input is one line naming the value and its source, before any waiting: a
`pytest.UsageError` in a pytest run, exit code 2 from `botaudit`."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from ..conftest import REPO


def _nothing(path: Path) -> list[str]:
    return []


def _binary_snapshots(path: Path) -> list[str]:
    (path / "snap.jsonl").write_bytes(bytes(range(256)) * 8)
    return [f"--audit-snapshots={path / 'snap.jsonl'}"]


def _wrong_shape_snapshots(path: Path) -> list[str]:
    (path / "snap.jsonl").write_text('{"audit": {"started_at": 5}}\n{"gauges": 3, "tick": "x"}\n')
    return [f"--audit-snapshots={path / 'snap.jsonl'}"]


def _latin1_profile(path: Path) -> list[str]:
    (path / "profile.toml").write_bytes('name = "bot über"\n'.encode("latin-1"))
    return [f"--audit-profile={path / 'profile.toml'}"]


def _nan_threshold(path: Path) -> list[str]:
    (path / "pyproject.toml").write_text("[tool.botaudit.thresholds.api_errors]\ngood = nan\n")
    return []


def _out_is_a_file(path: Path) -> list[str]:
    (path / "out.txt").write_text("")
    return [f"--audit-out={path / 'out.txt'}"]


def _log_is_a_directory(path: Path) -> list[str]:
    (path / "logs").mkdir()
    return [f"--audit-log={path / 'logs'}"]


def _log_is_a_fifo(path: Path) -> list[str]:
    os.mkfifo(path / "bot.fifo")
    return [f"--audit-log={path / 'bot.fifo'}"]


ATTACKS: list[tuple[str, Callable[[Path], list[str]], list[str], str]] = [
    ("since far in the past", _nothing, ["--audit-since=-99999999d"], "--audit-since (command"),
    ("non-UTF-8 profile", _latin1_profile, [], "not UTF-8 text"),
    ("broken IPv6 DSN", _nothing, ["--audit-dsn=postgresql://[::1"], "invalid connection URI"),
    ("binary snapshot file", _binary_snapshots, [], "not a snapshot file"),
    ("snapshot records of the wrong shape", _wrong_shape_snapshots, [], "of the wrong shape"),
    ("nan threshold", _nan_threshold, [], "expected a number, got nan"),
    ("interval below 0.1 s", _nothing, ["--audit-interval=0.001s"], "shorter than 0.1s"),
    ("out is a file", _out_is_a_file, [], "is a file, not a folder"),
    ("resume with nothing to resume", _nothing, ["--audit-resume"], "no unfinished audit"),
    ("log is a directory", _log_is_a_directory, [], "is not a regular file"),
    ("log is a FIFO", _log_is_a_fifo, [], "is not a regular file"),
    ("xdist", _nothing, ["-n", "2", "--audit-duration=1m"], "pytest-xdist (-n)"),
    ("malformed run id", _nothing, ["--audit-run=yesterday"], "expected a run id"),
    ("replay of a run not there", _nothing, ["--audit-run=20200101T000000Z"], "no run '2020"),
    ("baseline missing", _nothing, ["--audit-baseline=nope.xml"], "does not exist"),
    ("gate without baseline", _nothing, ["--audit-fail-on-regression"], "needs --audit-baseline"),
]


@pytest.mark.parametrize(
    ("setup", "args", "message"),
    [pytest.param(setup, args, message, id=name) for name, setup, args, message in ATTACKS],
)
def test_bad_input_is_one_line_before_any_waiting(
    pytester: pytest.Pytester,
    setup: Callable[[Path], list[str]],
    args: list[str],
    message: str,
) -> None:
    shutil.copytree(REPO / "audit_checks", pytester.path / "audit_checks")
    extra = setup(pytester.path)
    result = pytester.runpytest_subprocess(
        "audit_checks",
        "-p",
        "no:cacheprovider",
        "--audit-dsn=postgresql://x@/db?host=/none",
        *args,
        *extra,
        timeout=60,
    )
    assert result.ret == pytest.ExitCode.USAGE_ERROR, result.stdout.str()
    errors = [line for line in result.stderr.lines if line.startswith("ERROR:")]
    assert len(errors) == 1, result.stderr.str()
    assert message in errors[0]
    assert "Traceback" not in result.stderr.str() + result.stdout.str()


def _botaudit(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "pytest_botaudit.cli", *args],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["simulate", "--log", "x.log", "--speed", "nan"], "must be a finite number"),
        (["simulate", "--log", "x.log", "--speed", "inf"], "must be a finite number"),
        (
            ["simulate", "--log", "x.log", "--dsn", "postgresql://u:S3cret@127.0.0.1:9/db"],
            "cannot connect to postgresql://u:***@127.0.0.1:9/db",
        ),
        (
            ["demo", "--dsn", "postgresql://u:S3cret@127.0.0.1:9/db", "--duration", "2s"],
            "cannot connect to postgresql://u:***@127.0.0.1:9/db",
        ),
    ],
)
def test_botaudit_bad_input_is_one_line(tmp_path: Path, args: list[str], message: str) -> None:
    done = _botaudit(*args, *(["--out", str(tmp_path)] if args[0] == "demo" else []))
    assert done.returncode == 2, done.stdout + done.stderr
    lines = [line for line in done.stderr.splitlines() if line.strip()]
    # one error line, the last (argparse prints its usage before it)
    assert [line for line in lines if "error:" in line] == lines[-1:]
    assert message in lines[-1]
    assert "S3cret" not in done.stdout + done.stderr
    assert "Traceback" not in done.stderr
