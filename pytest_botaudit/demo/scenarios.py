"""The simulated bot's scenarios: which faults each injects, and the deterministic plan of a run."""

from __future__ import annotations

import logging
import random
from dataclasses import dataclass, field, replace
from typing import Any

log = logging.getLogger(__name__)

SYMBOLS = (
    "BTC",
    "ETH",
    "SOL",
    "XRP",
    "DOGE",
    "ADA",
    "AVAX",
    "LINK",
    "DOT",
    "HNT",
    "NEAR",
    "ATOM",
    "APT",
    "ARB",
    "OP",
    "SUI",
    "INJ",
    "TIA",
    "SEI",
    "WLD",
)
EXCHANGES = ("binance", "bybit")


@dataclass(frozen=True, slots=True)
class Faults:
    """What a scenario injects; tests assert the audit finds exactly these."""

    unprotected_positions: int = 0
    emergency_closes: int = 0
    ws_reconnects: int = 0
    api_errors: int = 0
    zombie_orders: int = 0
    slow_sl_updates: int = 0
    excessive_ts_updates: int = 0
    aged_positions: int = 0
    timeouts: int = 0
    # a position closes while its trailing stop's move is on its way: the move lands 0.4 s
    # after the close (section 10's race pair position_closed -> trailing_stop_sl_updated)
    races: int = 0


@dataclass(frozen=True, slots=True)
class Scenario:
    name: str
    description: str
    faults: Faults
    # a healthy bot still reconnects now and then
    background_ws_reconnects: int = 1
    # seconds between a fill and its stop-loss (random in the range); None: at once
    stop_loss_delay: tuple[float, float] | None = None
    # the knobs of a rerun's noise and change (each drawn from its own generator, so a
    # scenario that leaves them at their defaults plays exactly the run it always played):
    # API errors at random times, a Poisson process of this rate per hour of bot time
    api_errors_per_hour: float = 0.0
    # every stop-loss update (trailing stop) takes this many times as long
    sl_latency_factor: float = 1.0
    # NOVEL_ERRORS errors of an exception type no other scenario writes, at random times
    novel_error: bool = False
    # price ticks per second of bot time (the bulk of the log and the events table)
    price_ticks_per_second: float = 5.0


SCENARIOS: dict[str, Scenario] = {
    "healthy": Scenario(
        "healthy", "a well-behaved bot: every position protected, no errors", Faults()
    ),
    "faulty": Scenario(
        "faulty",
        "unprotected positions, an emergency close, WebSocket flapping, an API error burst and "
        "a race between a close and a trailing-stop move",
        Faults(
            unprotected_positions=2, emergency_closes=1, ws_reconnects=24, api_errors=60, races=1
        ),
    ),
    "late_stop_loss": Scenario(
        "late_stop_loss",
        "a healthy bot whose stop-losses land 0.5-5 s after each fill (within the grace)",
        Faults(),
        stop_loss_delay=(0.5, 5.0),
    ),
    "degraded": Scenario(
        "degraded",
        "zombie orders, aged positions, lock timeouts, slow and excessive trailing-stop updates",
        Faults(
            zombie_orders=8,
            slow_sl_updates=30,
            excessive_ts_updates=25,
            aged_positions=12,
            timeouts=12,
        ),
    ),
    "steady": Scenario(
        "steady",
        "a healthy bot with a steady trickle of API errors (60 an hour, at random times): "
        "the noise a rerun is compared against",
        Faults(),
        api_errors_per_hour=60.0,
    ),
}
SLOW_SL_UPDATE_MS = 1500.0
NOVEL_ERRORS = 3


def tuned(
    name: str,
    *,
    api_errors_per_hour: float | None = None,
    sl_latency_factor: float | None = None,
    novel_error: bool = False,
    price_ticks_per_second: float | None = None,
) -> Scenario:
    """A scenario with the knobs given set (the others as the scenario has them)."""
    scenario = SCENARIOS[name]
    if api_errors_per_hour is not None:
        scenario = replace(scenario, api_errors_per_hour=api_errors_per_hour)
    if sl_latency_factor is not None:
        scenario = replace(scenario, sl_latency_factor=sl_latency_factor)
    if price_ticks_per_second is not None:
        scenario = replace(scenario, price_ticks_per_second=price_ticks_per_second)
    return replace(scenario, novel_error=True) if novel_error else scenario


@dataclass(frozen=True, slots=True)
class Action:
    """One thing the bot does ``at`` seconds (bot time, before speed-up) after start."""

    at: float
    kind: str
    data: dict[str, Any] = field(default_factory=dict)


