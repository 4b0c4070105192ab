"""Export files that are safe to open in a spreadsheet (OWASP "CSV injection").

A spreadsheet reads a cell beginning with ``=``, ``+``, ``-`` or ``@`` as a formula, and some
skip a leading tab or carriage return first: a value typed into the registry such as
``=HYPERLINK("http://...", A1)`` must not become a live formula when an export is opened.

- CSV: such a cell gets a leading single quote, as OWASP advises; a number (``-5``, ``+2.5``,
  ``-1e3``) is left as it is, so a day before the index date stays a number.
- Workbook: every value is written as a text string, never as a formula; a formula-leading one
  also carries Excel's quote prefix, so that editing the cell keeps it text. Characters a
  workbook cannot hold (control characters) become U+FFFD instead of failing the export.

https://owasp.org/www-community/attacks/CSV_Injection
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path

import numpy as np
import pandas as pd
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

#: What a spreadsheet may read as the start of a formula.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?")


def is_formula_like(text: str) -> bool:
    """True when a spreadsheet could read ``text`` as a formula (a signed number is not)."""
    return text.startswith(FORMULA_START) and NUMBER.fullmatch(text) is None


def neutralise(text: str) -> str:
    """``text`` as a CSV cell: a leading single quote when it could be read as a formula."""
    return "'" + text if is_formula_like(text) else text


def _risky(column: pd.Series) -> pd.Series:
    """Where a column of text holds formula-leading cells (checked per cell only there)."""
    text = column.astype(str)
    lead = text.str[:1].isin(FORMULA_START)
    if not lead.any():
        return lead
    return lead & ~text.str.fullmatch(NUMBER.pattern).fillna(False).astype(bool)


def safe_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of a frame of text with every formula-leading cell quoted (the input is kept)."""
    out = frame.copy()
    for name in out.columns:
        column = out[name]
        if column.dtype != object and not pd.api.types.is_string_dtype(column.dtype):
            continue
        risky = _risky(column.fillna(""))
        if risky.any():
            out[name] = column.where(~risky, "'" + column.astype(str))
    return out


def write_csv(frame: pd.DataFrame, path: Path) -> Path:
    """One table as a CSV file with formula-leading cells quoted."""
    safe_frame(frame).to_csv(path, index=False)
    return path


def _text_cell(sheet: object, value: object) -> object:
    """A value for a write-only sheet: empty as None, text as text (never a formula)."""
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return None
    text = ILLEGAL_CHARACTERS_RE.sub("\ufffd", str(value))
    if text == "":
        return None
    if not is_formula_like(text):
        return text  # openpyxl keeps a str that does not begin with '=' as text
    cell = WriteOnlyCell(sheet, value=text)  # type: ignore[arg-type]
    cell.data_type = "s"
    cell.quotePrefix = True
    return cell


def _sheet_values(sheet: object, frame: pd.DataFrame) -> list[list[object]]:
    """The frame's columns as :func:`_text_cell` gives each value, made column by column:
    a plain str or None for most cells, a quote-prefixed text cell where the text could be
    read as a formula."""
    columns: list[list[object]] = []
    for name in frame.columns:
        column = frame[name]
        empty = column.isna().to_numpy()
        text = column.astype(object).where(~empty, "").astype(str)
        text = text.str.replace(ILLEGAL_CHARACTERS_RE, "\ufffd", regex=True)
        risky = _risky(text).to_numpy()
        values: list[object] = [None if t == "" else t for t in text.tolist()]
        for i in np.flatnonzero(risky):
            values[i] = _text_cell(sheet, values[i])
        columns.append(values)
    return [list(row) for row in zip(*columns, strict=True)]


def write_workbook(sheets: Mapping[str, pd.DataFrame], path: Path) -> Path:
    """Frames of text as the sheets of one workbook, every cell a text string."""
    book = Workbook(write_only=True)
    for name, frame in sheets.items():
        sheet = book.create_sheet(name)
        sheet.append([str(c) for c in frame.columns])
        for row in _sheet_values(sheet, frame):
            sheet.append(row)
    book.save(path)
    return path
