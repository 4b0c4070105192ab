"""Assembling generated columns into the typed frames of the five-table contract.

The generator produces values that are valid by construction, so it builds the typed frames
that :func:`myotrack.tables.read_source` would produce directly, instead of writing every cell
as text and parsing it back (which would dominate the time for millions of visits). The tests
check that the result equals :meth:`Dataset.from_frames` of the same frames and that a written
copy passes validation.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from myotrack.tables.dataset import Dataset
from myotrack.tables.schema import TABLES, Column

Block = dict[str, NDArray[np.generic]]


def block(idx: NDArray[np.int64], **columns: object) -> Block:
    """Rows for patients ``idx``: array values are per patient (picked), scalars repeated."""
    out: Block = {"_p": idx}
    for name, x in columns.items():
        if isinstance(x, np.ndarray):
            out[name] = x[idx]
        elif isinstance(x, str):
            out[name] = np.full(len(idx), x or None, dtype=object)  # '' is unknown: None
        else:
            out[name] = np.full(len(idx), x, dtype=np.float64)
    return out


def stack(blocks: Sequence[Block], columns: Sequence[str], order: str) -> pd.DataFrame:
    """Concatenate blocks column by column, sorted by patient then ``order`` (stable)."""
    data = {c: np.concatenate([b[c] for b in blocks]) for c in ("_p", *columns)}
    keys = np.lexsort((data[order].astype(np.float64), data["_p"]))
    return pd.DataFrame({c: data[c][keys] for c in columns})


def _typed(col: Column, values: pd.Series | None, n: int) -> object:
    if col.kind in ("int", "float", "day", "lab"):
        if values is None:
            return (
                pd.array(np.full(n, np.nan), dtype="Int64") if col.integer else np.full(n, np.nan)
            )
        if col.integer:
            if pd.api.types.is_integer_dtype(values.dtype) and not values.hasnans:
                data = values.to_numpy(dtype=np.int64)
                return pd.arrays.IntegerArray(data, np.zeros(n, dtype=bool))
            return pd.to_numeric(values, errors="raise").astype("float64").round().astype("Int64")
        return pd.to_numeric(values, errors="raise").to_numpy(dtype=np.float64)
    # generated text columns hold str or None (never '' or NaN): nothing to convert
    return np.full(n, None, dtype=object) if values is None else values.to_numpy(dtype=object)


def typed_frame(table: str, frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` with every contract column of ``table`` in the reader's order and types."""
    spec = TABLES[table]
    n = len(frame)
    cols: dict[str, object] = {}
    companions: dict[str, object] = {}
    for col in spec.columns:
        values = frame[col.name].reset_index(drop=True) if col.name in frame.columns else None
        cols[col.name] = _typed(col, values, n)
        if col.kind == "lab":  # generated values are exact: no bound, no qualitative state
            companions[f"{col.name}_bound"] = np.full(n, "", dtype=object)
            companions[f"{col.name}_state"] = np.full(n, "", dtype=object)
    cols.update(companions)
    if table == "strength":
        from myotrack.synth.strength import derived_grades

        cols.update(derived_grades(frame["grade"]))
        if not n:  # as the reader types an empty column (to_numeric of nothing)
            cols["grade_value"] = pd.to_numeric(pd.Series([], dtype=object)).to_numpy()
    return pd.DataFrame(cols, index=pd.RangeIndex(n), copy=False)


def typed_dataset(frames: Mapping[str, pd.DataFrame], name: str) -> Dataset:
    """A Dataset of generated frames, typed as the readers type them (no text round trip)."""
    return Dataset(**{t: typed_frame(t, frames.get(t, pd.DataFrame())) for t in TABLES}, name=name)
