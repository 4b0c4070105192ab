"""The five tables of one source, validated and typed."""

from __future__ import annotations

from collections.abc import Iterable, MutableMapping
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa

from myotrack.errors import InvalidData, Problem
from myotrack.tables.problems import Progress
from myotrack.tables.schema import REFERENCE_RANGES, TABLES
from myotrack.tables.validate import DERIVED_STRENGTH, RawTable, check_and_convert

__all__ = ["DERIVED_STRENGTH", "Dataset", "build", "to_text"]


@dataclass(frozen=True)
class Dataset:
    """The contract tables of one source: patients, visits, strength, treatments, events and
    observations, with the source's reference ranges when it has them.

    Every contract column is present; drugs and muscles carry their canonical names (an unknown
    term is kept as written, and ``warnings`` says so); the strength table also has the derived
    grade columns (:data:`DERIVED_STRENGTH`), and every enzyme of the visit table its
    ``_bound`` and ``_state``. Build one with :func:`myotrack.tables.read_source` or
    :meth:`Dataset.from_frames`; both validate, and :meth:`subset` and :meth:`concat` keep the
    rules, so a Dataset is always valid.
    """

    patients: pd.DataFrame
    visits: pd.DataFrame
    strength: pd.DataFrame
    treatments: pd.DataFrame
    events: pd.DataFrame
    observations: pd.DataFrame
    name: str = "data"
    warnings: tuple[Problem, ...] = ()
    reference_ranges: pd.DataFrame | None = None

    def table(self, name: str) -> pd.DataFrame:
        frame: pd.DataFrame = getattr(self, name)
        return frame

    @property
    def patient_ids(self) -> list[str]:
        return [str(p) for p in self.patients["patient_id"]]

    def subset(self, patient_ids: str | Iterable[str]) -> Dataset:
        """The same source restricted to some patients (order of the patients table kept).

        ``patient_ids`` is one id or several; an id that is not in the source is an error.
        """
        wanted = {patient_ids} if isinstance(patient_ids, str) else set(patient_ids)
        unknown = wanted - set(self.patients["patient_id"])
        if unknown:
            shown = ", ".join(repr(u) for u in sorted(map(str, unknown))[:5])
            raise KeyError(f"not a patient of {self.name}: {shown}")
        parts = {
            n: self.table(n)[self.table(n)["patient_id"].isin(wanted)].reset_index(drop=True)
            for n in TABLES
        }
        return Dataset(
            **parts,
            name=self.name,
            warnings=self.warnings,
            reference_ranges=self.reference_ranges,
        )

    @staticmethod
    def concat(datasets: Iterable[Dataset], name: str = "data") -> Dataset:
        """One dataset of several; a patient id in two of them is an error (InvalidData)."""
        items = list(datasets)
        ids = pd.concat([d.patients["patient_id"] for d in items], ignore_index=True)
        twice = sorted(set(ids[ids.duplicated()]))
        if twice:
            raise InvalidData(
                [
                    Problem(name, None, "patient_id", p, "the same patient_id in two sources")
                    for p in twice
                ]
            )
        parts = {n: pd.concat([d.table(n) for d in items], ignore_index=True) for n in TABLES}
        ranges = [d.reference_ranges for d in items if d.reference_ranges is not None]
        return Dataset(
            **parts,
            name=name,
            warnings=tuple(w for d in items for w in d.warnings),
            reference_ranges=pd.concat(ranges, ignore_index=True) if ranges else None,
        )

    @classmethod
    def from_frames(cls, name: str = "data", **frames: pd.DataFrame | None) -> Dataset:
        """Validate in-memory frames (any cell types) exactly as the file readers do.

        Problems name the table as ``<name>: <table>`` and rows as 1-based record numbers + 1
        (as if the frame were a CSV file with a header line).
        """
        raws: dict[str, RawTable] = {}
        for table, frame in frames.items():
            if frame is None:
                continue
            if table not in TABLES and table != REFERENCE_RANGES.name:
                raise ValueError(f"unknown table {table!r}")
            raws[table] = RawTable(
                f"{name}: {table}",
                arrow_text(frame.reset_index(drop=True)),
                np.arange(2, len(frame) + 2),
            )
        return build(raws, name)

    def to_text_frames(self) -> dict[str, pd.DataFrame]:
        """The tables as written to files: contract columns only, lab values as written
        (with their bound, or their word), and the reference ranges when the source has them."""
        out: dict[str, pd.DataFrame] = {}
        specs = list(TABLES.values())
        frames = {n: self.table(n) for n in TABLES}
        if self.reference_ranges is not None:
            specs.append(REFERENCE_RANGES)
            frames[REFERENCE_RANGES.name] = self.reference_ranges
        for spec in specs:
            f = frames[spec.name]
            cols = {}
            for col in spec.columns:
                c = col.name
                s = f[c] if c in f.columns else pd.Series([None] * len(f), dtype=object)
                txt = _fmt(s)
                if col.kind == "lab":
                    bound = f[f"{c}_bound"].fillna("") if f"{c}_bound" in f.columns else ""
                    state = f[f"{c}_state"].fillna("") if f"{c}_state" in f.columns else ""
                    txt = (bound + txt).where(txt != "", state)
                cols[c] = txt
            out[spec.name] = pd.DataFrame(cols)
        return out


