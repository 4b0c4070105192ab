"""Readable terminal tables for the command line (rich)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import ClassVar

import pandas as pd
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)
from rich.table import Table

_STYLE = {"yes": "green", "no": "red", "not_evaluable": "yellow", "n.e.": "yellow"}

#: Short column headings for the readable outcomes table (the CSV/JSON keep the criterion ids).
SHORT = {
    "refractory": "refract.",
    "definite_response": "def.resp",
    "rtx_response": "rtx.resp",
    "favourable_recovery_6m": "fav.6m",
    "favourable_recovery_12m": "fav.12m",
    "relapse": "relapse",
    "complete_remission": "remission",
    "full_strength_3m": "full.3m",
    "full_strength_6m": "full.6m",
    "full_strength_12m": "full.12m",
    "full_strength_last": "full.last",
    "ck_normalisation": "ck.norm",
    "tis": "tis",
    "imacs_doi": "imacs",
}


def outcomes_table(frame: pd.DataFrame, title: str) -> Table:
    """The outcomes table for a terminal: short headings, 'n.e.' for not evaluable, a legend."""
    shown = frame.rename(columns=SHORT).replace("not_evaluable", "n.e.")
    table = render_frame(shown, title=title)
    legend = ", ".join(f"{v} = {k}" for k, v in SHORT.items() if k in frame.columns and v != k)
    note = "n.e. = not evaluable (reasons: --format csv or --details)"
    table.caption = (
        (table.caption + "; " if table.caption else "") + note + (f"\n{legend}" if legend else "")
    )
    return table


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


class Steps:
    """Progress of a long command on the terminal's stderr: reading, validating, evaluating.

    Shown only when ``enabled`` (stderr is a terminal and ``--quiet`` was not given); the
    bars go away when the command is done, so nothing is left in the terminal but the result.
    ``update`` is the ``progress(stage, done, total)`` callback of
    :func:`myotrack.tables.read_source`.
    """

    LABELS: ClassVar[dict[str, str]] = {"read": "reading files", "validate": "validating tables"}

    def __init__(self, console: Console, enabled: bool) -> None:
        self.bar: Progress | None = None
        if enabled:
            self.bar = Progress(
                SpinnerColumn(),
                TextColumn("{task.description}"),
                BarColumn(),
                MofNCompleteColumn(),
                TimeElapsedColumn(),
                console=console,
                transient=True,
            )
        self.tasks: dict[str, TaskID] = {}

    def __enter__(self) -> Steps:
        if self.bar is not None:
            self.bar.start()
        return self

    def __exit__(self, *exc: object) -> None:
        if self.bar is not None:
            self.bar.stop()

    def update(self, stage: str, done: int, total: int) -> None:
        if self.bar is None:
            return
        if stage not in self.tasks:
            self.tasks[stage] = self.bar.add_task(self.LABELS.get(stage, stage), total=total)
        self.bar.update(self.tasks[stage], completed=done, total=total)

    @contextmanager
    def working(self, description: str) -> Iterator[None]:
        """A step whose length is not known beforehand (a spinner and the time it has taken)."""
        if self.bar is None:
            yield
            return
        task = self.bar.add_task(description, total=None)
        try:
            yield
        finally:
            self.bar.update(task, total=1, completed=1)