def opening(
    at: float,
    key: str,
    symbol: str,
    exchange: str,
    side: str,
    price: float,
    api_ms: float,
    *,
    protected: bool,
    ago: float = 0.0,
) -> Action:
    """The bot opens position ``key``; ``protected`` places its stop-loss with the entry."""
    data = {
        "key": key,
        "symbol": symbol,
        "exchange": exchange,
        "side": side,
        "price": price,
        "api_ms": api_ms,
        "protected": protected,
        "ago": ago,
    }
    return Action(at, "open", data)


def build_plan(scenario: Scenario, duration: float, seed: int, speed: float = 1.0) -> list[Action]:
    """The whole run as a deterministic list of actions; ``at`` is real seconds from start.

    Base activity scales with ``speed``; injected faults are exact counts at fixed fractions
    of the run (all within its first 60 %), so an audit of the same duration sees all of them.
    """
    rng = random.Random(seed)
    late = random.Random(seed + 7)
    actions: list[Action] = [Action(0.0, "startup")]
    bot_seconds = duration * speed
    keys = iter(range(1, 10**9))
    open_keys: list[str] = []
    opened_at: dict[str, float] = {}
    fault = scenario.faults

    def at(bot_time: float) -> float:
        return min(duration * 0.999, bot_time / speed)

    def slower(ms: float) -> float:
        factor = scenario.sl_latency_factor
        return ms if factor == 1.0 else round(ms * factor, 1)

    # positions open at a steady pace; each gets an SL, some a trailing stop, some close
    # about two openings a minute (the real bot's last audit: 164 in 8 hours), each on another
    # symbol and exchange, so one trailing stop's updates are not mixed with the next one's
    opens = max(4, int(bot_seconds / 30))
    offset = rng.randrange(len(SYMBOLS))
    for i in range(opens):
        t = at((i + 0.5) * bot_seconds / opens * 0.9)
        key = f"p{next(keys)}"
        symbol = SYMBOLS[(offset + i // len(EXCHANGES)) % len(SYMBOLS)]
        actions.append(
            opening(
                t,
                key,
                symbol,
                EXCHANGES[i % len(EXCHANGES)],
                rng.choice(("long", "short")),
                round(rng.uniform(0.5, 500), 4),
                round(rng.uniform(60, 320), 1),
                protected=scenario.stop_loss_delay is None,
            )
        )
        if scenario.stop_loss_delay is not None:  # its own generator: other plans stay as they were
            delay = late.uniform(*scenario.stop_loss_delay)
            placed = {"key": key, "api_ms": round(late.uniform(60, 320), 1)}
            actions.append(Action(min(duration * 0.999, t + delay), "sl_placed", placed))
        open_keys.append(key)
        opened_at[key] = t
        # the first position always trails, so every run has stop-loss update timings; a
        # healthy trailing stop moves at most once a minute (of bot time)
        if rng.random() < 0.5 or i == 0:
            t_ts = min(duration * 0.999, t + rng.uniform(0.05, 0.2) * duration)
            actions.append(Action(t_ts, "ts_activate", {"key": key}))
            for step in range(max(1, min(4, int(bot_seconds / 60)))):
                t_update = t_ts + 0.01 * duration + step * 61.0 / speed
                if t_update < duration * 0.999 or step == 0:
                    update = {"key": key, "ms": slower(round(rng.uniform(40, 150), 1))}
                    actions.append(Action(min(duration * 0.999, t_update), "ts_update", update))
        # the excessive-update fault targets the first position: it stays open
        if rng.random() < 0.3 and i > 0:
            actions.append(
                Action(
                    min(duration * 0.999, t + rng.uniform(0.3, 0.6) * duration),
                    "close",
                    {"key": key, "pnl": round(rng.uniform(-20, 35), 2)},
                )
            )
    # price ticks: about five a second of bot time
    ticks = int(bot_seconds * scenario.price_ticks_per_second)
    for _ in range(ticks):
        actions.append(Action(at(rng.uniform(0, bot_seconds)), "price", {"pick": rng.random()}))
    # zombie checks that find nothing: one right after the start, then every 30 s (the log
    # then shows the check ran: no zombie orders is a real zero)
    for k in range(max(1, int(bot_seconds / 30))):
        actions.append(Action(at(1.0 + k * 30.0), "zombie_check", {"k": k + 1}))
    # the bot reconciles its positions with each exchange every two minutes
    for k in range(max(1, int(bot_seconds / 120))):
        for exchange in EXCHANGES:
            actions.append(Action(at((k + 1) * 120.0), "synchronization", {"exchange": exchange}))
    for i in range(scenario.background_ws_reconnects):
        actions.append(Action(duration * (0.7 + 0.05 * i), "ws_flap", {"stream": "bybit"}))

    # injected faults, at fixed fractions of the run
    for i in range(fault.unprotected_positions):
        key = f"p{next(keys)}"
        actions.append(
            opening(
                duration * (0.08 + 0.01 * i),
                key,
                SYMBOLS[i % len(SYMBOLS)],
                EXCHANGES[i % 2],
                "long",
                10.0 + i,
                150.0,
                protected=False,
                ago=1200.0,  # found unprotected, open for twenty minutes already
            )
        )
        for j in range(3):
            actions.append(
                Action(
                    duration * (0.15 + 0.12 * j),
                    "sl_missing",
                    {"key": key, "level": "CRITICAL" if j else "WARNING"},
                )
            )
        actions.append(Action(duration * 0.6, "sl_placed_late", {"key": key}))
    for i in range(fault.emergency_closes):
        key = f"p{next(keys)}"
        actions.append(
            opening(
                duration * (0.2 + 0.01 * i),
                key,
                "OP",
                "binance",
                "short",
                1.7,
                120.0,
                protected=True,
            )
        )
        actions.append(Action(duration * (0.3 + 0.01 * i), "emergency_close", {"key": key}))
    for i in range(fault.races):
        key = f"p{next(keys)}"
        actions.append(
            opening(
                duration * (0.22 + 0.01 * i), key, "ARB", "bybit", "long", 0.8, 95.0, protected=True
            )
        )
        actions.append(Action(duration * (0.55 + 0.01 * i), "late_trailing_move", {"key": key}))
    for i in range(fault.ws_reconnects):
        actions.append(
            Action(
                duration * (0.2 + 0.3 * i / max(1, fault.ws_reconnects)),
                "ws_flap",
                {"stream": "binance"},
            )
        )
    for i in range(fault.api_errors):
        actions.append(
            Action(
                duration * (0.4 + 0.05 * i / max(1, fault.api_errors)),
                "api_error",
                # a burst: the exchange refusing one position's stop-loss, retried
                {"n": i, "traceback": i % 3 == 0, "symbol": "SOLUSDT"},
            )
        )
    for i in range(fault.zombie_orders):
        actions.append(Action(duration * (0.45 + 0.001 * i), "zombie", {"n": i}))
    for i in range(fault.slow_sl_updates):
        when = duration * (0.5 + 0.003 * i)
        already_open = [k for k in open_keys if opened_at[k] < when] or open_keys[:1]
        slow = {"key": already_open[i % len(already_open)], "ms": SLOW_SL_UPDATE_MS}
        actions.append(Action(when, "ts_update", slow))
    for i in range(fault.excessive_ts_updates):
        update = {"key": open_keys[0], "ms": slower(round(rng.uniform(40, 150), 1))}
        actions.append(Action(duration * (0.3 + 0.004 * i), "ts_update", update))
    if fault.aged_positions:
        actions.append(Action(duration * 0.05, "load_aged", {"n": fault.aged_positions}))
    for i in range(fault.timeouts):
        actions.append(Action(duration * (0.35 + 0.005 * i), "lock_timeout", {"n": i}))
    actions += noise_actions(scenario, duration, seed, speed)
    actions.append(Action(duration * 0.9995, "heartbeat"))
    actions.sort(key=lambda a: a.at)
    return actions


def noise_actions(scenario: Scenario, duration: float, seed: int, speed: float) -> list[Action]:
    """The knobs' actions: background API errors and the novel error type, each from a
    generator of its own (no other action's draws change)."""
    actions: list[Action] = []
    rate = scenario.api_errors_per_hour / 3600 * speed  # per real second
    if rate > 0:
        arrivals = random.Random(seed + 13)
        t = arrivals.expovariate(rate)
        n = 0
        while t < duration * 0.999:
            actions.append(Action(t, "api_error", {"n": n, "traceback": n % 3 == 0}))
            n += 1
            t += arrivals.expovariate(rate)
    if scenario.novel_error:
        novel = random.Random(seed + 17)
        for n in range(NOVEL_ERRORS):
            when = novel.uniform(0.05, 0.9) * duration
            actions.append(Action(when, "novel_error", {"n": n, "pick": novel.random()}))
    return actions
