"""Log analysis speed and memory: this analyzer vs the bare Python per-line floor vs grep -c.

Generates realistic bot logs (~90 % price-tick lines, event echoes, tracebacks, reconnects) once
per size, then measures each reader in its own process, side by side, several runs a size, and
prints every run and the medians (MiB/s, the ratio to the floor of the same run, peak RSS).

    python bench/log_bench.py [--sizes-mb 100,1024] [--runs 3] [--jobs 2] [--dir /tmp]
                              [--baseline /path/to/an/older/checkout]

``--baseline`` also measures the analyzer of another checkout of this project (its one pass), in
the same runs: the figure to compare a change with.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

SYMBOLS = ["BTC", "ETH", "SOL", "XRP", "DOGE", "HNT", "NEAR", "ATOM", "APT", "ARB"]


def generate(path: Path, size_mb: int, seed: int = 1) -> None:
    rng = random.Random(seed)
    stamp = datetime(2025, 10, 15, 0, 0, 0)
    target = size_mb * 2**20
    written = 0
    with path.open("w", encoding="utf-8") as out:
        while written < target:
            chunk = []
            for _ in range(10_000):
                stamp += timedelta(milliseconds=rng.randint(1, 20))
                ts = stamp.strftime("%Y-%m-%d %H:%M:%S") + f",{stamp.microsecond // 1000:03d}"
                sym = rng.choice(SYMBOLS)
                roll = rng.random()
                if roll < 0.90:
                    chunk.append(
                        f"{ts} - core.position_manager - INFO - 📊 Position update: "
                        f"{sym}/USDT:USDT → {sym}USDT, mark_price={rng.uniform(1, 500):.4f}"
                    )
                elif roll < 0.96:
                    chunk.append(
                        f"{ts} - core.event_logger - INFO - position_updated: "
                        f"{{'symbol': '{sym}USDT', 'mark_price': 1.5, 'source': 'websocket'}}"
                    )
                elif roll < 0.97:
                    chunk.append(
                        f"{ts} - protection.trailing_stop - INFO - ✅ {sym}USDT: SL updated "
                        f"via edit_order in {rng.randint(20, 1500)}ms"
                    )
                elif roll < 0.975:
                    chunk.append(
                        f"{ts} - core.stop_loss_manager - ERROR - Failed to set Bybit Stop "
                        'Loss: bybit {"retCode":10001,"retMsg":"params error"}\n'
                        "Traceback (most recent call last):\n"
                        '  File "/app/core/stop_loss_manager.py", line 212, in set_sl\n'
                        "    raise ExchangeError(body)\n"
                        'ccxt.base.errors.ExchangeError: bybit {"retCode":10001}'
                    )
                elif roll < 0.98:
                    chunk.append(
                        f"{ts} - websocket.improved_stream - WARNING - binance connection "
                        "unhealthy, reconnecting..."
                    )
                    chunk.append(
                        f"{ts} - websocket.improved_stream - INFO - binance WebSocket connected"
                    )
                elif roll < 0.99:
                    chunk.append(
                        f"{ts} - core.atomic_position_manager - INFO - ✅ Position "
                        f"#{rng.randint(1, 99999)} for {sym}USDT opened ATOMICALLY at $1.5"
                    )
                else:
                    chunk.append(
                        f"{ts} [INFO] utils.rate_limiter: Rate limited, waiting 0.5s (attempt 1)"
                    )
            text = "\n".join(chunk) + "\n"
            out.write(text)
            written += len(text.encode())


FLOOR = """
import re, sys
header = re.compile(r"\\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d,\\d{3} - ")
n = 0
with open(sys.argv[1], encoding="utf-8", errors="replace") as handle:
    for line in handle:
        if header.match(line):
            n += 1
print(n)
"""
ANALYZER = """
import sys
from pathlib import Path
from pytest_botaudit.config.profile import load_profile
from pytest_botaudit.logs.files import analyze_files, analyze_parallel
jobs = int(sys.argv[2])
profile = load_profile()
if jobs > 1:
    result = analyze_parallel([Path(sys.argv[1])], profile, jobs=jobs)
else:
    result = analyze_files([Path(sys.argv[1])], profile)
