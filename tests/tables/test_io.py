"""Reading and writing round trips; the template workbook; zip sources."""

from __future__ import annotations

import zipfile
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from myotrack.errors import InvalidData, Problem
from myotrack.tables import (
    TABLES,
    Dataset,
    read_source,
    write_csv_folder,
    write_excel,
    write_template,
)
from myotrack.tables.io import _as_duckdb_writes, write_frame_csv
from myotrack.tables.schema import REFERENCE_RANGES
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
    assert set(sheets) == {*TABLES, "reference_ranges", "data_dictionary"}
    d = sheets["data_dictionary"]
    for name, spec in {**TABLES, "reference_ranges": REFERENCE_RANGES}.items():
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


def _patients_csv(tmp_path: Path, data: bytes) -> Path:
    """A source folder holding only ``patients.csv`` with ``data``."""
    folder = tmp_path / "src"
    folder.mkdir(exist_ok=True)
    (folder / "patients.csv").write_bytes(data)
    return folder


def _only_problem(folder: Path) -> Problem:
    with pytest.raises(InvalidData) as err:
        read_source(folder)
    (problem,) = err.value.problems
    return problem


def test_records_of_white_space_only_are_dropped_and_rows_keep_their_numbers(
    tmp_path: Path,
) -> None:
    """A blank or spaces-only line is no record; the problem on the line after names row 4."""
    problem = _only_problem(_patients_csv(tmp_path, b"patient_id,sex\nP1,F\n  ,\t\nP2,X\n"))
    assert (problem.row, problem.column, problem.value) == (4, "sex", "X")
    folder = _patients_csv(tmp_path, b"patient_id,sex\nP1,F\n  ,\t\n\nP2,M\n")
    assert read_source(folder).patient_ids == ["P1", "P2"]


#: CSV files both readers must read alike (or the Arrow reader hand over to pandas).
_CSV_CASES = [
    b"patient_id,sex\nP1,F\nP2,M\n",
    b"\xef\xbb\xbfpatient_id,sex\r\nP1,F\r\n",  # byte-order mark, Windows line ends
    b"patient_id,sex\nP1,F\n\n,\nP2,M",  # blank line and empty record kept, no final newline
    b" patient_id , sex \n P1 ,\tF\n",
    b"patient_id,sex\nNA,null\n",  # text, never a missing value
    b"patient_id,sex\nP\xc3\xbc1,F\n",
    b"patient_id,sex\n",
    b'patient_id,note\nP1,"stopped, infection"\n',  # a quoted cell
    b'patient_id,note\nP1,"said ""weak"", then\nbetter"\r\n"P2",""\n',  # doubled quotes, newline
]
#: Files the Arrow reader leaves to pandas (which reads them, or names what is wrong).
_PANDAS_CASES = [
    b'patient_id,note\nP1,2"a\n',  # a stray quote
    b'patient_id,note\nP1,"a"b\n',  # text after a closing quote
    b'patient_id,note\nP1, "a"\n',  # a quote after a space
    b"patient_id,sex\nP1\n",  # a missing cell
    b"patient_id,sex\nP1,F,x\n",  # an extra cell
    b"a,a\n1,2\n",  # a repeated column name
    b"a,\n1,2\n",  # a blank column name
    b"patient_id,sex\nP\x001,F\n",  # a NUL byte
    b"patient_id,sex\nP\xe91,F\n",  # not UTF-8
    b"a,b\r1,2\r",  # old Mac line ends
    b"",
]


@pytest.mark.parametrize("data", _CSV_CASES)
def test_arrow_csv_reader_reads_plain_files_as_pandas_does(data: bytes) -> None:
    """The fast reader is taken for plain files and gives the same text, rows and columns."""
    from myotrack.tables.io import _arrow_csv, _pandas_csv

    fast = _arrow_csv(data)
    assert fast is not None
    assert all(str(t) == "string" for t in fast.dtypes)
    pd.testing.assert_frame_equal(fast, _pandas_csv(data, "t.csv"))


@pytest.mark.parametrize("data", _PANDAS_CASES)
def test_arrow_csv_reader_leaves_quoted_or_broken_files_to_pandas(data: bytes) -> None:
    from myotrack.tables.io import _arrow_csv

    assert _arrow_csv(data) is None


