"""Cells to typed columns: numbers, allowed values, text, grades, days, lab values, units.

Every converter takes a column as read (text cells, empty = unknown), adds a problem for each
cell that breaks its rule and returns the typed column(s) of the contract. All of them are
vectorised over the column; only distinct unusual texts are parsed one by one (a 5-million-row
visit table of plain numbers is checked in seconds).
"""

from __future__ import annotations

import difflib
from collections.abc import Callable
from typing import TypeVar

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from myotrack.measures.grades import GRADE_RULE, parse_grade
from myotrack.tables.doses import parse_unit, split_amount
from myotrack.tables.labs import parse_lab
from myotrack.tables.problems import Collector, RawTable
from myotrack.tables.schema import Column
from myotrack.tables.timing import parse_day

T = TypeVar("T")


def empty_text(cells: pa.Array | pa.ChunkedArray) -> pa.BooleanArray:
    """True where an Arrow text cell has no character (null stays null): read from the
    offsets alone, ten times faster than comparing every cell with ''."""
    return pc.equal(pc.binary_length(cells), 0)


def holds(text: pa.Array | pa.ChunkedArray, char: str) -> bool:
    """Whether a cell of the Arrow text ``text`` holds ``char`` (one ASCII character).

    Its characters are first looked for in each array's character buffer as a whole, several
    times faster than cell by cell: every cell's characters are in it (with, for a slice, those
    of the cells around it), so a character not in it is in no cell; one in it is looked for
    cell by cell.
    """
    arrays = text.chunks if isinstance(text, pa.ChunkedArray) else [text]
    return any(_holds_in(a, char) for a in arrays)


def _holds_in(text: pa.Array, char: str) -> bool:
    if pa.types.is_string(text.type) or pa.types.is_large_string(text.type):
        data = text.buffers()[2]  # validity, offsets, characters (Arrow's layout of text)
        if data is None or not (np.frombuffer(data, dtype=np.uint8) == ord(char)).any():
            return False
    return bool(pc.any(pc.match_substring(text, char)).as_py())


def _has_e(cells: pa.Array | pa.ChunkedArray) -> bool:
    """Whether any Arrow text cell holds an 'e' or 'E' (an exponent, 'nan', 'inf', 'one')."""
    return holds(cells, "e") or holds(cells, "E")


def blank_mask(s: pd.Series) -> np.ndarray:
    """True where a (stripped) text cell is empty or missing."""
    if s.dtype == "string[pyarrow]":  # in Arrow, without a Python object per cell
        empty = pc.fill_null(empty_text(pa.array(s.array)), True)
        return np.asarray(empty.to_numpy(zero_copy_only=False), dtype=bool)
    return (s.isna() | (s == "")).fillna(True).to_numpy(dtype=bool)


def nothing_written(s: pd.Series) -> bool:
    """True when a column has no cell, or is read as Arrow text with no character in any cell
    (found in Arrow without touching the cells; any other column is parsed cell by cell)."""
    if len(s) == 0:
        return True
    if s.dtype != "string[pyarrow]":
        return False
    longest = pc.max(pc.binary_length(pa.array(s.array))).as_py()
    return longest is None or longest == 0


def strip_text(s: pd.Series) -> pd.Series:
    """Cells as stripped Arrow-backed text (vectorised; numbers keep their written form)."""
    if s.dtype == "string[pyarrow]":
        return s.str.strip()
    if pd.api.types.is_float_dtype(s.dtype):
        vals = s.to_numpy(dtype=float, na_value=np.nan)
        whole = np.isfinite(vals) & (vals == np.round(vals))
        out = pd.Series(vals.astype(object), index=s.index)
        out[whole] = vals[whole].astype(np.int64)
        out[np.isnan(vals)] = None
        s = out
    return pd.Series(s.to_numpy(dtype=object), index=s.index).astype("string[pyarrow]").str.strip()


#: A number written plainly: digits with an optional sign and decimal point, no exponent.
PLAIN_NUMBER = r"^[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)$"


