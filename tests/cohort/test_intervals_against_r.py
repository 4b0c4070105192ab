"""Exact (Clopper-Pearson) and Wilson intervals of a proportion against R 4.2.2.

R code (the script run, /work/wt-notes/stats/binom.R in the development notes)::

    cases <- list(c(0, 5), c(2, 5), c(5, 5), c(1, 12), c(7, 17), c(9, 12), c(3, 7))
    for (kn in cases) {
      k <- kn[1]; n <- kn[2]
      cp <- binom.test(k, n)$conf.int
      w <- suppressWarnings(prop.test(k, n, correct = FALSE)$conf.int)
      cat(sprintf("k = %d, n = %d: binom.test %s   prop.test(correct = FALSE) %s\\n", k, n,
                  paste(format(cp, digits = 7), collapse = " "),
                  paste(format(w, digits = 7), collapse = " ")))
    }
    print(binom.test(7, 17, conf.level = 0.9)$conf.int)
    print(suppressWarnings(prop.test(7, 17, conf.level = 0.9, correct = FALSE))$conf.int)

R's output::

    k = 0, n = 5: binom.test 0.0000000 0.5218238   prop.test(correct = FALSE) 0.0000000 0.4344825
    k = 2, n = 5: binom.test 0.05274495 0.85336720   prop.test(correct = FALSE) 0.1176208 0.7692757
    k = 5, n = 5: binom.test 0.4781762 1.0000000   prop.test(correct = FALSE) 0.5655175 1.0000000
    k = 1, n = 12: binom.test 0.002107593 0.384796165   prop.test(correct = FALSE) 0.01486509 0.35387991
    k = 7, n = 17: binom.test 0.1844370 0.6707528   prop.test(correct = FALSE) 0.2161106 0.6399456
    k = 9, n = 12: binom.test 0.4281415 0.9451394   prop.test(correct = FALSE) 0.4676947 0.9110583
    k = 3, n = 7: binom.test 0.09898828 0.81594843   prop.test(correct = FALSE) 0.1582199 0.7495416
    [1] 0.2119082 0.6359912
    attr(,"conf.level")
    [1] 0.9
    [1] 0.2411158 0.6066427
    attr(,"conf.level")
    [1] 0.9

prop.test warns 'Chi-squared approximation may be incorrect' for these small n; the warning
concerns its test, not the Wilson interval.
"""

from __future__ import annotations

import pytest

from myotrack.cohort.intervals import clopper_pearson, proportion, wilson
from tests.cohort.r_printed import printed

R_95 = [
    # k, n, binom.test lower, upper, prop.test(correct = FALSE) lower, upper
    (0, 5, "0.0000000", "0.5218238", "0.0000000", "0.4344825"),
    (2, 5, "0.05274495", "0.85336720", "0.1176208", "0.7692757"),
    (5, 5, "0.4781762", "1.0000000", "0.5655175", "1.0000000"),
    (1, 12, "0.002107593", "0.384796165", "0.01486509", "0.35387991"),
    (7, 17, "0.1844370", "0.6707528", "0.2161106", "0.6399456"),
    (9, 12, "0.4281415", "0.9451394", "0.4676947", "0.9110583"),
    (3, 7, "0.09898828", "0.81594843", "0.1582199", "0.7495416"),
]


@pytest.mark.parametrize(("k", "n", "cp_lo", "cp_hi", "w_lo", "w_hi"), R_95)
def test_intervals_against_r(k: int, n: int, cp_lo: str, cp_hi: str, w_lo: str, w_hi: str) -> None:
    assert clopper_pearson(k, n) == (printed(cp_lo), printed(cp_hi))
    assert wilson(k, n) == (printed(w_lo), printed(w_hi))


def test_level_90_against_r() -> None:
    p = proportion(7, 17, level=0.9)
    assert (p.exact_lower, p.exact_upper) == (printed("0.2119082"), printed("0.6359912"))
    assert (p.wilson_lower, p.wilson_upper) == (printed("0.2411158"), printed("0.6066427"))


def test_bounds_are_exactly_zero_and_one() -> None:
    """R prints 0.0000000 and 1.0000000: the limits at k = 0 and k = n are exact, not rounded."""
    assert clopper_pearson(0, 5)[0] == 0.0 and clopper_pearson(5, 5)[1] == 1.0
    assert wilson(0, 5)[0] == 0.0 and wilson(5, 5)[1] == 1.0
