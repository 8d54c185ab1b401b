"""Log analysis speed and memory: this analyzer vs the Python floor vs grep -c.

Generates a realistic bot log (default ~1 GB: ~90 % price-tick lines, event echoes, tracebacks,
reconnects) once, then prints MB/s and peak RSS of each reader, each in its own process.

    python bench/log_bench.py [--size-mb 1000] [--path /tmp/botaudit-bench.log] [--jobs 2]
"""

from __future__ import annotations

import argparse
import random
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


def measure(label: str, command: list[str], size: int) -> None:
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-c", WRAP, *command], capture_output=True, text=True, check=True
    )
    elapsed = time.perf_counter() - started
    result, peak_kb = done.stdout.strip().splitlines()[-2:]
    print(
        f"{label:34} {size / 2**20 / elapsed:8.1f} MB/s {elapsed:7.2f} s "
        f"{int(peak_kb) / 1024:7.1f} MB peak RSS  -> {result}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--size-mb", type=int, default=1000)
    parser.add_argument("--path", type=Path, default=Path("/tmp/botaudit-bench.log"))
    parser.add_argument("--jobs", type=int, default=2)
    args = parser.parse_args()
    if not args.path.exists() or args.path.stat().st_size < args.size_mb * 2**20 * 0.99:
        print(f"generating {args.size_mb} MB at {args.path} ...")
        generate(args.path, args.size_mb)
    size = args.path.stat().st_size
    print(f"log: {args.path} ({size / 2**20:.0f} MB)")
    measure("grep -c (I/O limit)", ["grep", "-c", "", str(args.path)], size)
    measure("python floor (1 regex/line)", [sys.executable, "-c", FLOOR, str(args.path)], size)
    measure(
        "botaudit analyzer, 1 process", [sys.executable, "-c", ANALYZER, str(args.path), "1"], size
    )
    if args.jobs > 1:
        measure(
            f"botaudit analyzer, {args.jobs} processes",
            [sys.executable, "-c", ANALYZER, str(args.path), str(args.jobs)],
            size,
        )


if __name__ == "__main__":
    main()
