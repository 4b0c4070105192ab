"""2016 ACR/EULAR Total Improvement Score (myotrack.measures.tis).

Points, bands and thresholds: Aggarwal et al., Ann Rheum Dis 2017;76:792 / Arthritis Rheumatol
2017;69:898, and Rider et al., Ann Rheum Dis 2017;76:782 Table 3. The cases are synthetic.
"""

from __future__ import annotations

import dataclasses
import math

import pytest

from myotrack.measures import CoreSet, CoreSetScales, MeasureError, tis_category
from myotrack.measures import total_improvement_score as tis
from myotrack.measures.tis import POINTS, improvement_percent, points

BASE = CoreSet(
    physician_global=6.0,
    patient_global=6.0,
    mmt8=40.0,
    haq=3.0,
    enzyme=1000.0,
    extramuscular_global=6.0,
)

#: (measure, follow-up value at the band edge, follow-up value just past it, edge %) for the
#: four edges of every measure, from BASE: VAS 0-10 (change / 10), HAQ 0-3 (change / 3),
#: MMT-8 0-80 (change / 80, a rise), enzyme relative to 1000.
EDGES = [
    ("physician_global", 5.5, 5.499, 5),
    ("physician_global", 4.5, 4.499, 15),
    ("physician_global", 3.5, 3.499, 25),
    ("physician_global", 2.0, 1.999, 40),
    ("patient_global", 5.5, 5.499, 5),
    ("patient_global", 4.5, 4.499, 15),
    ("patient_global", 3.5, 3.499, 25),
    ("patient_global", 2.0, 1.999, 40),
    ("extramuscular_global", 5.5, 5.499, 5),
    ("extramuscular_global", 4.5, 4.499, 15),
    ("extramuscular_global", 3.5, 3.499, 25),
    ("extramuscular_global", 2.0, 1.999, 40),
    ("haq", 2.85, 2.849, 5),
    ("haq", 2.55, 2.549, 15),
    ("haq", 2.25, 2.249, 25),
    ("haq", 1.8, 1.799, 40),
    ("mmt8", 41.6, 41.601, 2),
    ("mmt8", 48.0, 48.001, 10),
    ("mmt8", 56.0, 56.001, 20),
    ("mmt8", 64.0, 64.001, 30),
    ("enzyme", 950.0, 949.99, 5),
    ("enzyme", 850.0, 849.99, 15),
    ("enzyme", 750.0, 749.99, 25),
    ("enzyme", 600.0, 599.99, 40),
]


def change_one(measure: str, value: float) -> CoreSet:
    return dataclasses.replace(BASE, **{measure: value})


@pytest.mark.parametrize(("measure", "at_edge", "past_edge", "edge"), EDGES)
def test_every_band_edge_of_every_measure(
    measure: str, at_edge: float, past_edge: float, edge: int
) -> None:
    """An improvement of exactly the edge stays in the lower band; just past it scores the next
    band ("> 5% to 15%": exactly 5% -> 0 points, just over 5% -> the second band)."""
    band_below = EDGES.index((measure, at_edge, past_edge, edge)) % 4
    at = tis(BASE, change_one(measure, at_edge))
    past = tis(BASE, change_one(measure, past_edge))
    assert at.percent_change_by_measure[measure] == edge
    assert past.percent_change_by_measure[measure] > edge
    assert at.points_by_measure[measure] == POINTS[measure][band_below]
    assert past.points_by_measure[measure] == POINTS[measure][band_below + 1]
    # the other five measures did not change and score 0
    assert at.score == at.points_by_measure[measure]
    assert past.score == past.points_by_measure[measure]


def test_physician_global_exactly_5_percent_is_0_points_just_over_is_7_5() -> None:
    assert tis(BASE, change_one("physician_global", 5.5)).score == 0
    assert tis(BASE, change_one("physician_global", 5.49)).score == 7.5


def test_points_table() -> None:
    """Table 3, lowest band first; the six maxima add up to 100."""
    assert POINTS["physician_global"] == (0, 7.5, 15, 17.5, 20)
    assert POINTS["patient_global"] == (0, 2.5, 5, 7.5, 10)
    assert POINTS["mmt8"] == (0, 10, 20, 27.5, 32.5)
    assert POINTS["haq"] == (0, 5, 7.5, 7.5, 10)
    assert POINTS["enzyme"] == (0, 2.5, 5, 7.5, 7.5)
    assert POINTS["extramuscular_global"] == (0, 7.5, 12.5, 15, 20)
    assert sum(p[-1] for p in POINTS.values()) == 100


@pytest.mark.parametrize("measure", list(POINTS))
def test_worsening_scores_0(measure: str) -> None:
    worse = {"mmt8": 20.0, "haq": 3.0, "enzyme": 5000.0}.get(measure, 9.0)
    result = tis(change_one("haq", 2.0) if measure == "haq" else BASE, change_one(measure, worse))
    assert result.percent_change_by_measure[measure] < 0
    assert result.points_by_measure[measure] == 0
    assert points(measure, -100.0) == 0


def test_unchanged_is_0_and_complete_remission_of_everything_is_100() -> None:
    assert tis(BASE, BASE).score == 0
    assert tis(BASE, BASE).category == "none"
    best = CoreSet(0, 0, 80, 0, 100, 0)
    result = tis(BASE, best)
    assert result.score == 100
    assert result.category == "major"


def improved(**by_measure: float) -> CoreSet:
    """A follow-up where the named measures moved to a given value, the rest unchanged."""
    return dataclasses.replace(BASE, **by_measure)


