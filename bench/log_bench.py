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


# Runs one command and prints its children's peak RSS: a fresh wrapper per measurement, so
# each figure is that reader's own (RUSAGE_CHILDREN keeps the largest child of a process).
WRAP = """
import resource, subprocess, sys
out = subprocess.run(sys.argv[1:], capture_output=True, text=True, check=True).stdout.strip()
print(out.splitlines()[-1] if out else "")
print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
"""


def measure(
    command: list[str], size: int, checkout: Path | None = None
) -> tuple[float, float, str]:
    """MiB/s (wall time of the whole process, start-up included), peak RSS in MB, output.
    ``checkout``: run that checkout's package (from its folder, which comes first on the path)."""
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
    result, peak_kb = done.stdout.strip().splitlines()[-2:]
    return size / 2**20 / elapsed, int(peak_kb) / 1024, result


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
        runs: dict[str, list[tuple[float, float]]] = {name: [] for name in readers}
        ratios = []
        for run in range(1, args.runs + 1):
            for name, command in readers.items():
                speed, peak, result = measure(command, size, checkouts.get(name))
                runs[name].append((speed, peak))
                print(
                    f"  run {run}  {name:16} {speed:8.1f} MiB/s {peak:7.1f} MB peak RSS -> {result}"
                )
            ratios.append(runs["ours"][-1][0] / runs["floor"][-1][0])
            print(f"  run {run}  ours / floor: {ratios[-1]:.2f}x")
            if args.baseline:
                baseline = runs["baseline"][-1][0] / runs["floor"][-1][0]
                print(f"  run {run}  baseline / floor: {baseline:.2f}x")
        median = {name: statistics.median(s for s, _ in rows) for name, rows in runs.items()}
        rss = statistics.median(p for _, p in runs["ours"])
        jobs = median[f"ours --jobs {args.jobs}"]
        baseline = f" {median['baseline']:.0f} |" if args.baseline else ""
        medians.append(
            f"| {size / 2**20:.0f} MiB | {median['floor']:.0f} | {median['ours']:.0f} | "
            f"{statistics.median(ratios):.2f}x | {rss:.0f} MB | {jobs:.0f} "
            f"({jobs / median['ours']:.2f}x) | {median['grep -c']:.0f} |{baseline}"
        )
    print(f"\nmedians of {args.runs} runs (MiB/s; ratio: of each run's own floor)")
    extra = (" baseline |", " --- |") if args.baseline else ("", "")
    print(
        f"| log | floor | ours | ours / floor | peak RSS | --jobs {args.jobs} | grep -c |{extra[0]}"
    )
    print(f"| --- | --- | --- | --- | --- | --- | --- |{extra[1]}")
    for row in medians:
        print(row)


if __name__ == "__main__":
    main()
