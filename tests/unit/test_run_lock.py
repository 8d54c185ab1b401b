"""A run folder's lock: one writer at a time, named by pid and host; a dead writer's lock taken
over; one from another machine refused with what to do. Real locks, real processes."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from pytest_botaudit.record.lock import LOCK_NAME, RunLock, RunLocked, held_by, stale_holder

from ..helpers import wait_for

HOLD = """
import sys, time
from pathlib import Path
from pytest_botaudit.record.lock import RunLock
with RunLock(Path(sys.argv[1])):
    print("held", flush=True)
    time.sleep(60)
"""


def test_a_second_writer_is_refused_naming_the_first(tmp_path: Path) -> None:
    with subprocess.Popen(
        [sys.executable, "-c", HOLD, str(tmp_path)], stdout=subprocess.PIPE, text=True
    ) as holder:
        try:
            assert holder.stdout is not None
            assert holder.stdout.readline() == "held\n"
            found = held_by(tmp_path)
            assert found is not None
            assert found.pid == holder.pid
            with pytest.raises(RunLocked, match=f"being written by pid {holder.pid} on host"):
                RunLock(tmp_path).acquire()
        finally:
            holder.kill()
    # the kernel dropped the dead writer's lock: its name is left, and is taken over
    wait_for(lambda: held_by(tmp_path) is None, 10, "the lock to be free")
    stale = stale_holder(tmp_path)
    assert stale is not None
    assert stale.pid == holder.pid
    with RunLock(tmp_path) as lock:
        assert lock.taken_over == stale
        assert held_by(tmp_path) is not None
    assert held_by(tmp_path) is None
    assert stale_holder(tmp_path) is None  # released at the end, not abandoned
    with RunLock(tmp_path) as again:
        assert again.taken_over is None


def test_a_lock_of_another_machine_is_refused_with_what_to_do(tmp_path: Path) -> None:
    other = {"pid": 4242, "host": "elsewhere\x1b]0;title\x07", "since": "2026-01-01T00:00:00"}
    assert other["host"] != socket.gethostname()
    (tmp_path / LOCK_NAME).write_text(json.dumps(other))
    with pytest.raises(RunLocked) as refused:
        RunLock(tmp_path).acquire()
    message = str(refused.value)
    assert "pid 4242 on host elsewhere\\x1b]0;title\\x07 (another machine)" in message
    assert f"delete {tmp_path / LOCK_NAME}" in message
    assert "\x1b" not in message
