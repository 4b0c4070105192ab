"""Edges of each rule on small synthetic patients (no real patient data)."""

from __future__ import annotations

import pandas as pd
import pytest

from myotrack.criteria import Params, evaluate
from myotrack.measures.mrc import MRC_SUM_MUSCLES
from tests.conftest import make

PRED = {"patient_id": "A", "drug": "prednisone", "start_day": 0, "dose": 60, "dose_unit": "mg"}


def relapse_case(ck_last: float, mrc_last: float) -> str:
    """Day 0 treatment; day 30 CK 400 (nadir) MRC 50; day 60: the tested values (ULN 200)."""
    ds = make(
        [{"patient_id": "A"}],
        visits=[
            {"patient_id": "A", "day": 0, "ck": 5000, "ck_uln": 200, "mrc_sum": 40},
            {"patient_id": "A", "day": 30, "ck": 400, "ck_uln": 200, "mrc_sum": 50},
            {"patient_id": "A", "day": 60, "ck": ck_last, "ck_uln": 200, "mrc_sum": mrc_last},
        ],
        treatments=[PRED],
    )
    return str(evaluate(ds, criteria=["relapse"]).frame.iloc[0]["relapse"])


@pytest.mark.parametrize(
    ("ck", "mrc", "expected"),
    [
        (601, 48, "yes"),  # > 3x ULN, above nadir 400, drop 2
        (600, 48, "no"),  # exactly 3x ULN is not 'more than three times'
        (601, 49, "no"),  # a drop of exactly 1 point is not 'over 1 point'
        (601, 48.5, "yes"),  # 1.5 points
        (380, 40, "no"),  # neither above the nadir (400) nor above 3x ULN
    ],
)
def test_relapse_edges(ck: float, mrc: float, expected: str) -> None:
    """004 Methods 1.4: CK above baseline, > 3x ULN, and MRC sum drop over 1 point."""
    assert relapse_case(ck, mrc) == expected


def test_relapse_pretreatment_baseline_option() -> None:
    ds = make(
        [{"patient_id": "A"}],
        visits=[
            {"patient_id": "A", "day": 0, "ck": 5000, "ck_uln": 200, "mrc_sum": 40},
            {"patient_id": "A", "day": 30, "ck": 400, "ck_uln": 200, "mrc_sum": 50},
            {"patient_id": "A", "day": 60, "ck": 1000, "ck_uln": 200, "mrc_sum": 45},
        ],
        treatments=[PRED],
    )
    assert evaluate(ds, criteria=["relapse"]).frame.iloc[0]["relapse"] == "yes"
    pre = evaluate(
        ds, criteria=["relapse"], params=Params(relapse_baseline="pretreatment")
    ).frame.iloc[0]
    assert pre["relapse"] == "no"


def recovery(day: int, mrs: int) -> tuple[str, str]:
    ds = make(
        [{"patient_id": "A"}],
        visits=[{"patient_id": "A", "day": day, "mrs": mrs}],
        treatments=[{"patient_id": "A", "drug": "azathioprine", "start_day": 10}],
    )
    r = evaluate(ds, criteria=["favourable_recovery_6m"]).frame.iloc[0]
    return str(r["favourable_recovery_6m"]), str(r["favourable_recovery_6m__reason"])


def test_favourable_recovery_window() -> None:
    """004: mRS 0-1 favourable, 2-6 unfavourable at 6 months (6 x 30.44 = 182.64 days,
    +/- 45)."""
    assert recovery(10 + 183, 1)[0] == "yes"
    assert recovery(10 + 182 + 45, 2)[0] == "no"
    value, reason = recovery(10 + 182 + 46, 1)
    assert value == "not_evaluable" and "45 days" in reason


def test_not_evaluable_without_treatment_has_reason() -> None:
    ds = make(
        [{"patient_id": "A"}],
        visits=[{"patient_id": "A", "day": 5, "mrs": 1, "ck": 100, "ck_uln": 200}],
    )
    r = evaluate(ds).frame.iloc[0]
    assert r["favourable_recovery_6m"] == "not_evaluable"
    assert r["favourable_recovery_6m__reason"] == "needs an immunotherapy course with a start day"
    assert r["ck_normalisation__reason"] == "needs an immunotherapy course with a start day"


def test_mrc_sum_derived_from_twelve_grades_only() -> None:
    """Kleyweg 1991 MRC sum: six groups both sides; eleven grades are not an MRC sum."""
    muscles = [
        "shoulder_abductors",
        "elbow_flexors",
        "wrist_extensors",
        "hip_flexors",
        "knee_extensors",
        "ankle_dorsiflexors",
    ]
    rows = [
        {"patient_id": "A", "day": 400, "muscle": m, "side": s, "grade": "5"}
        for m in muscles
        for s in ("left", "right")
    ]
    ds = make([{"patient_id": "A"}], strength=rows, treatments=[PRED])
    assert (
        evaluate(ds, criteria=["full_strength_last"]).frame.iloc[0]["full_strength_last"] == "yes"
    )
    ds11 = make([{"patient_id": "A"}], strength=rows[:-1], treatments=[PRED])
    assert (
        evaluate(ds11, criteria=["full_strength_last"]).frame.iloc[0]["full_strength_last"]
        == "not_evaluable"
    )
    rows[0]["grade"] = "4+"
    r = evaluate(
        make([{"patient_id": "A"}], strength=rows, treatments=[PRED]),
        criteria=["full_strength_last"],
    ).frame.iloc[0]
    assert (r["full_strength_last"], r["full_strength_last__mrc_sum"]) == ("no", 59)


def test_rtx_response_ck_tenfold() -> None:
    """001 Table 4 footnote b: CK declined 10-fold within 6 months."""

    def case(low: float) -> str:
        ds = make(
            [{"patient_id": "A"}],
            visits=[
                {"patient_id": "A", "day": 0, "ck": 5000, "ck_uln": 200, "mrc_sum": 40},
                {"patient_id": "A", "day": 90, "ck": low, "ck_uln": 200, "mrc_sum": 41},
            ],
            treatments=[
                {"patient_id": "A", "drug": "RTX", "start_day": 0, "dose": 1000, "dose_unit": "mg"}
            ],
        )
        return str(evaluate(ds, criteria=["rtx_response"]).frame.iloc[0]["rtx_response"])

    assert case(500) == "yes"
    assert case(501) == "no"


def test_refractory_needs_weight_and_dose() -> None:
    """001 Methods: worse after prednisone >= 1.0 mg/kg/day for >= 1 month plus MTX/AZA/MMF or
    IVIg. 60 mg/day from day 0 to day 40 is 1 mg/kg/day at 60 kg, less at 70 kg, and unknown
    without a weight."""
    visits = [{"patient_id": "A", "day": d, "mrc_sum": m} for d, m in ((0, 50), (30, 50), (60, 46))]
    tr = [
        {"patient_id": "A", "drug": "MTX", "start_day": 0},
        {
            "patient_id": "A",
            "drug": "prednisone",
            "start_day": 0,
            "end_day": 40,
            "dose": 60,
            "dose_unit": "mg/day",
        },
    ]

    def case(patient: dict[str, object]) -> pd.Series:
        ds = make([{"patient_id": "A", **patient}], visits=visits, treatments=tr)
        return evaluate(ds, criteria=["refractory"]).frame.iloc[0]

    assert case({"weight_kg": 60})["refractory"] == "yes"
    assert case({"weight_kg": 70})["refractory"] == "no"  # 60 mg is < 1 mg/kg at 70 kg
    unknown = case({})
    assert unknown["refractory"] == "not_evaluable"
    assert "body weight" in unknown["refractory__reason"]