def parse_numbers(stripped: pd.Series, blank: np.ndarray) -> np.ndarray:
    """The cells as numbers: NaN where blank or not a number; minus zero is zero.

    A number written plainly (:data:`PLAIN_NUMBER`) is parsed by Arrow, as Python's ``float``
    reads it (pandas' parser keeps only the first 17 digits, leading zeros included: it read
    '00000000000000000000.5' as 0); any other writing ('4.85e3', 'nan', '1,5') by pandas, whose
    verdict the messages follow. A column of plain numbers only, the usual case, is parsed in
    one vectorised pass, ten times faster than ``pd.to_numeric``.
    """
    text = pc.if_else(pa.array(blank), pa.scalar(None, pa.string()), pa.array(stripped.array))
    if not _has_e(text):
        try:
            numbers = pc.cast(text, pa.float64())
        except pa.ArrowInvalid:
            pass
        else:  # without an exponent, a finite number to Arrow is written plainly
            if pc.all(pc.is_finite(numbers)).as_py() is not False:
                return np.asarray(numbers.to_numpy(zero_copy_only=False), dtype=float) + 0.0
    parsed = pd.to_numeric(
        stripped.where(~pd.Series(blank, index=stripped.index), None), errors="coerce"
    )
    values = np.array(parsed.to_numpy(dtype=float, na_value=np.nan), dtype=float)
    plain = pc.fill_null(pc.match_substring_regex(text, PLAIN_NUMBER), False)
    if pc.any(plain).as_py():
        mask = np.asarray(plain.to_numpy(zero_copy_only=False), dtype=bool)
        values[mask] = pc.cast(pc.filter(text, plain), pa.float64()).to_numpy(zero_copy_only=False)
    return values + 0.0


def suggest(word: str, options: tuple[str, ...] | list[str]) -> str:
    close = difflib.get_close_matches(word, list(options), n=3, cutoff=0.5)
    return f"; did you mean {' or '.join(repr(c) for c in close)}?" if close else ""


def numeric(
    raw: RawTable,
    col: Column,
    text: pd.Series,
    out: Collector,
    other: np.ndarray | None = None,
    parsed: tuple[pd.Series, np.ndarray, np.ndarray] | None = None,
) -> pd.Series:
    """A number column; ``other`` marks cells another parser reads (left empty here), and
    ``parsed`` is the column's :func:`strip_text`, :func:`blank_mask` and
    :func:`parse_numbers` when the caller already has them."""
    if pd.api.types.is_numeric_dtype(text.dtype) and not pd.api.types.is_bool_dtype(text.dtype):
        num = pd.Series(text.to_numpy(dtype=float, na_value=np.nan), index=text.index)
        blank = num.isna().to_numpy()
        bad = np.zeros(len(num), dtype=bool)
    else:
        _, blank, values = parsed if parsed is not None else _parse(text)
        if other is not None:
            blank = blank | other
        num = pd.Series(values, index=text.index)
        bad = ~blank & num.isna().to_numpy()
        what = "a whole number" if col.integer else "a number"
        out.add_many(
            raw,
            bad,
            col.name,
            f"{col.name} must be {what}" + (f" ({col.unit})" if col.unit else ""),
            text,
        )
    values = num.to_numpy(dtype=float, na_value=np.nan)
    with np.errstate(invalid="ignore"):
        huge = ~blank & ~bad & ~(np.abs(values) < (2**53 if col.integer else 1e15))
    out.add_many(raw, huge, col.name, f"{col.name} must be a finite number of sensible size", text)
    bad = bad | huge
    valid = ~blank & ~bad
    if col.integer:
        frac = valid & (np.abs(np.nan_to_num(values) % 1) > 0)
        out.add_many(raw, frac, col.name, f"{col.name} must be a whole number", text)
        valid &= ~frac
    if col.minimum is not None:
        low = valid & (values < col.minimum)
        rule = f"{col.name} must be {col.allowed_text()}" + (
            f" {col.unit}" if col.unit and col.maximum is None else ""
        )
        if col.name == "ck":
            rule = "CK cannot be negative"
        out.add_many(raw, low, col.name, rule, text)
        valid &= ~low
    if col.maximum is not None:
        high = valid & (values > col.maximum)
        out.add_many(
            raw,
            high,
            col.name,
            f"{col.name} must be {col.allowed_text()}" + (f" ({col.unit})" if col.unit else ""),
            text,
        )
        valid &= ~high
    if col.integer:  # |values| < 2**53 here: exact as 64-bit integers
        whole = np.where(valid, np.round(values), 0).astype(np.int64)
        return pd.Series(pd.arrays.IntegerArray(whole, ~valid), index=text.index)
    return pd.Series(np.where(valid, values, np.nan), index=text.index, dtype="float64")


def enum(raw: RawTable, col: Column, text: pd.Series, out: Collector) -> pd.Series:
    d = Distinct(text)
    lookup = {a.lower(): a for a in col.allowed}
    mapped = np.array(
        [
            None if b else lookup.get(str(t).lower())
            for t, b in zip(d.texts, d.blank_texts, strict=True)
        ],
        dtype=object,
    )
    unknown = ~d.blank_texts & np.array([m is None for m in mapped], dtype=bool)
    out.add_each(
        raw,
        unknown[d.codes],
        col.name,
        d.cells(),
        lambda v: f"{col.name} must be one of: {col.allowed_text()}{suggest(v, col.allowed)}",
    )
    return d.rows(mapped)


