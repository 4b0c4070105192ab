"""Typed errors of myotrack.

Library code raises these; the command line prints them as one-line messages (exit code 1)
and the web shows them per field. None of them carries a traceback to the user.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal


class MyotrackError(Exception):
    """Base class of every error a user can cause and fix."""


@dataclass(frozen=True)
class Problem:
    """One rule broken by one value: where it is, what it is, and which rule it breaks.

    ``row`` is the 1-based row number as the user sees it in the file: for a CSV file or an
    Excel sheet with a header, the first data row is row 2. An *error* rejects the whole
    source; a *warning* marks input that is unusual but meaningful and was kept.
    """

    file: str
    row: int | None
    column: str | None
    value: object
    rule: str
    severity: Literal["error", "warning"] = "error"

    @property
    def is_warning(self) -> bool:
        """A warning keeps the value (its rule says what was kept); it never blocks a source."""
        return self.severity == "warning"

    def __str__(self) -> str:
        where = self.file
        if self.row is not None:
            where += f", row {self.row}"
        if self.column:
            where += f", column '{self.column}'"
        shown = "" if self.value is None or self.value == "" else f": value {self.value!r}"
        return f"{where}{shown}: {self.rule}"


class InvalidData(MyotrackError):
    """A source broke one or more rules. Nothing from it was used or saved."""

    def __init__(self, problems: Iterable[Problem]):
        self.problems: list[Problem] = [p for p in problems if not p.is_warning]
        count = len(self.problems)
        head = f"{count} problem{'s' if count != 1 else ''} found; nothing was imported"
        super().__init__(head + "\n" + "\n".join(f"  - {p}" for p in self.problems))


class SourceNotFound(MyotrackError):
    """The path given as a source does not exist or is not a CSV folder or Excel workbook."""


class UnknownCriterion(MyotrackError):
    """A criterion id that myotrack does not know."""


class UnknownColumn(MyotrackError):
    """A column asked for (e.g. as a grouping) that the data do not have."""
