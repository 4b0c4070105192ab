"""TIS and IMACS DOI as criteria: the engine picks the right visits and scores them as measures does."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from myotrack.criteria import Params, evaluate
from myotrack.criteria.coreset import score
from myotrack.measures.coreset import MEASURES, CoreSet
from myotrack.measures.imacs import imacs_doi
from myotrack.measures.tis import POINTS, total_improvement_score
from tests.conftest import make

BASE = {
    "physician_global": 6.0,
    "patient_global": 7.0,
    "mmt8": 60.0,
    "haq": 1.5,
    "extramuscular_global": 2.0,
    "ck": 5000.0,
    "ck_uln": 200.0,
    "aldolase": 20.0,
    "aldolase_uln": 7.6,
}
FOLLOW = {
    "physician_global": 3.0,
    "patient_global": 5.0,
    "mmt8": 70.0,
    "haq": 1.0,
    "extramuscular_global": 1.0,
    "ck": 1000.0,
    "ck_uln": 200.0,
    "aldolase": 15.0,
    "aldolase_uln": 7.6,
}


def cohort(follow: dict) -> object:
    return make(
        [{"patient_id": "A"}],
        visits=[
            {"patient_id": "A", "day": 100, **BASE},
            {"patient_id": "A", "day": 100 + 183, **follow},
            {"patient_id": "A", "day": 100 + 90, "ck": 3000, "ck_uln": 200},
        ],
        treatments=[
            {"patient_id": "A", "drug": "IVIG", "start_day": 100, "dose": 2, "dose_unit": "g/kg"}
        ],
    )


def test_tis_matches_the_measure_function_and_uses_the_most_abnormal_enzyme() -> None:
    """Aggarwal 2017: CK (25x ULN) is more abnormal than aldolase (2.6x ULN), so CK is scored."""
    r = evaluate(cohort(FOLLOW), criteria=["tis", "imacs_doi"]).frame.iloc[0]
    cs = {k: v for k, v in BASE.items() if k in CoreSet.__dataclass_fields__}
    fs = {k: v for k, v in FOLLOW.items() if k in CoreSet.__dataclass_fields__}
    expected = total_improvement_score(CoreSet(**cs, enzyme=5000.0), CoreSet(**fs, enzyme=1000.0))
    assert r["tis__score"] == expected.score
    assert r["tis__category"] == expected.category
    assert r["tis"] == ("yes" if expected.score and expected.score >= 20 else "no")
    assert (r["tis__baseline_day"], r["tis__followup_day"]) == (100, 283)
    doi = imacs_doi(CoreSet(**cs, enzyme=5000.0), CoreSet(**fs, enzyme=1000.0))
    assert r["imacs_doi"] == ("yes" if doi.met else "no")


def test_a_ck_only_visit_does_not_hide_the_core_set_visit() -> None:
    """A CK drawn on the infusion day must not replace the full core set visit ten days before."""
    ds = make(
        [{"patient_id": "A"}],
        visits=[
            {"patient_id": "A", "day": 90, **BASE},
            {"patient_id": "A", "day": 100, "ck": 4800, "ck_uln": 200},
            {"patient_id": "A", "day": 100 + 183, **FOLLOW},
        ],
        treatments=[{"patient_id": "A", "drug": "IVIG", "start_day": 100}],
    )
    r = evaluate(ds, criteria=["tis"]).frame.iloc[0]
    assert r["tis"] != "not_evaluable" and r["tis__baseline_day"] == 90


def test_a_missing_measure_that_cannot_change_the_verdict_is_scored_as_its_range() -> None:
    """DOMAIN.md section 9: HAQ missing at follow-up scores 0..10 points; the other five give
    17.5 + 5 + 20 + 7.5 + 7.5 = 57.5, so the TIS is 57.5..67.5 >= 20 whatever HAQ was."""
    follow = {**FOLLOW, "haq": None}
    r = evaluate(cohort(follow), criteria=["tis", "imacs_doi"]).frame.iloc[0]
    assert r["tis"] == "yes" and r["imacs_doi"] == "yes"
    assert np.isnan(r["tis__score"]) and "57.5..67.5" in r["tis__why"]


def test_a_missing_measure_that_could_change_the_verdict_is_named() -> None:
    """Only HAQ and MMT-8 assessed, both unchanged: 0 points, and the four missing measures
    could give 0..57.5 more; the TIS straddles 20, and the reason names them."""
    base = {"haq": 1.5, "mmt8": 60.0}
    ds = make(
        [{"patient_id": "A"}],
        visits=[
            {"patient_id": "A", "day": 100, **base},
            {"patient_id": "A", "day": 283, **base},
        ],
        treatments=[{"patient_id": "A", "drug": "IVIG", "start_day": 100}],
    )
    r = evaluate(ds, criteria=["tis", "imacs_doi"]).frame.iloc[0]
    assert r["tis"] == "not_evaluable"
    for m in ("physician_global", "patient_global", "enzyme", "extramuscular_global"):
        assert m in r["tis__reason"] and m in r["imacs_doi__reason"]
    assert "haq" not in r["tis__reason"]
    # IMACS DOI: at most 4 can be improved, and two known unchanged cannot be worse: undecided
    assert r["imacs_doi"] == "not_evaluable"


def test_three_assessed_measures_worse_decide_imacs_doi_alone() -> None:
    """Rider 2004: MMT-8 worse by >= 25% rules improvement out whatever is missing."""
    ds = make(
        [{"patient_id": "A"}],
        visits=[
            {"patient_id": "A", "day": 100, "mmt8": 60.0},
            {"patient_id": "A", "day": 283, "mmt8": 40.0},
        ],
        treatments=[{"patient_id": "A", "drug": "IVIG", "start_day": 100}],
    )
    r = evaluate(ds, criteria=["imacs_doi", "tis"]).frame.iloc[0]
    assert r["imacs_doi"] == "no"
    assert r["tis"] == "not_evaluable"  # 0 for MMT-8, 0..67.5 for the five missing


def test_the_baseline_is_the_last_assessment_before_the_anchor_not_the_most_complete() -> None:
    """The pre-treatment visit on the day of the first infusion is the baseline, even when an
    older one (day 20) has more measures: against it the TIS is 57.5..67.5 (HAQ missing), where
    the older visit would give 15 (no)."""
    older = {**BASE, "physician_global": 2.0, "patient_global": 2.0, "mmt8": 80.0, "ck": 500}
    last = {k: v for k, v in BASE.items() if k != "haq"}
    ds = make(
        [{"patient_id": "A"}],
        visits=[
            {"patient_id": "A", "day": 20, **older},
            {"patient_id": "A", "day": 100, **last},
            {"patient_id": "A", "day": 283, **FOLLOW},
        ],
        treatments=[{"patient_id": "A", "drug": "IVIG", "start_day": 100}],
    )
    r = evaluate(ds, criteria=["tis"]).frame.iloc[0]
    assert r["tis__baseline_day"] == 100 and r["tis"] == "yes"


def test_the_follow_up_is_the_assessment_closest_to_six_months() -> None:
    """Day 100 + 183 is closer to 6 months than day 100 + 150 (more complete but further)."""
    near = {k: v for k, v in BASE.items() if k != "haq"}  # unchanged: 0 points for the five
    ds = make(
        [{"patient_id": "A"}],
        visits=[
            {"patient_id": "A", "day": 100, **BASE},
            {"patient_id": "A", "day": 250, **FOLLOW},
            {"patient_id": "A", "day": 283, **near},
        ],
        treatments=[{"patient_id": "A", "drug": "IVIG", "start_day": 100}],
    )
    r = evaluate(ds, criteria=["tis"]).frame.iloc[0]
    assert r["tis__followup_day"] == 283
    assert r["tis"] == "no"  # 0 points + HAQ at most 10 < 20


def test_an_undated_immunotherapy_leaves_the_baseline_open() -> None:
    """A course without a start day may have begun before the dated one (anchors): no visit is
    then surely in the 120 days up to the anchor, and the reason says so."""
    ds = make(
        [{"patient_id": "A"}],
        visits=[
            {"patient_id": "A", "day": 100, **BASE},
            {"patient_id": "A", "day": 283, **FOLLOW},
        ],
        treatments=[
            {"patient_id": "A", "drug": "IVIG", "start_day": 100},
            {"patient_id": "A", "drug": "methotrexate"},
        ],
    )
    r = evaluate(ds, criteria=["tis", "imacs_doi"]).frame.iloc[0]
    assert r["tis"] == r["imacs_doi"] == "not_evaluable"
    assert "120 days up to the anchor" in r["tis__reason"]


def test_a_bounded_ck_is_scored_over_its_range() -> None:
    """CK '<1000' at follow-up (baseline 5000): improved by more than 80%, 7.5 points either
    way; the same patient with CK 'elevated' (ULN 200: > 200, maybe above baseline) scores
    the enzyme 0..7.5."""
    low = evaluate(cohort({**FOLLOW, "ck": "<1000"}), criteria=["tis"]).frame.iloc[0]
    assert low["tis__score"] == 65.0
    up = evaluate(cohort({**FOLLOW, "ck": "elevated"}), criteria=["tis"]).frame.iloc[0]
    assert up["tis"] == "yes" and "enzyme 0..7.5" in up["tis__why"]


def test_an_mmt8_from_strength_grades_is_a_range() -> None:
    """Without a recorded MMT-8, the follow-up's grades bound it: shoulder abductors 4 on the
    right (Kendall 8) leave the seven other muscles 0..10, MMT-8 8..78 against 60: worse by up
    to 65% (0 points) or better by up to 22.5% (27.5 points)."""
    follow = {k: v for k, v in FOLLOW.items() if k != "mmt8"}
    ds = make(
        [{"patient_id": "A"}],
        visits=[
            {"patient_id": "A", "day": 100, **BASE},
            {"patient_id": "A", "day": 283, **follow},
        ],
        strength=[
            {
                "patient_id": "A",
                "day": 283,
                "muscle": "shoulder_abductors",
                "side": "right",
                "grade": "4",
            }
        ],
        treatments=[{"patient_id": "A", "drug": "IVIG", "start_day": 100}],
    )
    r = evaluate(ds, criteria=["tis"]).frame.iloc[0]
    assert "mmt8 0..27.5" in r["tis__why"] and r["tis"] == "yes"


def test_juvenile_thresholds_change_the_verdict() -> None:
    """Adult minimal >= 20, juvenile minimal >= 30 (Rider 2017 Table 3)."""
    follow = {
        **BASE,
        "physician_global": 4.5,
        "mmt8": 62.0,
    }  # 15% physician (7.5) + 2.5% MMT (10) = 17.5
    follow2 = {**follow, "patient_global": 5.0}  # + 20% patient (5) = 22.5
    adult = evaluate(cohort(follow2), criteria=["tis"]).frame.iloc[0]
    juvenile = evaluate(
        cohort(follow2), criteria=["tis"], params=Params(tis_population="juvenile")
    ).frame.iloc[0]
    assert adult["tis__score"] == juvenile["tis__score"]
    assert 20 <= adult["tis__score"] < 30
    assert (adult["tis"], juvenile["tis"]) == ("yes", "no")


# values on the grids the scales are recorded on, so band edges are hit exactly
_vas = st.one_of(st.none(), st.integers(0, 100).map(lambda x: x / 10))
_mmt = st.one_of(st.none(), st.integers(0, 80).map(float))
_haq = st.one_of(st.none(), st.integers(0, 24).map(lambda x: x / 8))
_enz = st.one_of(st.none(), st.integers(0, 4000).map(float))


@settings(max_examples=300, deadline=None)
@given(
    b=st.tuples(_vas, _vas, _mmt, _haq, _enz, _vas),
    f=st.tuples(_vas, _vas, _mmt, _haq, _enz, _vas),
    juvenile=st.booleans(),
)
def test_vectorised_scoring_equals_the_measures_functions(
    b: tuple, f: tuple, juvenile: bool
) -> None:
    """The engine scores all patients at once on value ranges; on exact values it must agree
    with measures.tis / measures.imacs, a missing measure adding 0..its maximum points."""
    p = Params(tis_population="juvenile" if juvenile else "adult")

    def ranges(values: tuple) -> dict:
        arrays = [np.array([np.nan if v is None else v], dtype=float) for v in values]
        return {m: (a, a) for m, a in zip(MEASURES, arrays, strict=True)}

    got = score(ranges(b), ranges(f), p)
    if b[4] == 0:  # a relative enzyme change from 0 is undefined in the 2016 criteria
        return
    cb, cf = CoreSet(*b), CoreSet(*f)
    tis = total_improvement_score(cb, cf, population="juvenile" if juvenile else "adult")
    assessed = sum(tis.points_by_measure.values())
    room = sum(max(POINTS[m]) for m in tis.missing)
    assert (got["tis_low"][0], got["tis_high"][0]) == (assessed, assessed + room)
    if tis.score is not None:
        assert got["tis_low"][0] == tis.score
    doi = imacs_doi(cb, cf)
    assert got["doi"][0] == {True: 1, False: 0, None: -1}[doi.met]
    improved = tuple(m for m in MEASURES if got[f"improved:{m}"][0])
    worsened = tuple(m for m in MEASURES if got[f"worsened:{m}"][0])
    assert (improved, worsened) == (doi.improved, doi.worsened)
