"""Where problems are collected: a table as read, and the list of its broken rules.

The readers hand over raw text frames (every cell a string, empty = unknown) together with
the name the user knows each table by (``visits.csv`` or ``book.xlsx, sheet visits``) and the
row number of each record. Every check adds a :class:`~myotrack.errors.Problem` per broken rule
to a :class:`Collector`: an error, or a warning that keeps the value.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd

from myotrack.errors import Problem

#: at most this many problems are listed per column and rule; the rest are counted.
MAX_PER_RULE = 50


@dataclass(frozen=True)
class RawTable:
    """A table as read: text cells, the user-facing file label and the row numbers."""

    label: str
    frame: pd.DataFrame  # every column text: str objects or Arrow strings ('' = empty)
    rows: np.ndarray  # user-facing row number of each record


class Collector:
    """Every problem of one source, in the order the checks found them."""

    def __init__(self) -> None:
        self.problems: list[Problem] = []

    def add_many(
        self,
        raw: RawTable,
        mask: np.ndarray,
        column: str | None,
        rule: str,
        values: pd.Series | None = None,
        severity: Literal["error", "warning"] = "error",
    ) -> None:
        """One problem per row of ``mask`` (at most :data:`MAX_PER_RULE`), then a count."""
        idx = np.flatnonzero(mask)
        if idx.size == 0:
            return
        for i in idx[:MAX_PER_RULE]:
            value = None if values is None else plain(values.iloc[i])
            self.problems.append(
                Problem(raw.label, int(raw.rows[i]), column, value, rule, severity)
            )
        if idx.size > MAX_PER_RULE:
            self.problems.append(
                Problem(
                    raw.label,
                    None,
                    column,
                    None,
                    f"{idx.size - MAX_PER_RULE} more rows break the same rule: {rule}",
                    severity,
                )
            )

    def add_rows(
        self,
        raw: RawTable,
        rows: list[int],
        column: str,
        values: pd.Series,
        rules: list[str],
    ) -> None:
        """One error per row of ``rows`` with its own rule (at most :data:`MAX_PER_RULE`)."""
        for i, rule in list(zip(rows, rules, strict=True))[:MAX_PER_RULE]:
            self.problems.append(
                Problem(raw.label, int(raw.rows[i]), column, plain(values.iloc[i]), rule)
            )
        if len(rows) > MAX_PER_RULE:
            self.problems.append(
                Problem(
                    raw.label,
                    None,
                    column,
                    None,
                    f"{len(rows) - MAX_PER_RULE} more rows with values not read in '{column}'",
                )
            )

    def add(self, problem: Problem) -> None:
        self.problems.append(problem)

    def add_each(
        self,
        raw: RawTable,
        mask: np.ndarray,
        column: str,
        values: pd.Series,
        rule: Callable[[str], str],
        severity: Literal["error", "warning"] = "error",
    ) -> None:
        """One problem per bad row (rule worded per value), then a count of the rows not listed."""
        idx = np.flatnonzero(mask)
        for i in idx[:MAX_PER_RULE]:
            value = values.iloc[i]
            self.problems.append(
                Problem(raw.label, int(raw.rows[i]), column, value, rule(str(value)), severity)
            )
        if idx.size > MAX_PER_RULE:
            more = (
                "rows with the same warning"
                if severity == "warning"
                else "rows with unknown values"
            )
            self.problems.append(
                Problem(
                    raw.label,
                    None,
                    column,
                    None,
                    f"{idx.size - MAX_PER_RULE} more {more} in '{column}'",
                    severity,
                )
            )


def plain(value: object) -> object:
    """A cell value as the user wrote it: text, or a plain int/float, never a numpy scalar."""
    if value is None or value is pd.NA or (isinstance(value, float) and np.isnan(value)):
        return None
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.floating):
        return int(value) if float(value).is_integer() else float(value)
    return value
