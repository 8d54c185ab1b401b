"""Analysing log files: one pass, a byte range, or byte ranges on several processes merged."""

from __future__ import annotations

import os
from collections.abc import Iterable
from datetime import datetime
from pathlib import Path

from ..config.profile import Profile
from ..fileio import NotARegularFile, open_regular
from .analyzer import LogAnalyzer
from .grammar import HEADER
from .model import LogAnalysis
from .reader import rotated_set, scan_file


def scan_into(
    analyzer: LogAnalyzer, path: Path, start: int = 0, end: int | None = None
) -> LogAnalyzer:
    """Read ``path`` (or its bytes [start, end), starting at a record) into ``analyzer``."""
    return analyzer.absorb(scan_file(path, analyzer.scanner(str(path)), analyzer.feed, start, end))


def analyze_part(
    profile: Profile,
    since: datetime | None,
    until: datetime | None,
    path: Path,
    start: int = 0,
    end: int | None = None,
) -> LogAnalyzer:
    return scan_into(LogAnalyzer(profile, since, until), path, start, end)


def analyze_files(
    paths: Iterable[Path],
    profile: Profile,
    since: datetime | None = None,
    until: datetime | None = None,
) -> LogAnalysis:
    """One pass over log files, each expanded to its rotated set, over ``[since, until)``."""
    analyzer = LogAnalyzer(profile, since, until)
    for path in paths:
        for file in rotated_set(path):
            scan_into(analyzer, file)
    return analyzer.result()


def record_offsets(path: Path, parts: int) -> list[int]:
    """Byte offsets that split a plain file into ``parts`` ranges, each starting at a record
    header (so no record, traceback included, is cut in two)."""
    offsets = [0]
    try:
        handle = open_regular(path)
    except NotARegularFile:
        return offsets  # one part, which the scan reports as not read
    with handle:
        size = os.fstat(handle.fileno()).st_size
        for k in range(1, parts):
            handle.seek(max(offsets[-1], size * k // parts))
            if handle.tell():
                handle.readline()  # finish the line we landed in
            while True:
                position = handle.tell()
                line = handle.readline()
                if not line:
                    break
                if HEADER.match(line.decode("utf-8", "replace")):
                    if position > offsets[-1]:
                        offsets.append(position)
                    break
    return offsets


def analyze_parallel(
    paths: Iterable[Path],
    profile: Profile,
    since: datetime | None = None,
    until: datetime | None = None,
    jobs: int | None = None,
) -> LogAnalysis:
    """The same analysis as ``analyze_files``, reading byte ranges on several processes."""
    jobs = jobs or os.cpu_count() or 1
    tasks: list[tuple[Path, int, int | None]] = []
    for path in paths:
        for file in rotated_set(path):
            if file.suffix == ".gz" or jobs == 1:
                tasks.append((file, 0, None))
                continue
            offsets = record_offsets(file, jobs)
            ends: list[int | None] = [*offsets[1:], None]
            tasks += [(file, start, end) for start, end in zip(offsets, ends, strict=True)]
    merged = LogAnalyzer(profile, since, until)
    if len(tasks) == 1 or jobs == 1:
        for file, start, end in tasks:
            merged.merge(analyze_part(profile, since, until, file, start, end))
        return merged.result()
    # imported here: multiprocessing costs a one-process analysis ~8 ms of start-up for nothing
    from concurrent.futures import ProcessPoolExecutor

    # with a part for each process, this one reads the last part itself instead of waiting
    own = tasks[-1] if len(tasks) <= jobs else None
    others = tasks[:-1] if own is not None else tasks
    with ProcessPoolExecutor(max_workers=len(others) if own is not None else jobs) as pool:
        futures = [
            pool.submit(analyze_part, profile, since, until, file, start, end)
            for file, start, end in others
        ]
        last = analyze_part(profile, since, until, *own) if own is not None else None
        for future in futures:
            merged.merge(future.result())
    if last is not None:
        merged.merge(last)
    return merged.result()
