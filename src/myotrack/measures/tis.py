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
and ``points_by_measure`` still shows the points of the measures that were assessed (the
criterion then reports 'not_evaluable' with the reason).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Literal

from myotrack.measures.coreset import (
    HIGHER_IS_BETTER,
    MEASURES,
    CoreSet,
    CoreSetScales,
    check_in_scale,
)
from myotrack.measures.enzymes import percent_change, percent_of_range
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


def improvement_percent(
    measure: str, baseline: float, follow_up: float, scales: CoreSetScales | None = None
) -> float:
    """Improvement of one measure in percent as the 2016 criteria compute it (positive = better)."""
    scales = scales or CoreSetScales()
    if measure not in MEASURES:
        raise MeasureError(
            f"unknown core set measure {measure!r}; use one of {', '.join(MEASURES)}"
        )
    for value in (baseline, follow_up):
        check_in_scale(measure, value, scales)
    if measure == "enzyme":
        if baseline <= 0:
            raise MeasureError("the baseline enzyme must be above 0 for a relative change")
        return -percent_change(baseline, follow_up)
    change = percent_of_range(baseline, follow_up, scales.maximum(measure))
    return change if measure in HIGHER_IS_BETTER else -change


def band(measure: str, improvement: float) -> int:
    """Band 0-4 of an improvement in percent (0 = worsening up to the first edge)."""
    edges = MMT_EDGES if measure == "mmt8" else GENERAL_EDGES
    return sum(improvement > edge for edge in edges)


def points(measure: str, improvement: float) -> float:
    """Points of one measure for an improvement in percent (Table 3)."""
    if measure not in POINTS:
        raise MeasureError(
            f"unknown core set measure {measure!r}; use one of {', '.join(MEASURES)}"
        )
    return POINTS[measure][band(measure, improvement)]


def tis_category(score: float, population: Population = "adult") -> str:
    """'none', 'minimal', 'moderate' or 'major' for a TIS (adult 20/40/60, juvenile 30/45/70)."""
    if population not in THRESHOLDS:
        raise MeasureError(f"population is 'adult' or 'juvenile', not {population!r}")
    return CATEGORIES[sum(score >= t for t in THRESHOLDS[population])]


def total_improvement_score(
    baseline: CoreSet,
    follow_up: CoreSet,
    *,
    population: Population = "adult",
    scales: CoreSetScales | None = None,
) -> TisResult:
    """The 2016 ACR/EULAR Total Improvement Score from two assessments of the core set."""
    if population not in THRESHOLDS:
        raise MeasureError(f"population is 'adult' or 'juvenile', not {population!r}")
    scales = scales or CoreSetScales()
    pts: dict[str, float] = {}
    pct: dict[str, float] = {}
    missing: list[str] = []
    for measure in MEASURES:
        before, after = baseline.get(measure), follow_up.get(measure)
        if before is None or after is None:
            missing.append(measure)
            continue
        pct[measure] = improvement_percent(measure, before, after, scales)
        pts[measure] = points(measure, pct[measure])
    score = None if missing else sum(pts.values())
    return TisResult(
        score=score,
        category=None if score is None else tis_category(score, population),
        points_by_measure=MappingProxyType(pts),
        percent_change_by_measure=MappingProxyType(pct),
        missing=tuple(missing),
        population=population,
    )
