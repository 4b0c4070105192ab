"""The cohort forms of the core set and enzyme scores agree with their one-pair functions.

tis_scores, doi_scores and most_abnormal_index score many rows at once (the core set criteria
call them for every patient); total_improvement_score, imacs_doi and most_abnormal check one
pair's values and score it as one row of them. Random rows on the grids the scales are
recorded on (band edges are hit exactly), missing values included (hypothesis).
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from myotrack.measures import (
    MEASURES,
    CoreSet,
    CoreSetScales,
    ck_x_uln,
    doi_scores,
    favourable,
    fold_decrease,
    full_strength,
    imacs_doi,
    most_abnormal,
    most_abnormal_index,
    tis_scores,
    total_improvement_score,
)

PROPERTY = settings(derandomize=True, max_examples=60, deadline=None)

_vas = st.one_of(st.none(), st.integers(0, 100).map(lambda x: x / 10))
_mmt = st.one_of(st.none(), st.integers(0, 80).map(float))
_haq = st.one_of(st.none(), st.integers(0, 24).map(lambda x: x / 8))
_enz = st.one_of(st.none(), st.integers(1, 4000).map(float))
core_set = st.tuples(_vas, _vas, _mmt, _haq, _enz, _vas)
pairs = st.lists(st.tuples(core_set, core_set), min_size=1, max_size=30)


def columns(rows: list[tuple]) -> dict[str, np.ndarray]:
    return {
        m: np.array([np.nan if r[i] is None else r[i] for r in rows], dtype=float)
        for i, m in enumerate(MEASURES)
    }


@PROPERTY
@given(pairs, st.sampled_from(["adult", "juvenile"]), st.sampled_from([80.0, 150.0]))
def test_tis_of_many_pairs_is_each_pair_s_tis(
    rows: list[tuple[tuple, tuple]], population: str, mmt_max: float
) -> None:
    scales = CoreSetScales(mmt8=mmt_max)
    many = tis_scores(
        columns([b for b, _ in rows]),
        columns([f for _, f in rows]),
        population=population,
        scales=scales,
    )
    for i, (b, f) in enumerate(rows):
        one = total_improvement_score(
            CoreSet(*b),
            CoreSet(*f),
            population="juvenile" if population == "juvenile" else "adult",
            scales=scales,
        )
        if one.score is None:
            assert math.isnan(many.score[i]) and many.category[i] is None
            assert not many.at_least_minimal[i]
        else:
            assert many.score[i] == one.score and many.category[i] == one.category
            assert many.at_least_minimal[i] == (one.category != "none")
        assert tuple(m for m in MEASURES if many.missing[m][i]) == one.missing
        assert {m: many.points[m][i] for m in one.points_by_measure} == one.points_by_measure


@PROPERTY
@given(pairs)
def test_imacs_doi_of_many_pairs_is_each_pair_s(rows: list[tuple[tuple, tuple]]) -> None:
    many = doi_scores(columns([b for b, _ in rows]), columns([f for _, f in rows]))
    for i, (b, f) in enumerate(rows):
        one = imacs_doi(CoreSet(*b), CoreSet(*f))
        assert (bool(many.met[i]) if many.decided[i] else None) == one.met
        assert tuple(m for m in MEASURES if many.improved[m][i]) == one.improved
        assert tuple(m for m in MEASURES if many.worsened[m][i]) == one.worsened


_lab = st.one_of(st.none(), st.integers(0, 20000).map(float))
_uln = st.one_of(st.none(), st.sampled_from([7.6, 170.0, 200.0, 226.0, 250.0]))


@PROPERTY
@given(st.lists(st.lists(st.tuples(_lab, _uln), min_size=3, max_size=3), min_size=1, max_size=20))
def test_most_abnormal_of_many_rows_is_each_row_s(rows: list[list[tuple]]) -> None:
    values = [[np.nan if v is None else v for v, _ in r] for r in rows]
    ulns = [[np.nan if u is None else u for _, u in r] for r in rows]
    many = most_abnormal_index(values, ulns)
    for i, r in enumerate(rows):
        known = {f"e{j}": (v, u) for j, (v, u) in enumerate(r) if v is not None and u is not None}
        if not known:
            assert many[i] == -1
        else:
            assert f"e{many[i]}" == most_abnormal(known)


def test_number_in_number_out_column_in_column_out() -> None:
    """The same rule for a number (checked) and a column (per row, not checked)."""
    ck, uln = np.array([3400.0, 100.0, 9000.0]), np.array([170.0, 200.0, 170.0])
    assert ck_x_uln(ck, uln).tolist() == [ck_x_uln(a, b) for a, b in zip(ck, uln, strict=True)]
    assert fold_decrease(ck, uln).tolist() == [
        fold_decrease(a, b) for a, b in zip(ck, uln, strict=True)
    ]
    mrs = np.array([0, 1, 2, 6])
    assert favourable(mrs).tolist() == [favourable(int(x)) for x in mrs]
    mrc = np.array([60.0, 59.0, 0.0])
    assert full_strength(mrc).tolist() == [full_strength(x) for x in mrc]
    with pytest.raises(ValueError, match="negative"):
        ck_x_uln(-1, 170)