def test_refractory_visit_doses_never_make_the_high_dose_month() -> None:
    """001 '1.0 mg/kg/day for at least 1 month' is a course of treatment. Prednisone 60 mg/day
    (1 mg/kg at 60 kg) recorded at visits on days 0 and 40 does not show the dose between them
    (it may have been tapered and raised again), so the visits never give a high-dose month
    (reference implementation; 160 of 2,000 generated patients were 'yes' on visit doses
    alone). Nor do they leave 'no glucocorticoid course': they show a course that the treatment
    table does not hold, so with an MRC drop after MTX the answer is not evaluable, naming the
    course; without any drop after MTX it is 'no' whatever the dose was."""

    def case(last_mrc: int, dose: float | None) -> pd.Series:
        visits = [
            {"patient_id": "A", "day": d, "prednisone_mg_day": dose, "mrc_sum": m}
            for d, m in ((0, 50), (40, 50), (60, last_mrc))
        ]
        ds = make(
            [{"patient_id": "A", "weight_kg": 60}],
            visits=visits,
            treatments=[{"patient_id": "A", "drug": "MTX", "start_day": 0}],
        )
        return evaluate(ds, criteria=["refractory"]).frame.iloc[0]

    r = case(46, 60)
    assert r["refractory"] == "not_evaluable"
    assert r["refractory__reason"].startswith("needs the glucocorticoid course")
    assert "by day 0" in r["refractory__reason"]
    r = case(50, 60)
    assert r["refractory"] == "no"
    assert r["refractory__reason"].startswith("no worsening")
    r = case(46, None)  # no dose anywhere: the treatment table is the list of what was given
    assert r["refractory"] == "no"
    assert r["refractory__reason"] == "no glucocorticoid course"


def test_refractory_visit_doses_show_a_course_beside_a_drug_the_vocabulary_does_not_know() -> None:
    """Prednisone 60 mg/day at the visit of day 0 shows a glucocorticoid course that the
    treatment table does not hold; a course of 'study drug' (outside the vocabulary, from day
    30) may be a glucocorticoid, but it may as well be a second agent, and then the course at
    the visits is still unrecorded. An MRC drop on day 60, after MTX and more than a month into
    that course, leaves refractory open on the course's dose and length: not evaluable, naming
    the course, not 'no' on the study drug's start alone."""
    ds = make(
        [{"patient_id": "A", "weight_kg": 60}],
        visits=[
            {"patient_id": "A", "day": 0, "prednisone_mg_day": 60, "mrc_sum": 50},
            {"patient_id": "A", "day": 60, "mrc_sum": 46},
        ],
        treatments=[
            {"patient_id": "A", "drug": "MTX", "start_day": 0},
            {"patient_id": "A", "drug": "study drug", "start_day": 30},
        ],
    )
    r = evaluate(ds, criteria=["refractory"]).frame.iloc[0]
    assert r["refractory"] == "not_evaluable"
    assert r["refractory__reason"].startswith("needs the glucocorticoid course")


def test_relapse_needs_ck_above_the_nadir_on_its_own() -> None:
    """004 Methods 1.4: CK above > 3x ULN but not above the patient's baseline is not a relapse."""

    def case(ck: float) -> str:
        ds = make(
            [{"patient_id": "A"}],
            visits=[
                # the day-0 assessment decides day 30 (CK 400 is below 5000): not a relapse
                {"patient_id": "A", "day": 0, "ck": 5000, "ck_uln": 100, "mrc_sum": 40},
                {"patient_id": "A", "day": 30, "ck": 400, "ck_uln": 100, "mrc_sum": 50},
                {"patient_id": "A", "day": 60, "ck": ck, "ck_uln": 100, "mrc_sum": 45},
            ],
            treatments=[PRED],
        )
        return str(evaluate(ds, criteria=["relapse"]).frame.iloc[0]["relapse"])

    assert case(350) == "no"  # > 300 (3x ULN) but below the nadir 400
    assert case(401) == "yes"


def test_relapse_previous_assessment_is_the_previous_mrc_sum() -> None:
    """'drop from previous assessment': an MRC-only visit in between is the previous assessment."""
    ds = make(
        [{"patient_id": "A"}],
        visits=[
            {"patient_id": "A", "day": 30, "ck": 400, "ck_uln": 200, "mrc_sum": 50},
            {"patient_id": "A", "day": 45, "mrc_sum": 56},
            {"patient_id": "A", "day": 60, "ck": 5000, "ck_uln": 200, "mrc_sum": 54},
        ],
        treatments=[PRED],
    )
    r = evaluate(ds, criteria=["relapse"]).frame.iloc[0]
    assert (r["relapse"], r["relapse__first_day"], r["relapse__basis"]) == ("yes", 60, "measured")


def test_relapse_episodes_are_runs_of_qualifying_assessments() -> None:
    """004 Methods 1.4 per assessment; consecutive qualifying assessments are one episode.

    Days 60 and 90 qualify in a row (one episode), day 120 does not, day 150 does again (a
    second one). The MRC-only visit on day 135 is an assessment for the MRC drop, not one that
    could qualify, so it does not split the second episode from day 165.
    """
    rows = [
        (30, 400, 56),
        (60, 5000, 50),  # hit: CK > nadir 400 and > 600, MRC 56 -> 50
        (90, 5200, 47),  # hit again: same episode
        (120, 300, 56),  # recovered: no hit (new nadir 300)
        (150, 4000, 50),  # hit: second episode
        (165, 4500, 46),  # hit (previous MRC sum is day 135's 49)
    ]
    visits = [
        {"patient_id": "A", "day": d, "ck": ck, "ck_uln": 200, "mrc_sum": m} for d, ck, m in rows
    ]
    visits.append({"patient_id": "A", "day": 135, "mrc_sum": 49})
    ds = make([{"patient_id": "A"}], visits=visits, treatments=[PRED])
    r = evaluate(ds, criteria=["relapse"]).frame.iloc[0]
    assert (r["relapse"], r["relapse__first_day"], r["relapse__count"]) == ("yes", 60, 2)
    assert "MRC sum 50 vs 56 on day 30" in r["relapse__why"]


def test_relapse_ck_nadir_counts_ck_only_visits() -> None:
    ds = make(
        [{"patient_id": "A"}],
        visits=[
            {"patient_id": "A", "day": 30, "ck": 9000, "ck_uln": 200, "mrc_sum": 50},
            {"patient_id": "A", "day": 45, "ck": 700, "ck_uln": 200},
            {"patient_id": "A", "day": 60, "ck": 800, "ck_uln": 200, "mrc_sum": 47},
        ],
        treatments=[PRED],
    )
    assert evaluate(ds, criteria=["relapse"]).frame.iloc[0]["relapse"] == "yes"


def test_definite_response_anchor_is_not_a_redose() -> None:
    """002 'after the therapy': a rituximab re-dose does not move the anchor."""
    ds = make(
        [{"patient_id": "A"}],
        visits=[{"patient_id": "A", "day": 300, "prednisone_mg_day": 5}],
        strength=[
            {"patient_id": "A", "day": -5, "muscle": "hip_flexors", "side": "both", "grade": "2"},
            {"patient_id": "A", "day": 170, "muscle": "hip_flexors", "side": "both", "grade": "4"},
            {"patient_id": "A", "day": 300, "muscle": "hip_flexors", "side": "both", "grade": "4"},
        ],
        treatments=[
            {"patient_id": "A", "drug": "rituximab", "start_day": 0},
            {"patient_id": "A", "drug": "rituximab", "start_day": 180},
        ],
    )
    r = evaluate(ds, criteria=["definite_response"]).frame.iloc[0]
    assert r["definite_response"] == "yes" and r["definite_response__lower_change"] == 2


