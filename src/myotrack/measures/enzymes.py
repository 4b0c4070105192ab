"""Muscle enzymes against their lab's upper limit of normal, and the changes criteria use.

Every lab has its own upper limit of normal (ULN): 170 IU/L in seed 002 (Tables 2-3 footnote,
"CK normal range 24-170 IU/L"), 200 U/L in seed 000 ("normal < 200"), 226 IU/L in seed 001
(Table 1 footnote, "19 to 226 IU/L"). A CK is therefore compared through ``CK / ULN``.

- :func:`ck_x_uln`: multiples of the ULN (seed 004: relapse needs CK > 3x ULN, remission
  CK < 1.5x ULN).
- :func:`is_normal`: at or below the ULN (CK normalisation, seed 004 Results).
- :func:`percent_change`: relative change from baseline, ``(follow-up - baseline) / baseline
  x 100`` (negative when the enzyme falls). The 2016 ACR/EULAR myositis response criteria
  score the enzyme, which has no upper bound, by its relative change (Aggarwal et al., Ann
  Rheum Dis 2017;76:792); the IMACS 2004 definition of improvement scores every core set
  measure by it (Rider et al., Arthritis Rheum 2004;50:2281).
- :func:`percent_of_range`: change over the width of a bounded scale, ``(follow-up - baseline)
  / range x 100`` (the 2016 criteria's "absolute percent change" for the global activities,
  manual muscle testing and HAQ).
- :func:`fold_decrease`: ``baseline / follow-up`` (seed 001 Table 4 footnote: response to
  rituximab is "CK levels declined by 10-fold within 6 months").
- :func:`most_abnormal`: the enzyme furthest above its ULN, the one the 2016 criteria follow
  ("Enzyme (most abnormal)", Table 3).

One implementation for a number and for a column: :func:`ck_x_uln` and :func:`fold_decrease`
given numbers check them (a CK cannot be negative, a ULN must be above 0) and return a number;
given columns (NumPy arrays, or Ibis values in the criteria engine's SQL) they compute the same
division on every row without checks (a division by 0 gives infinity or NaN in NumPy, null in
SQL). The changes and the most abnormal enzyme are computed on NumPy arrays
(:func:`relative_change`, :func:`range_change`, :func:`most_abnormal_index`: the core set
criteria score every patient at once); :func:`percent_change`, :func:`percent_of_range` and
:func:`most_abnormal` check their numbers and compute one row of those. Changes are rounded to
:data:`~myotrack.measures._numbers.DECIMALS` decimals, so that decimal inputs give their decimal
result: a change of exactly 5% is 5.0, not 5.000000000000004.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from myotrack.measures._numbers import is_column, number, rounded
from myotrack.measures.errors import MeasureError


def _uln(uln: object) -> float:
    value = number(uln, "the upper limit of normal")
    if value <= 0:
        raise MeasureError(f"the upper limit of normal must be above 0, not {uln!r}")
    return value


def _level(value: object, name: str) -> float:
    out = number(value, name)
    if out < 0:
        raise MeasureError(f"{name} cannot be negative ({value!r})")
    return out


def ck_x_uln(ck: Any, uln: Any) -> Any:
    """CK as a multiple of the lab's upper limit of normal (e.g. 3,400 / 170 -> 20.0)."""
    if is_column(ck) or is_column(uln):
        return ck / uln
    return _level(ck, "CK") / _uln(uln)


def is_normal(value: float, uln: float) -> bool:
    """True when an enzyme is at or below its upper limit of normal."""
    return _level(value, "the enzyme value") <= _uln(uln)


def relative_change(baseline: ArrayLike, follow_up: ArrayLike) -> NDArray[np.float64]:
    """Per row, ``(follow-up - baseline) / baseline x 100``, rounded (NaN where unknown)."""
    b = np.asarray(baseline, dtype=np.float64)
    f = np.asarray(follow_up, dtype=np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        return rounded((f - b) / b * 100.0)


def range_change(
    baseline: ArrayLike, follow_up: ArrayLike, scale_range: float
) -> NDArray[np.float64]:
    """Per row, ``(follow-up - baseline) / range x 100``, rounded (NaN where unknown)."""
    b = np.asarray(baseline, dtype=np.float64)
    f = np.asarray(follow_up, dtype=np.float64)
    with np.errstate(invalid="ignore"):
        return rounded((f - b) / scale_range * 100.0)


def percent_change(baseline: float, follow_up: float) -> float:
    """Relative change from baseline in percent; negative when the value fell."""
    base = _level(baseline, "the baseline value")
    if base == 0:
        raise MeasureError("a relative change needs a baseline above 0")
    return float(relative_change(base, _level(follow_up, "the follow-up value")))


def percent_of_range(baseline: float, follow_up: float, scale_range: float) -> float:
    """Change over a scale's width in percent: (follow-up - baseline) / range x 100."""
    width = number(scale_range, "the scale range")
    if width <= 0:
        raise MeasureError(f"a scale range must be above 0, not {scale_range!r}")
    before = number(baseline, "the baseline value")
    return float(range_change(before, number(follow_up, "the follow-up value"), width))


def fold_decrease(baseline: Any, follow_up: Any) -> Any:
    """How many times lower the follow-up is: baseline / follow-up (2,000 -> 200 is 10.0)."""
    if is_column(baseline) or is_column(follow_up):
        return baseline / follow_up
    after = _level(follow_up, "the follow-up value")
    if after == 0:
        raise MeasureError("a fold decrease needs a follow-up value above 0")
    return _level(baseline, "the baseline value") / after


def most_abnormal_index(values: ArrayLike, ulns: ArrayLike) -> NDArray[np.int64]:
    """Per row of ``values`` / ``ulns`` (rows x enzymes), the column of the highest value / ULN,
    -1 where no enzyme has both (a ULN of 0 or below counts as unknown). Ties go to the first
    column."""
    v = np.asarray(values, dtype=np.float64)
    u = np.asarray(ulns, dtype=np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        ratios = np.where(u > 0, v / u, np.nan)
    if ratios.shape[1] == 0:
        return np.full(len(ratios), -1, dtype=np.int64)
    best = np.argmax(np.nan_to_num(ratios, nan=-np.inf), axis=1)
    return np.where(np.isnan(ratios).all(axis=1), -1, best).astype(np.int64)


def most_abnormal(enzymes: Mapping[str, tuple[float, float]]) -> str:
    """Name of the enzyme with the highest value / ULN, from ``{name: (value, uln)}``.

    Ties go to the first name in the mapping's order (:func:`most_abnormal_index` of one row).
    """
    if not enzymes:
        raise MeasureError("most_abnormal needs at least one enzyme with its ULN")
    names: Sequence[str] = list(enzymes)
    values = [_level(v, name) for name, (v, _) in enzymes.items()]
    ulns = [_uln(u) for _, u in enzymes.values()]
    return names[int(most_abnormal_index([values], [ulns])[0])]
