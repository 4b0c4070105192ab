"""The Mann-Whitney U test against scipy and against brute-force enumeration."""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from myotrack.cohort.mannwhitney import (
    ASYMPTOTIC,
    EXACT,
    EXACT_TIES,
    mann_whitney,
    rank_sum_distribution,
)


def brute_force_p(x: Sequence[float], y: Sequence[float]) -> float:
    """Two-sided exact p by listing all C(N, n1) splits of the pooled mid-ranks."""
    pooled = np.array([*x, *y], dtype=float)
    ranks = stats.rankdata(pooled)
    n1 = len(x)
    centre = n1 * (len(pooled) + 1) / 2
    observed = abs(ranks[:n1].sum() - centre)
    hits = total = 0
    for idx in itertools.combinations(range(len(pooled)), n1):
        total += 1
        if abs(ranks[list(idx)].sum() - centre) >= observed - 1e-9:
            hits += 1
    return hits / total


def test_no_ties_equals_scipy_exact() -> None:
    x = [3.1, 4.5, 2.2, 8.0, 5.5, 1.0, 9.9]
    y = [6.1, 7.7, 10.2, 11.0]
    res = mann_whitney(x, y)
    ref = stats.mannwhitneyu(x, y, alternative="two-sided", method="exact")
    assert res.method == EXACT and not res.ties
    assert res.u_first == ref.statistic
    assert res.p == pytest.approx(ref.pvalue)
    assert res.p_exact_untied == pytest.approx(ref.pvalue)


def test_ties_match_brute_force_enumeration() -> None:
    x = [1, 2, 2, 3, 5, 5, 5]
    y = [2, 4, 5, 6, 6]
    res = mann_whitney(x, y)
    assert res.method == EXACT_TIES and res.ties
    assert res.p == pytest.approx(brute_force_p(x, y), abs=1e-12)


@settings(max_examples=40, deadline=None)
@given(
    st.lists(st.integers(0, 6), min_size=1, max_size=6),
    st.lists(st.integers(0, 6), min_size=1, max_size=6),
)
def test_exact_p_is_the_permutation_p(x: list[int], y: list[int]) -> None:
    res = mann_whitney(x, y)
    assert res.p_exact == pytest.approx(
        brute_force_p([float(v) for v in x], [float(v) for v in y]), abs=1e-9
    )
    assert res.u_first + res.u_second == len(x) * len(y)
    assert 0 < res.p <= 1


def test_z_is_the_tie_corrected_normal_approximation() -> None:
    x = [1, 2, 2, 3, 5, 5, 5, 8]
    y = [2, 4, 5, 6, 6, 9]
    res = mann_whitney(x, y)
    ref = stats.mannwhitneyu(
        x, y, alternative="two-sided", method="asymptotic", use_continuity=False
    )
    assert res.p_asymptotic == pytest.approx(ref.pvalue)
    # z by hand: tie groups 2 (x3), 5 (x4), 6 (x2)
    n1, n2, n = 8, 6, 14
    ties = (27 - 3) + (64 - 4) + (8 - 2)
    sigma = math.sqrt(n1 * n2 / 12 * ((n + 1) - ties / (n * (n - 1))))
    assert res.z == pytest.approx((res.u_first - n1 * n2 / 2) / sigma)


def test_large_groups_use_the_normal_approximation() -> None:
    rng = np.random.default_rng(0)
    res = mann_whitney(rng.normal(size=80), rng.normal(size=60), exact_max_n=100)
    assert res.method == ASYMPTOTIC and res.p_exact is None and res.p == res.p_asymptotic


def test_missing_values_are_dropped_and_empty_groups_refused() -> None:
    res = mann_whitney([1.0, float("nan"), 3.0], [2.0, 4.0])
    assert res.n_first == 2
    with pytest.raises(ValueError, match="each group"):
        mann_whitney([float("nan")], [1.0])


def test_rank_sum_distribution_sums_to_one_and_is_symmetric() -> None:
    dist = rank_sum_distribution(np.arange(2, 21, 2), 4)
    assert dist.sum() == pytest.approx(1.0)
    support = np.flatnonzero(dist)
    assert np.allclose(dist[support], dist[support][::-1])


def test_untied_p_is_scipy_exact_when_u_is_whole() -> None:
    """The docstring's reason for counting ``p_exact_untied`` here: scipy's tie-free exact p
    agrees for a whole U and, for a half-integer U, truncates it (data C of the R tests: R's
    2 * pwilcox(5.5, 6, 7) = 0.02214452, scipy 0.03496503 = 2 * pwilcox(6, 6, 7))."""
    x, y = [36, 44, 44, 48, 50, 50, 54, 56], [30, 36, 40, 40, 44, 46, 48, 50, 50]
    whole = mann_whitney(x, y)
    assert whole.ties and whole.u_first == 51
    ref = stats.mannwhitneyu(x, y, method="exact")
    assert whole.p_exact_untied == pytest.approx(ref.pvalue)
    half = mann_whitney([0, 1, 1, 1, 2, 2], [1, 2, 2, 3, 3, 3, 4])
    assert half.u_first == 5.5
    scipy_p = stats.mannwhitneyu([0, 1, 1, 1, 2, 2], [1, 2, 2, 3, 3, 3, 4], method="exact").pvalue
    assert (round(half.p_exact_untied or 0, 8), round(scipy_p, 8)) == (0.02214452, 0.03496503)