@pytest.mark.parametrize(
    ("doses", "expected", "prednisone_after"),
    [
        ({-10: 40, 100: 20, 200: 5}, "yes", 5),  # the last dose after the anchor: tapered
        ({-10: 40, 100: 5, 200: 20}, "no", 20),  # tapered, then raised again: the last counts
        ({-20: 40, -10: 5}, "not_evaluable", None),  # no dose recorded after the anchor
    ],
)
def test_definite_response_taper_is_the_last_dose_after_the_anchor(
    doses: dict[int, float], expected: str, prednisone_after: float | None
) -> None:
    """002 Methods: 'able to taper their prednisone dose below 10 mg/d' after the therapy."""
    ds = make(
        [{"patient_id": "A"}],
        visits=[{"patient_id": "A", "day": d, "prednisone_mg_day": mg} for d, mg in doses.items()],
        strength=[
            {"patient_id": "A", "day": -5, "muscle": "hip_flexors", "side": "both", "grade": "2"},
            {"patient_id": "A", "day": 150, "muscle": "hip_flexors", "side": "both", "grade": "4"},
        ],
        treatments=[{"patient_id": "A", "drug": "ivig", "start_day": 0}],
    )
    r = evaluate(ds, criteria=["definite_response"]).frame.iloc[0]
    assert r["definite_response"] == expected
    after = r["definite_response__prednisone_after"]
    assert pd.isna(after) if prednisone_after is None else after == prednisone_after


def test_refractory_reads_only_daily_glucocorticoid_doses() -> None:
    """001: >= 1.0 mg/kg/day; '80 mg every other day' at 70 kg is 0.57 mg/kg/day, not a daily
    80 mg; 80 mg with neither a schedule nor 'per day' is not known to be daily."""
    visits = [{"patient_id": "A", "day": d, "mrc_sum": m} for d, m in ((0, 50), (60, 46))]

    def case(schedule: str | None, drug: str = "prednisone", dose: float = 80) -> str:
        tr = [
            {
                "patient_id": "A",
                "drug": drug,
                "start_day": 0,
                "end_day": 40,
                "dose": dose,
                "dose_unit": "mg",
                "schedule": schedule,
            },
            {"patient_id": "A", "drug": "azathioprine", "start_day": 0},
        ]
        ds = make([{"patient_id": "A", "weight_kg": 70}], visits=visits, treatments=tr)
        return str(evaluate(ds, criteria=["refractory"]).frame.iloc[0]["refractory"])

    assert case("daily") == "yes"
    assert case(None) == "not_evaluable"  # 80 mg without 'per day': per day or per pulse
    assert case(" Once Daily ") == "yes"  # case and spaces do not matter
    assert case("twice daily", dose=40) == "yes"  # 2 x 40 mg = 80 mg/day
    assert case("q12h", dose=40) == "yes"
    assert case("daily", dose=40) != "yes"  # 40 mg/day at 70 kg
    assert case("every other day") != "yes"
    assert (
        case("daily", drug="methylprednisolone", dose=64) == "yes"
    )  # 64 mg x 1.25 = 80 mg prednisone


def test_ck_bound_that_leaves_normality_open_decides_nothing() -> None:
    """'<250' at ULN 200 may or may not be normal: not evaluable rather than 'no'."""
    ds = make(
        [{"patient_id": "A"}],
        visits=[{"patient_id": "A", "day": 30, "ck": "<250", "ck_uln": 200}],
        treatments=[PRED],
    )
    r = evaluate(ds, criteria=["ck_normalisation"]).frame.iloc[0]
    assert r["ck_normalisation"] == "not_evaluable"


@pytest.mark.parametrize("first", ["prednisone", "azathioprine"])
def test_courses_started_the_same_day_anchor_on_the_one_entered_first(first: str) -> None:
    """Two courses on day 0: the anchor is named after the first entered, every time."""
    other = "azathioprine" if first == "prednisone" else "prednisone"
    ds = make(
        [{"patient_id": "A"}],
        visits=[{"patient_id": "A", "day": 183, "mrs": 1}],
        treatments=[
            {"patient_id": "A", "drug": first, "start_day": 0},
            {"patient_id": "A", "drug": other, "start_day": 0},
        ],
    )
    for _ in range(3):
        r = evaluate(ds, criteria=["favourable_recovery_6m"]).frame.iloc[0]
        assert r["favourable_recovery_6m"] == "yes"
        assert r["favourable_recovery_6m__why"].endswith(f"(anchor {first} day 0)")


@pytest.mark.parametrize("first", ["ivig", "rituximab"])
def test_escalation_drugs_started_the_same_day_anchor_on_the_one_entered_first(first: str) -> None:
    """002 escalation anchor: of two escalation drugs begun the same day, the first entered."""
    other = "rituximab" if first == "ivig" else "ivig"
    ds = make(
        [{"patient_id": "A"}],
        treatments=[
            {"patient_id": "A", "drug": "prednisone", "start_day": 0},
            {"patient_id": "A", "drug": first, "start_day": 200},
            {"patient_id": "A", "drug": other, "start_day": 200},
        ],
    )
    r = evaluate(ds, criteria=["definite_response"]).frame.iloc[0]
    assert r["definite_response__anchor_drug"] == first


def test_integer_details_are_nullable_integers_with_or_without_nulls() -> None:
    """The outcomes table's whole-number details have one type whatever the cohort holds."""
    muscles = ("shoulder_abductors", "hip_flexors")
    strength = [
        {"patient_id": "A", "day": d, "muscle": m, "side": s, "grade": "3" if d == 0 else "5"}
        for d in (0, 90)
        for m in muscles
        for s in ("left", "right")
    ]
    ds = make(
        [{"patient_id": "A"}],
        strength=strength,
        treatments=[{"patient_id": "A", "drug": "rituximab", "start_day": 10}],
    )
    fr = evaluate(ds, criteria=["definite_response", "relapse"]).frame
    assert fr["definite_response__upper_change"].tolist() == [2]
    for c in ("definite_response__upper_change", "definite_response__lower_change"):
        assert str(fr[c].dtype) == "Int64"
    assert str(fr["relapse__count"].dtype) == "Int64"


def _relapse(visits: list[dict], **kw: object) -> tuple[str, str]:
    treatments = kw.pop("treatments", [PRED])
    ds = make([{"patient_id": "A"}], visits=visits, treatments=treatments, **kw)  # type: ignore[arg-type]
    r = evaluate(ds, criteria=["relapse", "complete_remission"]).frame.iloc[0]
    return str(r["relapse"]), str(r["relapse__reason"])


def _visit(day: int, **values: object) -> dict[str, object]:
    return {"patient_id": "A", "day": day, **values}


def test_relapse_needs_a_baseline_and_a_previous_mrc_sum() -> None:
    """004 Methods 1.4 compares with the baseline and the previous assessment: without a CK
    from the start of immunotherapy to the assessment (no nadir), or without an earlier MRC
    sum, a CK > 3x ULN with weakness may be a relapse: not evaluable, naming the missing fact."""
    mrc_only = _visit(30, mrc_sum=56)
    ck_only = _visit(20, ck=300, ck_uln=200)
    last = _visit(60, ck=5000, ck_uln=200, mrc_sum=50)
    assert _relapse([mrc_only, last]) == ("not_evaluable", "no CK on day 30")
    assert _relapse([ck_only, last]) == ("not_evaluable", "no MRC sum before day 60")
    # a pre-treatment MRC sum is 'the previous assessment' too; the nadir is day 20's CK
    before = _visit(-5, mrc_sum=55)
    assert _relapse([before, ck_only, mrc_only, last])[0] == "yes"
    assert _relapse([before, ck_only, mrc_only, {**last, "ck": 500}]) == (
        "no",
        "no assessment met all three conditions (3 compared)",
    )
    # no CK from the start of immunotherapy up to day 60: no baseline to be above
    assert _relapse([before, mrc_only, last]) == (
        "not_evaluable",
        "no CK between the start of prednisone and day 60 (no baseline)",
    )


def test_relapse_nadir_counts_the_ck_of_the_first_day_of_immunotherapy() -> None:
    """'since immunotherapy': a CK drawn the day it started is part of the nadir, so the first
    follow-up is compared with it (5000 on day 0: 4000 is not above, 6000 is)."""
    day0 = _visit(0, ck=5000, ck_uln=200, mrc_sum=50)
    assert _relapse([day0, _visit(30, ck=4000, ck_uln=200, mrc_sum=45)])[0] == "no"
    assert _relapse([day0, _visit(30, ck=6000, ck_uln=200, mrc_sum=45)])[0] == "yes"


