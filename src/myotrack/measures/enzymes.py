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

Changes are computed on the decimal values as written, so a change of exactly 5% is 5.0.
"""

from __future__ import annotations

from collections.abc import Mapping

from myotrack.measures._numbers import exact, number
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


def ck_x_uln(ck: float, uln: float) -> float:
    """CK as a multiple of the lab's upper limit of normal (e.g. 3,400 / 170 -> 20.0)."""
    return float(exact(_level(ck, "CK"), "CK") / exact(_uln(uln), "ULN"))


def is_normal(value: float, uln: float) -> bool:
    """True when an enzyme is at or below its upper limit of normal."""
    return _level(value, "the enzyme value") <= _uln(uln)


def percent_change(baseline: float, follow_up: float) -> float:
    """Relative change from baseline in percent; negative when the value fell."""
    base = exact(_level(baseline, "the baseline value"), "baseline")
    if base == 0:
        raise MeasureError("a relative change needs a baseline above 0")
    return float((exact(_level(follow_up, "the follow-up value"), "follow-up") - base) / base * 100)


def percent_of_range(baseline: float, follow_up: float, scale_range: float) -> float:
    """Change over a scale's width in percent: (follow-up - baseline) / range x 100."""
    width = exact(number(scale_range, "the scale range"), "scale range")
    if width <= 0:
        raise MeasureError(f"a scale range must be above 0, not {scale_range!r}")
    change = exact(baseline, "the baseline value") - exact(follow_up, "the follow-up value")
    return float(-change / width * 100)


def fold_decrease(baseline: float, follow_up: float) -> float:
    """How many times lower the follow-up is: baseline / follow-up (2,000 -> 200 is 10.0)."""
    after = exact(_level(follow_up, "the follow-up value"), "follow-up")
    if after == 0:
        raise MeasureError("a fold decrease needs a follow-up value above 0")
    return float(exact(_level(baseline, "the baseline value"), "baseline") / after)


def most_abnormal(enzymes: Mapping[str, tuple[float, float]]) -> str:
    """Name of the enzyme with the highest value / ULN, from ``{name: (value, uln)}``.

    Ties go to the first name in the mapping's order.
    """
    if not enzymes:
        raise MeasureError("most_abnormal needs at least one enzyme with its ULN")
    best_name = ""
    best = None
    for name, (value, uln) in enzymes.items():
        ratio = exact(_level(value, f"{name}"), name) / exact(_uln(uln), f"{name} ULN")
        if best is None or ratio > best:
            best_name, best = name, ratio
    return best_name
