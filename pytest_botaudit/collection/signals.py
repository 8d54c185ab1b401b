"""Signals during an audit: Ctrl+C, SIGTERM and SIGHUP (a closed terminal, a service manager)
are one request to stop. While collecting, they stop it gracefully; while the stopped audit is
judged, they cancel that work at a safe point; at any other moment of an audit session they
end pytest as Ctrl+C does, so its JUnit XML and HTML are still written."""

from __future__ import annotations

import asyncio
import logging
import signal
import threading
from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

from ..record.model import StopReason

log = logging.getLogger(__name__)
# what asks an audit to stop: Ctrl+C, kill's default, the terminal hanging up
STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)


def install_session_signals() -> Callable[[], None]:
    """For the rest of an audit session, SIGTERM and SIGHUP do what Ctrl+C does (their default
    would kill pytest before it writes the JUnit XML and the HTML). Returns the function that
    puts the previous handlers back. Main thread only (a no-op elsewhere)."""
    if threading.current_thread() is not threading.main_thread():
        return lambda: None

    def as_interrupt(signum: int, frame: object) -> None:
        log.warning("signal %s: ending the session as Ctrl+C would", signum)
        raise KeyboardInterrupt

    previous = {signum: signal.signal(signum, as_interrupt) for signum in STOP_SIGNALS[1:]}

    def restore() -> None:
        for signum, handler in previous.items():
            signal.signal(signum, handler)

    return restore


def install_stop_signals(stop: Callable[[StopReason], None]) -> Callable[[], None]:
    """Ctrl+C, SIGTERM or SIGHUP ends collection gracefully (checks still run); a second one
    while the artifacts are written is noted and changes nothing. Returns the function that
    removes the handlers (afterwards the session's handlers are back)."""
    if threading.current_thread() is not threading.main_thread():
        return lambda: None
    loop = asyncio.get_running_loop()
    installed: list[signal.Signals] = []

    stopping = False

    def on_signal(signum: signal.Signals) -> None:
        nonlocal stopping
        if stopping:  # a second Ctrl+C must not tear the files being written
            log.warning("signal %s: already stopping; writing what was collected", signum)
            return
        stopping = True
        log.warning("signal %s: stopping the collection, keeping what was collected", signum)
        stop(StopReason.INTERRUPTED)

    # asyncio puts the default action back when its handler goes (SIGINT's is Ctrl+C's), not
    # the handler that was there: remember them, so the session's stay in place afterwards
    previous = {signum: signal.getsignal(signum) for signum in STOP_SIGNALS}
    for signum in STOP_SIGNALS:
        try:
            loop.add_signal_handler(signum, on_signal, signum)
            installed.append(signum)
        except (NotImplementedError, RuntimeError, ValueError):
            pass

    def restore() -> None:
        for signum in installed:
            loop.remove_signal_handler(signum)
            if previous[signum] is not None:
                signal.signal(signum, previous[signum])

    return restore


T = TypeVar("T")


def run_interruptible(work: Coroutine[Any, Any, T]) -> T:
    """``asyncio.run(work)`` where Ctrl+C (or SIGTERM, SIGHUP) cancels the work at a safe point
    and raises KeyboardInterrupt afterwards, instead of landing anywhere (in the middle of
    building an event loop, say). Call from the main thread only."""
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
    previous = {signum: signal.signal(signum, on_sigint) for signum in STOP_SIGNALS}
    try:
        return asyncio.run(guarded())
    except asyncio.CancelledError:
        raise KeyboardInterrupt from None
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