def test_broken_csv_is_named_as_before(tmp_path: Path) -> None:
    """An unclosed quote or bad encoding: one problem naming the file, nothing read."""
    for data, words in [
        (b'patient_id,sex\nP1,"F\n', "EOF inside string"),
        (b"patient_id,sex\nP\xe91,F\n", "can't decode byte 0xe9"),
    ]:
        problem = _only_problem(_patients_csv(tmp_path, data))
        assert problem.file == "patients.csv" and "not a readable CSV file" in problem.rule
        assert words in problem.rule


def test_published_cases_read_alike_by_both_csv_readers(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The published cases written as CSV read to the same dataset whichever reader is used."""
    from myotrack.evidence import load_evidence
    from myotrack.tables import io as tio

    folder = write_csv_folder(load_evidence(), tmp_path / "csv")
    fast = read_source(folder)
    monkeypatch.setattr(tio, "_arrow_csv", lambda data: None)
    slow = read_source(folder)
    for name in TABLES:
        pd.testing.assert_frame_equal(fast.table(name), slow.table(name))


def test_rows_with_more_cells_than_column_names_are_a_problem_not_a_shift(
    tmp_path: Path,
) -> None:
    """A comma at the end of every line used to shift every value one column to the right."""
    problem = _only_problem(_patients_csv(tmp_path, b"patient_id,sex\nP1,F,\nP2,M,\n"))
    assert (problem.file, problem.row) == ("patients.csv", 2)
    assert "more cells than row 1 has column names" in problem.rule


def test_a_given_up_source_loses_its_text_once_typed_and_types_the_same() -> None:
    from myotrack.tables.io import raw_tables
    from myotrack.tables.validate import check_and_convert

    kept, given_up = raw_tables(seed_folder("004")), raw_tables(seed_folder("004"))
    want, want_problems = check_and_convert(kept)
    got, got_problems = check_and_convert(given_up, release=True)
    assert got_problems == want_problems
    for name in TABLES:
        pd.testing.assert_frame_equal(got[name], want[name])
    assert {"patients", "visits", "strength"} <= set(kept)
    for name in set(kept) & set(TABLES):
        assert len(kept[name].frame.columns) > 0
        assert given_up[name].frame.empty  # the text is gone, the row numbers stay
        assert list(given_up[name].rows) == list(kept[name].rows)


#: Cells of any script, often with what CSV writers quote ('"', ',', line breaks) or DuckDB alone
#: ('#', a carriage return).
_CELL = st.text(
    alphabet=st.one_of(
        st.sampled_from('#\r\n",; a'),
        st.characters(blacklist_categories=["Cs"], blacklist_characters="\x00"),
    )
)


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    texts=st.lists(st.one_of(st.none(), _CELL), max_size=6),
    numbers=st.lists(st.one_of(st.none(), st.floats(allow_nan=True, allow_infinity=True))),
    whole=st.lists(st.one_of(st.none(), st.integers(-(2**62), 2**62))),
    only_text=st.booleans(),
)
def test_a_frame_written_by_duckdb_is_the_text_pandas_writes(
    tmp_path: Path,
    texts: list[str | None],
    numbers: list[float | None],
    whole: list[int | None],
    only_text: bool,
) -> None:
    """``write_frame_csv`` against ``DataFrame.to_csv(index=False)``, the writer it replaces:
    text (empty, quoted, multi-line, any script), floats (NaN, infinities, the shortest repr),
    nullable whole numbers, in columns of any length padded with empty cells; a frame of one
    column (whose empty rows pandas writes as '""')."""
    n = max(len(texts), len(numbers), len(whole))
    frame = pd.DataFrame(
        {
            "text": pd.Series(texts + [None] * (n - len(texts)), dtype=object),
            "number, as written": pd.Series(numbers + [None] * (n - len(numbers)), dtype=float),
            "whole": pd.array(whole + [None] * (n - len(whole)), dtype="Int64"),
            "none": pd.Series([None] * n, dtype=object),
        }
    )
    if only_text:
        frame = frame[["text"]]
    elif not any(c in (t or "") for t in texts for c in "#\r"):
        assert _as_duckdb_writes(frame, tmp_path / "out.csv") is not None, "DuckDB writes it"
    written = write_frame_csv(frame, tmp_path / "out.csv")
    assert written.read_bytes().decode("utf-8") == frame.to_csv(index=False)


def test_what_duckdb_would_write_otherwise_is_written_by_pandas(tmp_path: Path) -> None:
    """Each frame DuckDB would write otherwise than pandas is written by pandas, its text the
    same: a text holding '#' or a carriage return (DuckDB quotes it; in a cell or a column
    name), a boolean column (DuckDB writes 'true'), an object column of numbers (Arrow makes
    1 a double), 16-bit floats, an empty column name (DuckDB names it), names that repeat but
    for case (DuckDB renames one), a header of two levels, a compressed file."""
    frames = [
        pd.DataFrame({"note": ["a\rb", "plain"], "n": [1.5, None]}),
        pd.DataFrame({"note": ["site #2", "plain"], "n": [1.5, None]}),
        pd.DataFrame({"note #": ["plain", "plain"], "n": [1.5, None]}),
        pd.DataFrame({"flag": [True, False], "n": [1.5, None]}),
        pd.DataFrame({"a": pd.Series([1, 2.5], dtype=object), "b": ["x", "y"]}),
        pd.DataFrame({"a": np.array([1.5, 2.25], dtype=np.float16), "b": ["x", "y"]}),
        pd.DataFrame({"": [1.0], "b": ["x"]}),
        pd.DataFrame([[1.0, 2.0]], columns=["A", "a"]),
        pd.DataFrame([[1, 2]], columns=pd.MultiIndex.from_tuples([("a", "x"), ("a", "y")])),
    ]
    for frame in frames:
        assert _as_duckdb_writes(frame, tmp_path / "out.csv") is None
        written = write_frame_csv(frame, tmp_path / "out.csv").read_bytes().decode("utf-8")
        assert written == frame.to_csv(index=False)
    plain = pd.DataFrame({"note": ["plain", ""], "n": [1.5, None]})
    assert _as_duckdb_writes(plain, tmp_path / "out.csv") is not None
    assert _as_duckdb_writes(plain, tmp_path / "out.csv.gz") is None
    write_frame_csv(plain, tmp_path / "out.csv.gz")
    assert pd.read_csv(tmp_path / "out.csv.gz", keep_default_na=False)["note"].tolist() == [
        "plain",
        "",
    ]


def test_published_outcomes_written_by_duckdb_are_the_text_pandas_writes(
    tmp_path: Path,
) -> None:
    """Every published case's outcomes table (every criterion with its details and 'why'
    texts): the CSV of ``myotrack outcomes --format csv`` is byte for byte what pandas wrote."""
    from myotrack.criteria import evaluate
    from myotrack.evidence.lookup import corpus

    result = evaluate(corpus().dataset)
    frame = result.frame
    assert _as_duckdb_writes(frame, tmp_path / "out.csv") is not None, "DuckDB writes it"
    written = write_frame_csv(frame, tmp_path / "out.csv")
    assert written.read_bytes().decode("utf-8") == frame.to_csv(index=False)
    # and from the engine's own Arrow table, which is the frame's conversion
    assert result.arrow is not None
    assert result.arrow.equals(pa.Table.from_pandas(frame, preserve_index=False))
    written = write_frame_csv(frame, tmp_path / "arrow.csv", result.arrow)
    assert written.read_bytes().decode("utf-8") == frame.to_csv(index=False)


def test_an_arrow_table_of_other_columns_or_rows_is_not_written(tmp_path: Path) -> None:
    """``write_frame_csv``'s ``arrow`` is taken only with the frame's columns and rows: a frame
    changed after its Arrow table was made is converted again, and written as it now is."""
    frame = pd.DataFrame({"a": ["x", "y"], "b": [1.5, 2.0]})
    arrow = pa.Table.from_pandas(frame, preserve_index=False)
    more = frame.assign(c=["p", "q"])
    fewer = frame.iloc[:1]
    for changed in (more, fewer, frame[["b", "a"]]):
        written = write_frame_csv(changed, tmp_path / "out.csv", arrow).read_bytes()
        assert written.decode("utf-8") == changed.to_csv(index=False)


def test_a_character_is_found_in_text_cells_by_way_of_the_character_buffer() -> None:
    """``holds``: the character buffer as a whole is searched first; a hit there is confirmed
    cell by cell, as a slice's buffer holds its neighbours' characters (found there, in no
    cell of the slice: false); empty, missing and large text."""
    from myotrack.tables.parsing import holds

    cells = pa.array(["site #2", "plain", None, ""])
    assert holds(cells, "#")
    assert not holds(cells, "\r")
    assert not holds(cells.slice(1), "#"), "the '#' of the cell before the slice"
    assert holds(cells.slice(0, 1), "#")
    assert not holds(pa.array([None, None], pa.string()), "#")
    assert not holds(pa.array(["", ""]), "#")
    assert holds(pa.array(["a", "b\rc"], pa.large_string()), "\r")
    assert holds(pa.chunked_array([["a"], ["b#"]]).chunks[1], "#")
