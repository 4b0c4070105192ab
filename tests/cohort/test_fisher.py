"""Fisher's exact test: scipy for 2 x 2, exact enumeration (Freeman-Halton) beyond."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from scipy import stats

from myotrack.cohort.fisher import FISHER, FREEMAN_HALTON, MONTE_CARLO, fisher_exact


def brute_force(table: list[list[int]]) -> float:
    """Sum of the probabilities of every table with the same margins that is no more likely
    than the observed one (probabilities from scipy.stats.random_table)."""
    arr = np.array(table)
    rows, cols = arr.sum(axis=1), arr.sum(axis=0)
    dist = stats.random_table(rows, cols)
    observed = dist.pmf(arr)
    total = 0.0
    r, c = arr.shape
    cells = [range(min(rows[i], cols[j]) + 1) for i in range(r - 1) for j in range(c - 1)]
    for free in itertools.product(*cells):
        t = np.zeros((r, c), dtype=int)
        t[: r - 1, : c - 1] = np.array(free).reshape(r - 1, c - 1)
        t[: r - 1, c - 1] = rows[: r - 1] - t[: r - 1, : c - 1].sum(axis=1)
        t[r - 1, :] = cols - t[: r - 1, :].sum(axis=0)
        if (t < 0).any():
            continue
        p = dist.pmf(t)
        if p <= observed * (1 + 1e-7):
            total += p
    return float(total)


def test_two_by_two_is_scipy() -> None:
    res = fisher_exact([[9, 3], [2, 3]])
    assert res.method == FISHER
    assert res.p == pytest.approx(stats.fisher_exact([[9, 3], [2, 3]]).pvalue)
    assert res.odds_ratio == pytest.approx(4.5)


def test_r_tea_tasting() -> None:
    """R documentation of fisher.test: TeaTasting, two-sided p-value = 0.4857."""
    assert round(fisher_exact([[3, 1], [1, 3]]).p, 4) == 0.4857


@pytest.mark.parametrize(
    "table",
    [
        [[3, 1, 2], [0, 4, 2]],
        [[2, 0, 1], [1, 3, 0], [0, 1, 4]],
        [[5, 1, 0, 2], [1, 4, 3, 0]],
    ],
)
def test_larger_tables_match_enumeration(table: list[list[int]]) -> None:
    res = fisher_exact(table)
    assert res.method == FREEMAN_HALTON
    assert res.p == pytest.approx(brute_force(table), rel=1e-9)


def test_r_job_satisfaction_by_monte_carlo() -> None:
    """R documentation of fisher.test: Job satisfaction 4 x 4 table, p-value = 0.7827.

    The table has too many arrangements for the default work limit, so the p value is a
    Monte Carlo estimate (100,000 tables, fixed seed, so the same on every run): within 0.01
    of R's exact value.
    """
    job = np.array([[1, 2, 1, 0], [3, 3, 6, 1], [10, 10, 14, 9], [6, 7, 12, 11]]).T
    res = fisher_exact(job.tolist())
    assert res.method == MONTE_CARLO
    assert res.p == pytest.approx(0.7827, abs=0.01)


def test_empty_rows_and_columns_are_dropped() -> None:
    assert fisher_exact([[3, 0, 1], [2, 0, 4]]).p == pytest.approx(fisher_exact([[3, 1], [2, 4]]).p)
    assert fisher_exact([[3, 2], [0, 0]]).p == 1.0


def test_negative_counts_are_refused() -> None:
    with pytest.raises(ValueError):
        fisher_exact([[1, -1], [2, 3]])
