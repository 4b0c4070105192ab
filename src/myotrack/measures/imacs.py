"""IMACS 2004 preliminary definition of improvement (DOI) in adult and juvenile myositis.

Source: Rider LG, Giannini EH, Brunner HI, et al. International consensus on preliminary
definitions of improvement in adult and juvenile myositis. Arthritis Rheum 2004;50:2281-90.
Abstract: "The definition of improvement ... that ranked highest was 3 of any 6 of the core set
measures improved by >= 20%, with no more than 2 worse by >= 25% (which could not include
manual muscle testing to assess strength)."

The six core set measures are those of :class:`~myotrack.measures.coreset.CoreSet`
(physician global activity, patient global activity, MMT, HAQ, muscle enzyme, extramuscular
activity). Percent change is relative to the baseline value, the change from baseline as a
percentage of baseline (the later 2016 ACR/EULAR criteria replaced it by the change over the
scale's width): a fall for the global activities, HAQ and the enzyme, a rise for MMT. Both
edges belong to the band they name: exactly 20% better is improved, exactly 25% worse is worse.
A measure at 0 at baseline cannot improve by a percentage of 0: it is unchanged when it stays
0 and worse (by more than any percentage) when a lower-is-better measure rises from 0; MMT
rising from 0 is improved.

Missing measures: the definition counts "any" of the six, so a measure that was not assessed
at both visits can neither count as improved nor as worse. myotrack gives the verdict only when
it is the same whatever the missing measures would have shown: ``met`` is ``True`` or ``False``
when the assessed measures decide it (e.g. three improved and nothing worse with MMT assessed;
or three assessed measures worse), and ``None`` otherwise, with ``missing`` listing them.

One implementation: :func:`doi_scores` decides many pairs at once on NumPy arrays (the core set
criteria decide every patient with it); :func:`imacs_doi` checks one pair's values and decides
it as one row of :func:`doi_scores`. Percent changes are rounded to 9 decimals
(:mod:`myotrack.measures._numbers`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

import numpy as np
from numpy.typing import ArrayLike, NDArray

from myotrack.measures._numbers import number
from myotrack.measures.coreset import HIGHER_IS_BETTER, MEASURES, CoreSet
from myotrack.measures.enzymes import relative_change

IMPROVED_PERCENT = 20.0
WORSENED_PERCENT = 25.0
MIN_IMPROVED = 3
MAX_WORSENED = 2
MUST_NOT_WORSEN = "mmt8"


@dataclass(frozen=True)
class ImacsDoiResult:
    """The IMACS 2004 definition of improvement for one baseline / follow-up pair.

    ``percent_change_by_measure``: improvement in percent of baseline (positive = better,
    negative = worse; +/-inf when the baseline was 0).
    """

    met: bool | None
    improved: tuple[str, ...]
    worsened: tuple[str, ...]
    percent_change_by_measure: Mapping[str, float]
    missing: tuple[str, ...]

    def summary(self) -> str:
        """One line, e.g. 'IMACS DOI met: 3 improved (...), 0 worse'."""
        verdict = {True: "met", False: "not met", None: "not evaluable"}[self.met]
        text = (
            f"IMACS DOI {verdict}: {len(self.improved)} improved"
            f"{' (' + ', '.join(self.improved) + ')' if self.improved else ''}, "
            f"{len(self.worsened)} worse{' (' + ', '.join(self.worsened) + ')' if self.worsened else ''}"
        )
        if self.missing:
            text += f"; missing {', '.join(self.missing)}"
        return text


@dataclass(frozen=True)
class DoiScores:
    """The IMACS 2004 DOI of many baseline / follow-up pairs: row ``i`` of every array is pair
    ``i``. Per measure: ``improvement`` in percent of baseline (NaN where ``missing``),
    ``improved`` and ``worsened``. ``met`` holds where ``decided`` (the assessed measures decide
    the verdict whatever the missing ones would show)."""

    improvement: Mapping[str, NDArray[np.float64]]
    improved: Mapping[str, NDArray[np.bool_]]
    worsened: Mapping[str, NDArray[np.bool_]]
    missing: Mapping[str, NDArray[np.bool_]]
    met: NDArray[np.bool_]
    decided: NDArray[np.bool_]


def relative_improvements(
    measure: str, baseline: ArrayLike, follow_up: ArrayLike
) -> NDArray[np.float64]:
    """Per row, the improvement in percent of baseline (positive = better); from a baseline of
    0: 0 when it stays 0, +/-inf when it rises (+ for MMT). No checks: NaN stays NaN."""
    b = np.asarray(baseline, dtype=np.float64)
    f = np.asarray(follow_up, dtype=np.float64)
    change = relative_change(b, f)
    better_if_rising = measure in HIGHER_IS_BETTER
    rel = change if better_if_rising else -change
    zero = b == 0
    rel = np.where(zero & (f == 0), 0.0, rel)
    return np.where(zero & (f > b), np.inf if better_if_rising else -np.inf, rel)


def _met(improved: ArrayLike, worsened: ArrayLike, mmt_worse: ArrayLike) -> NDArray[np.bool_]:
    return (
        (np.asarray(improved) >= MIN_IMPROVED)
        & (np.asarray(worsened) <= MAX_WORSENED)
        & ~np.asarray(mmt_worse, dtype=bool)
    )


def doi_scores(baseline: Mapping[str, ArrayLike], follow_up: Mapping[str, ArrayLike]) -> DoiScores:
    """The IMACS DOI of many pairs: ``baseline`` and ``follow_up`` map each of :data:`MEASURES`
    to an array (NaN = not assessed). No checks: the values are the criteria's, already read."""
    improvement: dict[str, NDArray[np.float64]] = {}
    improved: dict[str, NDArray[np.bool_]] = {}
    worsened: dict[str, NDArray[np.bool_]] = {}
    missing: dict[str, NDArray[np.bool_]] = {}
    for m in MEASURES:
        b = np.asarray(baseline[m], dtype=np.float64)
        f = np.asarray(follow_up[m], dtype=np.float64)
        missing[m] = np.isnan(b) | np.isnan(f)
        rel = relative_improvements(m, b, f)
        improvement[m] = np.where(missing[m], np.nan, rel)
        improved[m] = ~missing[m] & (rel >= IMPROVED_PERCENT)
        worsened[m] = ~missing[m] & (rel <= -WORSENED_PERCENT)
    n_imp = sum(improved[m].astype(np.int64) for m in MEASURES)
    n_wor = sum(worsened[m].astype(np.int64) for m in MEASURES)
    n_miss = sum(missing[m].astype(np.int64) for m in MEASURES)
    mmt_worse, mmt_missing = worsened[MUST_NOT_WORSEN], missing[MUST_NOT_WORSEN]
    # the verdict if every missing measure improved, and if every one worsened
    best = _met(n_imp + n_miss, n_wor, mmt_worse)
    worst = _met(n_imp, n_wor + n_miss, mmt_worse | mmt_missing)
    return DoiScores(
        improvement=MappingProxyType(improvement),
        improved=MappingProxyType(improved),
        worsened=MappingProxyType(worsened),
        missing=MappingProxyType(missing),
        met=best,
        decided=best == worst,
    )


def relative_improvement(measure: str, baseline: float, follow_up: float) -> float:
    """Improvement in percent of baseline (positive = better) for one core set measure."""
    before = number(baseline, "the baseline value")
    after = number(follow_up, "the follow-up value")
    return float(relative_improvements(measure, before, after))


def imacs_doi(baseline: CoreSet, follow_up: CoreSet) -> ImacsDoiResult:
    """Whether the follow-up meets the IMACS 2004 definition of improvement (one row of
    :func:`doi_scores`, after :meth:`CoreSet.get` checks each value)."""
    before = {m: np.nan if (v := baseline.get(m)) is None else v for m in MEASURES}
    after = {m: np.nan if (v := follow_up.get(m)) is None else v for m in MEASURES}
    row = doi_scores(before, after)
    assessed = [m for m in MEASURES if not row.missing[m]]
    return ImacsDoiResult(
        met=bool(row.met) if row.decided else None,
        improved=tuple(m for m in MEASURES if row.improved[m]),
        worsened=tuple(m for m in MEASURES if row.worsened[m]),
        percent_change_by_measure=MappingProxyType(
            {m: float(row.improvement[m]) for m in assessed}
        ),
        missing=tuple(m for m in MEASURES if row.missing[m]),
    )
