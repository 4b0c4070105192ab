"""Round trips: compare two datasets cell by cell, rows matched by key.

Rows are matched by a key per table (:data:`KEYS`): the patient and day for visits, the
patient, day, muscle and side for strength, the patient and the row's rank among that
patient's rows for treatments, events and observations (the order a source writes them in).
Every column of the contract in the rows of either side is one compared cell; a row on one
side only differs in every column. A ``;``-separated list (``comorbidities``) is compared as
a set of terms: its order carries no meaning in the contract.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import pandas as pd

from myotrack.interchange.losses import WHOLE_ROW, Loss
from myotrack.tables import TABLES, Dataset

#: The columns that identify a row of each table ('#' = rank among the patient's rows).
KEYS: dict[str, tuple[str, ...]] = {
    "patients": ("patient_id",),
    "visits": ("patient_id", "day"),
    "strength": ("patient_id", "day", "muscle", "side"),
}
RANK = "#"


def key_columns(table: str) -> tuple[str, ...]:
    return KEYS.get(table, ("patient_id", RANK))


def row_keys(table: str, frame: pd.DataFrame) -> list[tuple[str, ...]]:
    """The key of every row of a text frame (see :data:`KEYS`)."""
    cols = key_columns(table)
    parts = []
    for c in cols:
        if c == RANK:
            parts.append(frame.groupby("patient_id", sort=False).cumcount().add(1).astype(str))
        else:
            parts.append(frame[c].astype(str))
    return list(zip(*parts, strict=True)) if parts else []


@dataclass(frozen=True)
class Difference:
    table: str
    key: tuple[str, ...]
    column: str
    before: str
    after: str


@dataclass(frozen=True)
class RoundTrip:
    """The cells compared, how many held, and every one that did not."""

    cells: int
    filled: int  # compared cells holding a value on the first side
    differences: tuple[Difference, ...]

    @property
    def equal(self) -> int:
        return self.cells - len(self.differences)

    def uncovered(self, losses: Iterable[Loss]) -> list[Difference]:
        """Differences that no loss of the export announced (a round trip wants none)."""
        told = {(x.table, x.key, x.column) for x in losses}
        return [
            d
            for d in self.differences
            if (d.table, d.key, d.column) not in told and (d.table, d.key, WHOLE_ROW) not in told
        ]

    def summary(self) -> str:
        return (
            f"{self.cells} cells compared ({self.filled} with a value): "
            f"{self.equal} equal, {len(self.differences)} different"
        )


def _normal(table: str, column: str, value: str) -> str:
    spec = TABLES.get(table)
    if spec is not None and column in spec.names and spec.column(column).kind == "list":
        return ";".join(sorted(t for t in value.split(";") if t))
    return value


def compare(
    before: Dataset | Mapping[str, pd.DataFrame], after: Dataset | Mapping[str, pd.DataFrame]
) -> RoundTrip:
    """Compare every contract cell of two datasets (or their text frames)."""
    a = before.to_text_frames() if isinstance(before, Dataset) else before
    b = after.to_text_frames() if isinstance(after, Dataset) else after
    cells = filled = 0
    diffs: list[Difference] = []
    for table, spec in TABLES.items():
        fa, fb = a.get(table), b.get(table)
        fa = fa if fa is not None else pd.DataFrame(columns=spec.names)
        fb = fb if fb is not None else pd.DataFrame(columns=spec.names)
        ra = dict(zip(row_keys(table, fa), fa.to_dict("records"), strict=True))
        rb = dict(zip(row_keys(table, fb), fb.to_dict("records"), strict=True))
        for key in list(ra) + [k for k in rb if k not in ra]:
            x, y = ra.get(key), rb.get(key)
            cells += len(spec.names)
            filled += 0 if x is None else sum(str(x.get(c, "")) != "" for c in spec.names)
            if x is None or y is None:
                side = "after" if x is None else "before"
                diffs.append(Difference(table, key, WHOLE_ROW, side, ""))
                continue
            for col in spec.names:
                vx, vy = str(x.get(col, "")), str(y.get(col, ""))
                if _normal(table, col, vx) != _normal(table, col, vy):
                    diffs.append(Difference(table, key, col, vx, vy))
    return RoundTrip(cells, filled, tuple(dict.fromkeys(diffs)))
