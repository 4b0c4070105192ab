"""Validation of the contract tables: every rule, every problem, all at once.

The readers hand over raw text frames (:class:`~myotrack.tables.problems.RawTable`) and
``check_and_convert`` turns them into typed frames of the contract, collecting a
:class:`~myotrack.errors.Problem` for every broken rule (:mod:`~myotrack.tables.parsing` for
cells, :mod:`~myotrack.tables.terms` for vocabularies, :mod:`~myotrack.tables.crosscheck` for
rules across rows and tables). Errors make the caller raise
:class:`~myotrack.errors.InvalidData`, so a source is used whole or not at all; warnings keep
the value and travel with the dataset.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping, MutableMapping

import numpy as np
import pandas as pd
import pyarrow as pa

from myotrack.errors import Problem
from myotrack.tables import parsing, terms
from myotrack.tables.crosscheck import cross_checks
from myotrack.tables.problems import Collector, Progress, RawTable
from myotrack.tables.references import apply_reference_ranges, derive_antibody
from myotrack.tables.schema import REFERENCE_RANGES, TABLES, Column, TableSpec

DERIVED_STRENGTH = ("grade_whole", "grade_kendall", "grade_value", "grade_low", "grade_high")

__all__ = ["DERIVED_STRENGTH", "RawTable", "check_and_convert"]


class _Unknown:
    """The columns of a table that nothing was written in: every such column of one type shares
    one read-only array (a 3-million-row visit table has some thirty of them; a write into one
    raises instead of changing the others)."""

    def __init__(self, n: int, index: pd.Index) -> None:
        self.n, self.index = n, index
        self._arrays: dict[str, np.ndarray] = {}

    def _shared(self, key: str, make: Callable[[], np.ndarray]) -> np.ndarray:
        if key not in self._arrays:
            array = make()
            array.flags.writeable = False
            self._arrays[key] = array
        return self._arrays[key]

    def integers(self) -> pd.Series:
        data = self._shared("zeros", lambda: np.zeros(self.n, dtype=np.int64))
        mask = self._shared("mask", lambda: np.ones(self.n, dtype=bool))
        return pd.Series(pd.arrays.IntegerArray(data, mask), index=self.index, copy=False)

    def floats(self) -> pd.Series:
        nan = self._shared("nan", lambda: np.full(self.n, np.nan))
        return pd.Series(nan, index=self.index, copy=False)

    def objects(self, fill: str | None = None) -> pd.Series:
        # an object array is None in every cell when made
        make = (
            (lambda: np.empty(self.n, dtype=object))
            if fill is None
            else (lambda: np.full(self.n, fill, dtype=object))
        )
        # dtype given: of an array of unstated type pandas would scan every cell for dates
        array = self._shared(repr(fill), make)
        return pd.Series(array, index=self.index, dtype=object, copy=False)

    def column(self, col: Column) -> pd.Series:
        if col.kind in ("int", "day"):
            return self.integers()
        if col.kind in ("float", "lab"):
            return self.floats()
        return self.objects()

    def lab_companions(self, name: str) -> dict[str, pd.Series]:
        return {f"{name}_bound": self.objects(""), f"{name}_state": self.objects("")}


def _convert_table(
    spec: TableSpec,
    raw: RawTable,
    out: Collector,
    ages: Callable[[], np.ndarray | None] | None = None,
    shortcuts: bool = True,
) -> pd.DataFrame:
    """The typed columns of one table (``shortcuts=False``: every written column parsed, even
    one with nothing written; the tests compare both)."""
    frame = raw.frame
    columns: dict[str, pd.Series] = {}
    n = len(frame)
    present = set(frame.columns)
    derived: dict[str, pd.Series] = {}
    unknown = _Unknown(n, frame.index)
    written: dict[str, pd.Series] = {}  # day ranges read from a day column's own text
    if spec.name == "treatments" and "dose" in present:
        frame = _doses_with_units(raw, out)
        present = set(frame.columns)
    for col in spec.columns:
        # a column with nothing written reads as an absent one (the same typed columns), at once;
        # a required one only when the table has no row (no cell can then be missing)
        if col.name not in present or (
            shortcuts and (not col.required or n == 0) and parsing.nothing_written(frame[col.name])
        ):
            if col.required and col.name not in present:
                out.add(
                    Problem(
                        raw.label, None, col.name, None, f"required column '{col.name}' is missing"
                    )
                )
            columns[col.name] = unknown.column(col)
            if col.kind == "lab":
                derived.update(unknown.lab_companions(col.name))
            if col.kind == "grade":
                derived.update({d: unknown.integers() for d in DERIVED_STRENGTH})
                derived["grade_value"] = unknown.floats()
            continue
        text = frame[col.name]
        if col.required:
            out.add_many(
                raw,
                parsing.blank_mask(parsing.strip_text(text)),
                col.name,
                f"{col.name} is required",
            )
        if col.kind in ("int", "float"):
            columns[col.name] = parsing.numeric(raw, col, text, out)
        elif col.kind == "day":
            columns[col.name], low, high = parsing.days(raw, col, text, out, ages)
            written[f"{col.name}_earliest"], written[f"{col.name}_latest"] = low, high
        elif col.kind == "lab":
            columns[col.name], bound, state = parsing.labs(raw, col, text, out)
            derived[f"{col.name}_bound"], derived[f"{col.name}_state"] = bound, state
        elif col.kind == "unit":
            columns[col.name], per = parsing.units(raw, col, text, out)
            written["dose_per"] = per
        elif col.kind == "enum":
            columns[col.name] = parsing.enum(raw, col, text, out)
        elif col.kind == "drug":
            columns[col.name] = terms.drug(raw, col, text, out)
        elif col.kind == "muscle":
            columns[col.name] = terms.muscle(raw, col, text, out)
        elif col.kind == "code":
            columns[col.name] = terms.code(raw, col, text, out)
        elif col.kind == "list":
            columns[col.name] = terms.term_list(raw, col, text, out)
        elif col.kind == "grade":
            columns[col.name], grades = parsing.grades(raw, col, text, out)
            derived.update({c: grades[c] for c in grades.columns})
        else:
            columns[col.name] = parsing.text_column(text)
    for name, value in written.items():
        columns[name] = _merge(raw, name, columns[name], value, out)
    if spec.name == "treatments":
        _dose_needs_unit(raw, frame, columns, out)
    # the frame gets a fresh row index without copying (or consolidating) the columns, which
    # reset_index would do
    index = pd.RangeIndex(n)
    return pd.DataFrame(
        {k: _reindexed(v, index) for k, v in {**columns, **derived}.items()}, copy=False
    )


def _reindexed(s: pd.Series, index: pd.Index) -> pd.Series:
    """``s``'s values under ``index`` (of its length), not copied: an extension array as it is, a
    NumPy array with its dtype given (from an array of unstated type, pandas would scan an
    object column for missing values and for dates: seconds for a large visit table)."""
    values = s.array if isinstance(s.dtype, pd.api.extensions.ExtensionDtype) else s.to_numpy()
    return pd.Series(values, index=index, dtype=s.dtype, copy=False)


def _merge(
    raw: RawTable, name: str, given: pd.Series, written: pd.Series, out: Collector
) -> pd.Series:
    """A companion column given directly and read from its main column must agree."""
    both = given.notna().to_numpy() & written.notna().to_numpy()
    differ = both.copy()
    if both.any():  # compared as Python values only where both are given (often nowhere)
        differ[both] = (given[both].astype(object) != written[both].astype(object)).to_numpy()
    main = name.removesuffix("_earliest").removesuffix("_latest")
    rule = (
        f"{name} disagrees with what {main} says"
        if name != "dose_per"
        else "dose_per disagrees with what dose_unit says"
    )
    out.add_many(raw, differ, name, rule, given)
    return given.where(given.notna(), written)


def _dose_needs_unit(
    raw: RawTable, frame: pd.DataFrame, columns: dict[str, pd.Series], out: Collector
) -> None:
    """A dose without any unit written is an error (an unreadable unit has its own)."""
    unit = frame["dose_unit"] if "dose_unit" in frame.columns else pd.Series([""] * len(frame))
    no_unit = columns["dose"].notna().to_numpy() & parsing.blank_mask(parsing.strip_text(unit))
    out.add_many(
        raw, no_unit, "dose_unit", "dose_unit is required where a dose is given", columns["dose"]
    )


def _doses_with_units(raw: RawTable, out: Collector) -> pd.DataFrame:
    """A dose written with its unit ('1 mg/kg/day') split into dose and dose_unit."""
    frame = raw.frame.copy()
    amount, unit = parsing.split_doses(frame["dose"])
    has_unit = (unit != "").to_numpy()
    if not has_unit.any():
        return raw.frame
    frame["dose"] = amount
    given = (
        parsing.strip_text(frame["dose_unit"]).astype(object).fillna("")
        if "dose_unit" in frame.columns
        else pd.Series([""] * len(frame), index=frame.index, dtype=object)
    )
    clash = has_unit & (given != "").to_numpy() & (given.str.lower() != unit.str.lower()).to_numpy()
    out.add_many(
        raw, clash, "dose_unit", "the dose is written with another unit than dose_unit", given
    )
    frame["dose_unit"] = given.where(given != "", unit)
    return frame


def check_columns(spec: TableSpec, raw: RawTable, out: Collector) -> None:
    known = set(spec.names)
    seen: set[str] = set()
    for name in raw.frame.columns:
        if name in seen:
            out.add(Problem(raw.label, 1, str(name), None, "the column appears twice; keep one"))
        seen.add(str(name))
        if name not in known:
            out.add(
                Problem(
                    raw.label,
                    1,
                    str(name),
                    None,
                    f"unknown column for table '{spec.name}'{parsing.suggest(str(name), spec.names)}",
                )
            )


def _ages(patients: pd.DataFrame, raw: RawTable) -> np.ndarray | None:
    """Each row's patients.age_at_onset (for days written as an age), when the table has ids."""
    if "patient_id" not in raw.frame.columns:
        return None
    age = dict(zip(patients["patient_id"], patients["age_at_onset"], strict=True))
    ids = parsing.strip_text(raw.frame["patient_id"]).to_numpy(dtype=object, na_value=None)
    return np.array([age.get(i) for i in ids], dtype=object)


