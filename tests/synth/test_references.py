"""The engine and the benchmark's two hand-written references agree on relapse and recovery.

The references (``benchmarks/references.py``) re-implement 004's relapse criterion and
favourable recovery at 6 months as a per-patient pandas loop and as one DuckDB query. They
must give the engine's values for every patient, on the benchmark's synthetic data and on a
variant with the cases the synthetic data rarely hold (no anchor, no mRS near 6 months, MRC
sum from twelve graded muscles, CK written with a bound, CK or MRC sum missing at some visits,
too few visits to compare).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from benchmarks.references import CRITERIA, duckdb_reference, loop_reference

from myotrack.criteria import Params, evaluate
from myotrack.synth import generate, generate_frames
from myotrack.tables import Dataset
from myotrack.tables.vocab import MRC_SUM_MUSCLES

PARAMS = (
    Params(),
    Params(relapse_baseline="pretreatment"),
    Params(accept_reported_relapse=False),
    Params(anchor="azathioprine", window_days=20),
)


def _edge_cases(n: int, seed: int) -> Dataset:
    """Synthetic frames changed so that every branch of the two criteria occurs."""
    f = generate_frames(n, seed, visits_per_patient=20)
    ids = f["patients"]["patient_id"].to_numpy()
    rng = np.random.default_rng(seed)
    pick = rng.permutation(ids)
    no_anchor, no_mrs, graded, bounded, short, no_ck, gaps = (
        set(pick[i * 10 : (i + 1) * 10]) for i in range(7)
    )

    treatments = f["treatments"][~f["treatments"]["patient_id"].isin(no_anchor)]
    visits = f["visits"].copy()
    first = visits.groupby("patient_id")["day"].transform("min")
    near_6m = visits["patient_id"].isin(no_mrs) & (visits["day"] - first).between(120, 250)
    visits.loc[near_6m, "mrs"] = np.nan
    visits = visits[~(visits["patient_id"].isin(short) & (visits["day"] - first > 40))]
    # CK missing at every other visit, or MRC sum and CK missing at every third
    number = visits.groupby("patient_id").cumcount()
    visits.loc[visits["patient_id"].isin(no_ck) & (number % 2 == 1), ["ck", "ck_uln"]] = np.nan
    visits.loc[visits["patient_id"].isin(gaps) & (number % 3 == 1), "mrc_sum"] = np.nan
    visits.loc[visits["patient_id"].isin(gaps) & (number % 3 == 2), ["ck", "ck_uln"]] = np.nan

    # MRC sum from grades: blank the sum at months 2-4 and grade all twelve muscle-sides
    first = visits.groupby("patient_id")["day"].transform("min")
    months = visits["patient_id"].isin(graded) & (visits["day"] - first).between(50, 130)
    rows = []
    for _, v in visits[months].iterrows():
        whole = int(v["mrc_sum"]) // 12
        extra = int(v["mrc_sum"]) - 12 * whole
        for i, (muscle, side) in enumerate(
            (m, s) for m in MRC_SUM_MUSCLES for s in ("left", "right")
        ):
            rows.append(
                {
                    "patient_id": v["patient_id"],
                    "day": v["day"],
                    "muscle": muscle,
                    "side": side,
                    "grade": str(min(5, whole + (1 if i < extra else 0))),
                }
            )
    visits.loc[months, "mrc_sum"] = np.nan
    added = pd.DataFrame(rows)
    kept = f["strength"].merge(
        added[["patient_id", "day"]].drop_duplicates(),
        how="left",
        on=["patient_id", "day"],
        indicator=True,
    )
    kept = kept[kept["_merge"] == "left_only"].drop(columns="_merge")
    strength = pd.concat([kept, added], ignore_index=True)

    ck = visits["ck"].astype(object)
    b = visits["patient_id"].isin(bounded)
    ck[b & (visits["ck"] <= visits["ck_uln"])] = "<" + visits.loc[b, "ck_uln"].astype(int).astype(
        str
    )
    ck[b & (visits["ck"] > 5000)] = ">5000"
    visits["ck"] = ck
    return Dataset.from_frames(
        name="edge",
        patients=f["patients"],
        visits=visits,
        strength=strength,
        treatments=treatments,
        events=f["events"],
    )


@pytest.fixture(scope="module")
def benchmark_data() -> Dataset:
    return generate(300, seed=1, visits_per_patient=50)


@pytest.fixture(scope="module")
def edge_data() -> Dataset:
    return _edge_cases(300, seed=9)


def _compare(ds: Dataset, params: Params) -> None:
    engine = evaluate(ds, criteria=CRITERIA, params=params).frame.set_index("patient_id")[
        list(CRITERIA)
    ]
    loop = loop_reference(ds, params).set_index("patient_id")
    sql = duckdb_reference(ds, params).set_index("patient_id")
    assert set(loop.index) == set(sql.index) == set(engine.index)
    for name, ref in (("pandas loop", loop), ("DuckDB query", sql)):
        ref = ref.loc[engine.index, list(CRITERIA)]
        differ = engine[(engine != ref).any(axis=1)]
        assert differ.empty, f"{name} differs from the engine for {list(differ.index[:5])}"


@pytest.mark.parametrize(
    "params", PARAMS, ids=lambda p: f"{p.relapse_baseline}-{p.accept_reported_relapse}-{p.anchor}"
)
def test_references_equal_engine_on_benchmark_data(benchmark_data: Dataset, params: Params) -> None:
    _compare(benchmark_data, params)


@pytest.mark.parametrize(
    "params", PARAMS, ids=lambda p: f"{p.relapse_baseline}-{p.accept_reported_relapse}-{p.anchor}"
)
def test_references_equal_engine_on_edge_cases(edge_data: Dataset, params: Params) -> None:
    _compare(edge_data, params)


def test_edge_cases_reach_every_value(edge_data: Dataset) -> None:
    """The variant really holds yes, no and not evaluable for both criteria."""
    out = evaluate(edge_data, criteria=CRITERIA).frame
    for cid in CRITERIA:
        assert set(out[cid]) == {"yes", "no", "not_evaluable"}, cid
    graded = edge_data.strength.groupby(["patient_id", "day"]).size()
    assert (graded == 2 * len(MRC_SUM_MUSCLES)).any()
    assert set(edge_data.visits["ck_bound"]) >= {"", "<", ">"}
