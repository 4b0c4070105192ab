"""The registry's rows become the text a file would hold (:func:`myotrack.web.records.frames_of`,
:meth:`myotrack.tables.Dataset.to_text_frames`): made column by column, they are what the
definitions one cell and one row at a time give."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from myotrack.tables import TABLES
from myotrack.tables.dataset import _fmt
from myotrack.tables.schema import ENZYMES
from myotrack.web.records import _text, frames_of


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


def _shown(value: object) -> object:
    """A prepared workbook value: text, None, or a text cell's (value, type, quote prefix)."""
    if value is None or isinstance(value, str):
        return value
    return (value.value, value.data_type, value.quotePrefix)  # type: ignore[attr-defined]


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.none() | st.text(alphabet="=+-@\t\r\x01\x1f ab1.e", max_size=5),
            st.none() | floats | st.integers(-5, 5),
        ),
        max_size=6,
    )
)
def test_workbook_cells_are_prepared_as_one_cell_at_a_time(
    rows: list[tuple[object, object]],
) -> None:
    """Column by column, each cell is what the per-cell rule gives (formula-leading text
    quoted, control characters replaced, empty as None)."""
    from openpyxl import Workbook

    from myotrack.web.spreadsheet import _sheet_values, _text_cell

    sheet = Workbook(write_only=True).create_sheet("t")
    frame = pd.DataFrame(rows, columns=["text", "number"], dtype=object)
    made = [[_shown(v) for v in row] for row in _sheet_values(sheet, frame)]
    expected = [[_shown(_text_cell(sheet, v)) for v in row] for row in rows]
    assert made == expected
