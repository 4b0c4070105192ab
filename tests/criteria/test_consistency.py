"""One implementation for one patient and for a cohort: the results agree (property test)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from myotrack.criteria import ORDER, Params, evaluate
from myotrack.synth import generate
from myotrack.tables import Dataset


def random_cohort(seed: int, n: int = 6) -> Dataset:
    rng = np.random.default_rng(seed)
    pts, vis, tr = [], [], []
    for i in range(n):
        pid = f"S{i}"
        pts.append({"patient_id": pid, "weight_kg": float(rng.integers(45, 90))})
        start = int(rng.integers(0, 60))
        tr.append(
            {
                "patient_id": pid,
                "drug": str(rng.choice(["prednisone", "azathioprine", "rituximab", "ivig"])),
                "start_day": start,
            }
        )
        day = 0
        for _ in range(int(rng.integers(0, 10))):
            day += int(rng.integers(20, 100))
            vis.append(
                {
                    "patient_id": pid,
                    "day": day,
                    "ck": float(rng.integers(50, 8000)),
                    "ck_uln": 200.0,
                    "mrc_sum": float(rng.integers(30, 61)),
                    "mrs": int(rng.integers(0, 6)),
                    "prednisone_mg_day": float(rng.integers(0, 80)),
                }
            )
    return Dataset.from_frames(
        patients=pd.DataFrame(pts),
        visits=pd.DataFrame(vis) if vis else None,
        treatments=pd.DataFrame(tr),
    )


@settings(max_examples=4, deadline=None)
@given(st.integers(0, 10_000))
def test_one_patient_alone_equals_the_same_patient_in_a_cohort(seed: int) -> None:
    ds = random_cohort(seed)
    cohort = evaluate(ds).frame.set_index("patient_id")
    for pid in ds.patient_ids:
        alone = evaluate(ds.subset([pid])).frame.set_index("patient_id")
        pd.testing.assert_frame_equal(alone.loc[[pid]], cohort.loc[[pid]], check_dtype=False)


def test_evaluate_does_not_modify_its_input() -> None:
    ds = random_cohort(7)
    before = {n: ds.table(n).copy() for n in ("patients", "visits", "treatments")}
    evaluate(ds)
    for n, f in before.items():
        pd.testing.assert_frame_equal(f, ds.table(n))


@pytest.mark.parametrize("params", [Params(), Params(relapse_baseline="pretreatment")])
def test_each_criterion_alone_equals_its_columns_among_all(params: Params) -> None:
    """A plan for one criterion materialises and converts less; its answers are the same."""
    ds = generate(60, 3)
    together = evaluate(ds, params=params).frame
    for cid in ORDER:
        alone = evaluate(ds, criteria=[cid], params=params).frame
        pd.testing.assert_frame_equal(alone, together[alone.columns])
