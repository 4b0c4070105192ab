"""2016 ACR/EULAR myositis response criteria: the Total Improvement Score (TIS, 0-100).

Sources: Aggarwal R, Rider LG, Ruperto N, et al. 2016 American College of Rheumatology/European
League Against Rheumatism criteria for minimal, moderate, and major clinical response in adult
dermatomyositis and polymyositis. Arthritis Rheumatol 2017;69:898-910 and Ann Rheum Dis
2017;76:792-801; Rider LG, Aggarwal R, et al. (juvenile dermatomyositis) Arthritis Rheumatol
2017;69:911-23 and Ann Rheum Dis 2017;76:782-91, Table 3 ("Final top response criteria"),
which gives the points and both threshold sets.

Each of the six IMACS core set measures scores points by its improvement band; the TIS is
their sum (maximum 20 + 10 + 32.5 + 10 + 7.5 + 20 = 100):

======================  =========  =======  ========  ========  ========  =====
measure                 bands (%)  <=5/<=2  >5-15     >15-25    >25-40    >40
                                            (>2-10)   (>10-20)  (>20-30)  (>30)
======================  =========  =======  ========  ========  ========  =====
physician global        general    0        7.5       15        17.5      20
patient global          general    0        2.5       5         7.5       10
MMT                     MMT        0        10        20        27.5      32.5
HAQ                     general    0        5         7.5       7.5       10
enzyme (most abnormal)  general    0        2.5       5         7.5       7.5
extramuscular activity  general    0        7.5       12.5      15        20
======================  =========  =======  ========  ========  ========  =====

The lowest band is "worsening to 5% improvement" (MMT: "to 2%"): worsening scores 0. A band's
upper edge belongs to it ("> 5% to 15%"): exactly 5% scores 0, exactly 15% scores 7.5.

Percent change ("absolute percent change", the criteria's abstract and Table 3 title): the
change divided by the width of the measure's scale, so a 10 cm VAS going from 6 to 4 improves
by 20% whatever the baseline; for MMT the improvement is a rise, for the others a fall. The
enzyme has no upper bound, so it has no scale width: it is scored by its relative change from
baseline, ``(baseline - follow-up) / baseline``. The scale widths are parameters
(:class:`~myotrack.measures.coreset.CoreSetScales`: VAS 0-10, MMT-8 0-80 or 0-150, HAQ 0-3).

Categories: adult dermatomyositis/polymyositis minimal >= 20, moderate >= 40, major >= 60;
juvenile dermatomyositis minimal >= 30, moderate >= 45, major >= 70 ('none' below minimal).

Missing measures: the IMACS web calculators "require inputting of baseline and follow-up values
for all 6 core set activity measures" (IMACS response criteria page). myotrack does not impute
a missing measure and does not present a sum of fewer measures as the TIS: when any measure is
missing at either visit, ``score`` and ``category`` are ``None``, ``missing`` lists the measures
and ``points_by_measure`` still shows the points of the measures that were assessed. The
``tis`` criterion (:mod:`myotrack.criteria.coreset`) gives no score either; it scores the range
the missing measures allow (0 to their maximum points) and decides the verdict when that range
cannot change it.

One implementation: :func:`tis_scores` scores many pairs at once on NumPy arrays (the core set
criteria score every patient with it); :func:`total_improvement_score` checks one pair's values
(scale maxima, a baseline enzyme above 0) and scores it as one row of :func:`tis_scores`.
Improvements are rounded to 9 decimals (:mod:`myotrack.measures._numbers`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Literal

import numpy as np
from numpy.typing import ArrayLike, NDArray

from myotrack.measures.coreset import (
    HIGHER_IS_BETTER,
    MEASURES,
    CoreSet,
    CoreSetScales,
    check_in_scale,
)
from myotrack.measures.enzymes import range_change, relative_change
from myotrack.measures.errors import MeasureError

Population = Literal["adult", "juvenile"]

#: Upper edges (percent) of the four lower bands; above the last edge is the top band.
GENERAL_EDGES: tuple[float, ...] = (5.0, 15.0, 25.0, 40.0)
MMT_EDGES: tuple[float, ...] = (2.0, 10.0, 20.0, 30.0)
#: Points per band, lowest band first (Table 3).
POINTS: Mapping[str, tuple[float, ...]] = MappingProxyType(
    {
        "physician_global": (0.0, 7.5, 15.0, 17.5, 20.0),
        "patient_global": (0.0, 2.5, 5.0, 7.5, 10.0),
        "mmt8": (0.0, 10.0, 20.0, 27.5, 32.5),
        "haq": (0.0, 5.0, 7.5, 7.5, 10.0),
        "enzyme": (0.0, 2.5, 5.0, 7.5, 7.5),
        "extramuscular_global": (0.0, 7.5, 12.5, 15.0, 20.0),
    }
)
#: (minimal, moderate, major) thresholds of the TIS.
THRESHOLDS: Mapping[str, tuple[float, float, float]] = MappingProxyType(
    {"adult": (20.0, 40.0, 60.0), "juvenile": (30.0, 45.0, 70.0)}
)
CATEGORIES: tuple[str, ...] = ("none", "minimal", "moderate", "major")


@dataclass(frozen=True)
class TisResult:
    """The TIS of one baseline / follow-up pair.

    ``percent_change_by_measure`` is the improvement in percent (positive = better, negative =
    worse) of every measure assessed at both visits; ``points_by_measure`` their points.
    ``score`` and ``category`` are ``None`` when ``missing`` is not empty.
    """

    score: float | None
    category: str | None
    points_by_measure: Mapping[str, float]
    percent_change_by_measure: Mapping[str, float]
    missing: tuple[str, ...]
    population: str = "adult"

    def summary(self) -> str:
        """One line, e.g. 'TIS 42.5 (moderate improvement, adult thresholds)'."""
        if self.score is None:
            return f"TIS not evaluable: missing {', '.join(self.missing)}"
        return f"TIS {self.score:g} ({self.category} improvement, {self.population} thresholds)"


@dataclass(frozen=True)
class TisScores:
    """The TIS of many baseline / follow-up pairs: row ``i`` of every array is pair ``i``.

    Per measure: ``improvement`` in percent (positive = better), ``band`` 0-4 and ``points``
    (NaN, -1 and NaN where ``missing``). ``score`` is NaN and ``category`` None where any
    measure is missing; ``at_least_minimal`` is the adult (or juvenile) minimal threshold met.
    """

    improvement: Mapping[str, NDArray[np.float64]]
    band: Mapping[str, NDArray[np.int64]]
    points: Mapping[str, NDArray[np.float64]]
    missing: Mapping[str, NDArray[np.bool_]]
    score: NDArray[np.float64]
    category: NDArray[np.object_]
    at_least_minimal: NDArray[np.bool_]
    population: str = "adult"


def _population(population: str) -> Population:
    if population not in THRESHOLDS:
        raise MeasureError(f"population is 'adult' or 'juvenile', not {population!r}")
    return "juvenile" if population == "juvenile" else "adult"


def _measure(measure: str) -> str:
    if measure not in MEASURES:
        raise MeasureError(
            f"unknown core set measure {measure!r}; use one of {', '.join(MEASURES)}"
        )
    return measure


def improvements(
    measure: str, baseline: ArrayLike, follow_up: ArrayLike, scales: CoreSetScales | None = None
) -> NDArray[np.float64]:
    """Per row, the improvement in percent (positive = better): over the scale's width, and
    relative to baseline for the enzyme. No checks: NaN stays NaN."""
    scales = scales or CoreSetScales()
    if _measure(measure) == "enzyme":
        return -relative_change(baseline, follow_up)
    change = range_change(baseline, follow_up, scales.maximum(measure))
    return change if measure in HIGHER_IS_BETTER else -change


def bands(measure: str, improvement: ArrayLike) -> NDArray[np.int64]:
    """Per row, the band 0-4 of an improvement in percent (0 = worsening up to the first
    edge; NaN is band 0)."""
    imp = np.asarray(improvement, dtype=np.float64)
    edges = MMT_EDGES if measure == "mmt8" else GENERAL_EDGES
    return np.asarray(sum((imp > edge).astype(np.int64) for edge in edges), dtype=np.int64)


def categories(score: ArrayLike, population: str = "adult") -> NDArray[np.object_]:
    """Per row, 'none', 'minimal', 'moderate' or 'major' for a TIS."""
    total = np.asarray(score, dtype=np.float64)
    levels = sum((total >= t).astype(np.int64) for t in THRESHOLDS[_population(population)])
    return np.asarray(CATEGORIES, dtype=object)[levels]


def tis_scores(
    baseline: Mapping[str, ArrayLike],
    follow_up: Mapping[str, ArrayLike],
    *,
    population: str = "adult",
    scales: CoreSetScales | None = None,
) -> TisScores:
    """The TIS of many pairs: ``baseline`` and ``follow_up`` map each of :data:`MEASURES` to an
    array (NaN = not assessed). No checks: the values are the criteria's, already read."""
    pop = _population(population)
    scales = scales or CoreSetScales()
    improvement: dict[str, NDArray[np.float64]] = {}
    band: dict[str, NDArray[np.int64]] = {}
    points_: dict[str, NDArray[np.float64]] = {}
    missing: dict[str, NDArray[np.bool_]] = {}
    total: NDArray[np.float64] = np.asarray(0.0)
    for m in MEASURES:
        b = np.asarray(baseline[m], dtype=np.float64)
        f = np.asarray(follow_up[m], dtype=np.float64)
        missing[m] = np.isnan(b) | np.isnan(f)
        imp = improvements(m, b, f, scales)
        bd = bands(m, imp)
        pts = np.asarray(POINTS[m])[bd]
        total = total + np.where(missing[m], 0.0, pts)
        improvement[m] = np.where(missing[m], np.nan, imp)
        band[m] = np.where(missing[m], -1, bd)
        points_[m] = np.where(missing[m], np.nan, pts)
    any_missing = np.logical_or.reduce([missing[m] for m in MEASURES])
    return TisScores(
        improvement=MappingProxyType(improvement),
        band=MappingProxyType(band),
        points=MappingProxyType(points_),
        missing=MappingProxyType(missing),
        score=np.where(any_missing, np.nan, total),
        category=np.where(any_missing, np.asarray(None, dtype=object), categories(total, pop)),
        at_least_minimal=~any_missing & (total >= THRESHOLDS[pop][0]),
        population=pop,
    )


