"""Export files that are safe to open in a spreadsheet (OWASP "CSV injection").

A spreadsheet reads a cell beginning with ``=``, ``+``, ``-`` or ``@`` as a formula, and some
skip a leading tab or carriage return first: a value typed into the registry such as
``=HYPERLINK("http://...", A1)`` must not become a live formula when an export is opened.

- CSV: such a cell gets a leading single quote, as OWASP advises; a number (``-5``, ``+2.5``,
  ``-1e3``) is left as it is, so a day before the index date stays a number.
- Workbook (:mod:`myotrack.web.workbook`): every value is written as a text string, never as
  a formula (nor as an error value: ``#N/A`` is text); a formula-leading one also carries
  Excel's quote prefix, so that editing the cell keeps it text. Characters a workbook cannot
  hold (control characters) become U+FFFD instead of failing the export.

https://owasp.org/www-community/attacks/CSV_Injection
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path

import numpy as np
import pandas as pd
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

from .workbook import TextSheet, write_text_workbook

#: What a spreadsheet may read as the start of a formula.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?")


def is_formula_like(text: str) -> bool:
    """True when a spreadsheet could read ``text`` as a formula (a signed number is not)."""
    return text.startswith(FORMULA_START) and NUMBER.fullmatch(text) is None


def neutralise(text: str) -> str:
    """``text`` as a CSV cell: a leading single quote when it could be read as a formula."""
    return "'" + text if is_formula_like(text) else text


def _formula_rows(texts: list[str]) -> list[int]:
    """The rows of a column of text that could be read as a formula (each cell checked only
    when one of the column's begins with a formula's first character)."""
    joined = "\x00" + "\x00".join(texts)  # a NUL within a cell is at worst a false alarm
    leads = [c for c in FORMULA_START if c in joined]  # one character is found at once
    if not any(f"\x00{c}" in joined for c in leads):
        return []
    return [
        i for i, t in enumerate(texts) if t.startswith(FORMULA_START) and not NUMBER.fullmatch(t)
    ]


def _risky(column: pd.Series) -> pd.Series:
    """Where a column of text holds formula-leading cells."""
    risky = np.zeros(len(column), dtype=bool)
    risky[_formula_rows(_strings(column))] = True
    return pd.Series(risky, index=column.index)


def _strings(column: pd.Series) -> list[str]:
    """The cells of a column as ``str``, empty for a missing one (a column of text is taken
    as it is)."""
    values = column.tolist()
    if set(map(type, values)) <= {str}:
        return values
    return [str(v) for v in column.fillna("").tolist()]


def safe_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of a frame of text with every formula-leading cell quoted (the input is kept)."""
    out = frame.copy()
    for name in out.columns:
        column = out[name]
        if column.dtype != object and not pd.api.types.is_string_dtype(column.dtype):
            continue
        risky = _risky(column)
        if risky.any():
            out[name] = column.where(~risky, "'" + column.astype(str))
    return out


def write_csv(frame: pd.DataFrame, path: Path) -> Path:
    """One table as a CSV file with formula-leading cells quoted."""
    safe_frame(frame).to_csv(path, index=False)
    return path


def _column_text(name: object, column: pd.Series) -> tuple[list[str], list[int]]:
    """A column and its header as workbook text (empty as ``""``, control characters as
    U+FFFD) and the rows whose text could be read as a formula (written with the quote
    prefix)."""
    values = column.tolist()
    if set(map(type, values)) <= {str}:
        texts = [str(name), *values]
    else:
        empty = column.isna().to_numpy()
        texts = [str(name)] + [
            "" if e else v if type(v) is str else str(v) for v, e in zip(values, empty, strict=True)
        ]
    if ILLEGAL_CHARACTERS_RE.search("".join(texts)):
        texts = [ILLEGAL_CHARACTERS_RE.sub("\ufffd", t) for t in texts]
    return texts, _formula_rows(texts)


def write_workbook(sheets: Mapping[str, pd.DataFrame], path: Path) -> Path:
    """Frames of text as the sheets of one workbook, every cell a text string."""
    made = []
    for name, frame in sheets.items():
        columns = [_column_text(c, frame.iloc[:, j]) for j, c in enumerate(frame.columns)]
        made.append(
            TextSheet(
                name=name,
                columns=[texts for texts, _ in columns],
                quoted=[set(rows) for _, rows in columns],
            )
        )
    return write_text_workbook(made, path)
