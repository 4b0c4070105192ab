"""Fisher's exact test, two-sided, for 2 x 2 and larger contingency tables.

2 x 2 tables use ``scipy.stats.fisher_exact`` (the two-sided p value sums the probabilities of
all tables with the same margins that are no more likely than the observed one, the rule SPSS
and R's ``fisher.test`` use; 004 section 1.5 uses it "two-tailed" for every categorical factor).
Larger tables (a factor with more than two levels, or more than two groups) use the
Fisher-Freeman-Halton extension with the same rule, computed by enumerating every table with the
observed margins. SciPy would estimate that p value by Monte Carlo; an exact count is what a
small cohort needs. When the margins allow more than ``max_tables`` tables, the chi-squared
test is used instead and the method says so.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy import stats

#: Tables with more than this many arrangements fall back to the chi-squared test.
MAX_TABLES = 2_000_000

FISHER = "Fisher's exact (two-sided)"
FREEMAN_HALTON = "Fisher-Freeman-Halton exact"
CHI_SQUARED = "chi-squared (too many tables for an exact count)"


@dataclass(frozen=True)
class FisherResult:
    table: tuple[tuple[int, ...], ...]
    p: float
    odds_ratio: float | None
    method: str


class _TooMany(Exception):
    pass


def _log_factorials(n: int) -> np.ndarray:
    return np.array([math.lgamma(i + 1) for i in range(n + 1)])


def _freeman_halton(table: np.ndarray, max_tables: int) -> float:
    rows = table.sum(axis=1)
    cols = table.sum(axis=0)
    n = int(table.sum())
    lf = _log_factorials(n)
    const = float(lf[rows].sum() + lf[cols].sum() - lf[n])

    def logp(cells: list[int]) -> float:
        return const - float(sum(lf[c] for c in cells))

    observed = logp([int(c) for c in table.ravel()])
    threshold = observed + 1e-7  # relative tolerance 1e-7, as R's fisher.test
    total = 0.0
    count = 0
    r = len(rows)

    def fill_column(j: int, remaining: list[int], cells: list[int]) -> None:
        nonlocal total, count
        if j == len(cols) - 1:
            # the last column is forced by the remaining row totals
            count += 1
            if count > max_tables:
                raise _TooMany
            lp = logp(cells + remaining)
            if lp <= threshold:
                total += math.exp(lp)
            return

        def split(i: int, left: int, column: list[int]) -> None:
            if i == r - 1:
                if left <= remaining[i]:
                    new_column = [*column, left]
                    fill_column(j + 1, [remaining[k] - new_column[k] for k in range(r)], cells + new_column)
                return
            rest_capacity = sum(remaining[i + 1 :])
            for v in range(max(0, left - rest_capacity), min(left, remaining[i]) + 1):
                split(i + 1, left - v, [*column, v])

        split(0, int(cols[j]), [])

    # cells are collected column by column; the order does not change the product
    fill_column(0, [int(x) for x in rows], [])
    return min(1.0, total)


def fisher_exact(table: Sequence[Sequence[int]], max_tables: int = MAX_TABLES) -> FisherResult:
    """Two-sided exact test of independence of the rows and columns of a table of counts.

    Rows or columns that are all zero are dropped (they carry no information); a table left
    with one row or one column has p = 1.
    """
    arr = np.asarray(table, dtype=np.int64)
    if arr.ndim != 2 or (arr < 0).any():
        raise ValueError("a contingency table is a 2-D array of non-negative counts")
    kept = arr[arr.sum(axis=1) > 0][:, arr.sum(axis=0) > 0]
    as_tuple = tuple(tuple(int(v) for v in row) for row in arr)
    if kept.shape[0] < 2 or kept.shape[1] < 2:
        return FisherResult(as_tuple, 1.0, None, FISHER)
    if kept.shape == (2, 2):
        res = stats.fisher_exact(kept, alternative="two-sided")
        odds = float(res.statistic)
        return FisherResult(as_tuple, float(res.pvalue), None if math.isnan(odds) else odds, FISHER)
    try:
        p = _freeman_halton(kept, max_tables)
    except _TooMany:
        chi = stats.chi2_contingency(kept, correction=False)
        return FisherResult(as_tuple, float(chi.pvalue), None, CHI_SQUARED)
    return FisherResult(as_tuple, p, None, FREEMAN_HALTON)
