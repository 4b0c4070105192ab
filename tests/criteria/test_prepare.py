"""Converting a dataset's columns to the engine's Arrow tables (values kept, nulls kept)."""

from __future__ import annotations

import dataclasses

import duckdb
import ibis
import numpy as np
import pandas as pd
import pyarrow as pa

from myotrack.criteria.base import Params, arg_max, arg_min
from myotrack.criteria.engine import ORDER, connect, plan
from myotrack.criteria.prepare import _arrow_column, _patient_keys, _run_starts, arrow_tables
from myotrack.criteria.timepoints import pick
from myotrack.measures import MRC_SUM_MUSCLES, mrc_range, mrc_sum
from myotrack.tables import Dataset
from tests.conftest import make


def test_float_column_nan_is_null_and_values_are_kept() -> None:
    values = pd.Series([1.5, np.nan, 0.0, -2.25, np.nan] * 3 + [7.0])
    arr = _arrow_column(values, "float64")
    assert arr.type == pa.float64()
    assert arr.null_count == 6
    assert arr.to_pylist() == [None if np.isnan(v) else v for v in values]
    assert _arrow_column(pd.Series([1.0, 2.0]), "float64").null_count == 0
    assert _arrow_column(pd.Series([np.nan, np.nan]), "float64").to_pylist() == [None, None]


def test_columns_with_nothing_written_share_one_null_array_per_type() -> None:
    """Every all-null column of one type and length is one array (its buffers counted once
    by Arrow), typed as the engine's schema says; a column with a value keeps its own."""
    ds = make(
        [{"patient_id": "A"}, {"patient_id": "B"}],
        visits=[
            {"patient_id": "A", "day": 1, "ck": 900},
            {"patient_id": "B", "day": 2, "ck": None},
            {"patient_id": "B", "day": 3, "ck": 40, "mmt8": 72},
        ],
    )
    visits = arrow_tables(ds)["visits"]
    empty = ["ldh", "ldh_uln", "alt", "haq"]  # floats, nothing written
    for c in [*empty, "day_earliest", "day_latest"]:
        assert visits.column(c).null_count == 3, c
    assert {visits.schema.field(c).type for c in empty} == {pa.float64()}
    assert visits.schema.field("day_earliest").type == pa.int64()
    assert visits.column("ck").to_pylist() == [900.0, None, 40.0]
    assert visits.column("mmt8").to_pylist() == [None, None, 72.0]

    def size(cols: list[str]) -> int:  # a buffer referenced twice counted once
        return visits.select(cols).get_total_buffer_size()

    assert size(empty) == size(["ldh"]) > 0
    assert size(["day_earliest", "day_latest"]) == size(["day_earliest"]) > 0


def test_text_runs_are_the_same_whether_or_not_equal_values_share_one_object() -> None:
    """Runs are first found by address; equal text in distinct objects gives the same result."""
    shared = np.array(["P1"] * 4 + ["P2"] * 4 + [None] * 2, dtype=object)
    distinct = np.array(["".join(["P", c]) for c in "11112222"] + [None, None], dtype=object)
    assert distinct[0] is not distinct[1]
    starts_shared = _run_starts(shared)
    assert starts_shared is not None
    assert starts_shared.tolist() == [0, 4, 8]
    ids = pd.Index(["P2", "P1"])
    assert (
        _patient_keys(ids, pd.Series(shared)).tolist()
        == _patient_keys(ids, pd.Series(distinct)).tolist()
        == [1, 1, 1, 1, 0, 0, 0, 0, -1, -1]
    )
    text = _arrow_column(pd.Series(distinct), "string")
    assert text.to_pylist() == ["P1"] * 4 + ["P2"] * 4 + [None, None]


def test_pick_by_struct_returns_the_same_row_as_one_aggregate_per_column() -> None:
    """Three or more columns are picked as one struct: same row, nulls kept, per direction."""
    frame = pd.DataFrame(
        {
            "patient_id": [0, 0, 0, 1, 1, 2],
            "day": [5, 1, 9, 3, 4, 7],
            "a": [1.5, None, 2.5, None, 4.0, None],
            "b": ["x", "y", None, "z", None, None],
            "c": [10, 20, 30, None, 50, 60],
        }
    )
    frame["c"] = frame["c"].astype("Int64")
    t = ibis.table(
        {"patient_id": "int64", "day": "int64", "a": "float64", "b": "string", "c": "int64"},
        name="t",
    )
    con = connect()
    con.register("t", pa.Table.from_pandas(frame, preserve_index=False))
    cols = ["day", "a", "b", "c"]
    for largest in (False, True):
        by_struct = pick(t, t.day, cols, largest=largest)
        arg = arg_max if largest else arg_min
        by_column = t.group_by("patient_id").aggregate(**{c: arg(t[c], t.day) for c in cols})
        pd.testing.assert_frame_equal(_run(con, by_struct), _run(con, by_column))
    first = _run(con, pick(t, t.day, cols))
    assert first["day"].tolist() == [1, 3, 7]
    assert first["a"].isna().tolist() == [True, True, True]
    assert first["b"].tolist()[:2] == ["y", "z"]


