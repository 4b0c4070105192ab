"""Confidence intervals for a proportion k/n: exact (Clopper-Pearson) and Wilson score.

With the handful of patients a case series has, the normal-approximation (Wald) interval is
wrong (it can leave [0, 1] and is degenerate at 0/n and n/n); these two are the standard
choices. Both come from ``scipy.stats.binomtest(k, n).proportion_ci``:

- ``method='exact'``: Clopper-Pearson (1934), the binomial tail inversion, lower = 0 when
  k = 0 and upper = 1 when k = n. R: ``binom.test(k, n)$conf.int``. Example: 2/5 gives
  0.0527-0.8534.
- ``method='wilson'``: Wilson (1927) score interval without continuity correction.
  R: ``prop.test(k, n, correct = FALSE)$conf.int``. Example: 2/5 gives 0.1176-0.7693.

tests/cohort/test_intervals_against_r.py holds R's output for both on several k/n.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

from scipy import stats


@dataclass(frozen=True)
class Proportion:
    k: int
    n: int
    level: float
    exact_lower: float
    exact_upper: float
    wilson_lower: float
    wilson_upper: float

    @property
    def rate(self) -> float:
        return self.k / self.n if self.n else math.nan


def _check(k: int, n: int, level: float) -> None:
    if n < 0 or k < 0 or k > n:
        raise ValueError(f"a proportion needs 0 <= k <= n (got k={k}, n={n})")
    if not 0 < level < 1:
        raise ValueError(f"confidence level must be between 0 and 1 (got {level})")


def _interval(
    k: int, n: int, level: float, method: Literal["exact", "wilson"]
) -> tuple[float, float]:
    _check(k, n, level)
    if n == 0:  # binomtest needs n >= 1; an empty group has no interval
        return math.nan, math.nan
    ci = stats.binomtest(int(k), int(n)).proportion_ci(confidence_level=level, method=method)
    return float(ci.low), float(ci.high)


def clopper_pearson(k: int, n: int, level: float = 0.95) -> tuple[float, float]:
    """Exact binomial interval; (nan, nan) when n = 0."""
    return _interval(k, n, level, "exact")


def wilson(k: int, n: int, level: float = 0.95) -> tuple[float, float]:
    """Wilson score interval without continuity correction; (nan, nan) when n = 0."""
    return _interval(k, n, level, "wilson")


def proportion(k: int, n: int, level: float = 0.95) -> Proportion:
    """k/n with both intervals."""
    el, eu = clopper_pearson(k, n, level)
    wl, wu = wilson(k, n, level)
    return Proportion(k, n, level, el, eu, wl, wu)
