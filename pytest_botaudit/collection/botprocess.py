"""The bot's own process, sampled each tick of a live audit (--audit-bot-pid): CPU and memory."""

from __future__ import annotations

import psutil


class BotProcess:
    def __init__(self, pid: int) -> None:
        self.pid = pid
        self._process: psutil.Process | None = psutil.Process(pid)
        self._process.cpu_percent(None)  # the first reading only starts the measurement

    def sample(self) -> dict[str, float]:
        """CPU % since the last sample and resident memory; ``bot_alive`` 0 once it is gone."""
        if self._process is None:
            return {"bot_alive": 0.0}
        try:
            with self._process.oneshot():
                cpu = self._process.cpu_percent(None)
                rss = self._process.memory_info().rss / 2**20
        except psutil.Error:
            self._process = None
            return {"bot_alive": 0.0}
        return {"bot_alive": 1.0, "bot_cpu_percent": round(cpu, 1), "bot_rss_mb": round(rss, 1)}


def process_exists(pid: int) -> bool:
    return bool(psutil.pid_exists(pid))