def _run(con: duckdb.DuckDBPyConnection, expr: ibis.Table) -> pd.DataFrame:
    """``expr`` run by DuckDB, one row per patient in patient order."""
    return con.execute(str(ibis.to_sql(expr.order_by("patient_id"), dialect="duckdb"))).df()


# --- the assessment table's MRC sum and its range ---------------------------------------------


def _assessments(ds: Dataset) -> pd.DataFrame:
    """The engine's ``assess`` table for ``ds``, one row per patient-day in order."""
    pl = plan(tuple(ORDER), Params())
    con = connect()
    for name, table in arrow_tables(ds, pl.columns).items():
        con.register(name, table)
    for name, sql in pl.prepared:
        con.execute(f"CREATE TEMP TABLE {name} AS {sql}")
    return con.execute("SELECT * FROM assess ORDER BY patient_id, day").df()


def _grades_v2() -> Dataset:
    """Grades as contract v2 allows: 'both', no side, ranges, a region (named after reading:
    the reader's vocabulary gains the regions separately), beside a recorded MRC sum."""
    rows = [
        {"patient_id": "A", "day": 10, "muscle": m, "side": s, "grade": "4"}
        for m in MRC_SUM_MUSCLES
        for s in ("left", "right")
    ]
    rows += [
        {"patient_id": "A", "day": 20, "muscle": "hip_flexors", "side": "", "grade": "2"},
        {
            "patient_id": "A",
            "day": 20,
            "muscle": "shoulder_abductors",
            "side": "both",
            "grade": "4-5",
        },
        {"patient_id": "A", "day": 30, "muscle": "elbow_flexors", "side": "left", "grade": "3"},
        {"patient_id": "A", "day": 30, "muscle": "neck_flexors", "side": "both", "grade": "4"},
        {"patient_id": "A", "day": 40, "muscle": "neck_flexors", "side": "axial", "grade": "5"},
    ]
    ds = make(
        [{"patient_id": "A"}],
        visits=[
            {"patient_id": "A", "day": 20, "ck": 300, "ck_uln": 200},
            {"patient_id": "A", "day": 30, "mrc_sum": 51},
            {"patient_id": "A", "day": 50, "ck": 150, "ck_uln": 200},
        ],
        strength=rows,
    )
    strength = ds.strength.copy()
    strength.loc[strength["muscle"].eq("neck_flexors") & strength["side"].eq("both"), "muscle"] = (
        "all_limbs"
    )
    return dataclasses.replace(ds, strength=strength)


def test_assessments_carry_the_mrc_sum_and_the_range_measures_gives() -> None:
    ds = _grades_v2()
    a = _assessments(ds).set_index("day")
    s = ds.strength
    for day in a.index:
        rows = s[s["day"] == day]
        grades = {
            (m, sd or ""): g for m, sd, g in zip(rows.muscle, rows.side, rows.grade, strict=True)
        }
        recorded = ds.visits.loc[ds.visits["day"] == day, "mrc_sum"].dropna()
        if len(recorded):  # a recorded MRC sum is exact
            expected = (recorded.iloc[0],) * 3
        else:
            r = mrc_range(grades)
            exact = mrc_sum(grades)
            expected = (np.nan if exact is None else exact, r.low, r.high)
        got = tuple(a.loc[day, ["mrc", "mrc_low", "mrc_high"]])
        np.testing.assert_equal(got, expected, err_msg=f"day {day}")
    assert tuple(a.loc[10, ["mrc", "mrc_low", "mrc_high"]]) == (48, 48, 48)
    assert tuple(a.loc[20, ["mrc_low", "mrc_high"]]) == (8 + 2, 10 + 7 + 40)
    assert tuple(a.loc[50, ["mrc_low", "mrc_high"]]) == (0, 60)  # a CK visit, nothing graded
