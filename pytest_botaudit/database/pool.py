"""Independent read-only statements spread over a few sessions, each session running one at a
time: the end of an audit reads a dozen figures of the window, each its own scan, and a second
session keeps the server working while the first one's rows travel and are read."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from typing import TypeVar

from ..errors import DatabaseUnavailable
from .connection import ReadOnlySession, Reconnect, Target, connect

T = TypeVar("T")
# the statements of an audit's end are scans the server already runs on parallel workers; two
# sessions keep two cores busy without taking more than one more of the bot's connections
SESSIONS = 2


async def run_spread(
    sessions: Sequence[ReadOnlySession],
    jobs: Sequence[Callable[[ReadOnlySession], Awaitable[T]]],
) -> list[T]:
    """Each job run once, on whichever session is free, in the order given; the results in the
    jobs' order. The first error cancels the rest and is raised."""
    results: dict[int, T] = {}
    pending = iter(enumerate(jobs))  # shared: each job is taken by one session

    async def work(session: ReadOnlySession) -> None:
        for index, job in pending:
            results[index] = await job(session)

    try:
        async with asyncio.TaskGroup() as group:
            for session in sessions:
                group.create_task(work(session))
    except BaseExceptionGroup as failed:  # the error itself, as one session would raise it
        raise failed.exceptions[0] from None
    return [results[i] for i in range(len(jobs))]


async def more_sessions(
    target: Target | str | None, count: int, reconnect: Reconnect | None = None
) -> list[ReadOnlySession]:
    """Up to ``count`` more sessions on ``target`` (each with ``reconnect``, as connect() has
    it); fewer (none) when the server refuses them (its connection limit, say): the work then
    runs on the sessions there are."""
    sessions: list[ReadOnlySession] = []
    for _ in range(count):
        try:
            sessions.append(await connect(target, reconnect=reconnect))
        except DatabaseUnavailable:  # one session less: the audit goes on with the others
            break
    return sessions