def test_relapse_no_when_every_follow_up_rules_itself_out() -> None:
    """Three values (DOMAIN.md section 9): a follow-up CK not above 3x ULN, or an MRC sum that
    did not drop, rules that assessment out with nothing else known; 'no' needs no complete
    assessment. Without any CK or MRC sum after the anchor it is not evaluable."""
    pre = _visit(-10, ck=8200, ck_uln=200, mrc_sum=32)
    assert _relapse([pre, _visit(540, ck="normal", ck_uln=200)])[0] == "no"
    assert _relapse([pre, _visit(365, mrc_sum=40)])[0] == "no"
    assert _relapse([pre, _visit(365, ck="~150", ck_uln=200)])[0] == "no"
    assert _relapse([pre]) == (
        "not_evaluable",
        "no CK or MRC sum after the start of prednisone",
    )
    # an MRC sum drop without a CK leaves it open
    assert _relapse([pre, _visit(90, mrc_sum=50), _visit(180, mrc_sum=40)]) == (
        "not_evaluable",
        "no CK on day 180",
    )


def test_relapse_reads_mrc_sums_from_grades_and_cks_as_ranges() -> None:
    """An MRC sum known only as a range (muscles graded, no sum recorded) decides the drop when
    every sum it allows does; a CK written '>=7400' is above a nadir of at most 4200."""
    visits = [
        _visit(0, ck="<=8200", ck_uln=200, mrc_sum=32),
        _visit(91, ck="<4200", ck_uln=200),
        _visit(182, mrc_sum=60),
        _visit(365, ck=">=7400", ck_uln=200),
    ]
    strength = [
        {"patient_id": "A", "day": 365, "muscle": m, "side": "both", "grade": "2"}
        for m in ("shoulder_abductors", "hip_flexors")
    ]
    assert _relapse(visits, strength=strength)[0] == "yes"
    # '<=8200' on day 0 alone: 7400 may or may not be above it
    assert _relapse([visits[0], *visits[2:]], strength=strength) == (
        "not_evaluable",
        "the CK on day 365 may or may not be above the baseline",
    )


def test_relapse_anchor_and_days_are_ranges() -> None:
    """An assessment that may lie on or before the start of immunotherapy (a start written
    'before day 7', a visit 'day -30..10') is a follow-up only for some of its days: a CK
    above 3x ULN with an MRC sum drop there leaves relapse open; a reported relapse likewise."""
    course = {**PRED, "start_day": 7, "start_day_earliest": None, "start_day_latest": 7}
    undated_start = [course, {"patient_id": "A", "drug": "azathioprine"}]
    visits = [
        _visit(-20, ck=300, ck_uln=200, mrc_sum=50),
        _visit(5, ck=5000, ck_uln=200, mrc_sum=44),
    ]
    # day 5 may be before the prednisone start, or the azathioprine may have come first
    value, reason = _relapse(visits, treatments=undated_start)
    assert (value, reason) == (
        "not_evaluable",
        "day 5 may be on or before the start of prednisone",
    )
    reported = [{"patient_id": "A", "day": 3, "kind": "relapse_reported"}]
    assert _relapse(visits[:1], treatments=undated_start, events=reported) == (
        "not_evaluable",
        "the reported relapse on day 3 may be on or before the start of prednisone",
    )
    assert _relapse(visits[:1], events=[{**reported[0], "day": 30}])[0] == "yes"


def test_rtx_lowest_ck_named_is_the_first_of_equal_ones() -> None:
    """The explanation names the first day the lowest CK was measured, whatever the row order."""
    patients, visits, treatments = [], [], []
    for i in range(30):
        pid = f"P{i}"
        patients.append({"patient_id": pid})
        treatments.append(
            {"patient_id": pid, "drug": "rituximab", "start_day": 0, "dose": 1, "dose_unit": "g"}
        )
        visits += [
            {"patient_id": pid, "day": 0, "ck": 5000, "ck_uln": 200, "mrc_sum": 40},
            {"patient_id": pid, "day": 150, "ck": 300, "ck_uln": 200, "mrc_sum": 44},
            {"patient_id": pid, "day": 90, "ck": 350, "ck_uln": 200, "mrc_sum": 42},
            {"patient_id": pid, "day": 120, "ck": 300, "ck_uln": 200, "mrc_sum": 43},
        ]
    out = evaluate(make(patients, visits=visits, treatments=treatments), criteria=["rtx_response"])
    assert all("lowest 300 (day 120)" in w for w in out.frame["rtx_response__why"])


def test_definite_response_no_strength_and_early_dose_is_not_evaluable() -> None:
    """DOMAIN.md section 9: no grades after the therapy and 60 mg/day three days in
    is not evaluable, not 'non-responder': the taper is judged at follow-up."""
    ds = make(
        [{"patient_id": "A"}],
        visits=[{"patient_id": "A", "day": 3, "prednisone_mg_day": 60}],
        treatments=[{"patient_id": "A", "drug": "ivig", "start_day": 0}],
    )
    r = evaluate(ds, criteria=["definite_response"]).frame.iloc[0]
    assert r["definite_response"] == "not_evaluable"
    assert pd.isna(r["definite_response__class"])


def _weak_grades(day: int) -> list[dict[str, object]]:
    return [
        {"patient_id": "A", "day": day, "muscle": m, "side": "both", "grade": "1"}
        for m in ("shoulder_abductors", "hip_flexors")
    ]


def test_full_strength_ruled_out_by_one_weak_muscle() -> None:
    """DOMAIN.md section 9: grades 1/5 in shoulder abductors and hip flexors rule out
    an MRC sum of 60 though the other muscles were not graded: full strength and complete
    remission are 'no', not 'not evaluable'."""
    ds = make(
        [{"patient_id": "A"}],
        visits=[{"patient_id": "A", "day": 183, "ck": 100, "ck_uln": 200}],
        strength=_weak_grades(183),
        treatments=[PRED],
    )
    ids = ["full_strength_6m", "full_strength_last", "complete_remission"]
    r = evaluate(ds, criteria=ids).frame.iloc[0]
    assert [r[c] for c in ids] == ["no", "no", "no"]


def test_full_strength_open_names_the_range_the_grades_allow() -> None:
    """All twelve MRC-sum muscle sides graded 4-5 (left and right written apart) allow a sum
    of 48 to 60: full strength at 3 months is open, and the reason names that range, not the
    exact score's convention for a range grade (its lower end, 48) as if it were the sum."""
    strength = [
        {"patient_id": "A", "day": 90, "muscle": m, "side": side, "grade": "4-5"}
        for m in MRC_SUM_MUSCLES
        for side in ("left", "right")
    ]
    ds = make([{"patient_id": "A"}], strength=strength, treatments=[PRED])
    r = evaluate(ds, criteria=["full_strength_3m"]).frame.iloc[0]
    assert r["full_strength_3m"] == "not_evaluable"
    assert r["full_strength_3m__reason"] == (
        "needs the MRC sum on day 90: the grades allow 48..60 (not every MRC-sum muscle graded,"
        " or a range)"
    )


def test_complete_remission_is_judged_at_the_last_follow_up() -> None:
    """DOMAIN.md section 9: an MRC sum of 60 on day 300 does not stand for the last
    follow-up on day 400, where hip flexors and shoulder abductors were graded 1/5."""
    ds = make(
        [{"patient_id": "A"}],
        visits=[
            {"patient_id": "A", "day": 100, "ck": 100, "ck_uln": 200, "mrc_sum": 58},
            {"patient_id": "A", "day": 300, "ck": 100, "ck_uln": 200, "mrc_sum": 60},
        ],
        strength=_weak_grades(400),
        treatments=[PRED],
    )
    r = evaluate(ds, criteria=["complete_remission", "full_strength_last"]).frame.iloc[0]
    assert r["complete_remission"] == "no"
    assert r["full_strength_last"] == "no"


