"""Table 1 and Table 2 take their summaries from one path (myotrack.cohort.summaries).

For the same variable and the same groups, the two tables print the same n (%), the same
mean ± SD (Table 1 adds the range), the same median (Q1, Q3) and the same p value.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from myotrack.cohort import summaries as sm
from myotrack.cohort.compare import compare
from myotrack.cohort.describe import describe

Y, N = "yes", "no"
S, H, SN = "SRP", "HMGCR", "seronegative"


def cohort() -> pd.DataFrame:
    """12 patients in two outcome groups (and one not evaluable): tied and missing MRC sums,
    a yes/no factor with a missing value and a three-level factor."""
    return pd.DataFrame(
        {
            "patient_id": [f"p{i}" for i in range(13)],
            "outcome": ["no"] * 6 + ["yes"] * 6 + ["not_evaluable"],
            "mrc": [36, 44, 44, np.nan, 50, 50, 54, 56, 44, 48, 48, 60, 30],
            "ck": [8000, 12000, 4000, 6000, 9500, 15000, 3000, 2500, 7000, 5000, 1200, 900, 20000],
            "female": [Y, Y, N, Y, None, N, N, Y, N, N, Y, N, Y],
            "antibody": [S, S, H, S, SN, S, H, H, S, H, H, SN, S],
        }
    )


COLUMNS = ["mrc", "ck", "female", "antibody"]


@pytest.fixture(scope="module")
def tables() -> tuple[pd.DataFrame, pd.DataFrame]:
    f = cohort()
    return describe(f, COLUMNS, group_by="outcome").frame, compare(f, "outcome", COLUMNS).frame


def _column(table: pd.DataFrame, group: str) -> str:
    return next(c for c in table.columns if c.startswith(f"outcome: {group} (n="))


def _rows(table: pd.DataFrame, key: str, first: str, count: int) -> pd.DataFrame:
    """``count`` rows of one variable, from the row whose ``key`` column is ``first``."""
    start = int(np.flatnonzero(table[key].to_numpy() == first)[0])
    return table.iloc[start : start + count]


@pytest.mark.parametrize("group", ["no", "yes"])
@pytest.mark.parametrize("variable", ["mrc", "ck"])
def test_continuous_summaries_are_identical(
    tables: tuple[pd.DataFrame, pd.DataFrame], variable: str, group: str
) -> None:
    t1, t2 = tables
    r1 = _rows(t1, "Variable", variable, 2)
    r2 = _rows(t2, "Factor", variable, 2)
    c1, c2 = _column(t1, group), _column(t2, group)
    s = sm.summarise(cohort().loc[lambda f: f["outcome"] == group, variable])
    assert r1["Level"].tolist() == ["mean ± SD (range)", "median (Q1, Q3)"]
    assert r2["Statistic"].tolist() == ["mean ± SD", "median (Q1, Q3)"]
    mean_1, median_1 = r1[c1].tolist()
    mean_2, median_2 = r2[c2].tolist()
    assert mean_2 == sm.mean_sd(s)
    assert mean_1 == f"{mean_2} ({sm.plain(s.minimum)}-{sm.plain(s.maximum)})"
    assert median_1 == median_2 == sm.median_iqr(s)
    assert r1["p"].iloc[0] == r2["p"].iloc[0] != ""


@pytest.mark.parametrize("group", ["no", "yes"])
@pytest.mark.parametrize(
    ("label", "t2_first", "levels"),
    [
        ("Female", "Female", ["yes"]),
        ("Antibody", "Antibody: HMGCR", ["HMGCR", "SRP", "seronegative"]),
    ],
)
def test_categorical_summaries_are_identical(
    tables: tuple[pd.DataFrame, pd.DataFrame],
    group: str,
    label: str,
    t2_first: str,
    levels: list[str],
) -> None:
    t1, t2 = tables
    r1 = _rows(t1, "Variable", f"{label}, n (%)", len(levels))
    r2 = _rows(t2, "Factor", t2_first, len(levels))
    assert r1["Level"].tolist() == levels
    assert r2["Statistic"].tolist() == ["n (%)"] * len(levels)
    assert r1[_column(t1, group)].tolist() == r2[_column(t2, group)].tolist()
    assert r1["p"].iloc[0] == r2["p"].iloc[0] != ""


def test_the_shared_pieces() -> None:
    assert sm.shown_levels(pd.Series(["no", None, "no"])) == ["yes"]
    assert sm.shown_levels(pd.Series(["SRP", "HMGCR", None])) == ["HMGCR", "SRP"]
    k = sm.count_level(pd.Series(["yes", None, "no", "yes"]), "yes")
    assert (k.count, k.n, k.missing) == (2, 3, 1)
    assert sm.level_percent(k) == "2 (66.7%)"
    assert sm.is_continuous(pd.Series([1.0, 2.0])) and not sm.is_continuous(pd.Series([True]))
