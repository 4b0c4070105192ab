"""Readable terminal tables for the command line (rich)."""

from __future__ import annotations

import pandas as pd
from rich.table import Table

_STYLE = {"yes": "green", "no": "red", "not_evaluable": "yellow"}


def render_frame(frame: pd.DataFrame, title: str | None = None, max_rows: int = 500) -> Table:
    """A rich Table of a frame; yes/no/not_evaluable coloured; long frames cut with a note."""
    table = Table(title=title, show_lines=False, header_style="bold")
    for c in frame.columns:
        table.add_column(str(c), overflow="fold")
    for _, row in frame.head(max_rows).iterrows():
        cells = []
        for v in row:
            text = (
                "" if v is None or (isinstance(v, float) and pd.isna(v)) or v is pd.NA else str(v)
            )
            style = _STYLE.get(text)
            cells.append(f"[{style}]{text}[/{style}]" if style else text.replace("[", r"\["))
        table.add_row(*cells)
    if len(frame) > max_rows:
        table.caption = f"{len(frame) - max_rows} more rows; use --format csv for all of them"
    return table
