"""Mann-Whitney U test with exact p values for small groups, ties included.

What is reported is what SPSS prints for the test (the program the seed papers used, e.g. 004
section 1.5) plus the exact p value that is correct when there are ties:

- ``u_first`` / ``u_second``: U counted from each group's side (``u_first + u_second = n1 * n2``);
  ``U = rank sum - n (n + 1) / 2`` with mid-ranks for ties.
- ``mean_rank_first`` / ``mean_rank_second``: mean of the pooled mid-ranks of each group.
- ``z``: the normal approximation with the tie correction and no continuity correction,
  ``z = (u_first - n1 n2 / 2) / sqrt(n1 n2 / 12 * ((N + 1) - sum(t^3 - t) / (N (N - 1))))``.
  It is computed from the first group's U, so its sign says which group ranks lower; SPSS
  prints the z of the smaller U, which is never positive (same absolute value).
- ``p_exact``: the exact two-sided p value from the permutation distribution of U given the
  observed mid-ranks: ``P(|U - n1 n2 / 2| >= |u - n1 n2 / 2|)`` over all ``C(N, n1)`` ways to
  split the pooled values (R: ``coin::wilcox_test(..., distribution = "exact")``). Without
  ties this is ``scipy.stats.mannwhitneyu(method='exact')``, which is used then. With ties it
  is computed here, because SciPy has no exact tie-corrected distribution: its ``'exact'``
  method uses the tie-free distribution ("No correction is made for ties"), and a
  ``PermutationMethod`` would either list all ``C(N, n1)`` splits (exponential in N) or sample
  them. :func:`rank_sum_distribution` counts the splits by rank sum instead (a knapsack over
  the doubled mid-ranks, as in Streitberg and Röhmel's shift algorithm), in about
  ``n1 x N x sum(ranks)`` steps.
- ``p_exact_untied``: the exact p value computed as if there were no ties, ``2 * P(U <= min U)``
  in the tie-free distribution (R: ``2 * pwilcox(min U, n1, n2)``). SPSS prints this as
  "Exact Sig. [2*(1-tailed Sig.)]" with the footnote "Not corrected for ties"; keep it to
  compare with published SPSS output. It is computed here with the same counting:
  ``scipy.stats.mannwhitneyu(method='exact')`` gives the same value when U is a whole number,
  but for a half-integer U (ties) it truncates the larger U to a whole number, which gives
  ``2 * P(U <= min U + 1/2)``, not ``2 * P(U <= min U)`` (e.g. 0.0350 instead of R's 0.0221 for
  the third data set of the R tests).
- ``p_asymptotic``: two-sided p value of ``z`` (R: ``wilcox.test(..., exact = FALSE,
  correct = FALSE)``).

tests/cohort/test_mannwhitney_against_r.py checks every number against R on data whose tied
and untied exact p values differ.

``method`` says which p value is the test's result: ``exact`` (no ties), ``exact (permutation,
ties)`` or ``asymptotic (normal, tie-corrected)`` when the pooled sample is larger than
``exact_max_n``.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
from scipy import stats

#: Largest pooled sample for which the exact distribution is computed by default.
EXACT_MAX_N = 120

EXACT = "exact"
EXACT_TIES = "exact (permutation, ties)"
ASYMPTOTIC = "asymptotic (normal, tie-corrected)"


@dataclass(frozen=True)
class MannWhitneyResult:
    """One Mann-Whitney U comparison of two groups (first vs second)."""

    n_first: int
    n_second: int
    u_first: float
    u_second: float
    rank_sum_first: float
    rank_sum_second: float
    mean_rank_first: float
    mean_rank_second: float
    z: float
    p_exact: float | None
    p_exact_untied: float | None
    p_asymptotic: float
    ties: bool
    method: str

    @property
    def u(self) -> float:
        """The smaller U, as SPSS prints it."""
        return min(self.u_first, self.u_second)

    @property
    def p(self) -> float:
        """The p value of the method used."""
        if self.method == ASYMPTOTIC or self.p_exact is None:
            return self.p_asymptotic
        return self.p_exact


def _values(sample: Iterable[float]) -> np.ndarray:
    arr = np.asarray([float(v) for v in sample], dtype=float)
    return arr[~np.isnan(arr)]


def rank_sum_distribution(doubled_ranks: np.ndarray, k: int) -> np.ndarray:
    """Probability of each doubled rank sum of ``k`` items drawn without replacement.

    ``doubled_ranks`` are the pooled mid-ranks times two (whole numbers). Entry ``s`` of the
    result is the share of the ``C(N, k)`` subsets whose doubled ranks add up to ``s``.
    Counting subsets by sum is a knapsack recursion: ``ways[j][s]`` is the number of ways to
    pick ``j`` items with sum ``s`` among those seen so far.
    """
    ranks = np.asarray(doubled_ranks, dtype=np.int64)
    total = int(ranks.sum())
    ways = np.zeros((k + 1, total + 1), dtype=float)
    ways[0, 0] = 1.0
    for r in ranks:
        r = int(r)
        # the right-hand side is evaluated before assignment: each item is used at most once
        ways[1:, r:] = ways[1:, r:] + ways[:-1, : total + 1 - r]
    counts = ways[k]
    return counts / counts.sum()


def _exact_p_ties(doubled_ranks: np.ndarray, k: int, observed: int) -> float:
    dist = rank_sum_distribution(doubled_ranks, k)
    centre = k * (len(doubled_ranks) + 1)  # doubled expected rank sum
    sums = np.arange(dist.size)
    extreme = np.abs(sums - centre) >= abs(observed - centre)
    return float(min(1.0, dist[extreme].sum()))


def _exact_p_untied(u_min: float, n1: int, n2: int) -> float:
    """2 * P(U <= u_min) in the tie-free distribution of U, as SPSS prints it."""
    doubled = np.arange(2, 2 * (n1 + n2) + 1, 2)
    dist = rank_sum_distribution(doubled, n1)
    # doubled rank sum of the first group = 2 * (U + n1 (n1 + 1) / 2)
    limit = 2 * u_min + n1 * (n1 + 1)
    sums = np.arange(dist.size)
    return float(min(1.0, 2 * dist[sums <= limit + 1e-9].sum()))


def mann_whitney(
    first: Iterable[float], second: Iterable[float], exact_max_n: int = EXACT_MAX_N
) -> MannWhitneyResult:
    """Compare two samples with the Mann-Whitney U test (missing values dropped).

    Raises ValueError when a group is empty: a comparison needs a value in each group.
    """
    x = _values(first)
    y = _values(second)
    n1, n2 = len(x), len(y)
    if n1 == 0 or n2 == 0:
        raise ValueError("each group needs at least one value for a Mann-Whitney U test")
    pooled = np.concatenate([x, y])
    n = n1 + n2
    ranks = stats.rankdata(pooled)
    r1 = float(ranks[:n1].sum())
    r2 = float(ranks[n1:].sum())
    u1 = r1 - n1 * (n1 + 1) / 2
    u2 = r2 - n2 * (n2 + 1) / 2
    _, counts = np.unique(pooled, return_counts=True)
    tie_term = float((counts.astype(float) ** 3 - counts).sum())
    ties = bool((counts > 1).any())
    variance = n1 * n2 / 12 * ((n + 1) - (tie_term / (n * (n - 1)) if n > 1 else 0.0))
    z = (u1 - n1 * n2 / 2) / math.sqrt(variance) if variance > 0 else 0.0
    p_asym = float(2 * stats.norm.sf(abs(z))) if variance > 0 else 1.0

    p_exact: float | None = None
    p_untied: float | None = None
    if n <= exact_max_n:
        p_untied = _exact_p_untied(min(u1, u2), n1, n2)
        if ties:
            doubled = np.rint(2 * ranks).astype(np.int64)
            p_exact = _exact_p_ties(doubled, n1, int(doubled[:n1].sum()))
            method = EXACT_TIES
        else:
            p_exact = float(
                stats.mannwhitneyu(x, y, alternative="two-sided", method="exact").pvalue
            )
            method = EXACT
    else:
        method = ASYMPTOTIC
    return MannWhitneyResult(
        n_first=n1,
        n_second=n2,
        u_first=u1,
        u_second=u2,
        rank_sum_first=r1,
        rank_sum_second=r2,
        mean_rank_first=r1 / n1,
        mean_rank_second=r2 / n2,
        z=z,
        p_exact=p_exact,
        p_exact_untied=p_untied,
        p_asymptotic=p_asym,
        ties=ties,
        method=method,
    )
