"""A throw-away PostgreSQL server started from the locally installed binaries (tests and demo)."""

from __future__ import annotations

import ctypes
import glob
import logging
import os
import pwd
import shutil
import signal
import subprocess
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from types import TracebackType

from ..errors import EmbeddedPostgresError, PostgresNotFound

log = logging.getLogger(__name__)

INSTALL_HINT = (
    "no PostgreSQL server binaries (initdb, postgres) found: install them "
    "(Debian/Ubuntu: apt-get install postgresql), set BOTAUDIT_PG_BIN to their directory, "
    "or pass the DSN of a server you already run"
)
_PR_SET_PDEATHSIG = 1
_DEFAULT_PORT = 54329  # only names the socket file; the server listens on no TCP port


def find_bindir(candidates: Sequence[str] | None = None) -> Path:
    """The directory holding initdb and postgres: $BOTAUDIT_PG_BIN, PATH, or Debian's layout."""
    for directory in candidates if candidates is not None else _candidate_dirs():
        path = Path(directory)
        if (path / "initdb").is_file() and (path / "postgres").is_file():
            return path
    raise PostgresNotFound(INSTALL_HINT)


def _candidate_dirs() -> list[str]:
    candidates: list[str] = []
    if os.environ.get("BOTAUDIT_PG_BIN"):
        candidates.append(os.environ["BOTAUDIT_PG_BIN"])
    on_path = shutil.which("initdb")
    if on_path:
        candidates.append(str(Path(on_path).parent))
    pg_config = shutil.which("pg_config")
    if pg_config:
        try:
            out = subprocess.run(
                [pg_config, "--bindir"], capture_output=True, text=True, check=True
            )
            candidates.append(out.stdout.strip())
        except (OSError, subprocess.CalledProcessError):
            pass
    candidates += sorted(glob.glob("/usr/lib/postgresql/*/bin"), reverse=True)
    candidates += ["/usr/local/pgsql/bin", "/opt/homebrew/bin", "/usr/local/bin"]
    return candidates


def _die_with_parent() -> None:
    """Runs in the child before exec: the server gets SIGTERM when its parent dies."""
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0)


class EmbeddedPostgres:
    """A private PostgreSQL cluster under /tmp, reachable only through its own unix socket.

    initdb and postgres refuse to run as root, so as root the binaries (never Python) run as
    the unprivileged ``postgres`` user. The server is our direct child with PR_SET_PDEATHSIG,
    so it dies with the process that started it even on SIGKILL; start it from the main thread.
    """

    def __init__(self, bindir: Path | None = None, port: int = _DEFAULT_PORT) -> None:
        self.bindir = bindir or find_bindir()
        self.port = port
        self.base: Path | None = None
        self.process: subprocess.Popen[bytes] | None = None
        self._run_as: pwd.struct_passwd | None = None

    @property
    def socket_dir(self) -> Path:
        if self.base is None:
            raise EmbeddedPostgresError("server not initialised")
        return self.base

    @property
    def data_dir(self) -> Path:
        return self.socket_dir / "data"

    def dsn(self, database: str = "postgres", user: str = "postgres") -> str:
        return f"postgresql://{user}@/{database}?host={self.socket_dir}&port={self.port}"

    def initdb(self) -> None:
        # A short path: unix socket paths must stay under ~107 bytes.
        self.base = Path(tempfile.mkdtemp(prefix="ba-", dir="/tmp"))
        if os.geteuid() == 0:
            try:
                self._run_as = pwd.getpwnam("postgres")
            except KeyError:
                raise EmbeddedPostgresError(
                    "running as root, but there is no 'postgres' OS user to run the server as"
                ) from None
            os.chown(self.base, self._run_as.pw_uid, self._run_as.pw_gid)
        self.base.chmod(0o700)
        started = time.monotonic()
        self._run(
            [
                str(self.bindir / "initdb"),
                "-D",
                str(self.data_dir),
                "-U",
                "postgres",
                "--auth=trust",
                "--no-sync",
                "--no-locale",
                "-E",
                "UTF8",
            ],
        )
        log.debug("initdb took %.2fs", time.monotonic() - started)

    def start(self, timeout: float = 30.0) -> None:
        if self.base is None:
            self.initdb()
        if self.process is not None and self.process.poll() is None:
            return
        command = [
            str(self.bindir / "postgres"),
            "-D",
            str(self.data_dir),
            "-k",
            str(self.socket_dir),
            "-p",
            str(self.port),
            "-c",
            "listen_addresses=",
            "-c",
            "fsync=off",
            "-c",
            "synchronous_commit=off",
            "-c",
            "full_page_writes=off",
            "-c",
            "max_connections=100",
            "-c",
            "log_min_messages=warning",
        ]
        logfile = (self.socket_dir / "server.log").open("ab")
        try:
            self.process = subprocess.Popen(
                command,
                stdout=logfile,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                preexec_fn=_die_with_parent,
                user=self._uid,
                group=self._gid,
                extra_groups=self._extra_groups,
            )
        finally:
            logfile.close()
        self._wait_ready(timeout)

    def stop(self, timeout: float = 15.0) -> None:
        """Fast shutdown (SIGINT), then SIGKILL if it lingers. The data directory stays."""
        process, self.process = self.process, None
        if process is None or process.poll() is not None:
            return
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()

    def cleanup(self) -> None:
        self.stop()
        if self.base is not None:
            shutil.rmtree(self.base, ignore_errors=True)
            self.base = None

    def __enter__(self) -> EmbeddedPostgres:
        try:
            self.start()
        except BaseException:
            self.cleanup()
            raise
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.cleanup()

    def server_log(self) -> str:
        try:
            return (self.socket_dir / "server.log").read_text("utf-8", "replace")
        except (OSError, EmbeddedPostgresError):
            return ""

    def _wait_ready(self, timeout: float) -> None:
        # postmaster.pid's 8th line reads "ready" once connections are accepted.
        pidfile = self.data_dir / "postmaster.pid"
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process is None or self.process.poll() is not None:
                raise EmbeddedPostgresError(
                    f"postgres exited during start-up:\n{self.server_log()[-2000:]}"
                )
            try:
                lines = pidfile.read_text().splitlines()
            except OSError:
                lines = []
            if len(lines) >= 8 and lines[7].strip() == "ready":
                return
            time.sleep(0.02)
        raise EmbeddedPostgresError(f"postgres not ready after {timeout:.0f}s")

    # as root the binaries run as `postgres`; None leaves the user as it is
    @property
    def _uid(self) -> int | None:
        return self._run_as.pw_uid if self._run_as else None

    @property
    def _gid(self) -> int | None:
        return self._run_as.pw_gid if self._run_as else None

    @property
    def _extra_groups(self) -> list[int] | None:
        return [] if self._run_as else None

    def _run(self, command: list[str]) -> None:
        env = {**os.environ, "LC_ALL": "C", "LANG": "C"}
        result = subprocess.run(
            command,
            capture_output=True,
            text=True,
            env=env,
            check=False,
            stdin=subprocess.DEVNULL,
            user=self._uid,
            group=self._gid,
            extra_groups=self._extra_groups,
        )
        if result.returncode != 0:
            raise EmbeddedPostgresError(
                f"{Path(command[0]).name} failed ({result.returncode}): {result.stderr.strip()}"
            )
