"""Records written by others: published IMNM cases outside the seeds, and a clinic chart.

``tests/data/published/`` holds patients of IMNM case reports that are not among the five seed
papers, entered as the papers state them (every row cites its URL / DOI / PMID and the place in
the text; ``sources.csv`` lists the publications). They must read with zero errors: what the
contract cannot name is kept with a warning. ``tests/data/clinic/`` holds one synthetic patient
written three ways (contract v1, a chart in the v2 forms, the chart as a workbook).
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from myotrack.tables import TABLES, read_source, validate_source

DATA = Path(__file__).parent.parent / "data"
PUBLISHED = sorted(p for p in (DATA / "published").iterdir() if p.is_dir())
CLINIC = DATA / "clinic"


def test_the_outside_cases_are_many_and_cited() -> None:
    sources = pd.read_csv(DATA / "published" / "sources.csv", dtype=str)
    assert sorted(sources["folder"]) == [p.name for p in PUBLISHED]
    patients = sum(len(read_source(p).patients) for p in PUBLISHED)
    assert len(PUBLISHED) >= 10 and patients >= 20
    for folder in PUBLISHED:
        ds = read_source(folder)
        for name in TABLES:
            frame = ds.table(name)
            assert frame["source"].notna().all(), (folder.name, name)
            cited = frame["source"].str.contains(r"https?://|doi|PMID", case=False, regex=True)
            assert cited.all(), (folder.name, name)


@pytest.mark.parametrize("folder", PUBLISHED, ids=[p.name for p in PUBLISHED])
def test_a_published_case_reads_as_written_with_zero_errors(folder: Path) -> None:
    problems = validate_source(folder)
    errors = [p for p in problems if not p.is_warning]
    assert errors == [], "\n".join(map(str, errors))
    for warning in problems:  # listed in the test log: what the contract kept as written
        print(f"{folder.name}: {warning}")
        assert "kept" in warning.rule or "taken from" in warning.rule


def test_the_clinic_patient_reads_the_same_from_the_chart_and_the_workbook() -> None:
    chart = read_source(CLINIC / "chart")
    book = read_source(CLINIC / "workbook.xlsx")
    for name in TABLES:
        pd.testing.assert_frame_equal(chart.table(name), book.table(name), check_dtype=False)
    assert chart.reference_ranges is not None and book.reference_ranges is not None


def test_every_chart_day_contains_the_v1_day() -> None:
    """The chart is less exact than v1, never contradicting it: each v1 visit day lies in the
    range of the chart visit written for it (the rows are in the same order)."""
    v1, chart = read_source(CLINIC / "v1"), read_source(CLINIC / "chart")
    assert len(v1.visits) == len(chart.visits)
    for (_, exact), (_, written) in zip(v1.visits.iterrows(), chart.visits.iterrows(), strict=True):
        low = written["day_earliest"] if pd.notna(written["day_earliest"]) else written["day"]
        high = written["day_latest"] if pd.notna(written["day_latest"]) else written["day"]
        assert low <= exact["day"] <= high
    # the chart's CKs without a range take the clinic's ULN
    assert chart.visits["ck_uln"].dropna().unique().tolist() == [200.0]