@pytest.mark.parametrize(
    ("day", "relapse_type", "relapse", "remission"),
    [
        (None, None, "yes", "no"),  # undated: still a relapse during follow-up
        (None, "clinical", "yes", "no"),
        (200, "both", "yes", "no"),
        (200, "biochemical", "no", "yes"),  # CK only: 004 requires an MRC sum drop
        (None, "biochemical", "no", "yes"),
    ],
)
def test_reported_relapse_undated_counts_biochemical_does_not(
    day: int | None, relapse_type: str | None, relapse: str, remission: str
) -> None:
    """DOMAIN.md section 9: a reported relapse without a day is still a relapse during
    follow-up (first day unknown); a purely biochemical one does not meet 004."""
    ds = make(
        [{"patient_id": "A"}],
        visits=[
            {"patient_id": "A", "day": 100, "ck": 100, "ck_uln": 200, "mrc_sum": 58},
            {"patient_id": "A", "day": 300, "ck": 100, "ck_uln": 200, "mrc_sum": 60},
        ],
        events=[
            {
                "patient_id": "A",
                "day": day,
                "kind": "relapse_reported",
                "relapse_type": relapse_type,
            }
        ],
        treatments=[PRED],
    )
    r = evaluate(ds, criteria=["relapse", "complete_remission"]).frame.iloc[0]
    assert (r["relapse"], r["complete_remission"]) == (relapse, remission)
    if relapse == "yes" and day is None:
        assert pd.isna(r["relapse__first_day"])


@pytest.mark.parametrize(
    "course",
    [
        # 'corticosteroids 1 mg/kg' (dang2025 P1): an unnamed glucocorticoid
        {"drug": "glucocorticoid", "dose": 1, "dose_unit": "mg/kg", "dose_per": "day"},
        {"drug": "prednisone", "dose": 1, "dose_unit": "mg/kg", "schedule": "daily (1 mg/kg/day)"},
    ],
)
def test_refractory_reads_unnamed_and_written_out_daily_glucocorticoids(
    course: dict[str, object],
) -> None:
    """001 Methods, DOMAIN.md section 9: a glucocorticoid without a drug name is
    prednisone-equivalent at the stated dose, a schedule 'daily (1 mg/kg/day)' is daily, and a
    dose per kg needs no body weight."""
    ds = make(
        [{"patient_id": "A"}],
        visits=[
            {"patient_id": "A", "day": 0, "mrc_sum": 50},
            {"patient_id": "A", "day": 90, "mrc_sum": 44},
        ],
        treatments=[
            {"patient_id": "A", "start_day": 0, "end_day": 60, **course},
            {"patient_id": "A", "drug": "azathioprine", "start_day": 0},
        ],
    )
    r = evaluate(ds, criteria=["refractory"]).frame.iloc[0]
    assert r["refractory"] == "yes"
    assert "body weight" not in r["refractory__reason"]


def test_refractory_second_agents_are_a_parameter() -> None:
    """001 lists the second agents with 'including' (DOMAIN.md section 9): a parameter whose
    default is 001's list; tacrolimus counts only when added."""
    assert Params().refractory_second_agents == (
        "methotrexate",
        "azathioprine",
        "mycophenolate",
        "ivig",
    )
    ds = make(
        [{"patient_id": "A"}],
        visits=[
            {"patient_id": "A", "day": 0, "mrc_sum": 50},
            {"patient_id": "A", "day": 90, "mrc_sum": 44},
        ],
        treatments=[
            {
                "patient_id": "A",
                "drug": "prednisone",
                "start_day": 0,
                "end_day": 60,
                "dose": 1,
                "dose_unit": "mg/kg/day",
            },
            {"patient_id": "A", "drug": "tacrolimus", "start_day": 0},
        ],
    )
    default = evaluate(ds, criteria=["refractory"]).frame.iloc[0]
    assert default["refractory"] != "yes" and "tacrolimus" not in default["refractory__reason"]
    wider = Params(refractory_second_agents=(*Params().refractory_second_agents, "tacrolimus"))
    assert evaluate(ds, criteria=["refractory"], params=wider).frame.iloc[0]["refractory"] == "yes"


def test_qualitative_normal_ck_counts() -> None:
    """DOMAIN.md section 9: 'CK normal' means at or below the ULN without a number:
    CK normalised on that day, and complete remission's CK condition holds."""
    ds = make(
        [{"patient_id": "A"}],
        visits=[
            {"patient_id": "A", "day": 0, "ck": 5000, "ck_uln": 200, "mrc_sum": 48},
            {"patient_id": "A", "day": 60, "ck": 900, "ck_uln": 200, "mrc_sum": 56},
            {"patient_id": "A", "day": 150, "ck": "normal", "mrc_sum": 60},
        ],
        treatments=[PRED],
    )
    r = evaluate(ds, criteria=["ck_normalisation", "complete_remission"]).frame.iloc[0]
    assert r["ck_normalisation"] == "yes" and r["ck_normalisation__day"] == 150
    assert r["complete_remission"] == "yes"


@pytest.mark.parametrize(
    ("before", "after", "expected"),
    [
        (10000, ">999", "not_evaluable"),  # may be 1000 (10-fold) or far more
        (">10000", 1001, "not_evaluable"),  # the baseline may be 10,010 or more
        (10000, 1000, "yes"),
        (10000, "<1000", "yes"),
        (10000, ">1000", "no"),
    ],
)
def test_rtx_response_honours_ck_bounds(before: object, after: object, expected: str) -> None:
    """001 Table 4 footnote b, DOMAIN.md section 9: a 10-fold CK fall is decided only
    when the written bounds decide it."""
    ds = make(
        [{"patient_id": "A"}],
        visits=[
            {"patient_id": "A", "day": -5, "ck": before, "ck_uln": 200, "mrc_sum": 40},
            {"patient_id": "A", "day": 90, "ck": after, "ck_uln": 200, "mrc_sum": 41},
        ],
        treatments=[{"patient_id": "A", "drug": "rituximab", "start_day": 0}],
    )
    assert evaluate(ds, criteria=["rtx_response"]).frame.iloc[0]["rtx_response"] == expected


def test_refractory_is_no_without_any_second_agent() -> None:
    """001 Methods: refractory needs worsening after high-dose glucocorticoid *and* a second
    agent; a patient whose treatments list none of the second agents is not refractory ('no'),
    not 'not evaluable' (evidence case 001-T3-02, reference implementation)."""
    ds = make(
        [{"patient_id": "A"}],
        visits=[
            {"patient_id": "A", "day": 0, "mrc_sum": 50},
            {"patient_id": "A", "day": 90, "mrc_sum": 44},
        ],
        treatments=[
            {
                "patient_id": "A",
                "drug": "prednisone",
                "start_day": 0,
                "dose": 1,
                "dose_unit": "mg/kg",
            },
            {"patient_id": "A", "drug": "rituximab", "start_day": 30},
        ],
    )
    assert evaluate(ds, criteria=["refractory"]).frame.iloc[0]["refractory"] == "no"


def test_definite_response_before_grades_within_the_lookback() -> None:
    """002 'before therapy' (synthetic case SYN000019 of the reference comparison): a grade 300
    days before the therapy is not the strength before it (baseline_lookback_days = 120)."""
    ds = make(
        [{"patient_id": "A"}],
        visits=[{"patient_id": "A", "day": 200, "prednisone_mg_day": 5}],
        strength=[
            {"patient_id": "A", "day": -300, "muscle": "hip_flexors", "side": "left", "grade": "2"},
            {"patient_id": "A", "day": 150, "muscle": "hip_flexors", "side": "left", "grade": "4"},
        ],
        treatments=[{"patient_id": "A", "drug": "ivig", "start_day": 0}],
    )
    assert evaluate(ds, criteria=["definite_response"]).frame.iloc[0]["definite_response"] == (
        "not_evaluable"
    )