class Distinct:
    """A text column as its distinct stripped texts and each row's code into them.

    Work per text (a vocabulary look-up, a rule) is done once per distinct text, and rows with
    the same text share one Python string: a million-row column of a few thousand patient ids
    holds a few thousand strings, not a million.
    """

    def __init__(self, text: pd.Series) -> None:
        codes, uniques = pd.factorize(strip_text(text))
        self.index = text.index
        self.codes = np.asarray(codes, dtype=np.intp)
        #: the distinct texts, then None (the code -1 of a missing cell indexes it)
        self.texts = np.empty(len(uniques) + 1, dtype=object)  # None when made
        self.texts[:-1] = np.asarray(uniques, dtype=object)
        self.blank_texts = np.array([t is None or t == "" for t in self.texts], dtype=bool)
        self.blank = self.blank_texts[self.codes]

    def rows(self, per_text: np.ndarray) -> pd.Series:
        """A value per distinct text (in the order of :attr:`texts`) spread over the rows."""
        return pd.Series(np.asarray(per_text, dtype=object)[self.codes], index=self.index)

    def cells(self) -> pd.Series:
        """The stripped cells ('' where blank, None where missing), as Python strings."""
        return self.rows(self.texts)


def text_column(text: pd.Series) -> pd.Series:
    d = Distinct(text)
    texts = d.texts.copy()
    texts[d.blank_texts] = None
    return d.rows(texts)


def grades(
    raw: RawTable, col: Column, text: pd.Series, out: Collector
) -> tuple[pd.Series, pd.DataFrame]:
    stripped = strip_text(text).astype(object)
    blank = blank_mask(stripped)
    parsed: dict[str, tuple[int, int, float, int, int] | None] = {}
    for u in pd.unique(stripped[~blank]):
        try:
            g = parse_grade(u)
            parsed[u] = (g.whole, g.kendall, g.value, g.low, g.high)
        except ValueError:
            parsed[u] = None
    known = stripped.isin([k for k, v in parsed.items() if v is not None]).to_numpy(dtype=bool)
    bad = ~blank & ~known
    out.add_many(raw, bad, col.name, f"grade outside the MRC scale: {GRADE_RULE}", text)
    ok = ~blank & ~bad
    good = {k: v for k, v in parsed.items() if v is not None}
    keep = pd.Series(ok, index=text.index)

    def part(k: int) -> pd.Series:
        return stripped.map({key: v[k] for key, v in good.items()}).where(keep)

    derived = pd.DataFrame(
        {
            "grade_whole": pd.array(part(0), dtype="Int64"),
            "grade_kendall": pd.array(part(1), dtype="Int64"),
            "grade_value": pd.to_numeric(part(2), errors="coerce").to_numpy(),
            "grade_low": pd.array(part(3), dtype="Int64"),
            "grade_high": pd.array(part(4), dtype="Int64"),
        },
        index=text.index,
    )
    return stripped.where(ok, None).astype(object), derived


def _plain_numbers(text: pd.Series) -> tuple[np.ndarray, np.ndarray] | None:
    """(blank, values) of an Arrow text column whose cells are all empty or plain finite
    numbers without white space or exponent (the usual column), else None.

    Arrow reads no number with white space around it, so such a column is its own stripped
    text, and the values are those :func:`parse_numbers` gives.
    """
    if text.dtype != "string[pyarrow]":
        return None
    cells = pa.array(text.array)
    if _has_e(cells):
        return None
    empty = pc.fill_null(empty_text(cells), True)  # a missing cell is a blank one
    try:
        numbers = pc.cast(pc.if_else(empty, pa.scalar(None, cells.type), cells), pa.float64())
    except pa.ArrowInvalid:
        return None
    if pc.all(pc.is_finite(numbers)).as_py() is False:
        return None
    blank = np.asarray(empty.to_numpy(zero_copy_only=False), dtype=bool)
    return blank, np.asarray(numbers.to_numpy(zero_copy_only=False), dtype=float) + 0.0


def _parse(text: pd.Series) -> tuple[pd.Series, np.ndarray, np.ndarray]:
    plain = _plain_numbers(text)
    if plain is not None:
        return text, *plain
    stripped = strip_text(text)
    blank = blank_mask(stripped)
    return stripped, blank, parse_numbers(stripped, blank)


def _unusual(
    text: pd.Series,
) -> tuple[pd.Series, np.ndarray, tuple[pd.Series, np.ndarray, np.ndarray]]:
    """The stripped cells, where a cell is neither empty nor a number, and the parse."""
    parsed = _parse(text)
    stripped, blank, values = parsed
    return stripped, ~blank & np.isnan(values), parsed