@pytest.mark.parametrize(
    ("follow_up", "score", "adult", "juvenile"),
    [
        (improved(physician_global=1.0), 20, "minimal", "none"),
        (improved(physician_global=3.0), 17.5, "none", "none"),
        (improved(physician_global=1.0, extramuscular_global=1.0), 40, "moderate", "minimal"),
        (
            improved(physician_global=1.0, extramuscular_global=1.0, mmt8=52.0),
            60,
            "major",
            "moderate",
        ),
        (improved(physician_global=1.0, patient_global=1.0), 30, "minimal", "minimal"),
        (
            improved(physician_global=1.0, extramuscular_global=1.0, haq=2.7),
            45,
            "moderate",
            "moderate",
        ),
        (
            improved(
                physician_global=1.0,
                extramuscular_global=1.0,
                patient_global=1.0,
                haq=1.0,
                mmt8=44.0,
            ),
            70,
            "major",
            "major",
        ),
    ],
)
def test_categories_at_exact_thresholds(
    follow_up: CoreSet, score: float, adult: str, juvenile: str
) -> None:
    """Adult minimal/moderate/major >= 20/40/60, juvenile DM >= 30/45/70 (Table 3)."""
    assert tis(BASE, follow_up).score == score
    assert tis(BASE, follow_up).category == adult
    assert tis(BASE, follow_up, population="juvenile").category == juvenile


@pytest.mark.parametrize(
    ("score", "adult", "juvenile"),
    [
        (0, "none", "none"),
        (19.999, "none", "none"),
        (20, "minimal", "none"),
        (29.999, "minimal", "none"),
        (30, "minimal", "minimal"),
        (39.999, "minimal", "minimal"),
        (40, "moderate", "minimal"),
        (44.999, "moderate", "minimal"),
        (45, "moderate", "moderate"),
        (59.999, "moderate", "moderate"),
        (60, "major", "moderate"),
        (69.999, "major", "moderate"),
        (70, "major", "major"),
        (100, "major", "major"),
    ],
)
def test_category_thresholds(score: float, adult: str, juvenile: str) -> None:
    assert tis_category(score) == adult
    assert tis_category(score, "juvenile") == juvenile


def test_bilateral_mmt8_scale() -> None:
    """With the bilateral MMT-8 (0-150), 2% is a rise of 3 points."""
    scales = CoreSetScales(mmt8=150)
    base = dataclasses.replace(BASE, mmt8=100.0)
    assert tis(base, dataclasses.replace(base, mmt8=103.0), scales=scales).score == 0
    assert tis(base, dataclasses.replace(base, mmt8=103.01), scales=scales).score == 10
    with pytest.raises(MeasureError, match="above its scale maximum 80"):
        tis(base, base)


def test_vas_in_millimetres() -> None:
    scales = CoreSetScales(physician_global=100, patient_global=100, extramuscular_global=100)
    base = CoreSet(60, 60, 40, 3, 1000, 60)
    assert tis(base, dataclasses.replace(base, physician_global=55.0), scales=scales).score == 0
    assert tis(base, dataclasses.replace(base, physician_global=54.0), scales=scales).score == 7.5


@pytest.mark.parametrize("gap", [None, math.nan])
def test_missing_measure_gives_no_score_but_lists_it(gap: float | None) -> None:
    follow = improved(physician_global=1.0, extramuscular_global=1.0)
    result = tis(BASE, dataclasses.replace(follow, haq=gap))
    assert result.score is None
    assert result.category is None
    assert result.missing == ("haq",)
    assert dict(result.points_by_measure) == {
        "physician_global": 20,
        "patient_global": 0,
        "mmt8": 0,
        "enzyme": 0,
        "extramuscular_global": 20,
    }
    assert "not evaluable: missing haq" in result.summary()
    both_missing = tis(CoreSet(), CoreSet(mmt8=50))
    assert both_missing.missing == tuple(POINTS)
    assert both_missing.points_by_measure == {}


def test_summary() -> None:
    assert tis(BASE, improved(physician_global=1.0)).summary() == (
        "TIS 20 (minimal improvement, adult thresholds)"
    )


@pytest.mark.parametrize(
    ("baseline", "follow_up", "message"),
    [
        (dataclasses.replace(BASE, physician_global=11.0), BASE, "physician_global 11 is above"),
        (BASE, dataclasses.replace(BASE, haq=3.5), "haq 3.5 is above"),
        (BASE, dataclasses.replace(BASE, mmt8=-1.0), "cannot be negative"),
        (dataclasses.replace(BASE, enzyme=0.0), BASE, "baseline enzyme must be above 0"),
        (BASE, dataclasses.replace(BASE, haq="1"), "haq must be a number"),  # type: ignore[arg-type]
    ],
)
def test_invalid_values_are_errors(baseline: CoreSet, follow_up: CoreSet, message: str) -> None:
    with pytest.raises(MeasureError, match=message):
        tis(baseline, follow_up)


def test_invalid_population_and_scales() -> None:
    with pytest.raises(MeasureError, match="'adult' or 'juvenile'"):
        tis(BASE, BASE, population="child")  # type: ignore[arg-type]
    with pytest.raises(MeasureError, match="above 0"):
        CoreSetScales(mmt8=0)
    with pytest.raises(MeasureError, match="unknown core set measure"):
        improvement_percent("cmas", 1, 2)


def test_result_is_frozen_and_read_only() -> None:
    result = tis(BASE, BASE)
    with pytest.raises(dataclasses.FrozenInstanceError):
        result.score = 50  # type: ignore[misc]
    with pytest.raises(TypeError):
        result.points_by_measure["haq"] = 10  # type: ignore[index]
