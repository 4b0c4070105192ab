"""The registry's rows become the text a file would hold (:func:`myotrack.web.records.frames_of`,
:meth:`myotrack.tables.Dataset.to_text_frames`): made column by column, they are what the
definitions one cell and one row at a time give."""

from __future__ import annotations

import math
import tempfile
from pathlib import Path
from unittest import mock

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from myotrack.tables import TABLES
from myotrack.tables.dataset import _fmt
from myotrack.tables.schema import ENZYMES
from myotrack.web.records import _text, frames_of
from myotrack.web.spreadsheet import ILLEGAL_CHARACTERS_RE, is_formula_like
from myotrack.web.workbook import MAX_TEXT


def _row_text(table: str, row: dict[str, object]) -> dict[str, str]:
    """One row as text, one cell at a time (each enzyme with its bound, or its word)."""
    out: dict[str, str] = {}
    for name in TABLES[table].names:
        text = _text(row.get(name))
        if table == "visits" and name in ENZYMES:
            if text:
                text = f"{_text(row.get(f'{name}_bound'))}{text}"
            else:
                text = _text(row.get(f"{name}_state"))
        out[name] = text
    return out


floats = st.floats(allow_nan=True, allow_infinity=True) | st.sampled_from([0.0, -3.0, 1e20, 2.5])
texts = st.text(alphabet=" \tab<>=~.-19", max_size=6)
#: a column of the registry holds one type; a form may give anything
column_values = st.one_of(
    st.lists(st.none() | texts, min_size=4, max_size=4),
    st.lists(st.none() | st.integers(-(10**20), 10**20), min_size=4, max_size=4),
    st.lists(st.none() | floats, min_size=4, max_size=4),
    st.lists(st.none() | texts | floats | st.integers() | st.booleans(), min_size=4, max_size=4),
)


@settings(max_examples=60, deadline=None)
@given(st.data())
def test_frames_are_the_rows_as_text(data: st.DataObject) -> None:
    for table in ("visits", "treatments"):
        names = list(TABLES[table].names)
        if table == "visits":
            names += [f"{e}_{part}" for e in ENZYMES for part in ("bound", "state")]
        columns = {n: data.draw(column_values, label=n) for n in names[:12] + names[-4:]}
        rows = [{n: v[i] for n, v in columns.items()} for i in range(4)]
        made = frames_of({table: rows})[table]
        expected = pd.DataFrame(
            [_row_text(table, r) for r in rows], columns=list(TABLES[table].names)
        )
        pd.testing.assert_frame_equal(made, expected)
    empty = frames_of({"events": []})["events"]
    assert list(empty.columns) == list(TABLES["events"].names) and len(empty) == 0


@settings(max_examples=60, deadline=None)
@given(st.lists(st.none() | floats, max_size=8))
def test_a_float_column_is_written_as_the_reader_reads_it(values: list[float | None]) -> None:
    column = pd.Series([np.nan if v is None else v for v in values], dtype=float)
    expected = ["" if math.isnan(x) else str(int(x)) if x.is_integer() else repr(x) for x in column]
    assert _fmt(column).tolist() == expected


def _read_back(value: object) -> tuple[object, str, bool] | None:
    """What the per-cell rule makes of one value, as openpyxl reads the cell back: empty is no
    cell; text (control characters as U+FFFD, at most 32,767 characters, line ends as XML
    reads them) is a text cell, quote-prefixed when it could be read as a formula."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    text = ILLEGAL_CHARACTERS_RE.sub("\ufffd", str(value))
    if text == "":
        return None
    shown = text[:MAX_TEXT].replace("\r\n", "\n").replace("\r", "\n")
    return (shown, "s", is_formula_like(text))


cells = (
    st.none()
    | st.text(alphabet="=+-@\t\r\n\x01\x1f &<>\"' ab1.e#/!", max_size=5)
    | st.sampled_from(["#N/A", "-5", "=", " x ", "_x0041_", "a" * (MAX_TEXT + 5), "=" * 40_000])
    | floats
    | st.integers(-5, 5)
)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(cells, cells), max_size=6), st.integers(1, 3))
def test_workbook_cells_are_the_text_of_each_value(
    rows: list[tuple[object, object]], block: int
) -> None:
    """Written column by column in blocks of rows, each cell read back is what the per-cell
    rule gives (formula-leading text quoted, never a formula; control characters replaced;
    empty as no cell); the header is the first row."""
    import openpyxl

    from myotrack.web import workbook
    from myotrack.web.spreadsheet import write_workbook

    frame = pd.DataFrame(rows, columns=["text", "=number"], dtype=object)
    with tempfile.TemporaryDirectory() as tmp, mock.patch.object(workbook, "BLOCK", block):
        path = write_workbook({"t": frame, "empty": frame.iloc[:0]}, Path(tmp) / "t.xlsx")
        book = openpyxl.load_workbook(path)
    assert book.sheetnames == ["t", "empty"]
    for sheet, expected_rows in ((book["t"], rows), (book["empty"], [])):
        read = {
            (c.row, c.column): (c.value, c.data_type, bool(c.quotePrefix))
            for row in sheet.iter_rows()
            for c in row
            if c.value is not None
        }
        expected = {
            (r, j): cell
            for r, values in enumerate([("text", "=number"), *expected_rows], 1)
            for j, value in enumerate(values, 1)
            if (cell := _read_back(value)) is not None
        }
        assert read == expected
