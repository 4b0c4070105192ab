"""Summary statistics of one variable and their text as clinical papers print them.

The one place where Table 1 (:mod:`myotrack.cohort.describe`) and Table 2
(:mod:`myotrack.cohort.compare`) get their summaries: which variables are continuous, which
levels of a categorical variable are shown, the counts, means, SDs, medians, ranges and
quartiles, and their text. A variable therefore reads the same in both tables. (tableone is
not used: its quartiles interpolate linearly, so it cannot print SPSS's, and the two tables
would need two paths.)

Styles (004 Tables 1-2): ``n (%)``; ``mean ± SD (range)``; ``median (Q1, Q3)`` or
``median (range)``. Percentages are of the patients with a known value; missing values are
counted separately, never in the denominator.

Quartiles: clinical papers are mostly computed with SPSS, whose default percentile definition
is the weighted average at ``(n + 1) p`` (SPSS EXAMINE 'HAVERAGE'; Hyndman and Fan definition 6,
``numpy.percentile(method='weibull')``). That is the default here, so that a published
"median (IQ1, IQ3)" can be reproduced; ``quantile_method='linear'`` gives the R/NumPy default.
The standard deviation is the sample SD (n - 1).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd

QuantileMethod = Literal["weibull", "linear", "hazen", "median_unbiased"]
#: SPSS's default percentile definition (weighted average at (n + 1) p).
SPSS_QUANTILES: QuantileMethod = "weibull"


@dataclass(frozen=True)
class ContinuousSummary:
    n: int
    missing: int
    mean: float
    sd: float
    minimum: float
    maximum: float
    median: float
    q1: float
    q3: float


@dataclass(frozen=True)
class LevelCount:
    """Patients with ``level`` among the ``n`` with a known value (``missing`` unknown)."""

    level: str
    count: int
    n: int
    missing: int


def is_continuous(values: pd.Series) -> bool:
    """A numeric, non-boolean column is summarised as continuous (unless declared categorical)."""
    return bool(pd.api.types.is_numeric_dtype(values.dtype)) and not pd.api.types.is_bool_dtype(
        values.dtype
    )


def shown_levels(values: pd.Series) -> list[str]:
    """The levels a table shows a row for: 'yes' only for a yes/no variable, else all, sorted."""
    present = sorted(str(v) for v in pd.unique(values.dropna()))
    return ["yes"] if present and set(present) <= {"yes", "no"} else present


def count_level(values: pd.Series, level: str) -> LevelCount:
    """How many of the known values of a text column are ``level``."""
    known = values.dropna()
    return LevelCount(
        level, int((known == level).sum()), int(known.size), int(values.size - known.size)
    )


def quartiles(values: np.ndarray, method: QuantileMethod = SPSS_QUANTILES) -> tuple[float, float]:
    """Q1 and Q3 of non-missing values by the given definition (NaN when there are none)."""
    vals = values[~np.isnan(values)]
    if vals.size == 0:
        return math.nan, math.nan
    if vals.size == 1:
        return float(vals[0]), float(vals[0])
    q = np.percentile(vals, [25, 75], method=method)
    return float(q[0]), float(q[1])


def summarise(
    values: pd.Series | np.ndarray, method: QuantileMethod = SPSS_QUANTILES
) -> ContinuousSummary:
    """Count, missing, mean, SD, range, median and quartiles (NaN where undefined; SD needs n >= 2)."""
    arr = pd.to_numeric(pd.Series(values), errors="coerce").to_numpy(dtype=float, na_value=np.nan)
    vals = arr[~np.isnan(arr)]
    n = int(vals.size)
    nan = math.nan
    if n == 0:
        return ContinuousSummary(0, int(arr.size), nan, nan, nan, nan, nan, nan, nan)
    q1, q3 = quartiles(vals, method)
    return ContinuousSummary(
        n=n,
        missing=int(arr.size - n),
        mean=float(vals.mean()),
        sd=float(vals.std(ddof=1)) if n >= 2 else nan,
        minimum=float(vals.min()),
        maximum=float(vals.max()),
        median=float(np.median(vals)),
        q1=q1,
        q3=q3,
    )


def number(x: float, decimals: int) -> str:
    """Fixed decimals; '-' for an undefined value."""
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "-"
    return f"{x:,.{decimals}f}".replace(",", "")


def plain(x: float) -> str:
    """A value as written in a range: no trailing zeros (20, 58, 3.5)."""
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "-"
    return f"{x:.6g}" if not float(x).is_integer() else str(int(x))


def mean_sd_range(s: ContinuousSummary, decimals: int = 2) -> str:
    """``42.88 ± 10.43 (20-58)``."""
    if s.n == 0:
        return "-"
    text = f"{number(s.mean, decimals)} ± {number(s.sd, decimals)}"
    return f"{text} ({plain(round(s.minimum, decimals))}-{plain(round(s.maximum, decimals))})"


def mean_sd(s: ContinuousSummary, decimals: int = 2) -> str:
    """``39.75 ± 9.76``."""
    if s.n == 0:
        return "-"
    return f"{number(s.mean, decimals)} ± {number(s.sd, decimals)}"


def median_iqr(s: ContinuousSummary, decimals: int = 2) -> str:
    """``75 (52.5, 150)``: median (Q1, Q3)."""
    if s.n == 0:
        return "-"
    return f"{plain(round(s.median, decimals))} ({plain(round(s.q1, decimals))}, {plain(round(s.q3, decimals))})"


def median_range(s: ContinuousSummary, decimals: int = 2) -> str:
    """``44 (20-58)``: median (minimum-maximum)."""
    if s.n == 0:
        return "-"
    return f"{plain(round(s.median, decimals))} ({plain(round(s.minimum, decimals))}-{plain(round(s.maximum, decimals))})"


def median_text(s: ContinuousSummary, style: Literal["iqr", "range"], decimals: int = 2) -> str:
    """The median row's text: ``median (Q1, Q3)`` or ``median (range)``."""
    return median_iqr(s, decimals) if style == "iqr" else median_range(s, decimals)


def count_percent(count: int, total: int, decimals: int = 1) -> str:
    """``9 (75.0%)``; ``0 (0.0%)``; ``-`` when nobody has a known value."""
    if total == 0:
        return "-"
    return f"{count} ({number(100 * count / total, decimals)}%)"


def level_percent(c: LevelCount, decimals: int = 1) -> str:
    """``9 (75.0%)`` of a level count."""
    return count_percent(c.count, c.n, decimals)
