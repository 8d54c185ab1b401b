"""The embedded PostgreSQL: private socket, no TCP, dies with its parent, says what is missing."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from pathlib import Path

import asyncpg
import pytest

from pytest_botaudit.demo.pgserver import find_bindir
from pytest_botaudit.errors import PostgresNotFound

from ..conftest import Server
from ..helpers import wait_for


def test_server_listens_on_its_own_socket_only(pg_server: Server) -> None:
    if pg_server.embedded is None:
        pytest.skip("BOTAUDIT_TEST_DSN points at an external server")

    async def settings() -> tuple[str, str]:
        connection = await asyncpg.connect(pg_server.admin_dsn)
        try:
            return (
                await connection.fetchval("SHOW listen_addresses"),
                await connection.fetchval("SHOW unix_socket_directories"),
            )
        finally:
            await connection.close()

    listen, sockets = asyncio.run(settings())
    assert listen == ""
    assert sockets == str(pg_server.embedded.socket_dir)
    assert str(pg_server.embedded.socket_dir).startswith("/tmp/ba-")
    assert pg_server.embedded.port != 5432


def test_missing_binaries_say_what_to_install(tmp_path: Path) -> None:
    with pytest.raises(PostgresNotFound, match=r"apt-get install postgresql"):
        find_bindir([str(tmp_path)])


SCRIPT = """
import sys, time
from pytest_botaudit.demo.pgserver import EmbeddedPostgres
server = EmbeddedPostgres()
server.start()
print(server.process.pid, server.socket_dir, flush=True)
time.sleep(120)
"""


def test_server_dies_with_a_killed_parent() -> None:
    parent = subprocess.Popen([sys.executable, "-c", SCRIPT], stdout=subprocess.PIPE, text=True)
    assert parent.stdout is not None
    pid_text, socket_dir = parent.stdout.readline().split()
    server_pid = int(pid_text)
    os.kill(server_pid, 0)  # alive while the parent lives
    parent.send_signal(signal.SIGKILL)
    parent.wait()
    parent.stdout.close()

    def gone() -> bool:
        try:
            os.kill(server_pid, 0)
        except ProcessLookupError:
            return True
        # a zombie is gone too: it only waits for init to reap it
        status = Path(f"/proc/{server_pid}/stat")
        return status.exists() and status.read_text().split()[2] == "Z"

    wait_for(gone, 15, "the orphaned postgres to exit")
    subprocess.run(["rm", "-rf", socket_dir], check=True)