def _parse_each(
    raw: RawTable,
    col: Column,
    stripped: pd.Series,
    mask: np.ndarray,
    parse: Callable[..., T],
    out: Collector,
    extra: np.ndarray | None = None,
) -> dict[int, T]:
    """``parse`` of each cell of ``mask`` (each distinct text once, with its row's ``extra``
    when given); an error naming the parser's rule for each cell it rejects."""
    results: dict[int, T] = {}
    if not mask.any():
        return results
    cache: dict[tuple[str, object], T | ValueError] = {}
    bad: list[int] = []
    rules: list[str] = []
    cells = stripped.to_numpy(dtype=object, na_value=None)
    for i in np.flatnonzero(mask):
        key = (str(cells[i]), None if extra is None else extra[i])
        if key not in cache:
            try:
                cache[key] = parse(*key) if extra is not None else parse(key[0])
            except ValueError as err:
                cache[key] = err
        result = cache[key]
        if isinstance(result, ValueError):
            bad.append(int(i))
            rules.append(str(result))
        else:
            results[int(i)] = result
    out.add_rows(raw, bad, col.name, stripped, rules)
    return results


def days(
    raw: RawTable,
    col: Column,
    text: pd.Series,
    out: Collector,
    ages: Callable[[], np.ndarray | None] | None,
) -> tuple[pd.Series, pd.Series, pd.Series]:
    """A day column as (day, earliest, latest): plain days, and the forms of
    :func:`myotrack.tables.timing.parse_day` (``ages()``: each row's patients.age_at_onset,
    asked for only when a cell is not a plain day)."""
    n = len(text)
    earliest = np.full(n, np.nan)
    latest = np.full(n, np.nan)
    if pd.api.types.is_numeric_dtype(text.dtype) and not pd.api.types.is_bool_dtype(text.dtype):
        day = numeric(raw, col, text, out)
    else:
        stripped, other, parse = _unusual(text)
        day = numeric(raw, col, text, out, other, parse)
        extra = ages() if ages is not None and other.any() else None
        parsed = _parse_each(raw, col, stripped, other, parse_day, out, extra=extra)
        if parsed:
            values = day.astype("Float64").to_numpy(dtype=float, na_value=np.nan)
            for i, v in parsed.items():
                values[i] = v.day
                if not v.exact:
                    earliest[i], latest[i] = v.earliest, v.latest
            day = pd.Series(values, index=text.index).round().astype("Int64")
    return day, _integers(earliest, text.index), _integers(latest, text.index)


def _integers(values: np.ndarray, index: pd.Index) -> pd.Series:
    """Whole numbers (NaN = missing) as a nullable integer column."""
    missing = np.isnan(values)
    data = np.where(missing, 0, np.round(values)).astype(np.int64)
    return pd.Series(pd.arrays.IntegerArray(data, missing), index=index)


def labs(
    raw: RawTable, col: Column, text: pd.Series, out: Collector
) -> tuple[pd.Series, pd.Series, pd.Series]:
    """A laboratory column as (number, bound, state): see :mod:`myotrack.tables.labs`."""
    n = len(text)
    bound = np.full(n, "", dtype=object)
    state = np.full(n, "", dtype=object)
    if pd.api.types.is_numeric_dtype(text.dtype) and not pd.api.types.is_bool_dtype(text.dtype):
        value = numeric(raw, col, text, out)
    else:
        stripped, other, parse = _unusual(text)
        value = numeric(raw, col, text, out, other, parse)
        parsed = _parse_each(raw, col, stripped, other, parse_lab, out)
        if parsed:
            values = value.to_numpy(dtype=float, na_value=np.nan).copy()
            for i, v in parsed.items():
                values[i] = np.nan if v.value is None else v.value
                bound[i] = v.bound
                state[i] = v.state
            value = pd.Series(values, index=text.index)
    return value, pd.Series(bound, index=text.index), pd.Series(state, index=text.index)


def units(
    raw: RawTable, col: Column, text: pd.Series, out: Collector
) -> tuple[pd.Series, pd.Series]:
    """A dose-unit column as (unit, per): see :mod:`myotrack.tables.doses`."""
    stripped = strip_text(text)
    blank = blank_mask(stripped)
    parsed = _parse_each(raw, col, stripped, ~blank, parse_unit, out)
    unit = np.full(len(text), None, dtype=object)
    per = np.full(len(text), None, dtype=object)
    for i, (u, p) in parsed.items():
        unit[i] = u
        per[i] = p or None
    return pd.Series(unit, index=text.index), pd.Series(per, index=text.index)


def split_doses(text: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Dose cells written with their unit ('1 mg/kg/day') as (amount, unit) text columns."""
    stripped, other, _ = _unusual(text)
    if not other.any():
        return text, pd.Series([""] * len(text), index=text.index, dtype=object)
    amount = stripped.astype(object).copy()
    unit = pd.Series([""] * len(text), index=text.index, dtype=object)
    cells = stripped.to_numpy(dtype=object, na_value=None)
    for i in np.flatnonzero(other):
        split = split_amount(str(cells[i]))
        if split is not None:
            amount.iloc[i], unit.iloc[i] = split
    return amount, unit
