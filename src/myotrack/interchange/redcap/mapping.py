"""How a REDCap project's fields and choice codes become contract columns and values.

A mapping names, for each field that carries contract data, the column(s) it fills
(``to = "visits.ck"``), its part (``value``; ``qualifier`` for a lab value's bound or
qualitative result; ``other`` for the free text beside a choice), its choices as
``code = contract value`` (an empty value: 'see the other field'), and for the per-muscle
grades the muscle and side. A field holding a date (``date = true``) gives days since the
record's index date (``[record] index_date``). ``[constants]`` fills a column for every row.

myotrack's own project needs no mapping file: :func:`from_dictionary` reads it from the
fields' annotations. For an existing project the mapping is a TOML file
(:func:`load_mapping`); ``myotrack redcap map DICT.csv --suggest`` writes a first one.

Example (an existing project)::

    [record]
    id = "study_id"
    index_date = "onset_date"

    [constants]
    "patients.site" = "lyon"

    [fields.gender]
    to = "patients.sex"
    choices = { "1" = "F", "2" = "M" }

    [fields.visit_date]
    to = ["visits.day", "strength.day"]
    date = true

    [fields.deltoid_r]
    to = "strength.grade"
    muscle = "shoulder_abductors"
    side = "right"
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from myotrack.errors import InvalidData, Problem, SourceNotFound
from myotrack.interchange.redcap.dictionary import Field
from myotrack.interchange.redcap.project import ANNOTATION, OTHER_LABEL, RECORD_ID
from myotrack.tables import TABLES

Part = Literal["value", "qualifier", "other"]
PARTS: tuple[str, ...] = ("value", "qualifier", "other")


@dataclass(frozen=True)
class FieldMap:
    """One REDCap field and the contract column(s) it fills."""

    field: str
    targets: tuple[str, ...]  # "table.column"
    part: Part = "value"
    choices: Mapping[str, str] | None = None  # code -> contract value; None: the label or raw value
    muscle: str | None = None
    side: str | None = None  # '' = not stated
    date: bool = False

    @property
    def tables(self) -> tuple[str, ...]:
        return tuple(t.split(".")[0] for t in self.targets)


@dataclass(frozen=True)
class RedcapMapping:
    record_id: str
    fields: tuple[FieldMap, ...]
    index_date: str | None = None
    constants: Mapping[str, str] = field(default_factory=dict)

    def by_field(self) -> dict[str, FieldMap]:
        return {f.field: f for f in self.fields}


def _label_value(label: str) -> str:
    return "" if label == OTHER_LABEL else label


def from_dictionary(fields: Sequence[Field]) -> RedcapMapping | None:
    """The mapping of a project built by myotrack (its annotations), or None if it is not one."""
    maps = []
    record_id = fields[0].name if fields else RECORD_ID
    for f in fields:
        text = f.annotation.strip()
        if not text.startswith(ANNOTATION):
            continue
        tokens = text[len(ANNOTATION) :].split()
        if not tokens:
            continue
        targets = tuple(t for t in tokens[0].split(",") if t)
        extra = dict(t.partition("=")[::2] for t in tokens[1:] if "=" in t)
        if targets == ("patients.patient_id",):
            record_id = f.name
            continue
        choices = (
            {code: _label_value(label) for code, label in f.choice_list()}
            if f.type in ("dropdown", "radio", "checkbox")
            else None
        )
        side = extra.get("side")
        maps.append(
            FieldMap(
                f.name,
                targets,
                part=extra.get("part", "value"),  # type: ignore[arg-type]
                choices=choices,
                muscle=extra.get("muscle"),
                side="" if side == "none" else side,
            )
        )
    if not maps:
        return None
    return RedcapMapping(record_id, tuple(maps))


def _problem(label: str, where: str, rule: str) -> Problem:
    return Problem(label, None, where, None, rule)


def load_mapping(path: str | Path) -> RedcapMapping:
    """Read a TOML mapping; InvalidData names every entry that is not understood."""
    p = Path(path)
    if not p.is_file():
        raise SourceNotFound(f"{p}: no such mapping file")
    try:
        data = tomllib.loads(p.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as err:
        raise InvalidData([_problem(p.name, "", f"not a readable TOML file ({err})")]) from err
    return parse_mapping(data, p.name)


def parse_mapping(data: Mapping[str, object], label: str = "mapping") -> RedcapMapping:
    problems: list[Problem] = []
    record = data.get("record", {})
    record = record if isinstance(record, dict) else {}
    record_id = str(record.get("id", "")).strip()
    if not record_id:
        problems.append(
            _problem(label, "record.id", 'name the record id field: [record] id = "..."')
        )
    index_date = str(record.get("index_date", "")).strip() or None
    constants: dict[str, str] = {}
    raw_constants = data.get("constants", {})
    for target, value in raw_constants.items() if isinstance(raw_constants, dict) else []:
        if _bad_target(target):
            problems.append(_problem(label, f"constants.{target}", _bad_target(target)))
        constants[target] = str(value)
    maps = []
    raw_fields = data.get("fields", {})
    for name, spec in raw_fields.items() if isinstance(raw_fields, dict) else []:
        where = f"fields.{name}"
        if not isinstance(spec, dict):
            problems.append(
                _problem(label, where, 'each field is a table: [fields.NAME] to = "table.column"')
            )
            continue
        to = spec.get("to", ())
        targets = (to,) if isinstance(to, str) else tuple(str(t) for t in to)  # type: ignore[union-attr]
        if not targets:
            problems.append(
                _problem(label, where, 'say which column it fills: to = "table.column"')
            )
        for t in targets:
            if _bad_target(t):
                problems.append(_problem(label, where, _bad_target(t)))
        part = str(spec.get("part", "value"))
        if part not in PARTS:
            problems.append(_problem(label, where, f"part must be one of: {', '.join(PARTS)}"))
        choices = spec.get("choices")
        if choices is not None and not isinstance(choices, dict):
            problems.append(_problem(label, where, 'choices is a table: { "1" = "F", ... }'))
            choices = None
        side = spec.get("side")
        maps.append(
            FieldMap(
                str(name),
                targets,
                part=part,  # type: ignore[arg-type]
                choices={str(k): str(v) for k, v in choices.items()} if choices else None,
                muscle=str(spec["muscle"]) if "muscle" in spec else None,
                side=None if side is None else ("" if side in ("", "none") else str(side)),
                date=bool(spec.get("date", False)),
            )
        )
    if problems:
        raise InvalidData(problems)
    return RedcapMapping(record_id, tuple(maps), index_date, constants)


def _bad_target(target: str) -> str:
    table, _, column = target.partition(".")
    if table not in TABLES:
        return f"unknown table '{table}' in '{target}'; tables are {', '.join(TABLES)}"
    if column not in TABLES[table].names:
        return f"'{column}' is not a column of {table}"
    return ""


def _toml_str(s: str) -> str:
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def dump_mapping(
    mapping: RedcapMapping,
    comments: Mapping[str, str] | None = None,
    unmapped: Sequence[tuple[str, str]] = (),
) -> str:
    """The mapping as TOML, with a comment per field (why it was suggested) and the unmapped."""
    comments = comments or {}
    lines = [
        "# myotrack mapping: REDCap fields and choice codes -> contract columns and values.",
        "# Review every entry; see docs/interchange.md. Read with:",
        "#   myotrack export FOLDER --format csv -o out  (FOLDER: redcap_dictionary.csv,",
        "#   redcap_records.csv and this file as redcap_mapping.toml)",
        "",
        "[record]",
        f"id = {_toml_str(mapping.record_id)}",
    ]
    if mapping.index_date:
        lines.append(f"index_date = {_toml_str(mapping.index_date)}")
    else:
        lines.append(
            '# index_date = "..."  # a date field: day 0 of the record, for fields with date = true'
        )
    lines.append("")
    lines.append("[constants]")
    for k, v in mapping.constants.items():
        lines.append(f"{_toml_str(k)} = {_toml_str(v)}")
    lines.append("")
    for f in mapping.fields:
        if f.field in comments:
            lines.append(f"# {comments[f.field]}")
        lines.append(f"[fields.{f.field}]")
        to = (
            _toml_str(f.targets[0])
            if len(f.targets) == 1
            else "[" + ", ".join(_toml_str(t) for t in f.targets) + "]"
        )
        lines.append(f"to = {to}")
        if f.part != "value":
            lines.append(f"part = {_toml_str(f.part)}")
        if f.muscle is not None:
            lines.append(f"muscle = {_toml_str(f.muscle)}")
        if f.side is not None:
            lines.append(f"side = {_toml_str(f.side or 'none')}")
        if f.date:
            lines.append("date = true")
        if f.choices is not None:
            inner = ", ".join(f"{_toml_str(k)} = {_toml_str(v)}" for k, v in f.choices.items())
            lines.append(f"choices = {{ {inner} }}")
        lines.append("")
    if unmapped:
        lines.append("# Fields without a contract column (not read):")
        for name, why in unmapped:
            lines.append(f"#   {name}: {why}")
    return "\n".join(lines) + "\n"