def _prepared(name: str, spec: TableSpec, raw: RawTable | None, out: Collector) -> RawTable:
    if raw is None:
        return RawTable(
            name,
            pd.DataFrame({c: pd.Series([], dtype=object) for c in spec.names}),
            np.array([], dtype=int),
        )
    check_columns(spec, raw, out)
    if raw.frame.columns.duplicated().any():
        raw = RawTable(raw.label, raw.frame.loc[:, ~raw.frame.columns.duplicated()], raw.rows)
    return raw


def check_and_convert(
    raws: Mapping[str, RawTable], progress: Progress | None = None, *, release: bool = False
) -> tuple[dict[str, pd.DataFrame], list[Problem]]:
    """Typed contract frames for every table and the list of problems (no errors = valid).

    ``raws`` may also hold ``reference_ranges``: returned under that name, and used to give a
    lab value without its ULN the range of its patient's site and laboratory.
    ``progress('validate', done, total)`` is called after each table. ``release``: ``raws`` is
    the caller's to give up (a dict): each contract table's text is dropped from it once the
    table is typed (its label and row numbers stay), so that a large source's text is not held
    while the other tables and the rules across them are checked.
    """
    total = len(TABLES) + 2  # the tables, the reference ranges, the rules across tables
    step = progress or (lambda stage, done, total: None)
    out = Collector()
    frames: dict[str, pd.DataFrame] = {}
    if "patients" not in raws:
        out.add(
            Problem(
                "patients",
                None,
                None,
                None,
                "the patients table is required (patients.csv or a 'patients' sheet)",
            )
        )
    for name, spec in TABLES.items():
        raw = _prepared(name, spec, raws.get(name), out)
        ages = None if name == "patients" else functools.partial(_ages, frames["patients"], raw)
        frames[name] = _convert_table(spec, raw, out, ages)
        if release and name in raws:
            assert isinstance(raws, MutableMapping)
            raws[name] = RawTable(raw.label, pd.DataFrame(), raw.rows)
            del raw, ages
            # Arrow's allocator keeps freed memory for itself: handed back for the typed columns
            pa.default_memory_pool().release_unused()
        step("validate", len(frames), total)
    ranges_raw = _prepared(
        REFERENCE_RANGES.name, REFERENCE_RANGES, raws.get(REFERENCE_RANGES.name), out
    )
    ranges = _convert_table(REFERENCE_RANGES, ranges_raw, out)
    step("validate", total - 1, total)
    rows = {name: (raws[name].rows if name in raws else np.array([], dtype=int)) for name in TABLES}
    labels = {name: (raws[name].label if name in raws else name) for name in TABLES}
    cross_checks(frames, rows, labels, out)
    frames["visits"] = apply_reference_ranges(
        frames["visits"], frames["patients"], ranges, ranges_raw, out
    )
    frames["patients"] = derive_antibody(
        frames["patients"], frames["observations"], labels["patients"], rows["patients"], out
    )
    if REFERENCE_RANGES.name in raws:
        frames[REFERENCE_RANGES.name] = ranges
    if release:
        pa.default_memory_pool().release_unused()  # what the checks took, for what comes next
    step("validate", total, total)
    return frames, out.problems
