"""Reading and writing round trips; the template workbook; zip sources."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from myotrack.errors import InvalidData
from myotrack.tables import (
    TABLES,
    Dataset,
    read_source,
    write_csv_folder,
    write_excel,
    write_template,
)
from tests.conftest import seed_folder


def _same(a: Dataset, b: Dataset) -> None:
    for name in TABLES:
        pd.testing.assert_frame_equal(
            a.table(name).reset_index(drop=True),
            b.table(name).reset_index(drop=True),
            check_dtype=False,
        )


def test_published_cases_round_trip_through_csv_and_excel(tmp_path: Path) -> None:
    ds = read_source(seed_folder("002"))
    _same(ds, read_source(write_csv_folder(ds, tmp_path / "csv")))
    _same(ds, read_source(write_excel(ds, tmp_path / "book.xlsx")))


def test_zip_of_csv_files(tmp_path: Path) -> None:
    folder = seed_folder("000")
    z = tmp_path / "cases.zip"
    with zipfile.ZipFile(z, "w") as archive:
        for f in folder.glob("*.csv"):
            archive.write(f, f"export/{f.name}")
    _same(read_source(folder), read_source(z))


def test_template_has_every_column_in_its_dictionary(tmp_path: Path) -> None:
    path = write_template(tmp_path / "t.xlsx")
    sheets = pd.read_excel(path, sheet_name=None)
    assert set(sheets) == {*TABLES, "data_dictionary"}
    d = sheets["data_dictionary"]
    for name, spec in TABLES.items():
        assert list(sheets[name].columns) == list(spec.names)
        assert set(d[d["table"] == name]["column"]) == set(spec.names)
    assert (d["description"].str.len() > 0).all()
    # an empty template is itself a valid (empty) source once a patient is added
    assert read_source(path).patients.empty


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    ck=st.lists(
        st.one_of(st.none(), st.floats(0, 1e5, allow_nan=False).map(lambda x: round(x, 1))),
        min_size=1,
        max_size=6,
    ),
    grades=st.lists(
        st.sampled_from(
            ["0", "1", "2-", "2", "2+", "3-", "3", "3+", "4-", "4", "4+", "5", "1-2", "T"]
        ),
        min_size=1,
        max_size=6,
    ),
)
def test_round_trip_property(tmp_path: Path, ck: list[float | None], grades: list[str]) -> None:
    ds = Dataset.from_frames(
        patients=pd.DataFrame({"patient_id": ["A"]}),
        visits=pd.DataFrame(
            {
                "patient_id": "A",
                "day": range(len(ck)),
                "ck": ck,
                "ck_uln": [None if c is None else 200 for c in ck],
            }
        ),
        strength=pd.DataFrame(
            {
                "patient_id": "A",
                "day": range(len(grades)),
                "muscle": "hip_flexors",
                "side": "left",
                "grade": grades,
            }
        ),
    )
    _same(ds, read_source(write_csv_folder(ds, tmp_path / f"rt{len(ck)}{len(grades)}")))


def test_records_of_white_space_only_are_dropped_and_rows_keep_their_numbers(
    tmp_path: Path,
) -> None:
    """A blank or spaces-only line is no record; the problem on the line after names row 4."""
    folder = tmp_path / "src"
    folder.mkdir()
    (folder / "patients.csv").write_text("patient_id,sex\nP1,F\n  ,\t\nP2,X\n", encoding="utf-8")
    with pytest.raises(InvalidData) as err:
        read_source(folder)
    (problem,) = err.value.problems
    assert (problem.row, problem.column, problem.value) == (4, "sex", "X")
    (folder / "patients.csv").write_text("patient_id,sex\nP1,F\n  ,\t\n\nP2,M\n", encoding="utf-8")
    assert read_source(folder).patient_ids == ["P1", "P2"]