def test_definite_response_before_is_the_weakest_grade_over_the_lookback() -> None:
    """002 Table 2 'Deltoid strength, min' / 'Hip flexor strength, min' beside 'Peak CK' and
    'Max prednisone dose': the weakest grade before therapy (hip flexors 2 on day 50), not the
    last one (3 on day 90); 2 -> 4 is +2 grades."""
    hips = [(50, "2"), (90, "3"), (300, "4")]
    ds = make(
        [{"patient_id": "A"}],
        visits=[{"patient_id": "A", "day": 300, "prednisone_mg_day": 5}],
        strength=[
            {"patient_id": "A", "day": d, "muscle": "hip_flexors", "side": "both", "grade": g}
            for d, g in hips
        ],
        treatments=[{"patient_id": "A", "drug": "HiCy", "start_day": 100}],
    )
    r = evaluate(ds, criteria=["definite_response"]).frame.iloc[0]
    assert r["definite_response"] == "yes" and r["definite_response__lower_change"] == 2


def _hips(rows: list[tuple[object, str, str]]) -> list[dict]:
    return [
        {"patient_id": "A", "day": d, "muscle": "hip_flexors", "side": side, "grade": g}
        for d, g, side in rows
    ]


def test_definite_response_follows_an_assessment_of_uncertain_day() -> None:
    """Grades on '80..120' may lie before or after HiCy (day 100): as the weakest grade before
    (3) it does not lower the sure 2 of day 90, and it cannot be the last after (day 300 is
    surely later): 2 -> 5 decides, whichever side of the start it lies on."""
    ds = make(
        [{"patient_id": "A"}],
        visits=[{"patient_id": "A", "day": 300, "prednisone_mg_day": 5}],
        strength=_hips([(90, "2", "both"), ("80..120", "3", "both"), (300, "5", "both")]),
        treatments=[{"patient_id": "A", "drug": "HiCy", "start_day": 100}],
    )
    r = evaluate(ds, criteria=["definite_response"]).frame.iloc[0]
    assert r["definite_response"] == "yes" and r["definite_response__lower_change"] == 3


def test_definite_response_one_stated_side_leaves_the_weakest_grade_open() -> None:
    """Only the left hip flexors graded (2 -> 5): the right side, ungraded, may be the weaker
    (0..5), so +2 over the weaker side is not established: not evaluable, naming the grades."""
    ds = make(
        [{"patient_id": "A"}],
        visits=[{"patient_id": "A", "day": 300, "prednisone_mg_day": 5}],
        strength=_hips([(90, "2", "left"), (300, "5", "left")]),
        treatments=[{"patient_id": "A", "drug": "HiCy", "start_day": 100}],
    )
    r = evaluate(ds, criteria=["definite_response"]).frame.iloc[0]
    assert r["definite_response"] == "not_evaluable"
    assert "grades do not decide" in r["definite_response__reason"]


def test_definite_response_reads_a_regional_grade() -> None:
    """DOMAIN.md section 9: 'proximal upper limb 4/5' grades the shoulder abductors as a group,
    so it is the upper extremity's grade after therapy (2 -> 4: +2 grades)."""
    rows = [(90, "shoulder_abductors", "2"), (300, "proximal upper limb", "4")]
    ds = make(
        [{"patient_id": "A"}],
        visits=[{"patient_id": "A", "day": 300, "prednisone_mg_day": 5}],
        strength=[
            {"patient_id": "A", "day": d, "muscle": m, "side": "both", "grade": g}
            for d, m, g in rows
        ],
        treatments=[{"patient_id": "A", "drug": "HiCy", "start_day": 100}],
    )
    r = evaluate(ds, criteria=["definite_response"]).frame.iloc[0]
    assert r["definite_response"] == "yes" and r["definite_response__upper_change"] == 2


@pytest.mark.parametrize(
    ("end_day", "expected"), [(26, "no"), (27, "yes"), (None, "not_evaluable")]
)
def test_refractory_high_dose_month_needs_a_known_end(end_day: int | None, expected: str) -> None:
    """001 '1.0 mg/kg/day for at least 1 month'; schema: an empty end day means 'ongoing or
    unknown', so the month on the high dose is unknown (synthetic case SYN000017 of the reference
    comparison). The end day is the course's last day: days 0..27 are 28 days."""
    ds = make(
        [{"patient_id": "A"}],
        visits=[
            {"patient_id": "A", "day": 0, "mrc_sum": 50},
            {"patient_id": "A", "day": 90, "mrc_sum": 44},
        ],
        treatments=[
            {
                "patient_id": "A",
                "drug": "prednisone",
                "start_day": 0,
                "end_day": end_day,
                "dose": 1,
                "dose_unit": "mg/kg/day",
            },
            {"patient_id": "A", "drug": "azathioprine", "start_day": 0},
        ],
    )
    assert evaluate(ds, criteria=["refractory"]).frame.iloc[0]["refractory"] == expected


def test_refractory_no_worsening_decides_without_the_dose_month() -> None:
    """001 requires worsening: MRC sums that never fall after the second agent make it 'no'
    even when the high-dose month is unknown (open end day; synthetic case SYN000005 of the
    reference comparison)."""
    ds = make(
        [{"patient_id": "A"}],
        visits=[
            {"patient_id": "A", "day": 0, "mrc_sum": 44},
            {"patient_id": "A", "day": 90, "mrc_sum": 50},
        ],
        treatments=[
            {
                "patient_id": "A",
                "drug": "prednisone",
                "start_day": 0,
                "dose": 1,
                "dose_unit": "mg/kg",
            },
            {"patient_id": "A", "drug": "azathioprine", "start_day": 0},
        ],
    )
    assert evaluate(ds, criteria=["refractory"]).frame.iloc[0]["refractory"] == "no"


def _recovery_6m(treatments: list[dict[str, object]], params: Params | None = None) -> pd.Series:
    """mRS 1 on day 190 and mRS 3 on day 290 (days since onset)."""
    ds = make(
        [{"patient_id": "A"}],
        visits=[
            {"patient_id": "A", "day": 190, "mrs": 1},
            {"patient_id": "A", "day": 290, "mrs": 3},
        ],
        treatments=treatments,
    )
    return evaluate(ds, criteria=["favourable_recovery_6m"], params=params).frame.iloc[0]


def test_index_course_anchors_the_patient() -> None:
    """treatments.index_course = yes makes that course the patient's anchor: prednisone on day
    0 puts 6 months (183 +/- 45 days) at the mRS 1 of day 190 ('yes'); IVIg marked as the index
    treatment on day 100 puts it at the mRS 3 of day 290 ('no'). ``Params.anchor`` still names
    one drug for the whole source and wins over the mark."""
    pred = {"patient_id": "A", "drug": "prednisone", "start_day": 0}
    ivig = {"patient_id": "A", "drug": "ivig", "start_day": 100}
    assert _recovery_6m([pred, ivig])["favourable_recovery_6m"] == "yes"
    marked = [{**pred, "index_course": "no"}, {**ivig, "index_course": "yes"}]
    row = _recovery_6m(marked)
    assert row["favourable_recovery_6m"] == "no"
    assert "ivig day 100" in row["favourable_recovery_6m__why"]
    assert _recovery_6m(marked, Params(anchor="prednisone"))["favourable_recovery_6m"] == "yes"


def test_a_second_index_course_is_an_error() -> None:
    """One index treatment per patient: a second one is an error naming the row and column."""
    from myotrack.errors import InvalidData

    with pytest.raises(InvalidData) as err:
        make(
            [{"patient_id": "A"}],
            treatments=[
                {"patient_id": "A", "drug": "prednisone", "start_day": 0, "index_course": "yes"},
                {"patient_id": "A", "drug": "ivig", "start_day": 9, "index_course": "yes"},
            ],
        )
    assert "index_course" in str(err.value) and "second index treatment" in str(err.value)


