"""Table 1: numbers, layout, missing values, exact tests and remarks."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from myotrack.cohort import summaries as sm
from myotrack.cohort.describe import describe, describe_dataset
from myotrack.errors import UnknownColumn
from tests.conftest import make


def cohort() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "patient_id": [f"p{i}" for i in range(10)],
            "age": [30.0, 41, 52, 63, np.nan, 45, 38, 60, 55, 49],
            "female": ["yes", "no", "yes", "yes", "no", None, "yes", "yes", "no", "yes"],
            "antibody": [
                "SRP",
                "SRP",
                "HMGCR",
                "SRP",
                "seronegative",
                "SRP",
                "HMGCR",
                "SRP",
                "SRP",
                "SRP",
            ],
            "outcome": ["yes", "no", "yes", "no", "no", "yes", "not_evaluable", "no", "no", "yes"],
        }
    )


def test_numbers_and_cells() -> None:
    f = cohort()
    before = f.copy()
    t = describe(f, ["age", "female", "antibody"])
    pd.testing.assert_frame_equal(f, before)
    ages = f["age"].dropna()
    age = t.numbers[(t.numbers["variable"] == "age") & (t.numbers["group"] == "Overall")].iloc[0]
    assert age["n"] == 9 and age["missing"] == 1
    assert age["mean"] == pytest.approx(ages.mean())
    assert age["sd"] == pytest.approx(ages.std(ddof=1))
    assert (age["minimum"], age["maximum"], age["median"]) == (30, 63, 49)
    cells = t.frame.set_index(["Variable", "Level"])
    overall = t.frame.columns[3]
    assert overall == "Overall (n=10)"
    assert cells.loc[("age", "mean ± SD (range)"), "Missing"] == "1"
    assert (
        cells.loc[("age", "mean ± SD (range)"), overall]
        == f"{ages.mean():.2f} ± {ages.std(ddof=1):.2f} (30-63)"
    )
    # yes/no shows the 'yes' row only; the denominator is the known values (9)
    assert cells.loc[("Female, n (%)", "yes"), overall] == "6 (66.7%)"
    assert cells.loc[("Antibody, n (%)", "HMGCR"), overall] == "2 (20.0%)"
    assert cells.loc[("", "seronegative"), overall] == "1 (10.0%)"
    assert any("missing for age (1), Female (1)" in r for r in t.remarks)
    assert "p" not in t.frame.columns


def test_quartiles_follow_spss_by_default() -> None:
    """1..10: SPSS (weighted average at (n+1)p) gives Q1 = 2.75, Q3 = 8.25; linear gives 3.25, 7.75."""
    vals = np.arange(1, 11, dtype=float)
    assert sm.quartiles(vals) == (2.75, 8.25)
    assert sm.quartiles(vals, "linear") == (3.25, 7.75)
    t = describe(pd.DataFrame({"x": vals}), ["x"])
    assert t.frame.iloc[2, 3] == "5.5 (2.75, 8.25)"


def test_grouped_with_exact_tests() -> None:
    f = cohort()
    t = describe(f, ["age", "female", "antibody"], group_by="outcome")
    assert list(t.frame.columns[3:6]) == [
        "Overall (n=10)",
        "outcome: no (n=5)",
        "outcome: yes (n=4)",
    ]
    tests = t.numbers[t.numbers["group"] == "test"].set_index("variable")
    assert tests.loc["female", "test"] == "Fisher's exact (two-sided)"
    assert tests.loc["age", "test"].startswith("Mann-Whitney U, exact")
    assert tests.loc["antibody", "test"] == "Fisher-Freeman-Halton exact"
    assert any("1 patient not evaluable" in r for r in t.remarks)
    # group cells are the summaries Table 2 uses (myotrack.cohort.summaries)
    no_ages = f.loc[f["outcome"] == "no", "age"]
    s = sm.summarise(no_ages)
    cell = t.numbers[(t.numbers["variable"] == "age") & (t.numbers["group"] == "no")].iloc[0]
    assert (cell["n"], cell["mean"], cell["sd"], cell["median"]) == (
        s.n,
        pytest.approx(s.mean),
        pytest.approx(s.sd),
        s.median,
    )


def test_three_groups_use_kruskal_wallis() -> None:
    t = describe(cohort().fillna({"age": 44.0}), ["age"], group_by="antibody")
    assert "Kruskal-Wallis (asymptotic)" in t.frame["Test"].tolist()
    assert any("Small groups" in r for r in t.remarks)


def test_unknown_column_names_the_closest() -> None:
    with pytest.raises(UnknownColumn, match="did you mean 'age'"):
        describe(cohort(), ["agee"])


def test_html_and_csv_escape_and_keep_remarks(tmp_path) -> None:
    f = cohort().assign(antibody=["<b>SRP</b>"] * 10)
    t = describe(f, ["antibody"])
    html = t.to_html()
    assert "<b>SRP</b>" not in html and "&lt;b&gt;SRP&lt;/b&gt;" in html
    text = t.to_csv(tmp_path / "t1.csv")
    assert (tmp_path / "t1.csv").read_text(encoding="utf-8") == text


def test_describe_dataset_defaults() -> None:
    ds = make(
        [
            {"patient_id": "a", "sex": "F", "age_at_onset": 40, "antibody": "SRP"},
            {"patient_id": "b", "sex": "M", "age_at_onset": 60, "antibody": "HMGCR"},
        ],
        visits=[
            {"patient_id": "a", "day": 30, "mrc_sum": 40, "ck": 5000, "ck_uln": 200},
            {"patient_id": "b", "day": 10, "mrc_sum": 50, "ck": 3000, "ck_uln": 150},
        ],
    )
    t = describe_dataset(ds)
    labels = [v for v in t.frame["Variable"] if v]
    assert "Initial MRC sum score (0-60)" in labels and "Initial MMT-8 (0-80)" not in labels
    row = t.frame[t.frame["Variable"] == "Initial CK (× ULN)"].iloc[0]
    assert row["Overall (n=2)"] == "22.50 ± 3.54 (20-25)"
