"""Read -> write -> read keeps every v2 value: bounds, ranges, uncertain days, qualitative
labs, dose units and observations, through a CSV folder and through an Excel workbook."""

from __future__ import annotations

import itertools
from pathlib import Path

import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from myotrack.tables import TABLES, Dataset, read_source, write_csv_folder, write_excel

_count = itertools.count()

days = st.one_of(
    st.integers(-400, 4000).map(str),
    st.tuples(st.integers(-30, 2000), st.integers(0, 400)).map(lambda t: f"{t[0]}..{t[0] + t[1]}"),
    st.integers(1, 3000).map(lambda n: f"~{n}"),
    st.tuples(st.integers(1, 30), st.sampled_from(["weeks", "months", "years"])).map(
        lambda t: f"{t[0]} {t[1]}"
    ),
    st.integers(1, 12).map(lambda n: f"within {n} weeks"),
    st.integers(36, 60).map(lambda n: f"at age {n}"),
)
labs = st.one_of(
    st.none(),
    st.integers(0, 200000).map(str),
    st.tuples(st.sampled_from(["<", "<=", ">", ">=", "~"]), st.integers(1, 50000)).map(
        lambda t: f"{t[0]}{t[1]}"
    ),
    st.sampled_from(["normal", "normalised", "elevated", "markedly raised"]),
)
grades = st.sampled_from(["0", "2-", "3+", "4-", "4", "5", "1-2", "4-5", "T"])
muscles = st.sampled_from(
    ["hip_flexors", "deltoid", "proximal upper limb", "distal_limbs", "all limbs", "neck_flexors"]
)
sides = st.sampled_from(["left", "right", "both", ""])
units = st.sampled_from(["mg", "mg/kg/day", "g/kg per course", "mg/m2 weekly", "g/kg monthly"])
observations = st.sampled_from(
    [
        ("anti_hmgcr", "positive", ""),
        ("anti_srp", "negative", ""),
        ("ana", "1:640", ""),
        ("b_cells_cd19", "0", "cells/uL"),
        ("six_minute_walk", "320", "m"),
        ("biopsy_necrosis", "severe", ""),
        ("grip_dynamometry", "22 kg", ""),  # not in the vocabulary: kept with a warning
    ]
)


@st.composite
def datasets(draw: st.DrawFn) -> Dataset:
    n = draw(st.integers(1, 5))
    ids = [f"P{i}" for i in range(n)]
    patients = pd.DataFrame(
        {
            "patient_id": ids,
            "age_at_onset": [draw(st.integers(30, 36)) for _ in ids],
            "comorbidities": [draw(st.sampled_from(["", "hbv", "hbv;new_term"])) for _ in ids],
        }
    )
    visits = pd.DataFrame(
        {
            "patient_id": ids,
            "day": [draw(days) for _ in ids],
            "ck": [draw(labs) for _ in ids],
            "alt": [draw(labs) for _ in ids],
            "ck_uln": [draw(st.sampled_from([None, 200, 226])) for _ in ids],
        }
    )
    strength = pd.DataFrame(
        {
            "patient_id": ids,
            "day": [draw(days) for _ in ids],
            "muscle": [draw(muscles) for _ in ids],
            "side": [draw(sides) for _ in ids],
            "grade": [draw(grades) for _ in ids],
        }
    )
    treatments = pd.DataFrame(
        {
            "patient_id": ids,
            "drug": [
                draw(st.sampled_from(["RTX", "IVIG", "pulse steroid", "newmab"])) for _ in ids
            ],
            "start_day": [draw(days) for _ in ids],
            "dose": [draw(st.integers(1, 1000)) for _ in ids],
            "dose_unit": [draw(units) for _ in ids],
        }
    )
    events = pd.DataFrame(
        {
            "patient_id": ids,
            "day": [None for _ in ids],
            "sequence": list(range(1, n + 1)),
            "kind": "relapse_reported",
            "relapse_type": [
                draw(st.sampled_from(["clinical", "biochemical", "both"])) for _ in ids
            ],
        }
    )
    obs = [draw(observations) for _ in ids]
    observed = pd.DataFrame(
        {
            "patient_id": ids,
            "day": [draw(days) for _ in ids],
            "code": [o[0] for o in obs],
            "value": [o[1] for o in obs],
            "unit": [o[2] for o in obs],
        }
    )
    ranges = pd.DataFrame({"analyte": ["ck", "alt"], "uln": [190, 40]})
    return Dataset.from_frames(
        patients=patients,
        visits=visits,
        strength=strength,
        treatments=treatments,
        events=events,
        observations=observed,
        reference_ranges=ranges,
    )


def _same(a: Dataset, b: Dataset) -> None:
    for name in TABLES:
        pd.testing.assert_frame_equal(a.table(name), b.table(name), check_dtype=False)
        for column in a.table(name).columns:  # and unknown is the same missing value
            assert a.table(name)[column].dtype == b.table(name)[column].dtype, (name, column)
    assert a.reference_ranges is not None and b.reference_ranges is not None
    pd.testing.assert_frame_equal(a.reference_ranges, b.reference_ranges, check_dtype=False)
    # a derived fact is written out, so it is no longer a warning when read back
    assert {w.rule for w in b.warnings} <= {w.rule for w in a.warnings}


@settings(
    max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(ds=datasets())
def test_v2_values_survive_csv_and_excel(tmp_path: Path, ds: Dataset) -> None:
    k = next(_count)
    _same(ds, read_source(write_csv_folder(ds, tmp_path / f"csv{k}")))
    _same(ds, read_source(write_excel(ds, tmp_path / f"book{k}.xlsx")))