def test_an_undated_earlier_course_leaves_the_first_immunotherapy_open() -> None:
    """002 patient 3 (evidence base): prednisone, azathioprine, methotrexate and rituximab came
    before HiCy (``line`` 1-5) on days the paper does not give, HiCy on day 0. The first
    immunotherapy was prednisone, some day before day 0: the strength at 6 months after it is
    not known ('not evaluable'), where reading HiCy's day as the first immunotherapy said 'no'."""
    ds = make(
        [{"patient_id": "A"}],
        strength=[
            {"patient_id": "A", "day": -1, "muscle": "hip_flexors", "side": "left", "grade": "2"}
        ],
        treatments=[
            {"patient_id": "A", "drug": "prednisone", "line": 1},
            {"patient_id": "A", "drug": "hicy", "start_day": 0, "end_day": 3, "line": 2},
        ],
    )
    row = evaluate(ds, criteria=["full_strength_6m"]).frame.iloc[0]
    assert row["full_strength_6m"] == "not_evaluable"
    assert "may fall outside" in row["full_strength_6m__reason"]
    # a dated course with a lower line rules the undated one out as the first
    ds2 = make(
        [{"patient_id": "A"}],
        strength=[
            {"patient_id": "A", "day": 180, "muscle": "hip_flexors", "side": "left", "grade": "2"}
        ],
        treatments=[
            {"patient_id": "A", "drug": "prednisone", "start_day": 0, "line": 1},
            {"patient_id": "A", "drug": "azathioprine", "line": 2},
        ],
    )
    assert evaluate(ds2, criteria=["full_strength_6m"]).frame.iloc[0]["full_strength_6m"] == "no"


@pytest.mark.parametrize(
    ("ck_day", "expected"),
    [("76..107", "not_evaluable"), ("130..150", "no")],
)
def test_ck_after_an_uncertain_start(ck_day: str, expected: str) -> None:
    """Meireles 2020 patient 1 (tests/data/published): prednisone from about 3 months (days
    61..122); the only CKs lie on days 76..107 and 91..152, so neither is surely after the
    start: CK normalisation is not evaluable ('no' before uncertain days were read). A CK
    surely after the start and above the ULN makes it 'no'."""
    from myotrack.tables import Dataset

    frames = {
        "patients": pd.DataFrame([{"patient_id": "A"}]),
        "visits": pd.DataFrame(
            [{"patient_id": "A", "day": ck_day, "ck": "9562", "ck_uln": "200"}], dtype=str
        ),
        "treatments": pd.DataFrame(
            [{"patient_id": "A", "drug": "prednisone", "start_day": "61..122"}], dtype=str
        ),
    }
    ds = Dataset.from_frames("t", **frames)
    assert evaluate(ds, criteria=["ck_normalisation"]).frame.iloc[0]["ck_normalisation"] == (
        expected
    )


def test_the_escalation_anchor_counts_each_drug_from_its_first_course() -> None:
    """002 patient 4: rituximab before HiCy (day 0) and again after it on a day not given
    (``line``); 002 judges the response to HiCy. Each escalation drug counts from its first
    course, so the anchor is HiCy and the undated re-dose leaves it certain."""
    ds = make(
        [{"patient_id": "A"}],
        visits=[{"patient_id": "A", "day": 300, "prednisone_mg_day": 10}],
        strength=[
            {"patient_id": "A", "day": -1, "muscle": "hip_flexors", "side": "both", "grade": "2"},
            {"patient_id": "A", "day": 300, "muscle": "hip_flexors", "side": "both", "grade": "3"},
        ],
        treatments=[
            {"patient_id": "A", "drug": "rituximab", "line": 1},
            {"patient_id": "A", "drug": "hicy", "start_day": 0, "end_day": 3, "line": 2},
            {"patient_id": "A", "drug": "rituximab", "line": 3},
        ],
    )
    row = evaluate(ds, criteria=["definite_response"]).frame.iloc[0]
    assert row["definite_response__anchor_drug"] == "hicy"
    assert row["definite_response"] == "no"


# --- the previous and the last assessment when day ranges overlap (contract: Timing) ----------


def _uncertain_order(visits: list[dict[str, object]], criteria: list[str]) -> pd.Series:
    ds = make(
        [{"patient_id": "A"}],
        visits=[{"patient_id": "A", **v} for v in visits],
        treatments=[
            {
                "patient_id": "A",
                "drug": "prednisone",
                "start_day": 0,
                "end_day": 60,
                "dose": 1,
                "dose_unit": "mg/kg/day",
            },
            {"patient_id": "A", "drug": "methotrexate", "start_day": 0},
        ],
    )
    return evaluate(ds, criteria=criteria).frame.iloc[0]


def test_relapse_drop_from_each_assessment_that_may_be_the_previous() -> None:
    """004 'MRC-sum score drop from previous assessment': the MRC sum of day 45 was taken some
    day in 35..85, so the previous one before day 60 is day 30 (a drop of 3) or day 45 (a
    drop of 1, not 'over 1 point'): the order decides, and it is not known."""
    base = [
        {"day": 0, "ck": 5000, "ck_uln": 200, "mrc_sum": 40},
        {"day": 30, "ck": 400, "ck_uln": 200, "mrc_sum": 50},
        {"day": 60, "ck": 1000, "ck_uln": 200, "mrc_sum": 47},
    ]
    unsure = {"day": 45, "day_earliest": 35, "day_latest": 85, "ck": 400, "ck_uln": 200}
    r = _uncertain_order([*base, {**unsure, "mrc_sum": 48}], ["relapse"])
    assert r["relapse"] == "not_evaluable"
    assert r["relapse__reason"].startswith("the order of the MRC sums on day 45 and day 60")
    # a drop from either one: a relapse whichever came first
    r = _uncertain_order([*base, {**unsure, "mrc_sum": 55}], ["relapse"])
    assert r["relapse"] == "yes"


def test_relapse_no_drop_known_when_the_assessment_may_be_the_first() -> None:
    """An MRC sum whose day range reaches before every other one may have no previous
    assessment: the drop to it is not known even when no candidate shows one."""
    r = _uncertain_order(
        [
            {"day": 10, "ck": 400, "ck_uln": 200},
            {"day": 30, "ck": 400, "ck_uln": 200, "mrc_sum": 50},
            {
                "day": 40,
                "day_earliest": 20,
                "day_latest": 60,
                "ck": 3000,
                "ck_uln": 200,
                "mrc_sum": 50,
            },
        ],
        ["relapse"],
    )
    assert r["relapse"] == "not_evaluable"
    assert r["relapse__reason"].startswith("the order of the MRC sums on day 30 and day 40")


def test_refractory_worsening_from_each_assessment_that_may_be_the_previous() -> None:
    """001 'disease worsening': the MRC sum of day 150 was taken some day in 120..200, so the
    sum before day 160 is 50 (day 100: a fall of 0.5) or 51 (a fall of 1.5): whether the
    disease worsened depends on an order the record does not give."""
    visits = [
        {"day": 100, "mrc_sum": 50},
        {"day": 150, "day_earliest": 120, "day_latest": 200, "mrc_sum": 51},
        {"day": 160, "mrc_sum": 49.5},
    ]
    r = _uncertain_order(visits, ["refractory"])
    assert r["refractory"] == "not_evaluable"
    assert r["refractory__reason"].startswith("needs the order of the MRC sums on day 150")
    # no fall from either: no worsening whichever came first
    r = _uncertain_order([*visits[:2], {"day": 160, "mrc_sum": 50.5}], ["refractory"])
    assert r["refractory"] == "no"


