"""Relapse-free survival against the hand calculation in myotrack.cohort.survival's docstring."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from myotrack.cohort.survival import kaplan_meier, relapse_free_survival
from tests.conftest import make


def frame(times: list[float], events: list[int], groups: list[str] | None = None) -> pd.DataFrame:
    n = len(times)
    return pd.DataFrame(
        {
            "patient_id": [f"p{i}" for i in range(n)],
            "relapse": ["yes" if e else "no" for e in events],
            "relapse__first_day": [
                10 + t if e else None for t, e in zip(times, events, strict=True)
            ],
            "last_visit_day": [
                10 + t if not e else 10 + t + 50 for t, e in zip(times, events, strict=True)
            ],
            "first_treatment_day": [10.0] * n,
            "first_visit_day": [0.0] * n,
            "group": groups or ["x"] * n,
        }
    )


def test_kaplan_meier_by_hand() -> None:
    """Times 2, 3, 3+, 5, 8+: S = 0.8, 0.6, 0.3; median 5 (hand calculation)."""
    s = kaplan_meier(frame([2, 3, 3, 5, 8], [1, 1, 0, 1, 0]))
    curve = s.curves.set_index("time_days")["survival"]
    assert curve[2.0] == pytest.approx(0.8)
    assert curve[3.0] == pytest.approx(0.6)
    assert curve[5.0] == pytest.approx(0.3)
    assert s.medians.loc[0, "median_days"] == 5
    assert (s.medians.loc[0, "n"], s.medians.loc[0, "events"]) == (5, 3)
    assert s.logrank_p is None


def test_logrank_by_hand() -> None:
    """A = {1, 3}, B = {2, 4+}: chi2 = 8/13, p = 0.4328 (hand calculation in the docstring)."""
    s = kaplan_meier(frame([1, 3, 2, 4], [1, 1, 1, 0], ["A", "A", "B", "B"]), group_by="group")
    assert s.logrank_statistic == pytest.approx(8 / 13)
    assert s.logrank_p == pytest.approx(0.4328, abs=5e-5)
    assert s.groups == ["A", "B"]
    at_risk = s.at_risk.set_index("group")
    assert at_risk.loc["A", "0"] == 2


def test_at_risk_table_at_given_days() -> None:
    s = kaplan_meier(frame([100, 200, 400, 500], [1, 0, 1, 0]), at_risk_days=[0, 150, 450])
    assert s.at_risk.iloc[0].tolist() == ["all patients", 4, 3, 1]
    assert math.isnan(s.medians.loc[0, "median_days"]) or s.medians.loc[0, "median_days"] == 400


def test_left_out_patients_are_counted() -> None:
    f = pd.DataFrame(
        {
            "patient_id": ["a", "b", "c", "d", "e"],
            "relapse": ["yes", "not_evaluable", "yes", "no", "no"],
            "relapse__first_day": [30, None, None, None, None],
            "last_visit_day": [100, 100, 100, 100, 100],
            "first_treatment_day": [0, 0, 0, None, 0],
            "first_visit_day": [0, 0, 0, 0, 0],
        }
    )
    s = kaplan_meier(f)
    assert s.data["patient_id"].tolist() == ["a", "e"]
    text = " ".join(s.remarks)
    assert "not evaluable for relapse" in text
    assert "a relapse without a day" in text
    assert "no dated immunotherapy" in text


def test_from_a_dataset_with_the_relapse_criterion() -> None:
    """Patient r relapses by the 004 rule at day 120 (CK above its nadir and > 3x ULN, MRC sum
    down by 4); patient s does not, censored at its last visit (day 300)."""
    visits = []
    for pid, rows in {
        "r": [(0, 6000, 40), (60, 300, 52), (120, 2400, 48), (200, 500, 55)],
        "s": [(0, 5000, 42), (60, 400, 50), (300, 250, 58)],
    }.items():
        visits += [
            {"patient_id": pid, "day": d, "ck": ck, "ck_uln": 200, "mrc_sum": m}
            for d, ck, m in rows
        ]
    ds = make(
        [{"patient_id": "r", "antibody": "SRP"}, {"patient_id": "s", "antibody": "SRP"}],
        visits=visits,
        treatments=[{"patient_id": p, "drug": "prednisone", "start_day": 0} for p in ("r", "s")],
    )
    s = relapse_free_survival(ds)
    data = s.data.set_index("patient_id")
    assert data.loc["r", "event"] == 1 and data.loc["r", "time_days"] == 120
    assert data.loc["s", "event"] == 0 and data.loc["s", "time_days"] == 300


def test_relapse_free_time_starts_at_the_criterion_anchor() -> None:
    """With Params(anchor='rituximab') the relapse criterion counts relapses only after
    rituximab (day 100), so the time starts there, not at prednisone (day 0): the 100 days
    before it would be immortal time. Relapse at day 220 -> 120 days; censored day 400 -> 300."""
    from myotrack.criteria import Params

    visits = []
    for pid, rows in {
        "r": [(100, 6000, 40), (160, 300, 52), (220, 2400, 48), (300, 500, 55)],
        "s": [(100, 5000, 42), (160, 400, 50), (400, 250, 58)],
    }.items():
        visits += [
            {"patient_id": pid, "day": d, "ck": ck, "ck_uln": 200, "mrc_sum": m}
            for d, ck, m in rows
        ]
    ds = make(
        [{"patient_id": "r"}, {"patient_id": "s"}],
        visits=visits,
        treatments=[
            {"patient_id": p, "drug": d, "start_day": day}
            for p in ("r", "s")
            for d, day in (("prednisone", 0), ("rituximab", 100))
        ],
    )
    data = relapse_free_survival(ds, params=Params(anchor="rituximab")).data
    data = data.set_index("patient_id")
    assert data.loc["r", "event"] == 1 and data.loc["r", "time_days"] == 120
    assert data.loc["s", "event"] == 0 and data.loc["s", "time_days"] == 300