def arrow_text(frame: pd.DataFrame) -> pd.DataFrame:
    """The columns of Python text (str or missing in every cell) as Arrow text, as the file
    readers give them; any other column as it is.

    The converters read Arrow text without a Python object per cell, and would each convert
    a column of str objects again (a form's or a registry patient's few rows paid that fixed
    cost per column and rule, for every table)."""
    if frame.columns.duplicated().any():  # the converters name the column twice as it is
        return frame
    columns = {}
    for name in frame.columns:
        column = frame[name]
        if column.dtype == object and pd.api.types.infer_dtype(column, skipna=True) in (
            "string",
            "empty",
        ):
            column = pd.Series(
                pd.arrays.ArrowStringArray(
                    pa.array(column.to_numpy(), pa.large_string(), from_pandas=True)
                ),
                index=column.index,
            )
        columns[name] = column
    return pd.DataFrame(columns, index=frame.index, copy=False)


def object_array(values: list[str]) -> np.ndarray:
    """A list as a NumPy array of objects (without pandas' slower conversion of a list)."""
    return np.fromiter(values, dtype=object, count=len(values))


def _fmt(s: pd.Series) -> pd.Series:
    if pd.api.types.is_float_dtype(s.dtype):
        # plain floats (not NumPy scalars, which are slow one by one); NaN is not equal to itself
        vals = s.to_numpy(dtype=float, na_value=np.nan).tolist()
        text = [("" if x != x else (str(int(x)) if x.is_integer() else repr(x))) for x in vals]
        return pd.Series(object_array(text), index=s.index, dtype=object)
    return s.astype(object).where(s.notna(), "").astype(str)


def to_text(frame: pd.DataFrame) -> pd.DataFrame:
    """Every cell as text ('' for missing), numbers without a spurious '.0'."""
    return pd.DataFrame({str(c): _fmt(frame[c]) for c in frame.columns}, index=range(len(frame)))


def build(
    raws: MutableMapping[str, RawTable], name: str, progress: Progress | None = None
) -> Dataset:
    """The Dataset of ``raws`` (given up: their text is dropped as each table is typed)."""
    frames, problems = check_and_convert(raws, progress, release=True)
    if any(not p.is_warning for p in problems):
        raise InvalidData(problems)
    ranges = frames.pop(REFERENCE_RANGES.name, None)
    return Dataset(**frames, name=name, warnings=tuple(problems), reference_ranges=ranges)
