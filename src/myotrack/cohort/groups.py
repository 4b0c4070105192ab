"""Splitting patients into the groups of a table: by a patient variable or an outcome.

An outcome column (``yes`` / ``no`` / ``not_evaluable``) groups 'no' before 'yes', as 004
Table 2 puts unfavourable before favourable recovery. Patients without a value and patients
'not_evaluable' for the outcome are left out of the groups and counted in a remark.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass

import pandas as pd

from myotrack.errors import UnknownColumn

NOT_EVALUABLE = "not_evaluable"
#: Groups smaller than this get a remark: exact tests have little power with so few patients.
SMALL_GROUP = 10


@dataclass(frozen=True)
class Grouping:
    column: str
    levels: tuple[str, ...]
    sizes: tuple[int, ...]
    not_evaluable: int
    unknown: int

    def remarks(self, label: str) -> list[str]:
        out = []
        if self.not_evaluable:
            out.append(
                f"{self.not_evaluable} patient{'s' if self.not_evaluable != 1 else ''} not evaluable for "
                f"'{label}' {'are' if self.not_evaluable != 1 else 'is'} left out of the group columns and tests "
                "(see each patient's reason in the outcomes)."
            )
        if self.unknown:
            out.append(
                f"{self.unknown} patient{'s' if self.unknown != 1 else ''} with no value of '{label}' "
                f"{'are' if self.unknown != 1 else 'is'} left out of the group columns and tests."
            )
        small = [
            f"{lvl} (n={n})"
            for lvl, n in zip(self.levels, self.sizes, strict=True)
            if n < SMALL_GROUP
        ]
        if small:
            out.append(
                "Small groups: "
                + ", ".join(small)
                + "; exact tests are used, but they have little "
                "power to show a difference and a p value above 0.05 is not evidence of no difference."
            )
        return out


def require_columns(frame: pd.DataFrame, columns: list[str] | tuple[str, ...]) -> None:
    """Raise UnknownColumn naming the missing columns, the closest known names and all of them."""
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        names = sorted(str(c) for c in frame.columns if "__" not in str(c))
        close = sorted(
            {m for c in missing for m in difflib.get_close_matches(c, names, n=3, cutoff=0.6)}
        )
        hint = f"; did you mean {' or '.join(repr(c) for c in close)}?" if close else "."
        raise UnknownColumn(
            f"unknown column {', '.join(repr(m) for m in missing)}{hint} Known columns: {', '.join(names)}"
        )


def as_text(series: pd.Series) -> pd.Series:
    """Group values as text ('' and NaN become missing; 2.0 becomes '2')."""

    def one(v: object) -> object:
        if v is None or v is pd.NA or (isinstance(v, float) and pd.isna(v)):
            return None
        if isinstance(v, float) and v.is_integer():
            return str(int(v))
        text = str(v).strip()
        return text or None

    return series.map(one).astype(object)


def split(frame: pd.DataFrame, column: str) -> tuple[pd.Series, Grouping]:
    """The group of each patient (None when left out) and the description of the grouping."""
    require_columns(frame, [column])
    values = as_text(frame[column])
    ne = int((values == NOT_EVALUABLE).sum())
    unknown = int(values.isna().sum())
    kept = values.where(values != NOT_EVALUABLE, None)
    present = [str(v) for v in pd.unique(kept.dropna())]
    levels: tuple[str, ...]
    if set(present) <= {"yes", "no"}:
        levels = tuple(v for v in ("no", "yes") if v in present)
    else:
        levels = tuple(sorted(present))
    sizes = tuple(int((kept == lvl).sum()) for lvl in levels)
    return kept, Grouping(column, levels, sizes, ne, unknown)
