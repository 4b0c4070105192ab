"""A REDCap data dictionary: its 18 columns, one :class:`Field` per row, read and written as CSV.

The CSV is the one REDCap's Data Dictionary page downloads and imports ("Variable / Field
Name", "Form Name", ... "Field Annotation"); the column names of the API's metadata export
(``field_name``, ``form_name``, ...) are read too.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from myotrack.errors import InvalidData, Problem, SourceNotFound

#: The 18 columns of a data dictionary CSV, in REDCap's order, with the API's names.
COLUMNS: tuple[tuple[str, str], ...] = (
    ("Variable / Field Name", "field_name"),
    ("Form Name", "form_name"),
    ("Section Header", "section_header"),
    ("Field Type", "field_type"),
    ("Field Label", "field_label"),
    ("Choices, Calculations, OR Slider Labels", "select_choices_or_calculations"),
    ("Field Note", "field_note"),
    ("Text Validation Type OR Show Slider Number", "text_validation_type_or_show_slider_number"),
    ("Text Validation Min", "text_validation_min"),
    ("Text Validation Max", "text_validation_max"),
    ("Identifier?", "identifier"),
    ("Branching Logic (Show field only if...)", "branching_logic"),
    ("Required Field?", "required_field"),
    ("Custom Alignment", "custom_alignment"),
    ("Question Number (surveys only)", "question_number"),
    ("Matrix Group Name", "matrix_group_name"),
    ("Matrix Ranking?", "matrix_ranking"),
    ("Field Annotation", "field_annotation"),
)
HEADER: tuple[str, ...] = tuple(c for c, _ in COLUMNS)
ATTRS: tuple[str, ...] = (
    "name",
    "form",
    "section",
    "type",
    "label",
    "choices",
    "note",
    "validation",
    "minimum",
    "maximum",
    "identifier",
    "branching",
    "required",
    "alignment",
    "question_number",
    "matrix_group",
    "matrix_ranking",
    "annotation",
)


@dataclass(frozen=True)
class Field:
    """One row of a data dictionary, every cell as text (as REDCap writes it)."""

    name: str
    form: str
    type: str
    label: str
    choices: str = ""
    section: str = ""
    note: str = ""
    validation: str = ""
    minimum: str = ""
    maximum: str = ""
    identifier: str = ""
    branching: str = ""
    required: str = ""
    alignment: str = ""
    question_number: str = ""
    matrix_group: str = ""
    matrix_ranking: str = ""
    annotation: str = ""

    def choice_list(self) -> list[tuple[str, str]]:
        """``'1, F | 2, M'`` as ``[('1', 'F'), ('2', 'M')]`` (code and label stripped)."""
        return parse_choices(self.choices) or []

    def row(self) -> list[str]:
        return [getattr(self, a) for a in ATTRS]


def parse_choices(text: str) -> list[tuple[str, str]] | None:
    """Choices as (code, label) pairs, or None when a choice has no ``code, label`` form."""
    if not text.strip():
        return []
    out = []
    for part in text.split("|"):
        code, sep, label = part.partition(",")
        if not sep:
            return None
        out.append((code.strip(), label.strip()))
    return out


def format_choices(pairs: Iterable[tuple[str, str]]) -> str:
    return " | ".join(f"{code}, {label}" for code, label in pairs)


def dictionary_csv(fields: Sequence[Field]) -> str:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(HEADER)
    for f in fields:
        w.writerow(f.row())
    return buf.getvalue()


def write_dictionary(fields: Sequence[Field], path: str | Path) -> Path:
    p = Path(path)
    p.parent.mkdir(parents=True, exist_ok=True)
    p.write_text(dictionary_csv(fields), encoding="utf-8")
    return p


def read_dictionary(path: str | Path) -> tuple[Field, ...]:
    """The fields of a data dictionary CSV (REDCap's download or the API's metadata export)."""
    p = Path(path)
    if not p.is_file():
        raise SourceNotFound(f"{p}: no such data dictionary file")
    return parse_dictionary(p.read_text(encoding="utf-8-sig"), p.name)


def parse_dictionary(text: str, label: str = "data dictionary") -> tuple[Field, ...]:
    rows = list(csv.reader(io.StringIO(text)))
    if not rows:
        raise InvalidData([Problem(label, None, None, None, "the data dictionary is empty")])
    header = [h.strip() for h in rows[0]]
    names = {c.lower(): i for i, (c, _) in enumerate(COLUMNS)}
    names.update({api: i for i, (_, api) in enumerate(COLUMNS)})
    where: dict[int, int] = {}
    for pos, h in enumerate(header):
        i = names.get(h.lower())
        if i is None and h.lower().startswith("choices"):
            i = 5  # older downloads spell the column differently
        if i is None and h.lower().startswith("branching logic"):
            i = 11
        if i is not None:
            where[i] = pos
    missing = [COLUMNS[i][0] for i in (0, 1, 3, 4) if i not in where]
    if missing:
        raise InvalidData(
            [
                Problem(
                    label, 1, m, None, "a data dictionary needs this column (REDCap's 18 columns)"
                )
                for m in missing
            ]
        )
    fields = []
    for row in rows[1:]:
        if not any(c.strip() for c in row):
            continue
        cells = {ATTRS[i]: (row[pos].strip() if pos < len(row) else "") for i, pos in where.items()}
        fields.append(Field(**cells))
    return tuple(fields)
