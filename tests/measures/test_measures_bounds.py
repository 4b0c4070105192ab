"""Bounded, approximate and qualitative lab values: one interval, one truth table.

The Ibis form the engine runs must give exactly the answers of the scalar form, for every
bound, state, limit and ULN (DuckDB executes the expression on random rows).
"""

from __future__ import annotations

import ibis
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from myotrack.measures.bounds import (
    BOUNDS,
    Interval,
    compare,
    compare_expr,
    interval,
    uln_interval,
)

RELATIONS = ("above", "at_most", "below", "at_least")


def test_a_greater_than_bound_is_above_its_own_number() -> None:
    """'>999' after 10,000: above 999 (true), but not known to be at most 1,000."""
    v = interval(999, ">")
    assert compare(v, "above", 999) is True
    assert compare(v, "at_most", 1000) is None
    assert compare(interval(999, ">="), "above", 999) is None


def test_approximate_values_decide_only_outside_their_band() -> None:
    v = interval(4000, "~")  # 3,600..4,400
    assert compare(v, "above", 600) is True
    assert compare(v, "above", 4200) is None
    assert compare(v, "at_most", 5000) is True


def test_qualitative_results_need_no_number() -> None:
    assert compare(uln_interval(None, "", "normal"), "at_most", 1.5) is True
    assert compare(uln_interval(None, "", "normal"), "below", 1.0) is None
    assert compare(uln_interval(None, "", "elevated"), "above", 1.0) is True
    assert compare(uln_interval(None, "", "elevated"), "above", 3.0) is None
    assert compare(uln_interval(None, "", "elevated"), "at_most", 1.0) is False


def test_a_number_without_its_uln_compares_with_no_multiple() -> None:
    assert uln_interval(4500, "", "", None) == Interval(None, None)
    assert compare(uln_interval(4500, "", "", None), "above", 3.0) is None


rows = st.tuples(
    st.integers(0, 3000).map(float),
    st.sampled_from(BOUNDS),
    st.sampled_from(["", "", "", "normal", "elevated"]),
    st.sampled_from([None, 100.0, 200.0, 226.0]),
)


@settings(max_examples=20, deadline=None)
@given(
    data=st.lists(rows, min_size=1, max_size=30),
    relation=st.sampled_from(RELATIONS),
    multiple=st.sampled_from([0.5, 1.0, 1.5, 3.0]),
    limit=st.integers(0, 3000).map(float),
)
def test_the_ibis_form_equals_the_scalar_form(
    data: list[tuple[float, str, str, float | None]], relation: str, multiple: float, limit: float
) -> None:
    frame = pd.DataFrame(data, columns=["value", "bound", "state", "uln"])
    frame.loc[frame["state"] != "", "value"] = None
    t = ibis.memtable(frame)
    con = ibis.duckdb.connect()
    by_multiple = con.execute(
        t.select(r=compare_expr(t.value, t.bound, t.state, t.uln, relation, multiple=multiple))  # type: ignore[arg-type]
    )["r"].tolist()
    by_limit = con.execute(
        t.select(r=compare_expr(t.value, t.bound, t.state, t.uln, relation, limit=limit))  # type: ignore[arg-type]
    )["r"].tolist()
    for row, got_m, got_l in zip(frame.itertuples(), by_multiple, by_limit, strict=True):
        value = None if pd.isna(row.value) else row.value
        uln = None if pd.isna(row.uln) else row.uln
        if row.state:
            want_m = compare(uln_interval(value, row.bound, row.state, uln), relation, multiple)  # type: ignore[arg-type]
        else:
            want_m = compare(
                interval(value, row.bound, row.state, uln),
                relation,  # type: ignore[arg-type]
                None if uln is None else uln * multiple,
            )
        want_l = compare(interval(value, row.bound, row.state, uln), relation, limit)  # type: ignore[arg-type]
        assert (None if pd.isna(got_m) else bool(got_m)) == want_m, row
        assert (None if pd.isna(got_l) else bool(got_l)) == want_l, row


@pytest.mark.parametrize("bound", BOUNDS)
def test_every_bound_is_an_interval(bound: str) -> None:
    i = interval(100.0, bound)
    assert (i.low is None or i.low <= 100.0 * 1.1) and (i.high is None or i.high >= 100.0 * 0.9)