print(result.records)
"""


# Runs one command and prints its children's peak RSS and CPU time: a fresh wrapper per
# measurement, so each figure is that reader's own (RUSAGE_CHILDREN keeps the largest child of
# a process and adds up their CPU).
WRAP = """
import resource, subprocess, sys
out = subprocess.run(sys.argv[1:], capture_output=True, text=True, check=True).stdout.strip()
print(out.splitlines()[-1] if out else "")
usage = resource.getrusage(resource.RUSAGE_CHILDREN)
print(usage.ru_maxrss, usage.ru_utime + usage.ru_stime)
"""


@dataclass(frozen=True)
class Run:
    wall: float  # MiB/s of the whole process (start-up included)
    cpu: float  # MiB/s of its CPU time: what another process on a shared machine disturbs least
    peak: float  # MB of peak RSS
    result: str


def measure(command: list[str], size: int, checkout: Path | None = None) -> Run:
    """One reader in its own process. ``checkout``: run that checkout's package (from its
    folder, which comes first on the path)."""
    env = {**os.environ, "PYTHONPATH": str(checkout)} if checkout else None
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-c", WRAP, *command],
        capture_output=True,
        text=True,
        check=True,
        env=env,
        cwd=checkout,
    )
    elapsed = time.perf_counter() - started
    result, usage = done.stdout.strip().splitlines()[-2:]
    peak_kb, cpu = usage.split()
    mib = size / 2**20
    return Run(mib / elapsed, mib / max(float(cpu), 1e-6), int(peak_kb) / 1024, result)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes-mb", default="100,1024")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--dir", type=Path, default=Path("/tmp"))
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--baseline", type=Path, help="another checkout of this project")
    args = parser.parse_args()
    medians = []
    for size_mb in (int(part) for part in args.sizes_mb.split(",")):
        path = args.dir / f"botaudit-bench-{size_mb}m.log"
        if not path.exists() or path.stat().st_size < size_mb * 2**20 * 0.99:
            print(f"generating {size_mb} MiB at {path} ...")
            generate(path, size_mb)
        size = path.stat().st_size
        print(f"log: {path} ({size / 2**20:.0f} MiB)")
        readers = {
            "grep -c": ["grep", "-c", "", str(path)],
            "floor": [sys.executable, "-c", FLOOR, str(path)],
            "ours": [sys.executable, "-c", ANALYZER, str(path), "1"],
            f"ours --jobs {args.jobs}": [sys.executable, "-c", ANALYZER, str(path), str(args.jobs)],
        }
        checkouts: dict[str, Path] = {}
        if args.baseline:
            readers["baseline"] = readers["ours"]
            checkouts["baseline"] = args.baseline.resolve()
        runs: dict[str, list[Run]] = {name: [] for name in readers}
        for run in range(1, args.runs + 1):
            for name, command in readers.items():
                done = measure(command, size, checkouts.get(name))
                runs[name].append(done)
                print(
                    f"  run {run}  {name:16} {done.wall:7.1f} MiB/s wall {done.cpu:7.1f} MiB/s cpu"
                    f" {done.peak:6.1f} MB peak RSS -> {done.result}"
                )
            for name in ("ours", "baseline"):
                if name in runs:
                    mine, floor = runs[name][-1], runs["floor"][-1]
                    print(
                        f"  run {run}  {name} / floor: {mine.wall / floor.wall:.2f}x wall, "
                        f"{mine.cpu / floor.cpu:.2f}x cpu"
                    )
        medians.append(_medians(size, runs, args.jobs))
    print(f"\nmedians of {args.runs} runs (MiB/s of wall time, and of CPU time; a ratio is")
    print("taken in each run, to that run's floor, then its median)")
    extra = (" baseline |", " --- |") if args.baseline else ("", "")
    print(
        f"| log | floor | ours | ours / floor | peak RSS | --jobs {args.jobs} | grep -c |{extra[0]}"
    )
    print(f"| --- | --- | --- | --- | --- | --- | --- |{extra[1]}")
    for row in medians:
        print(row)


def _medians(size: int, runs: dict[str, list[Run]], jobs: int) -> str:
    def median(name: str, field: str) -> float:
        return statistics.median(getattr(run, field) for run in runs[name])

    def ratio(name: str, field: str) -> float:
        pairs = zip(runs[name], runs["floor"], strict=True)
        return statistics.median(getattr(a, field) / getattr(b, field) for a, b in pairs)

    parallel = median(f"ours --jobs {jobs}", "wall")
    floor, ours = median("floor", "wall"), median("ours", "wall")
    row = (
        f"| {size / 2**20:.0f} MiB | {floor:.0f} (cpu {median('floor', 'cpu'):.0f})"
        f" | {ours:.0f} (cpu {median('ours', 'cpu'):.0f})"
        f" | {ratio('ours', 'wall'):.2f}x (cpu {ratio('ours', 'cpu'):.2f}x)"
        f" | {median('ours', 'peak'):.0f} MB | {parallel:.0f} ({parallel / ours:.2f}x)"
        f" | {median('grep -c', 'wall'):.0f} |"
    )
    if "baseline" in runs:
        row += (
            f" {median('baseline', 'wall'):.0f}, {ratio('baseline', 'wall'):.2f}x"
            f" (cpu {ratio('baseline', 'cpu'):.2f}x) |"
        )
    return row


if __name__ == "__main__":
    main()
