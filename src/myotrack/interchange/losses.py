"""What an export could not hold: every value not written, or written differently, is listed.

An exporter returns an :class:`ExportResult` whose ``losses`` name the table, the row (by the
same key the round-trip comparison uses, :func:`myotrack.interchange.compare.row_key`), the
column, the value and why. The command line prints them; nothing is dropped silently.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

#: ``column`` of a loss that concerns the whole row (e.g. a muscle the grid has no field for).
WHOLE_ROW = "*"


@dataclass(frozen=True)
class Loss:
    """One value the target format cannot hold as written in the contract."""

    table: str
    key: tuple[str, ...]
    column: str
    value: str
    reason: str
    written_as: str | None = None  # what was written instead; None when nothing was

    def __str__(self) -> str:
        where = f"{self.table} {'/'.join(self.key)}"
        col = "the whole row" if self.column == WHOLE_ROW else self.column
        kept = "not written" if self.written_as is None else f"written as {self.written_as!r}"
        return f"{where}, {col} = {self.value!r}: {kept} ({self.reason})"


@dataclass(frozen=True)
class ExportResult:
    """The files an exporter wrote and the values it could not hold."""

    files: tuple[Path, ...]
    losses: tuple[Loss, ...]
    cells: int  # contract cells (non-empty) the export started from

    def summary(self) -> str:
        head = f"wrote {len(self.files)} file{'s' if len(self.files) != 1 else ''}"
        if not self.losses:
            return f"{head}; every one of the {self.cells} values was written"
        reasons = Counter(loss.reason for loss in self.losses)
        lines = [
            f"{head}; {len(self.losses)} of the {self.cells} values could not be held as written:"
        ]
        lines += [f"  {n} x {reason}" for reason, n in reasons.most_common()]
        return "\n".join(lines)

    def frame(self) -> pd.DataFrame:
        """The losses as a table (one row each), e.g. to write next to the export."""
        return pd.DataFrame(
            [
                {
                    "table": x.table,
                    "row": "/".join(x.key),
                    "column": x.column,
                    "value": x.value,
                    "written_as": "" if x.written_as is None else x.written_as,
                    "reason": x.reason,
                }
                for x in self.losses
            ],
            columns=["table", "row", "column", "value", "written_as", "reason"],
        )
