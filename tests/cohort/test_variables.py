"""The patient-level variables derived from the five tables."""

from __future__ import annotations

import pandas as pd
import pytest

from myotrack.cohort.variables import label, patient_frame
from tests.conftest import make


def dataset():
    return make(
        [
            {
                "patient_id": "a",
                "sex": "F",
                "height_cm": 160,
                "weight_kg": 64,
                "comorbidities": "dysphagia;myocarditis",
            },
            {"patient_id": "b", "sex": "unknown", "comorbidities": ""},
        ],
        visits=[
            {"patient_id": "a", "day": 40, "ck": 4000, "ck_uln": 200, "mrs": 3},
            {"patient_id": "a", "day": 20, "ck": 8000, "ck_uln": 200},
            {"patient_id": "a", "day": 100, "mrc_sum": 55, "mrs": 1},
            {"patient_id": "b", "day": 5, "mrc_sum": 30},
        ],
        treatments=[
            {"patient_id": "a", "drug": "atorvastatin", "start_day": 0},
            {"patient_id": "a", "drug": "PSL", "start_day": 20},
            {"patient_id": "a", "drug": "AZA", "start_day": 50},
            {"patient_id": "a", "drug": "IVIg", "start_day": 150},
            {"patient_id": "b", "drug": "rituximab"},
        ],
    )


def test_patient_frame() -> None:
    ds = dataset()
    visits_before = ds.visits.copy()
    f = patient_frame(ds).set_index("patient_id")
    pd.testing.assert_frame_equal(ds.visits, visits_before)
    assert f.loc["a", "female"] == "yes" and f.loc["b", "female"] is None
    assert f.loc["a", "bmi"] == pytest.approx(25.0)
    assert f.loc["a", "initial_ck"] == 8000 and f.loc["a", "last_ck"] == 4000
    assert f.loc["a", "initial_ck_x_uln"] == 40
    assert f.loc["a", "initial_mrs"] == 3 and f.loc["a", "last_mrs"] == 1
    assert (f.loc["a", "first_visit_day"], f.loc["a", "follow_up_days"]) == (20, 80)
    assert (
        f.loc["a", "comorbidity_dysphagia"] == "yes" and f.loc["b", "comorbidity_dysphagia"] == "no"
    )
    # a statin is not immunotherapy: the first treatment is prednisone on day 20
    assert f.loc["a", "first_treatment_day"] == 20
    assert f.loc["a", "initial_regimen"] == "prednisone+azathioprine"
    assert f.loc["a", "n_immunosuppressants_90d"] == 1
    assert f.loc["a", "received_ivig"] == "yes" and f.loc["b", "received_rituximab"] == "yes"
    assert pd.isna(f.loc["b", "first_treatment_day"]) and pd.isna(
        f.loc["b", "n_immunosuppressants_90d"]
    )


def test_outcomes_are_joined_and_labels_read_well() -> None:
    ds = dataset()
    out = pd.DataFrame(
        {"patient_id": ["b", "a"], "relapse": ["no", "yes"], "relapse__first_day": [None, 70]}
    )
    f = patient_frame(ds, out).set_index("patient_id")
    assert f.loc["a", "relapse"] == "yes" and f.loc["a", "relapse__first_day"] == 70
    assert label("comorbidity_dropped_head") == "Dropped head"
    assert label("favourable_recovery_6m").startswith("Favourable recovery (mRS 0-1)")
    assert label("received_ivig") == "Received ivig"