def test_complete_remission_reads_every_assessment_that_may_be_the_last() -> None:
    """004 'MRC-sum score of 60' at the last follow-up: the MRC sum 58 was taken some day in
    250..400, so it may be later than the 60 of day 300."""
    visits = [
        {"day": 100, "ck": 100, "ck_uln": 200, "mrc_sum": 56},
        {"day": 290, "day_earliest": 250, "day_latest": 400, "mrc_sum": 58},
        {"day": 300, "ck": 100, "ck_uln": 200, "mrc_sum": 60},
    ]
    r = _uncertain_order(visits, ["complete_remission"])
    assert r["complete_remission"] == "not_evaluable"
    assert r["complete_remission__reason"].startswith(
        "the order of the last MRC sums (day 290 and day 300)"
    )
    # known once the uncertain one cannot be the last
    r = _uncertain_order(
        [visits[0], {**visits[1], "day_latest": 299}, visits[2]], ["complete_remission"]
    )
    assert r["complete_remission"] == "yes"


def test_rtx_ck_fall_from_each_ck_that_may_be_the_last_before_rituximab() -> None:
    """001 Table 4 footnote b: the baseline CK is the last one before rituximab, started some
    day in 90..110. A CK written 'elevated' without a reference range (some value above an
    unknown limit) on day 100 may be the last one before it: a fall to 150 is 10-fold from
    the 6000 of day 45 but not known to be from the baseline (synthetic case SYN8-1433 of the
    reference comparison)."""
    ds = make(
        [{"patient_id": "A"}],
        visits=[
            {"patient_id": "A", "day": 45, "ck": 6000, "ck_uln": 200},
            {"patient_id": "A", "day": 100, "ck": "elevated"},
            {"patient_id": "A", "day": 182, "ck": 150, "ck_uln": 200},
        ],
        treatments=[
            {
                "patient_id": "A",
                "drug": "rituximab",
                "start_day": 100,
                "start_day_earliest": 90,
                "start_day_latest": 110,
            }
        ],
    )
    r = evaluate(ds, criteria=["rtx_response"]).frame.iloc[0]
    assert r["rtx_response"] == "not_evaluable"


def test_full_strength_last_reads_every_assessment_that_may_be_the_last() -> None:
    """004 'full MRC-sum score at last follow up': the MRC sum of 35 was taken some day in
    505..617, so the last one is it or the 60 of day 540: the order decides, and it is not
    known (contract: Timing), as for complete remission at the last follow-up."""
    visits = [
        {"day": 0, "mrc_sum": 40},
        {"day": 540, "mrc_sum": 60},
        {"day": 561, "day_earliest": 505, "day_latest": 617, "mrc_sum": 35},
    ]
    r = _uncertain_order(visits, ["full_strength_last"])
    assert r["full_strength_last"] == "not_evaluable"
    assert r["full_strength_last__reason"] == (
        "the order of the last MRC sums (day 540 and day 561) is uncertain: their day ranges"
        " overlap"
    )
    # surely after day 540: the last one
    r = _uncertain_order([*visits[:2], {**visits[2], "day_earliest": 545}], ["full_strength_last"])
    assert r["full_strength_last"] == "no"
    # a sum of 60 whichever is the last
    r = _uncertain_order([*visits[:2], {**visits[2], "mrc_sum": 60}], ["full_strength_last"])
    assert r["full_strength_last"] == "yes"


def test_complete_remission_names_the_last_assessment_that_leaves_it_open() -> None:
    """004 Methods 1.4, complete remission at the last follow-up: the MRC sum of 60 was taken
    some day in 505..617 and the grades of day 540 (every MRC-sum muscle side 4-5) allow 48..60,
    so either may be the last. The one that leaves remission open is day 540's grades, not the
    latest stored day (561); likewise the CK of day 540 without a ULN, not day 561's."""
    strength = [
        {"patient_id": "A", "day": 540, "muscle": m, "side": side, "grade": "4-5"}
        for m in MRC_SUM_MUSCLES
        for side in ("left", "right")
    ]
    visits = [
        {"patient_id": "A", "day": 0, "ck": 5000, "ck_uln": 200, "mrc_sum": 40},
        {"patient_id": "A", "day": 540, "ck": 150},
        {
            "patient_id": "A",
            "day": 561,
            "day_earliest": 505,
            "day_latest": 617,
            "ck": 100,
            "ck_uln": 200,
            "mrc_sum": 60,
        },
    ]
    ds = make([{"patient_id": "A"}], visits=visits, strength=strength, treatments=[PRED])
    r = evaluate(ds, criteria=["complete_remission"]).frame.iloc[0]
    assert r["complete_remission"] == "not_evaluable"
    assert r["complete_remission__reason"] == (
        "the last MRC grades (day 540) allow a sum of 60 and less"
    )
    # the grades decided (5/5 everywhere): the CK of day 540 without a ULN is the open one
    full = [{**s, "grade": "5"} for s in strength]
    ds = make([{"patient_id": "A"}], visits=visits, strength=full, treatments=[PRED])
    r = evaluate(ds, criteria=["complete_remission"]).frame.iloc[0]
    assert r["complete_remission"] == "not_evaluable"
    assert r["complete_remission__reason"] == (
        "the last CK (day 540) has no ULN (reference range), or its bound leaves it open"
    )


def test_remission_and_full_strength_need_a_follow_up_after_the_start() -> None:
    """004 Methods 1.4: remission and full strength at the 'final follow-up' (assessments
    'initial, 3-month, 6-month, 12-month, and final follow-up'). Akivis 2022 (published case):
    CK 4166 (ULN 180) on presentation, then methylprednisolone, mycophenolate and tacrolimus
    some day in the first two weeks, and no later CK: the presentation CK says nothing of the
    final follow-up (it was 'no'). A CK and grades only before the start are no follow-up; on
    a day that may be either side of it they leave it open; surely after it they decide."""
    weak = _weak_grades(0)

    def run(start: object, day: object, ck: float, *more: object) -> pd.Series:
        course = {**PRED, "start_day": start}
        days = (day, *more)
        visits = [{"patient_id": "A", "day": d, "ck": ck, "ck_uln": 180} for d in days]
        strength = [{**g, "day": d} for g in weak for d in days]
        ds = make([{"patient_id": "A"}], visits=visits, strength=strength, treatments=[course])
        ids = ["complete_remission", "full_strength_last"]
        return evaluate(ds, criteria=ids).frame.iloc[0]

    r = run("0..14", 0, 4166)  # on or before any day of the start: no follow-up at all
    assert [r["complete_remission"], r["full_strength_last"]] == ["not_evaluable"] * 2
    assert r["complete_remission__reason"] == (
        "no MRC sum (nor MRC-sum muscles graded) after the start of prednisone"
    )
    assert r["full_strength_last__reason"] == (
        "no MRC sum (nor any MRC-sum muscle graded) after the start of prednisone"
    )
    r = run("0..14", 5, 4166)  # either side of the start
    assert [r["complete_remission"], r["full_strength_last"]] == ["not_evaluable"] * 2
    assert r["complete_remission__reason"] == (
        "needs an MRC sum surely after the start of prednisone: the one on day 5 may be on or"
        " before it"
    )
    assert r["full_strength_last__reason"] == (
        "needs an MRC sum surely after the start of prednisone: the one on day 5 may be on or"
        " before it"
    )
    r = run(None, 0, 4166)  # the course has no start day
    assert r["complete_remission__reason"] == (
        "needs an immunotherapy course with a start day (the follow-up is after it)"
    )
    r = run(0, 30, 4166)  # surely after the start: decided
    assert [r["complete_remission"], r["full_strength_last"]] == ["no", "no"]
    # day 5..40 may be before the start or the last follow-up; either way the last follow-up
    # (it, or day 30) is weak with a high CK
    r = run("0..14", 30, 4166, "5..40")
    assert [r["complete_remission"], r["full_strength_last"]] == ["no", "no"]
    r = run("0..14", "5..40", 4166)  # no assessment surely after the start
    assert [r["complete_remission"], r["full_strength_last"]] == ["not_evaluable"] * 2
