"""A cohort table with its numbered remarks: the result type of Table 1 and Table 2.

Remarks are the statistical caveats a reader needs under the table (small groups, missing
data, which test and why), numbered like tableone's: ``[1] ...``.
"""

from __future__ import annotations

import html
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd


@dataclass(frozen=True, eq=False)
class CohortTable:
    """``frame``: the table as text cells; ``remarks``: caveats, numbered when shown;
    ``numbers``: the same results as numbers (one row per cell or test), for programs."""

    title: str
    frame: pd.DataFrame
    remarks: tuple[str, ...] = ()
    numbers: pd.DataFrame = field(default_factory=pd.DataFrame)

    def numbered_remarks(self) -> list[str]:
        return [f"[{i}] {r}" for i, r in enumerate(self.remarks, start=1)]

    def to_html(self, table_id: str | None = None) -> str:
        """An HTML fragment: caption, table (escaped) and the remarks as a list."""
        body = self.frame.to_html(
            index=False, escape=True, na_rep="", border=0, classes="cohort-table", table_id=table_id
        )
        caption = f"<caption>{html.escape(self.title)}</caption>"
        body = body.replace(">\n  <thead>", ">\n  " + caption + "\n  <thead>", 1)
        notes = "".join(f"<li>{html.escape(r)}</li>" for r in self.numbered_remarks())
        return body + (f'\n<ul class="remarks">{notes}</ul>' if notes else "")

    def to_csv(self, path: str | Path | None = None) -> str:
        """The table as CSV (remarks as trailing comment lines starting with '#')."""
        text = self.frame.to_csv(index=False)
        text += "".join(f"# {r}\n" for r in self.numbered_remarks())
        if path is not None:
            Path(path).write_text(text, encoding="utf-8")
        return text

    def __str__(self) -> str:
        lines = [self.title, self.frame.to_string(index=False)]
        lines += self.numbered_remarks()
        return "\n".join(lines)
