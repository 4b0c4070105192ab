"""Seed 004 Table 2 and section 1.6.1 reproduced from patient-level data.

Seed file: /work/shared/seeds/004_6daa8c1a3963b6f3.txt (Termglinchan & Apiwattanakul 2024).
Table 2, 'Favorable recovery (mRS:0-1) and unfavorable recovery (mRS:2-6) at 6 months':
female 9 (75%) vs 2 (40%), p = 0.28 (Fisher); initial MRC sum 39.75 +/- 9.76 vs 50.4 +/- 8.53,
mean rank 7.42 vs 12.8, p = 0.048 (exact Mann-Whitney); DHS 1 (8.3%) vs 1 (20%), p = 0.51.
Section 1.6.1: 'U = 11, z = -2.02, and p = .048'. Table 1 / Results: initial MRC sum
42.88 +/- 10.43 (20-58), median 44. The data are in tests/cohort/seed004.py (how they were
found is in its docstring); the outcome groups come from the criteria engine
(favourable_recovery_6m: mRS 0-1 at 6 months after the first immunotherapy).

What these tests can and cannot show. They show that the path from the five tables through
the criteria engine to Table 1, Table 2 and the report prints the paper's numbers. They are
partly circular: the 17 patients were searched for to fit the published summaries, so the
agreement of means, SDs, U, z and mean ranks is by construction. And they cannot show how
ties are handled: with these data the exact permutation p with ties and the tie-free exact p
that SPSS prints are the same number (R: ``coin::wilcox_test(..., distribution = "exact")``
0.04848093, ``2 * pwilcox(11, 12, 5)`` 0.04848093), so both read 0.048 and a wrong tie
handling would pass. The Fisher p values do pick the definition (R's ``fisher.test`` 0.2801
and 0.5147; doubling the one-sided p would give 0.4108 and 1). The statistics stand on their
own references in the ``*_against_r`` tests: test_mannwhitney_against_r.py (data whose tied
and untied exact p differ, and these MRC sums), test_fisher_against_r.py,
test_survival_against_r.py and test_intervals_against_r.py.
"""

from __future__ import annotations

import pandas as pd
import pytest

from myotrack.cohort import compare_dataset, describe, patient_frame
from myotrack.cohort.fisher import FisherResult
from myotrack.cohort.mannwhitney import EXACT_TIES, MannWhitneyResult
from myotrack.criteria import evaluate
from myotrack.report import build_report
from myotrack.tables import Dataset
from tests.cohort import seed004


@pytest.fixture(scope="module")
def ds() -> Dataset:
    r = seed004.rows()
    return Dataset.from_frames(
        name="seed004-table2",
        patients=pd.DataFrame(r["patients"]),
        visits=pd.DataFrame(r["visits"]),
        treatments=pd.DataFrame(r["treatments"]),
    )


@pytest.fixture(scope="module")
def outcomes(ds: Dataset) -> pd.DataFrame:
    return evaluate(ds).frame


def _check_table2(table: object) -> None:
    tests = table.tests  # type: ignore[attr-defined]
    assert table.groups == ("no", "yes")  # type: ignore[attr-defined]
    mrc = tests["initial_mrc_sum"]
    assert isinstance(mrc, MannWhitneyResult)
    assert (mrc.n_first, mrc.n_second) == (12, 5)
    assert (mrc.u_first, mrc.u_second) == (11, 49)
    assert mrc.u == 11
    assert round(mrc.z, 2) == -2.02
    assert round(mrc.mean_rank_first, 2) == 7.42
    assert round(mrc.mean_rank_second, 2) == 12.8
    assert mrc.method == EXACT_TIES
    assert round(mrc.p, 3) == 0.048
    assert round(mrc.p_exact_untied or 0, 3) == 0.048
    female = tests["female"]
    assert isinstance(female, FisherResult)
    assert female.table == ((3, 9), (3, 2))  # levels no, yes per group
    assert round(female.p, 2) == 0.28
    dhs = tests["comorbidity_dropped_head"]
    assert isinstance(dhs, FisherResult)
    assert round(dhs.p, 2) == 0.51


def test_outcome_groups_come_from_the_criteria(outcomes: pd.DataFrame) -> None:
    counts = outcomes["favourable_recovery_6m"].value_counts().to_dict()
    assert counts == {"no": 12, "yes": 5, "not_evaluable": 1}


def test_table2_reproduces_seed004(ds: Dataset, outcomes: pd.DataFrame) -> None:
    table = compare_dataset(
        ds,
        "favourable_recovery_6m",
        ["female", "initial_mrc_sum", "comorbidity_dropped_head"],
        outcomes=outcomes,
    )
    _check_table2(table)
    shown = table.frame
    mrc_row = shown[shown["Factor"] == "Initial MRC sum score (0-60)"].iloc[0]
    assert mrc_row.iloc[2] == "39.75 ± 9.76"
    assert mrc_row.iloc[3] == "50.40 ± 8.53"
    assert mrc_row["U"] == "11 / 49"
    assert mrc_row["z"] == "-2.02"
    assert mrc_row["p"] == "0.048"
    ranks = shown[shown["Statistic"] == "mean rank"].iloc[0]
    assert (ranks.iloc[2], ranks.iloc[3]) == ("7.42", "12.80")
    female = shown[shown["Factor"] == "Female"].iloc[0]
    assert (female.iloc[2], female.iloc[3], female["p"]) == ("9 (75.0%)", "2 (40.0%)", "0.280")
    dhs = shown[shown["Factor"] == "Dropped head"].iloc[0]
    assert (dhs.iloc[2], dhs.iloc[3], dhs["p"]) == ("1 (8.3%)", "1 (20.0%)", "0.515")
    assert any("1 patient not evaluable" in r for r in table.remarks)
    assert any("Small groups" in r and "yes (n=5)" in r for r in table.remarks)


def test_report_table2_gives_the_papers_numbers(ds: Dataset) -> None:
    """The same numbers through the report (default factors, outcomes evaluated inside)."""
    report = build_report(ds, group_by="favourable_recovery_6m")
    _check_table2(report.tables["table2"])
    assert "11 / 49" in report.html and "-2.02" in report.html


def test_table1_mrc_row_matches_seed004(ds: Dataset, outcomes: pd.DataFrame) -> None:
    """004 Table 1: 'Initial MRC-sum scores: mean +/- SD (range) 42.88 +/- 10.43 (20-58)';
    Results: 'The median initial MRC-sum score was documented at 44 (with a range of 20-58)'."""
    frame = patient_frame(ds, outcomes)
    frame = frame[frame["patient_id"] != "T2-NE"]
    table = describe(frame, ["initial_mrc_sum"], median_style="range")
    cells = table.frame[table.frame.columns[3]].tolist()
    assert cells[1] == "42.88 ± 10.43 (20-58)"
    assert cells[2] == "44 (20-58)"
