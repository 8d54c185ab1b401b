"""The statistics compare decides with: an exact test of two Poisson rates, Welch's t-test of
two latency samples from their summaries, Cohen's effect sizes, and Holm's step-down
adjustment over the metrics of one comparison.

- Rates: k_old events in t_old hours, k_new in t_new. Under equal rates, k_new given the total
  n = k_old + k_new is binomial with p = t_new / (t_old + t_new) (the conditional test of
  Przyborowski & Wilenski, 1940): ``scipy.stats.binomtest``, exact for any count. Its effect
  size is Cohen's h = 2·asin(√(k_new/n)) - 2·asin(√p).
- Latencies: Welch's unequal-variance t-test (Welch, 1947) from n, mean and standard
  deviation, ``scipy.stats.ttest_ind_from_stats``, of the means of one-minute batches: a
  latency's samples are correlated (a fill and its stop-loss are timed together, an exchange
  is slow for a minute), batch means much less (the method of batch means, Law & Kelton,
  Simulation Modeling and Analysis). Effect: Cohen's d, the change of the mean over the root
  mean square of the two runs' standard deviations.
- Holm (1979): the p-values of one comparison adjusted so the chance of any false alarm among
  its metrics stays under the significance level."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from ..judging.sample import Sample


def _scipy_stats() -> Any:
    """scipy.stats, loaded on the first test (half a second that no other command pays)."""
    from scipy import stats

    return stats


RATE_TEST = "exact Poisson rate test"
MEAN_TEST = "Welch's t-test"
BATCH_TEST = "Welch's t-test on one-minute batch means"


@dataclass(frozen=True, slots=True)
class ChangeTest:
    """``effect`` is signed: positive when the new run's rate or mean is the higher."""

    test: str
    p_value: float
    effect: float
    effect_name: str  # "h" (rates) or "d" (means)


def rate_test(
    old_count: float, old_hours: float, new_count: float, new_hours: float
) -> ChangeTest | None:
    """None where there is nothing to test: no events in either run, or counts that are not
    whole numbers, or an exposure that is not positive."""
    if not (old_hours > 0 and new_hours > 0):
        return None
    if not (float(old_count).is_integer() and float(new_count).is_integer()):
        return None
    k_old, k_new = int(old_count), int(new_count)
    total = k_old + k_new
    if total == 0 or k_old < 0 or k_new < 0:
        return None
    share = new_hours / (old_hours + new_hours)
    p_value = float(_scipy_stats().binomtest(k_new, total, share).pvalue)
    effect = 2 * math.asin(math.sqrt(k_new / total)) - 2 * math.asin(math.sqrt(share))
    return ChangeTest(RATE_TEST, min(1.0, p_value), effect, "h")


def mean_test(old: Sample, new: Sample) -> ChangeTest | None:
    """Significance from the one-minute batch means where both runs recorded them (the
    samples themselves are not independent), else from the samples (a file of an earlier
    version); the effect from the samples' own spread. None where it cannot be tested: under
    two batches or samples in a run, or no spread recorded."""
    if old.mean is None or new.mean is None:
        return None
    if old.batches is not None or new.batches is not None:
        if not (_batched(old) and _batched(new)):
            return None
        name = BATCH_TEST  # _batched: every figure below is there
        p_value = _welch(
            (old.batch_mean or 0.0, old.batch_sd or 0.0, old.batches or 0.0),
            (new.batch_mean or 0.0, new.batch_sd or 0.0, new.batches or 0.0),
        )
    elif old.sd is not None and new.sd is not None and old.n >= 2 and new.n >= 2:
        name = MEAN_TEST
        p_value = _welch((old.mean, old.sd, old.n), (new.mean, new.sd, new.n))
    else:
        return None
    difference = new.mean - old.mean
    spreads = [x for x in (old.sd, new.sd) if x is not None]
    spread = math.sqrt(sum(x * x for x in spreads) / len(spreads)) if spreads else 0.0
    if spread > 0:
        effect = difference / spread
    else:  # constant samples: any difference is all the difference there is
        effect = math.copysign(math.inf, difference) if difference else 0.0
    return ChangeTest(name, p_value, effect, "d")


def _batched(sample: Sample) -> bool:
    return (
        (sample.batches or 0) >= 2 and sample.batch_mean is not None and sample.batch_sd is not None
    )


def _welch(old: tuple[float, float, float], new: tuple[float, float, float]) -> float:
    """Welch's two-sided p-value from (mean, sd, n) of each run."""
    (m_old, sd_old, n_old), (m_new, sd_new, n_new) = old, new
    if sd_old == 0 and sd_new == 0:  # constant: decided without a t statistic
        return 0.0 if m_old != m_new else 1.0
    result = _scipy_stats().ttest_ind_from_stats(
        m_new, sd_new, n_new, m_old, sd_old, n_old, equal_var=False
    )
    return float(result.pvalue)


def holm(p_values: Sequence[float]) -> list[float]:
    """Holm's adjusted p-values, in the order given: compare each with the level as is."""
    count = len(p_values)
    adjusted = [1.0] * count
    running = 0.0
    for rank, index in enumerate(sorted(range(count), key=lambda i: p_values[i])):
        running = max(running, min(1.0, (count - rank) * p_values[index]))
        adjusted[index] = running
    return adjusted
