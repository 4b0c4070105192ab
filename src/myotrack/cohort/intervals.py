"""Confidence intervals for a proportion k/n: exact (Clopper-Pearson) and Wilson score.

With the handful of patients a case series has, the normal-approximation (Wald) interval is
wrong (it can leave [0, 1] and is degenerate at 0/n and n/n); these two are the standard
choices.

- Clopper-Pearson (1934): the 'exact' interval from the binomial distribution,
  ``lower = Beta(a/2; k, n-k+1)``, ``upper = Beta(1-a/2; k+1, n-k)`` quantiles, with
  lower = 0 when k = 0 and upper = 1 when k = n. R: ``binom.test(k, n)$conf.int``.
  Example: 2/5 gives 0.0527-0.8534.
- Wilson (1927) score interval without continuity correction:
  ``(p + z²/2n ± z sqrt(p(1-p)/n + z²/4n²)) / (1 + z²/n)``.
  R: ``prop.test(k, n, correct = FALSE)$conf.int``. Example: 2/5 gives 0.1176-0.7693.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

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


def clopper_pearson(k: int, n: int, level: float = 0.95) -> tuple[float, float]:
    """Exact binomial interval; (nan, nan) when n = 0."""
    _check(k, n, level)
    if n == 0:
        return math.nan, math.nan
    alpha = 1 - level
    lower = 0.0 if k == 0 else float(stats.beta.ppf(alpha / 2, k, n - k + 1))
    upper = 1.0 if k == n else float(stats.beta.ppf(1 - alpha / 2, k + 1, n - k))
    return lower, upper


def wilson(k: int, n: int, level: float = 0.95) -> tuple[float, float]:
    """Wilson score interval without continuity correction; (nan, nan) when n = 0."""
    _check(k, n, level)
    if n == 0:
        return math.nan, math.nan
    z = float(stats.norm.ppf(1 - (1 - level) / 2))
    p = k / n
    denom = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    return max(0.0, centre - half), min(1.0, centre + half)


def proportion(k: int, n: int, level: float = 0.95) -> Proportion:
    """k/n with both intervals."""
    el, eu = clopper_pearson(k, n, level)
    wl, wu = wilson(k, n, level)
    return Proportion(k, n, level, el, eu, wl, wu)
