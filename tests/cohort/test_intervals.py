"""Confidence intervals of a proportion against R and closed forms.

R: binom.test(2, 5)$conf.int -> 0.05274495 0.85336720 (Clopper-Pearson);
   prop.test(2, 5, correct = FALSE)$conf.int -> 0.1176208 0.7692757 (Wilson).
Closed forms: for k = 0 the exact upper limit is 1 - (a/2)^(1/n); for k = n the lower limit
is (a/2)^(1/n). Wilson by hand for 2/5: z = 1.959964, z^2 = 3.841459; centre =
(0.4 + 3.841459/10) / (1 + 3.841459/5) = 0.784146 / 1.768292 = 0.443448; half-width =
1.959964 x sqrt(0.4 x 0.6 / 5 + 3.841459 / 100) / 1.768292 = 0.325827.
"""

from __future__ import annotations

import math

import pytest

from myotrack.cohort.intervals import clopper_pearson, proportion, wilson


def test_two_of_five() -> None:
    lo, hi = clopper_pearson(2, 5)
    assert (round(lo, 4), round(hi, 4)) == (0.0527, 0.8534)
    lo, hi = wilson(2, 5)
    assert lo == pytest.approx(0.443448 - 0.325827, abs=2e-6)
    assert hi == pytest.approx(0.443448 + 0.325827, abs=2e-6)
    assert (round(lo, 4), round(hi, 4)) == (0.1176, 0.7693)


@pytest.mark.parametrize("n", [1, 5, 17])
def test_exact_limits_at_zero_and_all(n: int) -> None:
    assert clopper_pearson(0, n) == (0.0, pytest.approx(1 - 0.025 ** (1 / n)))
    assert clopper_pearson(n, n) == (pytest.approx(0.025 ** (1 / n)), 1.0)


def test_exact_interval_is_wider_than_wilson() -> None:
    for k in range(0, 8):
        e = clopper_pearson(k, 7)
        w = wilson(k, 7)
        assert e[0] <= w[0] + 1e-12 and e[1] >= w[1] - 1e-12


def test_other_levels_and_empty() -> None:
    p = proportion(7, 17, level=0.9)
    assert p.rate == pytest.approx(7 / 17)
    assert p.exact_lower < p.rate < p.exact_upper
    assert all(math.isnan(x) for x in clopper_pearson(0, 0))
    with pytest.raises(ValueError):
        wilson(6, 5)
    with pytest.raises(ValueError):
        clopper_pearson(1, 5, level=1.5)
