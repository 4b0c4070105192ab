"""Fisher's exact test, two-sided, for 2 x 2 and larger contingency tables.

2 x 2 tables use ``scipy.stats.fisher_exact``: the two-sided p value sums the probabilities of
all tables with the same margins that are no more likely than the observed one, the rule SPSS
and R's ``fisher.test`` use (004 section 1.5 uses the test "two-tailed" for every categorical
factor). It is not twice the smaller one-sided p value, another two-sided definition that
some programs print: for the 2 x 2 table (0, 5 / 6, 4) R gives 0.0440, doubling gives 0.0839.
``odds_ratio`` is SciPy's sample odds ratio ``(a d) / (b c)``; R's ``fisher.test`` prints the
conditional maximum-likelihood estimate instead, a different number.

Larger tables (a factor with more than two levels, or more than two groups) use the
Fisher-Freeman-Halton extension with the same rule, computed here by enumerating every table
with the observed margins: SciPy has no exact R x C test (``fisher_exact`` with a larger
table needs a ``PermutationMethod``, which permutes the individual observations, or a
``MonteCarloMethod``, an estimate), and an exact count is what a small cohort needs. When the
margins allow too many tables to count (more than ``max_tables`` partial tables visited), the
p value is estimated by Monte Carlo with a fixed seed and the method says so.

tests/cohort/test_fisher_against_r.py checks both against ``fisher.test``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy import stats

#: Work limit (partial tables visited) of the exact count; beyond it, Monte Carlo.
MAX_TABLES = 300_000
#: Resamples of the Monte Carlo estimate used beyond MAX_TABLES (fixed seed: reproducible).
MONTE_CARLO_RESAMPLES = 100_000

FISHER = "Fisher's exact (two-sided)"
FREEMAN_HALTON = "Fisher-Freeman-Halton exact"
MONTE_CARLO = "Fisher-Freeman-Halton, Monte Carlo estimate (100,000 tables, seed 0)"


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


def _splits(total: int, capacity: tuple[int, ...]) -> list[tuple[int, ...]]:
    """Every way to spread ``total`` over the rows without exceeding their capacity."""
    out: list[tuple[int, ...]] = []

    def rec(i: int, left: int, acc: tuple[int, ...]) -> None:
        if i == len(capacity) - 1:
            if left <= capacity[i]:
                out.append((*acc, left))
            return
        rest = sum(capacity[i + 1 :])
        for v in range(max(0, left - rest), min(left, capacity[i]) + 1):
            rec(i + 1, left - v, (*acc, v))

    rec(0, total, ())
    return out


def _freeman_halton(table: np.ndarray, max_tables: int) -> float:
    """Sum of the probabilities of all tables with the observed margins that are no more
    likely than the observed one.

    The first columns are enumerated; the completions over the last two columns are computed
    once per remaining row-total vector and kept sorted, so each partial table is finished
    with one binary search instead of a loop.
    """
    rows = tuple(int(x) for x in table.sum(axis=1))
    cols = [int(x) for x in table.sum(axis=0)]
    n = int(table.sum())
    lf = _log_factorials(n)
    const = float(lf[list(rows)].sum() + lf[cols].sum() - lf[n])
    observed = const - float(lf[table.ravel()].sum())
    threshold = observed + 1e-7  # relative tolerance 1e-7 on the probability, as R's fisher.test
    last = len(cols) - 1
    cache: dict[tuple[int, ...], tuple[np.ndarray, np.ndarray]] = {}
    visited = 0

    def completions(remaining: tuple[int, ...]) -> tuple[np.ndarray, np.ndarray]:
        """Sorted log-weights of the last two columns and the running sum of their exps."""
        nonlocal visited
        if remaining not in cache:
            weights = []
            splits = _splits(cols[last - 1], remaining)
            visited += len(splits)
            if visited > max_tables:
                raise _TooMany
            for split in splits:
                rest = [remaining[i] - split[i] for i in range(len(rows))]
                weights.append(-float(lf[list(split)].sum() + lf[rest].sum()))
            arr = np.sort(np.array(weights))
            cache[remaining] = (arr, np.cumsum(np.exp(arr - arr[-1])))
        return cache[remaining]

    def walk(j: int, remaining: tuple[int, ...], past: float) -> float:
        nonlocal visited
        visited += 1
        if visited > max_tables:
            raise _TooMany
        if j == last - 1:
            arr, cum = completions(remaining)
            # tables at or below the threshold: past + const + arr <= threshold
            k = int(np.searchsorted(arr, threshold - const - past, side="right"))
            return 0.0 if k == 0 else math.exp(past + const + arr[-1]) * float(cum[k - 1])
        total = 0.0
        for split in _splits(cols[j], remaining):
            rest = tuple(remaining[i] - split[i] for i in range(len(rows)))
            total += walk(j + 1, rest, past - float(lf[list(split)].sum()))
        return total

    if last == 0:
        return 1.0
    return min(1.0, walk(0, rows, 0.0))


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
        method = stats.MonteCarloMethod(
            n_resamples=MONTE_CARLO_RESAMPLES, rng=np.random.default_rng(0)
        )
        res = stats.fisher_exact(kept, method=method)
        return FisherResult(as_tuple, float(res.pvalue), None, MONTE_CARLO)
    return FisherResult(as_tuple, p, None, FREEMAN_HALTON)