def improvement_percent(
    measure: str, baseline: float, follow_up: float, scales: CoreSetScales | None = None
) -> float:
    """Improvement of one measure in percent as the 2016 criteria compute it (positive = better)."""
    scales = scales or CoreSetScales()
    _measure(measure)
    for value in (baseline, follow_up):
        check_in_scale(measure, value, scales)
    if measure == "enzyme" and baseline <= 0:
        raise MeasureError("the baseline enzyme must be above 0 for a relative change")
    return float(improvements(measure, baseline, follow_up, scales))


def band(measure: str, improvement: float) -> int:
    """Band 0-4 of an improvement in percent (0 = worsening up to the first edge)."""
    return int(bands(measure, improvement))


def points(measure: str, improvement: float) -> float:
    """Points of one measure for an improvement in percent (Table 3)."""
    return POINTS[_measure(measure)][band(measure, improvement)]


def tis_category(score: float, population: Population = "adult") -> str:
    """'none', 'minimal', 'moderate' or 'major' for a TIS (adult 20/40/60, juvenile 30/45/70)."""
    return str(categories(score, population))


def total_improvement_score(
    baseline: CoreSet,
    follow_up: CoreSet,
    *,
    population: Population = "adult",
    scales: CoreSetScales | None = None,
) -> TisResult:
    """The 2016 ACR/EULAR Total Improvement Score from two assessments of the core set.

    The values are checked (each within its scale, a baseline enzyme above 0), then scored as
    one row of :func:`tis_scores`.
    """
    pop = _population(population)
    scales = scales or CoreSetScales()
    before: dict[str, float] = {}
    after: dict[str, float] = {}
    for measure in MEASURES:
        b, f = baseline.get(measure), follow_up.get(measure)
        if b is not None and f is not None:
            improvement_percent(measure, b, f, scales)  # the checks
        before[measure] = np.nan if b is None else b
        after[measure] = np.nan if f is None else f
    row = tis_scores(before, after, population=pop, scales=scales)
    assessed = [m for m in MEASURES if not row.missing[m]]
    score = None if len(assessed) < len(MEASURES) else float(row.score)
    return TisResult(
        score=score,
        category=None if score is None else str(row.category),
        points_by_measure=MappingProxyType({m: float(row.points[m]) for m in assessed}),
        percent_change_by_measure=MappingProxyType(
            {m: float(row.improvement[m]) for m in assessed}
        ),
        missing=tuple(m for m in MEASURES if row.missing[m]),
        population=pop,
    )
