"""Where problems are collected: a table as read, and the list of its broken rules.

The readers hand over raw text frames (every cell a string, empty = unknown) together with
the name the user knows each table by (``visits.csv`` or ``book.xlsx, sheet visits``) and the
row number of each record. Every check adds a :class:`~myotrack.errors.Problem` per broken rule
to a :class:`Collector`: an error, or a warning that keeps the value.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal, TypeAlias

import numpy as np
import pandas as pd

from myotrack.errors import Problem

#: at most this many problems are listed per column and rule; the rest are counted.
MAX_PER_RULE = 50

#: ``progress(stage, done, total)``: called as a source is read ('read': files or sheets) and
#: validated ('validate': tables), e.g. to drive a progress bar; never given patient data.
Progress: TypeAlias = Callable[[str, int, int], None]


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

    def _rows(
        self,
        raw: RawTable,
        rows: np.ndarray | list[int],
        column: str | None,
        value: Callable[[int], object],
        rule: Callable[[int], str],
        more: str,
        severity: Literal["error", "warning"],
    ) -> None:
        """A problem for each of the first :data:`MAX_PER_RULE` ``rows``, then one that counts
        the rest (``more`` says what they have in common)."""
        for i in list(rows)[:MAX_PER_RULE]:
            self.problems.append(
                Problem(raw.label, int(raw.rows[i]), column, value(i), rule(i), severity)
            )
        if len(rows) > MAX_PER_RULE:
            self.problems.append(
                Problem(
                    raw.label,
                    None,
                    column,
                    None,
                    f"{len(rows) - MAX_PER_RULE} more {more}",
                    severity,
                )
            )

    def add_many(
        self,
        raw: RawTable,
        mask: np.ndarray,
        column: str | None,
        rule: str,
        values: pd.Series | None = None,
        severity: Literal["error", "warning"] = "error",
    ) -> None:
        """One problem per row of ``mask`` with the same ``rule``."""
        self._rows(
            raw,
            np.flatnonzero(mask),
            column,
            lambda i: None if values is None else plain(values.iloc[i]),
            lambda _: rule,
            f"rows break the same rule: {rule}",
            severity,
        )

    def add_rows(
        self, raw: RawTable, rows: list[int], column: str, values: pd.Series, rules: list[str]
    ) -> None:
        """One error per row of ``rows``, each with its own rule."""
        rule_of = dict(zip(rows, rules, strict=True))
        self._rows(
            raw,
            rows,
            column,
            lambda i: plain(values.iloc[i]),
            rule_of.__getitem__,
            f"rows with values not read in '{column}'",
            "error",
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
        """One problem per row of ``mask``, its rule worded for the row's value."""
        more = "rows with the same warning" if severity == "warning" else "rows with unknown values"
        self._rows(
            raw,
            np.flatnonzero(mask),
            column,
            lambda i: values.iloc[i],
            lambda i: rule(str(values.iloc[i])),
            f"{more} in '{column}'",
            severity,
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
