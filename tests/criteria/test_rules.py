"""Edges of each rule on small synthetic patients (no real patient data)."""

from __future__ import annotations

import pytest

from myotrack.criteria import Params, evaluate
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
        (380, 40, "no"),  # below the nadir
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
    """004: mRS 0-1 favourable, 2-6 unfavourable at 6 months (183 days, +/- 45)."""
    assert recovery(10 + 183, 1)[0] == "yes"
    assert recovery(10 + 183 + 45, 2)[0] == "no"
    value, reason = recovery(10 + 183 + 46, 1)
    assert value == "not_evaluable" and "45 days" in reason


def test_not_evaluable_without_treatment_has_reason() -> None:
    ds = make(
        [{"patient_id": "A"}],
        visits=[{"patient_id": "A", "day": 5, "mrs": 1, "ck": 100, "ck_uln": 200}],
    )
    r = evaluate(ds).frame.iloc[0]
    assert r["favourable_recovery_6m"] == "not_evaluable"
    assert r["favourable_recovery_6m__reason"] == "no immunotherapy with a start day"
    assert r["ck_normalisation__reason"] == "no immunotherapy with a start day"


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
    ds = make([{"patient_id": "A"}], strength=rows)
    assert (
        evaluate(ds, criteria=["full_strength_last"]).frame.iloc[0]["full_strength_last"] == "yes"
    )
    ds11 = make([{"patient_id": "A"}], strength=rows[:-1])
    assert (
        evaluate(ds11, criteria=["full_strength_last"]).frame.iloc[0]["full_strength_last"]
        == "not_evaluable"
    )
    rows[0]["grade"] = "4+"
    r = evaluate(
        make([{"patient_id": "A"}], strength=rows), criteria=["full_strength_last"]
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
    """001 Methods: worse after prednisone >= 1.0 mg/kg/day for >= 1 month plus MTX/AZA/MMF or IVIg."""
    visits = [
        {"patient_id": "A", "day": d, "prednisone_mg_day": 60, "mrc_sum": m}
        for d, m in ((0, 50), (30, 50), (60, 46))
    ]
    tr = [{"patient_id": "A", "drug": "MTX", "start_day": 0}]
    yes = evaluate(
        make([{"patient_id": "A", "weight_kg": 60}], visits=visits, treatments=tr),
        criteria=["refractory"],
    )
    assert yes.frame.iloc[0]["refractory"] == "yes"
    heavy = evaluate(
        make([{"patient_id": "A", "weight_kg": 70}], visits=visits, treatments=tr),
        criteria=["refractory"],
    )
    assert heavy.frame.iloc[0]["refractory"] == "no"  # 60 mg is < 1 mg/kg at 70 kg
    unknown = evaluate(
        make([{"patient_id": "A"}], visits=visits, treatments=tr), criteria=["refractory"]
    )
    assert unknown.frame.iloc[0]["refractory"] == "not_evaluable"
