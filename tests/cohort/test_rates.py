"""Rates per therapy and per antibody with exact intervals."""

from __future__ import annotations

import pandas as pd
import pytest

from myotrack.cohort.intervals import clopper_pearson
from myotrack.cohort.rates import GC_ONLY, rates, rates_dataset
from myotrack.errors import UnknownColumn
from tests.conftest import make


def frame() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "patient_id": [f"p{i}" for i in range(8)],
            "antibody": ["SRP", "SRP", "SRP", "HMGCR", "HMGCR", "SRP", "SRP", None],
            "initial_regimen": [
                "prednisone+azathioprine",
                "prednisone+azathioprine+ivig",
                "prednisone",
                "prednisone+ivig",
                "prednisone+azathioprine",
                "prednisone",
                None,
                "prednisone",
            ],
            "relapse": ["yes", "no", "yes", "no", "no", "not_evaluable", "yes", "no"],
            "definite_response": [
                "yes",
                "no",
                "not_evaluable",
                "yes",
                "not_evaluable",
                "not_evaluable",
                "no",
                "no",
            ],
            "definite_response__anchor_drug": [
                "ivig",
                "ivig",
                None,
                "rituximab",
                None,
                None,
                "rituximab",
                "hicy",
            ],
        }
    )


def test_counts_and_intervals() -> None:
    f = frame()
    before = f.copy()
    table = rates(f, criteria=["relapse", "definite_response"])
    pd.testing.assert_frame_equal(f, before)
    n = table.numbers.set_index(["criterion", "by", "group"])
    overall = n.loc[("relapse", "all patients", "all patients")]
    assert (overall["yes"], overall["evaluable"], overall["not_evaluable"]) == (3, 7, 1)
    lo, hi = clopper_pearson(3, 7)
    assert overall["exact_lower"] == pytest.approx(lo) and overall["exact_upper"] == pytest.approx(
        hi
    )
    # relapse by therapy: non-glucocorticoid drugs of the initial regimen, groups overlap
    assert n.loc[("relapse", "therapy", "azathioprine"), ["yes", "evaluable"]].tolist() == [1, 3]
    assert n.loc[("relapse", "therapy", "ivig"), ["yes", "evaluable"]].tolist() == [0, 2]
    assert n.loc[("relapse", "therapy", GC_ONLY), ["yes", "evaluable"]].tolist() == [1, 2]
    # a response anchored to a therapy is grouped by its anchor drug
    assert n.loc[("definite_response", "therapy", "ivig"), ["yes", "evaluable"]].tolist() == [1, 2]
    assert n.loc[("definite_response", "therapy", "rituximab"), ["yes", "evaluable"]].tolist() == [
        1,
        2,
    ]
    assert n.loc[("relapse", "antibody", "HMGCR"), ["yes", "evaluable"]].tolist() == [0, 2]
    assert any("not in its denominator" in r for r in table.remarks)
    assert any("fewer than 10" in r for r in table.remarks)
    assert "42.9%" in table.frame["Rate"].tolist()


def test_unknown_grouping_column() -> None:
    with pytest.raises(UnknownColumn):
        rates(frame(), by=["antibodyy"])


def test_rates_of_a_dataset() -> None:
    ds = make(
        [{"patient_id": "a", "antibody": "SRP"}, {"patient_id": "b", "antibody": "HMGCR"}],
        visits=[
            {"patient_id": p, "day": d, "mrs": m, "mrc_sum": 50, "ck": 900, "ck_uln": 200}
            for p, d, m in (("a", 0, 4), ("a", 183, 1), ("b", 0, 4), ("b", 183, 3))
        ],
        treatments=[{"patient_id": p, "drug": "prednisone", "start_day": 0} for p in ("a", "b")],
    )
    table = rates_dataset(ds, criteria=["favourable_recovery_6m"])
    n = table.numbers.set_index(["by", "group"])
    assert n.loc[("all patients", "all patients"), ["yes", "evaluable"]].tolist() == [1, 2]
    assert n.loc[("antibody", "SRP"), "yes"] == 1
