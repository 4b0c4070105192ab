"""Where each contract row came from, so that problems are told in the source's own terms.

An adapter builds text frames for the contract and, for every row, an :class:`Origin`: the
file, its row (or entry) and a description of the place (REDCap: record, event, instrument
and instance; FHIR: entry, resource type and id), with the field or element each contract
column was read from. :func:`locate` rewrites the problems of
:meth:`myotrack.tables.Dataset.from_frames` with them.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from myotrack.errors import Problem


@dataclass(frozen=True)
class Origin:
    """One contract row's place in the source and the source field of each column."""

    file: str
    row: int | None
    where: str
    fields: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class SourceProblem(Problem):
    """A problem named in the source's terms and in the contract's (table.column and rule)."""

    where: str = ""
    source_field: str = ""
    target: str = ""

    def __str__(self) -> str:
        text = self.file
        if self.row is not None:
            text += f", row {self.row}"
        if self.where:
            text += f": {self.where}"
        if self.source_field:
            text += f", field '{self.source_field}'"
        if self.target:
            text += f" ({self.target})"
        if self.value is not None and self.value != "":
            text += f": value {self.value!r}"
        return f"{text}: {self.rule}"


def located(origin: Origin, target: str, value: object, rule: str, field_name: str = "") -> Problem:
    """A problem at one origin, for rules the adapter checks itself (before the contract)."""
    return SourceProblem(
        origin.file,
        origin.row,
        target,
        value,
        rule,
        where=origin.where,
        source_field=field_name or origin.fields.get(target.split(".")[-1], ""),
        target=target,
    )


def locate(
    problems: Iterable[Problem], name: str, origins: Mapping[str, Sequence[Origin]]
) -> list[Problem]:
    """The contract's problems (files named ``<name>: <table>``) placed at their origins."""
    out: list[Problem] = []
    prefix = f"{name}: "
    for p in problems:
        table = p.file[len(prefix) :] if p.file.startswith(prefix) else ""
        rows = origins.get(table)
        if rows is None:
            out.append(p)
            continue
        target = f"{table}.{p.column}" if p.column else table
        if p.row is None or not 0 <= p.row - 2 < len(rows):
            out.append(
                SourceProblem(
                    rows[0].file if rows else name,
                    None,
                    p.column,
                    p.value,
                    p.rule,
                    p.severity,
                    target=target,
                )
            )
            continue
        origin = rows[p.row - 2]
        out.append(
            SourceProblem(
                origin.file,
                origin.row,
                p.column,
                p.value,
                p.rule,
                p.severity,
                where=origin.where,
                source_field=origin.fields.get(p.column or "", ""),
                target=target,
            )
        )
    return out
