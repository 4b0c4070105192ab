"""The five tables of one source, validated and typed."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from myotrack.errors import InvalidData, Problem
from myotrack.tables.schema import CK_BOUND, TABLES
from myotrack.tables.validate import RawTable, check_and_convert

DERIVED_STRENGTH = ("grade_whole", "grade_kendall", "grade_value")


@dataclass(frozen=True)
class Dataset:
    """Patients, visits, strength, treatments and events of one source.

    Every contract column is present; drugs and muscles carry their canonical names; the
    strength table also has ``grade_whole``, ``grade_kendall`` and ``grade_value``, and the visit
    table ``ck_bound``. Build one with :func:`myotrack.tables.read_source` or
    :meth:`Dataset.from_frames`; both validate, so a Dataset is always valid.
    """

    patients: pd.DataFrame
    visits: pd.DataFrame
    strength: pd.DataFrame
    treatments: pd.DataFrame
    events: pd.DataFrame
    observations: pd.DataFrame
    name: str = "data"
    warnings: tuple[Problem, ...] = ()

    def table(self, name: str) -> pd.DataFrame:
        frame: pd.DataFrame = getattr(self, name)
        return frame

    @property
    def patient_ids(self) -> list[str]:
        return [str(p) for p in self.patients["patient_id"]]

    def subset(self, patient_ids: Iterable[str]) -> Dataset:
        """The same source restricted to some patients (order of the patients table kept)."""
        wanted = set(patient_ids)
        parts = {
            n: self.table(n)[self.table(n)["patient_id"].isin(wanted)].reset_index(drop=True)
            for n in TABLES
        }
        return Dataset(**parts, name=self.name)

    @staticmethod
    def concat(datasets: Iterable[Dataset], name: str = "data") -> Dataset:
        items = list(datasets)
        parts = {n: pd.concat([d.table(n) for d in items], ignore_index=True) for n in TABLES}
        return Dataset(**parts, name=name)

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
            if table not in TABLES:
                raise ValueError(f"unknown table {table!r}")
            raws[table] = RawTable(
                f"{name}: {table}", frame.reset_index(drop=True), np.arange(2, len(frame) + 2)
            )
        return build(raws, name)

    def to_text_frames(self) -> dict[str, pd.DataFrame]:
        """The five tables as written to files: contract columns only, CK with its bound."""
        out: dict[str, pd.DataFrame] = {}
        for n, spec in TABLES.items():
            f = self.table(n)
            cols = {}
            for c in spec.names:
                s = f[c] if c in f.columns else pd.Series([None] * len(f), dtype=object)
                if n == "visits" and c == "ck":
                    txt = _fmt(s)
                    b = f[CK_BOUND].fillna("") if CK_BOUND in f.columns else ""
                    txt = (b + txt).where(txt != "", "")
                    cols[c] = txt
                else:
                    cols[c] = _fmt(s)
            out[n] = pd.DataFrame(cols)
        return out


def _fmt(s: pd.Series) -> pd.Series:
    if pd.api.types.is_float_dtype(s.dtype):
        vals = s.to_numpy(dtype=float, na_value=np.nan)
        text = [
            ("" if np.isnan(x) else (str(int(x)) if float(x).is_integer() else repr(float(x))))
            for x in vals
        ]
        return pd.Series(text, index=s.index, dtype=object)
    return s.astype(object).where(s.notna(), "").astype(str)


def to_text(frame: pd.DataFrame) -> pd.DataFrame:
    """Every cell as text ('' for missing), numbers without a spurious '.0'."""
    return pd.DataFrame({str(c): _fmt(frame[c]) for c in frame.columns}, index=range(len(frame)))


def build(raws: Mapping[str, RawTable], name: str) -> Dataset:
    frames, problems = check_and_convert(raws)
    if any(not p.is_warning for p in problems):
        raise InvalidData(problems)
    return Dataset(**frames, name=name, warnings=tuple(problems))
