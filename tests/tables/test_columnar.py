"""The columnar reading path gives what the cell-by-cell path gives: the same typed tables and
the same problems (file, row, column, value, rule), on hostile generated tables.

The fast path reads CSV text with Arrow (quoted cells included), takes a column with nothing
written as an absent one, and parses a column of plain numbers in Arrow; the reference path is
pandas' reader and every column parsed cell by cell (``_arrow_csv``, ``nothing_written`` and
``_plain_numbers`` switched off).
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from myotrack.errors import InvalidData, Problem
from myotrack.tables import TABLES, Dataset, parsing, read_source
from myotrack.tables import io as tio

#: cells that are usual, unusual or wrong somewhere
_CELL = st.sampled_from(
    [
        "",
        "",
        "",
        " ",
        "\t",
        "0",
        "3",
        "12",
        "-3",
        "+5",
        ".5",
        "5.",
        " 7 ",
        "4500",
        "4,500",
        "1,5",
        "1e3",
        "2E-1",
        "nan",
        "inf",
        "-0",
        "<200",
        ">=3000",
        "~4000",
        "normal",
        "markedly elevated",
        "120..150",
        "~120",
        "6 months",
        "within 2 weeks",
        "at age 37",
        "during rehab",
        "99999999999999999999",
        "F",
        "m",
        "SRP",
        "hmgcr",
        "x",
        "prednisone",
        "Zorbazumab",
        "deltoids",
        "4+",
        "3-",
        "1-2",
        "7",
        "mg/kg/day",
        "mg/kg/fortnight",
        "1 mg/kg/day",
        "daily, tapered",
        'said "weak"',
        "two\nlines",
        "Pü1",
        "P1",
        "P2",
        "P9",
    ]
)
_PATIENT = st.sampled_from(["P1", "P2", "P3", " P1", "P9", ""])
_COLUMNS = {
    "patients": ("patient_id", "sex", "age_at_onset", "antibody", "comorbidities", "site"),
    "visits": ("patient_id", "day", "ck", "ck_uln", "mrc_sum", "mrs", "ldh", "lab", "source"),
    "strength": ("patient_id", "day", "muscle", "side", "grade"),
    "treatments": ("patient_id", "drug", "start_day", "end_day", "dose", "dose_unit", "note"),
}


@st.composite
def _table(draw: st.DrawFn, name: str) -> list[list[str]]:
    names = _COLUMNS[name]
    # some columns left out, and each column either written everywhere or nowhere sometimes
    kept = [c for c in names if c == "patient_id" or draw(st.booleans())]
    n = draw(st.integers(0, 6))
    rows = []
    empty = {c for c in kept if draw(st.integers(0, 3)) == 0}
    for i in range(n):
        row = []
        for c in kept:
            if c in empty:
                row.append("")
            elif c == "patient_id":
                row.append(f"P{i + 1}" if name == "patients" else draw(_PATIENT))
            else:
                row.append(draw(_CELL))
        rows.append(row)
    return [kept, *rows]


def _csv(rows: list[list[str]], stray: bool) -> bytes:
    if stray:  # written by hand: quotes and commas left as they are
        return ("\n".join(",".join(r) for r in rows) + "\n").encode()
    text = io.StringIO()
    csv.writer(text, lineterminator="\n").writerows(rows)
    return text.getvalue().encode()


def _outcome(folder: Path) -> tuple[Dataset | None, list[Problem]]:
    try:
        ds = read_source(folder)
    except InvalidData as err:
        return None, err.problems
    return ds, list(ds.warnings)


def _cell_by_cell(folder: Path) -> tuple[Dataset | None, list[Problem]]:
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(tio, "_arrow_csv", lambda data: None)
        mp.setattr(parsing, "nothing_written", lambda s: False)
        mp.setattr(parsing, "_plain_numbers", lambda text: None)
        return _outcome(folder)


def _same(fast: Dataset | None, slow: Dataset | None) -> None:
    assert (fast is None) == (slow is None)
    if fast is None or slow is None:
        return
    for name in TABLES:
        a, b = fast.table(name), slow.table(name)
        pd.testing.assert_frame_equal(a, b, check_exact=True)
        for c in a.columns:  # None and NaN are told apart in text columns
            if a[c].dtype == object:
                assert [type(v) for v in a[c]] == [type(v) for v in b[c]], (name, c)


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    tables=st.fixed_dictionaries({name: _table(name) for name in _COLUMNS}),
    stray=st.booleans(),
)
def test_columnar_and_cell_by_cell_reading_agree(
    tmp_path: Path, tables: dict[str, list[list[str]]], stray: bool
) -> None:
    folder = tmp_path / "src"
    folder.mkdir(exist_ok=True)
    for name, rows in tables.items():
        (folder / f"{name}.csv").write_bytes(_csv(rows, stray))
    fast, fast_problems = _outcome(folder)
    slow, slow_problems = _cell_by_cell(folder)
    assert fast_problems == slow_problems
    _same(fast, slow)


def test_published_cases_read_alike_by_both_paths(tmp_path: Path) -> None:
    """The published cases (quoted notes, bounds, words, ranges) through both paths."""
    from myotrack.evidence import load_evidence
    from myotrack.tables import write_csv_folder

    folder = write_csv_folder(load_evidence(), tmp_path / "csv")
    fast, fast_problems = _outcome(folder)
    slow, slow_problems = _cell_by_cell(folder)
    assert fast_problems == slow_problems
    _same(fast, slow)


def test_a_column_with_nothing_written_costs_one_shared_read_only_array(tmp_path: Path) -> None:
    """Empty enzyme columns of a visit table share their arrays; writing into one raises
    instead of changing the others."""
    folder = tmp_path / "src"
    folder.mkdir()
    (folder / "patients.csv").write_text("patient_id\nP1\nP2\n")
    (folder / "visits.csv").write_text("patient_id,day,ck,ldh,alt,ast\nP1,0,4500,,,\nP2,3,,,,\n")
    visits = read_source(folder).visits
    ldh, alt = visits["ldh"].to_numpy(), visits["alt"].to_numpy()
    assert np.isnan(ldh).all() and np.shares_memory(ldh, alt)
    with pytest.raises(ValueError, match="read-only"):
        ldh[0] = 1.0
    assert visits["ck"].tolist()[0] == 4500.0 and np.isnan(visits["ck"].tolist()[1])
    assert visits["ldh_bound"].tolist() == ["", ""] and visits["ldh_state"].tolist() == ["", ""]


def _from_frames(frames: dict[str, pd.DataFrame]) -> tuple[Dataset | None, list[Problem]]:
    try:
        ds = Dataset.from_frames(name="form", **frames)
    except InvalidData as err:
        return None, err.problems
    return ds, list(ds.warnings)


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(tables=st.fixed_dictionaries({name: _table(name) for name in _COLUMNS}))
def test_frames_of_python_text_read_as_their_cells_one_by_one(
    tables: dict[str, list[list[str]]],
) -> None:
    """``Dataset.from_frames`` takes text columns as Arrow text (``arrow_text``) and a table
    without rows as absent: the same tables and problems as every cell parsed as a Python
    object, with missing cells (None) among the text."""
    from myotrack.tables import dataset as tds

    frames = {}
    for name, (header, *rows) in tables.items():
        cells = [[None if c == "" and i % 2 else c for c in r] for i, r in enumerate(rows)]
        frames[name] = pd.DataFrame(cells, columns=header, dtype=object)
    fast, fast_problems = _from_frames(frames)
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(tds, "arrow_text", lambda frame: frame)
        mp.setattr(parsing, "nothing_written", lambda s: False)
        mp.setattr(parsing, "_plain_numbers", lambda text: None)
        slow, slow_problems = _from_frames(frames)
    assert fast_problems == slow_problems
    _same(fast, slow)
