"""Fisher's exact test, two-sided, against R 4.2.2's ``fisher.test``.

Several of the 2 x 2 tables are ones where the two common two-sided definitions differ: R (and
myotrack) sum the probabilities of the tables no more likely than the observed one; doubling
the smaller one-sided p gives another number, sometimes on the other side of 0.05. The last
2 x 2 table is one where the two agree. Two larger tables check the Freeman-Halton extension.

R code (the script run, /work/wt-notes/stats/fisher.R in the development notes)::

    show <- function(name, m) {
      f <- fisher.test(m)
      print(f)
      cat("fisher.test two-sided p =", format(f$p.value, digits = 10), "\\n")
      if (all(dim(m) == 2)) {
        l <- fisher.test(m, alternative = "less")$p.value
        g <- fisher.test(m, alternative = "greater")$p.value
        cat("doubled one-sided p = min(1, 2 * min(less, greater)) =",
            format(min(1, 2 * min(l, g)), digits = 10), "\\n")
      }
    }
    show("seed004 female", rbind(c(3, 9), c(3, 2)))
    show("seed004 dropped head", rbind(c(11, 1), c(4, 1)))
    show("crosses 0.05 by definition", rbind(c(0, 5), c(6, 4)))
    show("crosses 0.05 by definition (2)", rbind(c(10, 2), c(4, 7)))
    show("differ", rbind(c(2, 7), c(8, 2)))
    show("definitions agree", rbind(c(7, 2), c(3, 8)))
    show("2 x 3", rbind(c(3, 1, 2), c(0, 4, 2)))
    show("3 x 3", rbind(c(2, 0, 1), c(1, 3, 0), c(0, 1, 4)))

R's output (``print(f)`` shortened to its p-value line)::

    == seed004 female
    p-value = 0.2801
    fisher.test two-sided p = 0.2800581771
    doubled one-sided p = min(1, 2 * min(less, greater)) = 0.4107950873
    == seed004 dropped head
    p-value = 0.5147
    fisher.test two-sided p = 0.5147058824
    doubled one-sided p = min(1, 2 * min(less, greater)) = 1
    == crosses 0.05 by definition
    p-value = 0.04396
    fisher.test two-sided p = 0.04395604396
    doubled one-sided p = min(1, 2 * min(less, greater)) = 0.08391608392
    == crosses 0.05 by definition (2)
    p-value = 0.03607
    fisher.test two-sided p = 0.03607484184
    doubled one-sided p = min(1, 2 * min(less, greater)) = 0.05828509894
    == differ
    p-value = 0.02301
    fisher.test two-sided p = 0.02301413757
    doubled one-sided p = min(1, 2 * min(less, greater)) = 0.0370434519
    == definitions agree
    p-value = 0.06978
    fisher.test two-sided p = 0.06977851869
    doubled one-sided p = min(1, 2 * min(less, greater)) = 0.06977851869
    == 2 x 3
    p-value = 0.1342
    fisher.test two-sided p = 0.1341991342
    == 3 x 3
    p-value = 0.03499
    fisher.test two-sided p = 0.03499278499

R's printed 'odds ratio' is the conditional maximum-likelihood estimate; myotrack's
``odds_ratio`` is the sample odds ratio, so it is not compared.
"""

from __future__ import annotations

import pytest
from scipy import stats

from myotrack.cohort.fisher import FISHER, FREEMAN_HALTON, fisher_exact
from tests.cohort.r_printed import printed

TWO_BY_TWO = [
    # table, fisher.test p, doubled one-sided p
    ([[3, 9], [3, 2]], "0.2800581771", "0.4107950873"),
    ([[11, 1], [4, 1]], "0.5147058824", "1"),
    ([[0, 5], [6, 4]], "0.04395604396", "0.08391608392"),
    ([[10, 2], [4, 7]], "0.03607484184", "0.05828509894"),
    ([[2, 7], [8, 2]], "0.02301413757", "0.0370434519"),
    ([[7, 2], [3, 8]], "0.06977851869", "0.06977851869"),
]


@pytest.mark.parametrize(("table", "r_p", "doubled"), TWO_BY_TWO)
def test_two_by_two_against_r(table: list[list[int]], r_p: str, doubled: str) -> None:
    res = fisher_exact(table)
    assert res.method == FISHER
    assert res.p == printed(r_p)
    # the other definition is a different number wherever R's two lines differ
    one_sided = min(stats.fisher_exact(table, alternative=a).pvalue for a in ("less", "greater"))
    assert min(1.0, 2 * one_sided) == printed(doubled)
    assert (abs(res.p - float(doubled)) < 1e-9) == (r_p == doubled)


@pytest.mark.parametrize(
    ("table", "r_p"),
    [
        ([[3, 1, 2], [0, 4, 2]], "0.1341991342"),
        ([[2, 0, 1], [1, 3, 0], [0, 1, 4]], "0.03499278499"),
    ],
)
def test_freeman_halton_against_r(table: list[list[int]], r_p: str) -> None:
    res = fisher_exact(table)
    assert res.method == FREEMAN_HALTON
    assert res.p == printed(r_p)
