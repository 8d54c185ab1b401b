"""Signals during an audit: Ctrl+C and SIGTERM stop collecting gracefully, and a Ctrl+C while
the stopped audit is judged cancels that work at a safe point."""

from __future__ import annotations

import asyncio
import logging
import signal
import threading
from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

from ..record.model import StopReason

log = logging.getLogger(__name__)


def install_stop_signals(stop: Callable[[StopReason], None]) -> Callable[[], None]:
    """Ctrl+C or SIGTERM ends collection gracefully (checks still run); a second one while the
    artifacts are written is noted and changes nothing. Returns the function that removes the
    handlers (afterwards Ctrl+C interrupts pytest as usual)."""
    if threading.current_thread() is not threading.main_thread():
        return lambda: None
    loop = asyncio.get_running_loop()
    installed: list[int] = []

    stopping = False

    def on_signal(signum: int) -> None:
        nonlocal stopping
        if stopping:  # a second Ctrl+C must not tear the files being written
            log.warning("signal %s: already stopping; writing what was collected", signum)
            return
        stopping = True
        log.warning("signal %s: stopping the collection, keeping what was collected", signum)
        stop(StopReason.INTERRUPTED)

    for signum in (signal.SIGINT, signal.SIGTERM):
        try:
            loop.add_signal_handler(signum, on_signal, signum)
            installed.append(signum)
        except (NotImplementedError, RuntimeError, ValueError):
            pass

    def restore() -> None:
        for signum in installed:
            loop.remove_signal_handler(signum)

    return restore


T = TypeVar("T")


def run_interruptible(work: Coroutine[Any, Any, T]) -> T:
    """``asyncio.run(work)`` where Ctrl+C cancels the work at a safe point and raises
    KeyboardInterrupt afterwards, instead of landing anywhere (in the middle of building an
    event loop, say). Call from the main thread only."""
    interrupted = threading.Event()
    running: dict[str, Any] = {}

    def on_sigint(signum: int, frame: object) -> None:
        interrupted.set()
        loop, task = running.get("loop"), running.get("task")
        if loop is not None and task is not None:
            loop.call_soon_threadsafe(task.cancel)

    async def guarded() -> T:
        running["loop"], running["task"] = asyncio.get_running_loop(), asyncio.current_task()
        if interrupted.is_set():
            work.close()
            raise asyncio.CancelledError
        return await work

    if threading.current_thread() is not threading.main_thread():
        return asyncio.run(work)
    previous = signal.signal(signal.SIGINT, on_sigint)
    try:
        return asyncio.run(guarded())
    except asyncio.CancelledError:
        raise KeyboardInterrupt from None
    finally:
        signal.signal(signal.SIGINT, previous)
