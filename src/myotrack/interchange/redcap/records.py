"""Records in REDCap's flat format: written from the contract, and read back into it.

Writing (:func:`export_records`) fills myotrack's own project (:mod:`.project`): one row per
patient in ``enrolment_arm_1`` (demographics), one row per treatment, clinical event and
observation (repeating instruments of that event, instances 1, 2, ... in the patient's
order), and one instance of the repeating event ``visit_arm_1`` per visit day, holding the
visit's values and the MRC grid of the strength rows of that day. A classic project (no
events) has ``visit`` as a repeating instrument instead.

Reading (:func:`read_redcap`) takes a data dictionary and a records export, raw or label
values, with field names or labels as headers, from a classic or longitudinal project, and
the project's mapping (myotrack's own project: none needed). Every REDCap row gives the rows
of the tables its filled fields map to; each per-muscle grade one strength row of the row's
day. A visit row is made when a visit field other than its day is filled, or when the row has
no grade. The frames are validated by :meth:`myotrack.tables.Dataset.from_frames`, all or
nothing; a problem names the record, event, instrument, instance and field, and the contract
column and rule.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime
from functools import lru_cache
from operator import itemgetter
from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd

from myotrack.errors import InvalidData, Problem, SourceNotFound
from myotrack.interchange.compare import row_keys
from myotrack.interchange.losses import WHOLE_ROW, ExportResult, Loss
from myotrack.interchange.origins import Origin, SourceProblem, locate
from myotrack.interchange.redcap.dictionary import Field, read_dictionary
from myotrack.interchange.redcap.mapping import (
    FieldMap,
    RedcapMapping,
    from_dictionary,
    load_mapping,
)
from myotrack.interchange.redcap.project import (
    ENROLMENT_EVENT,
    GRID_PREFIX,
    GRID_SWITCH,
    VISIT_EVENT,
    day_family,
    form_of,
    grade_code,
    grid_field,
    grid_sides,
    project_dictionary,
)
from myotrack.measures.grades import parse_grade
from myotrack.tables import TABLES, Dataset

EVENT = "redcap_event_name"
REPEAT_INSTRUMENT = "redcap_repeat_instrument"
REPEAT_INSTANCE = "redcap_repeat_instance"
#: columns of a records export that are not fields, by their raw name and their label header
SPECIAL = {
    EVENT: EVENT,
    "event name": EVENT,
    REPEAT_INSTRUMENT: REPEAT_INSTRUMENT,
    "repeat instrument": REPEAT_INSTRUMENT,
    REPEAT_INSTANCE: REPEAT_INSTANCE,
    "repeat instance": REPEAT_INSTANCE,
    "redcap_data_access_group": "",
    "data access group": "",
    "redcap_survey_identifier": "",
    "survey identifier": "",
}
CHECKED = ("1", "checked")
UNCHECKED = ("0", "unchecked", "")
BOUNDS = ("<", "<=", ">", ">=", "~")
QUALITATIVE = {
    "normal": "normal",
    "normalised": "normal",
    "normalized": "normal",
    "within normal limits": "normal",
    "wnl": "normal",
    "elevated": "elevated",
    "raised": "elevated",
    "high": "elevated",
    "increased": "elevated",
    "abnormal": "elevated",
}
_LAB = re.compile(r"^(<=|>=|<|>|~|about\s+)?\s*([0-9]*\.?[0-9]+)$", re.IGNORECASE)
_INTEGER = re.compile(r"^-?[0-9]+$")
_NUMBER = re.compile(r"^-?([0-9]+\.?[0-9]*|\.[0-9]+)$")
NOTES_REASON = "free text is not exported de-identified (--include-notes writes it)"

Values = Literal["auto", "raw", "label"]


def per_grade_text(values: Sequence[tuple[str, str]], n_grades: int) -> str:
    """One value for the visit's grades, or one line per grade field when they differ."""
    distinct = {v for v, _ in values}
    if len(distinct) == 1 and len(values) == n_grades:
        return values[0][0]
    return "\n".join(f"{field}: {v}" for v, field in values)


def per_grade_values(text: str, grid: Sequence[str]) -> dict[str, str] | None:
    """The values of :func:`per_grade_text` by grid field, or None for one shared value."""
    lines = [line for line in text.splitlines() if line.strip()]
    out = {}
    for line in lines:
        field, sep, value = line.partition(": ")
        if not sep or field.strip() not in grid:
            return None
        out[field.strip()] = value
    return out or None


# --- writing --------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Project:
    fields: tuple[Field, ...]
    mapping: RedcapMapping

    def targets(self) -> dict[str, list[FieldMap]]:
        out: dict[str, list[FieldMap]] = {}
        for fm in self.mapping.fields:
            for t in fm.targets:
                out.setdefault(t, []).append(fm)
        return out

    def field(self, name: str) -> Field:
        return {f.name: f for f in self.fields}[name]


def record_columns(fields: Sequence[Field], classic: bool) -> list[str]:
    """The header of a records file: record id, event, repeat columns, then every field."""
    cols = [fields[0].name]
    cols += [] if classic else [EVENT]
    cols += [REPEAT_INSTRUMENT, REPEAT_INSTANCE]
    for f in fields[1:]:
        if f.type == "checkbox":
            cols += [f"{f.name}___{code}" for code, _ in f.choice_list()]
        elif f.type != "descriptive":
            cols.append(f.name)
    return cols


#: what one contract value becomes: the fields it fills, and the loss (reason, written as) if any
_Encoding = tuple[tuple[tuple[str, str], ...], tuple[str, str | None] | None]
#: the strength rows of one visit day, with their keys
_Grades = list[tuple[dict[str, str], tuple[str, ...]]]


def _records(frame: pd.DataFrame, columns: Sequence[str]) -> list[dict[str, str]]:
    """The rows of a text frame as dicts (column by column, without pandas' per-cell boxing)."""
    return [
        dict(zip(columns, values, strict=True))
        for values in zip(*(frame[c].tolist() for c in columns), strict=True)
    ]


class _Writer:
    def __init__(
        self,
        ds: Dataset,
        classic: bool,
        include_notes: bool,
        text_frames: Mapping[str, pd.DataFrame] | None = None,
    ) -> None:
        fields = project_dictionary()
        mapping = from_dictionary(fields)
        assert mapping is not None
        self.project = _Project(fields, mapping)
        self.by_name = {f.name: f for f in fields}
        self.targets = self.project.targets()
        self.frames = dict(text_frames) if text_frames is not None else ds.to_text_frames()
        self.keys = {t: row_keys(t, f) for t, f in self.frames.items()}
        self.names = {t: TABLES[t].names for t in TABLES}
        self.classic = classic
        self.include_notes = include_notes
        self.losses: list[Loss] = []
        self.cells = 0

    def lose(
        self,
        table: str,
        key: tuple[str, ...],
        column: str,
        value: str,
        reason: str,
        written: str | None = None,
    ) -> None:
        self.losses.append(Loss(table, key, column, value, reason, written))

    def encoding(self, table: str, column: str, value: str) -> _Encoding:
        """The fields one (non-empty) contract value fills, and what of it is lost."""
        if column == "note" and not self.include_notes:
            return (), (NOTES_REASON, None)
        maps = self.targets.get(f"{table}.{column}", [])
        parts = {fm.part: fm for fm in maps}
        vm, qm, om = parts.get("value"), parts.get("qualifier"), parts.get("other")
        if vm is None:
            return (), ("no field of the project holds this column", None)
        f = self.by_name[vm.field]
        if qm is not None:
            return _lab(value, vm, qm)
        if f.type == "checkbox":
            reverse = {v: c for c, v in (vm.choices or {}).items() if v}
            other_code = next((c for c, v in (vm.choices or {}).items() if not v), None)
            out: dict[str, str] = {}
            unknown = []
            for term in (t for t in value.split(";") if t):
                if term in reverse:
                    out[f"{vm.field}___{reverse[term]}"] = "1"
                else:
                    unknown.append(term)
            if unknown and om is not None and other_code is not None:
                out[f"{vm.field}___{other_code}"] = "1"
                out[om.field] = ";".join(unknown)
            elif unknown:
                return tuple(out.items()), ("a term outside the field's choices", None)
            return tuple(out.items()), None
        if f.type in ("dropdown", "radio"):
            reverse = {v: c for c, v in (vm.choices or {}).items() if v}
            other_code = next((c for c, v in (vm.choices or {}).items() if not v), None)
            if value in reverse:
                return ((vm.field, reverse[value]),), None
            if om is not None and other_code is not None:
                return ((vm.field, other_code), (om.field, value)), None
            return (), ("not one of the field's choices", None)
        if (f.validation == "integer" and not _INTEGER.match(value)) or (
            f.validation == "number" and not _NUMBER.match(value)
        ):
            return (), (f"the field takes a plain {f.validation}", None)
        return ((vm.field, value),), None

    def encode_table(
        self, table: str, frame: pd.DataFrame, keys: Sequence[tuple[str, ...]]
    ) -> tuple[list[dict[str, str]], dict[int, list[Loss]]]:
        """Every contract value of a table in its fields: one dict per row of ``frame``, and
        the losses of the rows that have any (by row number, in column order).

        Each column is encoded once per distinct value, then spread over its rows."""
        columns = [c for c in self.names[table] if c != "patient_id"]
        out: list[dict[str, str]] = [{} for _ in range(len(frame))]
        losses: dict[int, list[Loss]] = {}
        for col in columns:
            values = frame[col].tolist()
            filled = np.flatnonzero(np.fromiter(values, dtype=object, count=len(values)) != "")
            filled_rows = filled.tolist()
            codes = {v: self.encoding(table, col, v) for v in dict.fromkeys(values) if v != ""}
            self.cells += len(filled_rows)
            fields = {name for pairs, _ in codes.values() for name, _ in pairs}
            if len(fields) == 1 and all(len(pairs) == 1 for pairs, _ in codes.values()):
                (field,) = fields  # one field each: its value set straight
                one = {v: pairs[0][1] for v, (pairs, _) in codes.items()}
                for i in filled_rows:
                    out[i][field] = one[values[i]]
            else:
                for i in filled_rows:
                    out[i].update(codes[values[i]][0])
            # columns in order, so each row's losses are in column order
            lost = {v: loss for v, (_, loss) in codes.items() if loss is not None}
            for i in filled_rows if lost else ():
                loss = lost.get(values[i])
                if loss is not None:
                    losses.setdefault(i, []).append(Loss(table, keys[i], col, values[i], *loss))
        return out, losses

    def row(
        self, record: str, event: tuple[str, str], instrument: str, instance: int | None
    ) -> dict[str, str]:
        out = {self.project.fields[0].name: record}
        if not self.classic:
            out[EVENT] = event[1]
        out[REPEAT_INSTRUMENT] = instrument
        out[REPEAT_INSTANCE] = "" if instance is None else str(instance)
        return out

    def rows(self) -> list[dict[str, str]]:
        out: list[dict[str, str]] = []
        enrol = ENROLMENT_EVENT
        by_patient: dict[str, list[dict[str, str]]] = {}
        pts = self.frames["patients"]
        unchecked = {
            f"{f.name}___{code}": "0"
            for f in self.project.fields
            if f.type == "checkbox" and f.form == form_of("patients").name
            for code, _ in f.choice_list()
        }
        encoded, losses = self.encode_table("patients", pts, self.keys["patients"])
        self.losses += [x for i in sorted(losses) for x in losses[i]]
        for pid, values in zip(pts["patient_id"].tolist(), encoded, strict=True):
            r = self.row(pid, enrol, "", None)
            r.update(unchecked)
            r.update(values)
            by_patient[pid] = [r]
        for table in TABLES:
            if table in ("patients", "visits", "strength"):
                continue
            form = form_of(table).name
            frame = self.frames[table]
            counter: dict[str, int] = {}
            encoded, losses = self.encode_table(table, frame, self.keys[table])
            self.losses += [x for i in sorted(losses) for x in losses[i]]
            for pid, values in zip(frame["patient_id"].tolist(), encoded, strict=True):
                counter[pid] = counter.get(pid, 0) + 1
                r = self.row(pid, enrol, form, counter[pid])
                r.update(values)
                by_patient[pid].append(r)
        for pid, r in self._visits():
            by_patient[pid].append(r)
        for rows in by_patient.values():
            out.extend(rows)
        return out

    def _visits(self) -> list[tuple[str, dict[str, str]]]:
        visits, strength = self.frames["visits"], self.frames["strength"]
        strength_names = self.names["strength"]
        family = [c for c in day_family("visits", "day") if c in strength_names]
        encoded, visit_losses = self.encode_table("visits", visits, self.keys["visits"])
        cols = {c: visits[c].tolist() for c in self.names["visits"]}
        # each visit day's instance: the last visit of that day (first place kept), by column
        last = dict(
            zip(
                zip(cols["patient_id"], *(cols[c] for c in family), strict=True),
                range(len(visits)),
                strict=True,
            )
        )
        instances: dict[tuple[str, ...], tuple[int | None, _Grades]] = {
            k: (i, []) for k, i in last.items()
        }
        for rec, key in zip(_records(strength, strength_names), self.keys["strength"], strict=True):
            k = (rec["patient_id"], *(rec[c] for c in family))
            found = instances.get(k)
            if found is None:
                found = instances[k] = (None, [])
            found[1].append((rec, key))
        own = [c for c in self.names["visits"] if c not in ("patient_id", *family)]
        # a visit repeating another's day is replaced by it, its values neither written nor counted
        columns = [c for c in self.names["visits"] if c != "patient_id"]
        for unused in sorted(set(range(len(visits))) - set(last.values())):
            self.cells -= sum(1 for c in columns if cols[c][unused] != "")
            visit_losses.pop(unused, None)
        out = []
        counter: dict[str, int] = {}
        form = form_of("visits").name
        prefix = form_of("visits").prefix
        extra_cols = [
            c for c in strength_names if c not in {"patient_id", "muscle", "side", "grade", *family}
        ]
        graded: dict[str, tuple[str, str]] = {}
        for k, (visit, grades) in instances.items():
            pid = k[0]
            counter[pid] = counter.get(pid, 0) + 1
            r = self.row(pid, VISIT_EVENT, form if self.classic else "", counter[pid])
            if visit is not None:
                i = visit
                r.update(encoded[i])
                self.losses += visit_losses.get(i, [])
                if grades and not any(cols[c][i] for c in own):
                    self.lose(
                        "visits",
                        self.keys["visits"][i],
                        WHOLE_ROW,
                        cols["day"][i],
                        "a visit with nothing but its day is read back as the day of its grades",
                    )
            elif grades:
                rec0, _key0 = grades[0]
                for col in family:
                    if rec0[col]:
                        r[f"{prefix}{col}"] = rec0[col]
            for rec, key in grades:
                self.cells += sum(1 for c in family if rec[c]) + 3 * bool(rec["grade"])
                name = grid_field(rec["muscle"], rec["side"])
                if name not in self.by_name:
                    self.lose(
                        "strength",
                        key,
                        WHOLE_ROW,
                        rec["grade"],
                        f"the MRC grid has no field for {rec['muscle']} ({rec['side'] or 'side not stated'})",
                    )
                    continue
                grade = rec["grade"]
                if grade not in graded:
                    code = grade_code(grade)
                    graded[grade] = (code, "T" if code == "t" else parse_grade(grade).canonical)
                code, canonical = graded[grade]
                r[name] = code
                if canonical != grade:
                    self.lose(
                        "strength",
                        key,
                        "grade",
                        grade,
                        "a grade written the standard way",
                        canonical,
                    )
                if rec["side"] not in grid_sides(rec["muscle"])[0]:
                    r[GRID_SWITCH] = "1"
            for col in extra_cols if grades else ():
                values = [
                    (rec[col], grid_field(rec["muscle"], rec["side"]))
                    for rec, _ in grades
                    if rec[col]
                ]
                self.cells += len(values)
                if values:
                    r[f"{GRID_PREFIX}{col}"] = per_grade_text(values, len(grades))
            out.append((pid, r))
        return out


def _lab(value: str, vm: FieldMap, qm: FieldMap) -> _Encoding:
    """A lab value in its number and qualifier fields (a bound, or a qualitative result)."""
    codes = {v: c for c, v in (qm.choices or {}).items()}
    m = _LAB.match(value.strip())
    if m:
        bound = (m.group(1) or "").strip().lower()
        bound = "~" if bound == "about" else bound
        if not bound:
            return ((vm.field, m.group(2)),), None
        written = f"{bound}{m.group(2)}"
        loss = None if written == value else ("a bound written the standard way", written)
        return ((vm.field, m.group(2)), (qm.field, codes[bound])), loss
    word = QUALITATIVE.get(value.strip().lower())
    if word is not None:
        loss = (
            None if word == value else ("a qualitative result written with its standard word", word)
        )
        return ((qm.field, codes[word]),), loss
    return (), ("a lab value the number and qualifier fields cannot hold", None)


def _rows_csv(columns: Sequence[str], rows: Sequence[Mapping[str, str]]) -> str:
    """A header and rows as CSV text, quoted as pandas' ``to_csv`` quotes (minimal, "\\n").

    A row is mostly empty: it is written as its own values between runs of commas, the runs
    learnt once per set of fields (any field not in ``columns`` is left out)."""
    at = {c: i for i, c in enumerate(columns)}
    shapes: dict[tuple[str, ...], tuple[Callable[[tuple[str, ...]], tuple[str, ...]], str]] = {}
    quoted = lru_cache(maxsize=None)(_quoted)  # once per distinct value of this file
    lines = [_line(columns)]
    for r in rows:
        fields = tuple(r)
        shape = shapes.get(fields)
        if shape is None:
            shape = shapes[fields] = _shape(fields, at, len(columns))
        pick, line = shape
        values = pick(tuple(r.values()))
        # a row's values are looked at together, and one by one only when one may need quotes
        if _MAY_NEED_QUOTES.search("".join(values)):
            values = tuple(map(quoted, values))
        lines.append(line % values)
    return "".join(lines)


#: A field the csv module may quote (the delimiter, the quote, a line end): it writes those.
_MAY_NEED_QUOTES = re.compile(r'[,"\r\n]')


def _line(values: Sequence[str]) -> str:
    """One row as the csv module writes it (minimal quoting, "\\n")."""
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerow(values)
    return buffer.getvalue()


def _field(value: str) -> str:
    """One non-empty field as the csv module writes it in a row of several."""
    return _line([value])[:-1]


def _quoted(value: str) -> str:
    """A field as written in a row: quoted only where the csv module quotes it."""
    return _field(value) if _MAY_NEED_QUOTES.search(value) else value


def _shape(
    fields: tuple[str, ...], at: Mapping[str, int], width: int
) -> tuple[Callable[[tuple[str, ...]], tuple[str, ...]], str]:
    """Where a row of these fields puts its values: what picks them in column order (those
    in ``columns``) from the row's values, and the line they fill (``%s`` each, with the
    commas before, between and after them and the line end)."""
    known = sorted((at[f], j) for j, f in enumerate(fields) if f in at)
    line, last = [], 0
    for place, _ in known:
        line.append("," * (place - last) + "%s")
        last = place
    line.append("," * (width - 1 - last) + "\n")
    return _picker([j for _, j in known]), "".join(line)


def _picker(order: list[int]) -> Callable[[tuple[str, ...]], tuple[str, ...]]:
    """What takes the values at ``order`` from a row's values, as a tuple (of one or none
    too, which ``itemgetter`` does not give)."""
    if len(order) > 1:
        return itemgetter(*order)
    return lambda values: tuple(values[j] for j in order)


def _cells(columns: Sequence[str], rows: Sequence[Mapping[str, str]]) -> list[list[str]]:
    """Every row's value of each column, in order; '' where the row has none.

    A row fills only its own fields (any other is left out): where each goes is learnt once
    per set of fields (rows of one form share theirs), and the row is a copy of an empty row
    with those set."""
    blank = [""] * len(columns)
    at = {c: i for i, c in enumerate(columns)}
    places: dict[tuple[str, ...], list[int | None]] = {}
    out = []
    for r in rows:
        fields = tuple(r)
        where = places.get(fields)
        if where is None:
            where = places[fields] = [at.get(c) for c in fields]
        cells = blank.copy()
        for i, value in zip(where, r.values(), strict=True):
            if i is not None:
                cells[i] = value
        out.append(cells)
    return out


def records_csv(
    ds: Dataset,
    classic: bool = False,
    include_notes: bool = False,
    text_frames: Mapping[str, pd.DataFrame] | None = None,
) -> tuple[str, list[Loss], int]:
    """The records file of myotrack's project as text (REDCap's import format), the losses,
    the cells. ``text_frames``: ``ds.to_text_frames()`` when the caller has them already."""
    w = _Writer(ds, classic, include_notes, text_frames)
    rows = w.rows()
    return _rows_csv(record_columns(w.project.fields, classic), rows), w.losses, w.cells


def export_records(
    ds: Dataset, classic: bool = False, include_notes: bool = False
) -> tuple[pd.DataFrame, list[Loss], int]:
    """The records of myotrack's project as a frame (REDCap's import format), the losses, the cells."""
    w = _Writer(ds, classic, include_notes)
    rows = w.rows()
    cols = record_columns(w.project.fields, classic)
    frame = pd.DataFrame(_cells(cols, rows), columns=cols, dtype=object)
    return frame, w.losses, w.cells


def write_records(
    ds: Dataset, path: str | Path, classic: bool = False, include_notes: bool = False
) -> ExportResult:
    """Write the records file of myotrack's project; the result lists what it could not hold."""
    text, losses, cells = records_csv(ds, classic, include_notes)
    p = Path(path)
    p.parent.mkdir(parents=True, exist_ok=True)
    with p.open("w", encoding="utf-8", newline="") as f:
        f.write(text)
    return ExportResult((p,), tuple(losses), cells)


# --- reading --------------------------------------------------------------------------------


def _read_records_csv(path: Path) -> tuple[list[str], list[list[str]]]:
    if not path.is_file():
        raise SourceNotFound(f"{path}: no such records file")
    text = path.read_text(encoding="utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    if not rows:
        raise InvalidData([Problem(path.name, None, None, None, "the records file is empty")])
    return [h.strip() for h in rows[0]], rows[1:]


@dataclass
class _Column:
    kind: str  # 'record', 'special', 'field', 'checkbox', 'ignore'
    name: str = ""
    code: str = ""


def _columns(
    header: list[str], fields: Sequence[Field], mapping: RedcapMapping, label: str
) -> tuple[list[_Column], list[Problem]]:
    by_name = {f.name: f for f in fields}
    # labels need not be unique: a label header is the next field of that label, in order
    by_label: dict[str, list[str]] = {}
    for f in fields:
        by_label.setdefault(f.label.strip().lower(), []).append(f.name)

    def labelled(label: str, checkbox: bool = False) -> str:
        names = by_label[label]
        if checkbox:
            return names[0]
        return names.pop(0) if len(names) > 1 else names[0]

    forms = {f.form for f in fields}
    out: list[_Column] = []
    problems = []
    for pos, h in enumerate(header):
        low = h.lower()
        if h == mapping.record_id or (
            pos == 0
            and low
            == (by_name.get(mapping.record_id, Field("", "", "", "")).label.lower() or "record id")
        ):
            out.append(_Column("record"))
        elif low in SPECIAL:
            out.append(_Column("special" if SPECIAL[low] else "ignore", SPECIAL[low]))
        elif h in by_name:
            out.append(_Column("field", h))
        elif "___" in h and h.split("___")[0] in by_name:
            name, code = h.split("___", 1)
            out.append(_Column("checkbox", name, code))
        elif (
            (low.endswith("_complete") and low[:-9] in forms)
            or low.endswith("_timestamp")
            or low == "complete?"
        ):
            out.append(_Column("ignore"))
        elif (m := re.match(r"^(.*) \(choice=(.*)\)$", h)) and m.group(
            1
        ).strip().lower() in by_label:
            name = labelled(m.group(1).strip().lower(), checkbox=True)
            labels = {lab: code for code, lab in by_name[name].choice_list()}
            out.append(
                _Column("checkbox", name, labels.get(m.group(2).strip(), m.group(2).strip()))
            )
        elif low in by_label:
            out.append(_Column("field", labelled(low)))
        else:
            out.append(_Column("ignore"))
            problems.append(
                Problem(
                    label, 1, h, None, "not a field of the data dictionary (nor a REDCap column)"
                )
            )
    if not any(c.kind == "record" for c in out):
        problems.append(
            Problem(
                label,
                1,
                mapping.record_id,
                None,
                f"the record id column '{mapping.record_id}' is missing",
            )
        )
    return out, problems


def _choices(f: Field) -> list[tuple[str, str]]:
    if f.type == "yesno":
        return [("1", "Yes"), ("0", "No")]
    if f.type == "truefalse":
        return [("1", "True"), ("0", "False")]
    return f.choice_list()


def _decode_choice(raw: str, f: Field, fm: FieldMap, values: Values) -> tuple[str, str | None]:
    """(contract value, problem rule or None) of one dropdown, radio or yes/no cell."""
    pairs = _choices(f)
    codes = dict(pairs)
    labels = {lab.lower(): code for code, lab in pairs}
    code: str | None = None
    if values in ("raw", "auto") and raw in codes:
        code = raw
        if values == "auto" and raw.lower() in labels and labels[raw.lower()] != raw:
            return (
                raw,
                f"'{raw}' is a code of one choice and the label of another; read the file with values 'raw' or 'label'",
            )
    elif values in ("label", "auto") and raw.lower() in labels:
        code = labels[raw.lower()]
    if code is None:
        return raw, None  # not a choice: the contract's rule for the column speaks
    if fm.choices is not None:
        return fm.choices.get(code, codes[code]), None
    return codes[code], None


def _date(raw: str, validation: str) -> date | None:
    text = raw.strip().split(" ")[0].split("T")[0]
    formats = ["%Y-%m-%d"]
    if validation.endswith("dmy"):
        formats.append("%d-%m-%Y")
    elif validation.endswith("mdy"):
        formats.append("%m-%d-%Y")
    formats += (
        ["%d/%m/%Y"]
        if validation.endswith("dmy")
        else (["%m/%d/%Y"] if validation.endswith("mdy") else [])
    )
    for fmt in formats:
        try:
            return datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    return None


def _where(record: str, event: str, instrument: str, instance: str) -> str:
    text = f"record '{record}'"
    if event:
        text += f", event '{event}'"
    if instrument:
        text += f", instrument '{instrument}'"
    if instance:
        text += f", instance {instance}"
    return text


def _combine(
    table: str, column: str, pieces: list[tuple[FieldMap, str | list[str]]]
) -> tuple[str, str, str | None]:
    """(value, field it came from, problem rule) of one contract column from its fields' values."""
    kind = TABLES[table].column(column).kind
    if kind == "list":
        terms: list[str] = []
        for _, v in pieces:
            for t in v if isinstance(v, list) else v.split(";"):
                if t.strip() and t.strip() not in terms:
                    terms.append(t.strip())
        return ";".join(terms), pieces[0][0].field, None
    quals = [(fm, v) for fm, v in pieces if fm.part == "qualifier" and v]
    nums = [(fm, v) for fm, v in pieces if fm.part != "qualifier" and v]
    flat = [(fm, v if isinstance(v, str) else ";".join(v)) for fm, v in nums]
    distinct = list(dict.fromkeys(v for _, v in flat))
    if len(distinct) > 1:
        names = " and ".join(fm.field for fm, _ in flat)
        return (
            distinct[0],
            flat[0][0].field,
            f"fields {names} give different values ({', '.join(map(repr, distinct))}); keep one",
        )
    number = distinct[0] if distinct else ""
    source = flat[0][0].field if flat else (quals[0][0].field if quals else pieces[0][0].field)
    if quals:
        q = str(quals[0][1])
        if q in BOUNDS:
            return (f"{q}{number}" if number else q), source, None
        if number:
            return (
                number,
                quals[0][0].field,
                f"'{q}' is a result without a number; leave the number empty or choose a bound",
            )
        return q, quals[0][0].field, None
    return number, source, None


def read_redcap(
    dictionary: str | Path | Sequence[Field],
    records: str | Path,
    mapping: str | Path | RedcapMapping | None = None,
    values: Values = "auto",
) -> Dataset:
    """A REDCap project (data dictionary + records export) as a validated Dataset.

    ``mapping``: a TOML mapping file or a :class:`RedcapMapping`; None for myotrack's own
    project (read from the dictionary's annotations). ``values``: 'raw' (codes), 'label' or
    'auto' (each cell a code if it is one, else a label; a cell that is a code of one choice
    and the label of another is a problem). Raises InvalidData listing every problem.
    """
    fields = (
        read_dictionary(dictionary) if isinstance(dictionary, str | Path) else tuple(dictionary)
    )
    if isinstance(mapping, str | Path):
        mapping = load_mapping(mapping)
    if mapping is None:
        mapping = from_dictionary(fields)
        if mapping is None:
            raise InvalidData(
                [
                    Problem(
                        "data dictionary",
                        None,
                        None,
                        None,
                        "not a project built by myotrack (no field annotation names a contract column): "
                        "write a mapping with 'myotrack redcap map DICT.csv --suggest' and give it",
                    )
                ]
            )
    path = Path(records)
    header, rows = _read_records_csv(path)
    reader = _Reader(fields, mapping, values, path.name)
    return reader.read(header, rows)


class _Reader:
    def __init__(
        self, fields: Sequence[Field], mapping: RedcapMapping, values: Values, label: str
    ) -> None:
        self.fields = {f.name: f for f in fields}
        self.mapping = mapping
        self.values = values
        self.label = label
        self.problems: list[Problem] = []
        for fm in mapping.fields:
            if fm.field not in self.fields:
                self.problems.append(
                    Problem(
                        "mapping",
                        None,
                        f"fields.{fm.field}",
                        None,
                        "not a field of the data dictionary",
                    )
                )
        self.maps = [fm for fm in mapping.fields if fm.field in self.fields]
        self.default_field: dict[str, str] = {}
        for fm in self.maps:
            for t in fm.targets:
                self.default_field.setdefault(t, fm.field)
        self.rows: dict[str, list[dict[str, str]]] = {t: [] for t in TABLES}
        self.origins: dict[str, list[Origin]] = {t: [] for t in TABLES}
        self.patients: dict[str, tuple[dict[str, str], Origin]] = {}

    def fail(self, origin: Origin, target: str, field: str, value: object, rule: str) -> None:
        self.problems.append(
            SourceProblem(
                origin.file,
                origin.row,
                target.split(".")[-1],
                value,
                rule,
                where=origin.where,
                source_field=field,
                target=target,
            )
        )

    def read(self, header: list[str], rows: list[list[str]]) -> Dataset:
        columns, problems = _columns(header, list(self.fields.values()), self.mapping, self.label)
        self.problems += problems
        index_dates: dict[str, date] = {}
        parsed = []
        for i, row in enumerate(rows):
            if not any(c.strip() for c in row):
                continue
            cells = [(columns[j], row[j].strip()) for j in range(min(len(row), len(columns)))]
            parsed.append((i + 2, cells))
            rec = next((v for c, v in cells if c.kind == "record"), "")
            if self.mapping.index_date:
                for c, v in cells:
                    if c.kind == "field" and c.name == self.mapping.index_date and v:
                        d = _date(v, self.fields[c.name].validation)
                        if d is not None:
                            index_dates[rec] = d
        for file_row, cells in parsed:
            self._row(file_row, cells, index_dates)
        return self._build()

    def _row(
        self, file_row: int, cells: list[tuple[_Column, str]], index_dates: Mapping[str, date]
    ) -> None:
        record = next((v for c, v in cells if c.kind == "record"), "")
        special = {c.name: v for c, v in cells if c.kind == "special"}
        event, instrument, instance = (
            special.get(EVENT, ""),
            special.get(REPEAT_INSTRUMENT, ""),
            special.get(REPEAT_INSTANCE, ""),
        )
        raw: dict[str, str | list[str]] = {}
        for c, v in cells:
            if c.kind == "field" and v:
                raw[c.name] = v
            elif c.kind == "checkbox" and v.lower() not in UNCHECKED:
                if v.lower() not in CHECKED:
                    self.problems.append(
                        Problem(
                            self.label,
                            file_row,
                            f"{c.name}___{c.code}",
                            v,
                            "a checkbox cell is 1 / Checked or 0 / Unchecked",
                        )
                    )
                    continue
                codes = raw.setdefault(c.name, [])
                assert isinstance(codes, list)
                codes.append(c.code)
        base = Origin(self.label, file_row, _where(record, event, instrument, instance))
        if not record:
            self.problems.append(
                SourceProblem(
                    self.label,
                    file_row,
                    None,
                    None,
                    "the record id is empty",
                    where=base.where,
                    source_field=self.mapping.record_id,
                )
            )
            return
        decoded: list[tuple[FieldMap, str | list[str]]] = []
        for fm in self.maps:
            if fm.field not in raw:
                continue
            value = raw[fm.field]
            f = self.fields[fm.field]
            origin = replace(base, where=_where(record, event, instrument or f.form, instance))
            if isinstance(value, list):
                choice = dict(f.choice_list())
                terms = []
                for code in value:
                    term = (
                        (fm.choices or {}).get(code, choice.get(code, code))
                        if fm.choices is not None
                        else choice.get(code, code)
                    )
                    if term:
                        terms.append(term)
                decoded.append((fm, terms))
            elif fm.date:
                d = _date(value, f.validation)
                start = index_dates.get(record)
                if d is None:
                    self.fail(origin, fm.targets[0], fm.field, value, "not a date (YYYY-MM-DD)")
                elif start is None:
                    self.fail(
                        origin,
                        fm.targets[0],
                        fm.field,
                        value,
                        f"days are counted from the index date, and field '{self.mapping.index_date}' is empty for this record",
                    )
                else:
                    decoded.append((fm, str((d - start).days)))
            elif f.type in ("dropdown", "radio", "yesno", "truefalse"):
                text, rule = _decode_choice(value, f, fm, self.values)
                if rule:
                    self.fail(origin, fm.targets[0], fm.field, value, rule)
                decoded.append((fm, text))
            else:
                decoded.append((fm, value))
        self._tables(record, base, instrument, event, instance, decoded)

    def _tables(
        self,
        record: str,
        base: Origin,
        instrument: str,
        event: str,
        instance: str,
        decoded: list[tuple[FieldMap, str | list[str]]],
    ) -> None:
        grades = [(fm, v) for fm, v in decoded if fm.muscle is not None and v]
        by_table: dict[str, dict[str, list[tuple[FieldMap, str | list[str]]]]] = {}
        for fm, v in decoded:
            if fm.muscle is not None:
                continue
            for t in fm.targets:
                table, column = t.split(".")
                by_table.setdefault(table, {}).setdefault(column, []).append((fm, v))
        for table, cols in by_table.items():
            if table == "strength":
                continue
            own = [
                fm for pieces in cols.values() for fm, v in pieces if v and fm.tables == (table,)
            ]
            if table == "visits" and grades and not own:
                continue  # the day of the grades only
            if not any(v for pieces in cols.values() for _, v in pieces):
                continue
            form = self.fields[next(fm for pieces in cols.values() for fm, _ in pieces).field].form
            origin = replace(base, where=_where(record, event, instrument or form, instance))
            row, fields = self._assemble(table, cols, origin)
            row["patient_id"] = record
            if table == "patients":
                self._patient(record, row, fields, origin)
                continue
            self._add(table, row, replace(origin, fields=fields))
        grid = [fm.field for fm, _ in grades]
        for fm, grade in grades:
            f = self.fields[fm.field]
            origin = replace(base, where=_where(record, event, instrument or f.form, instance))
            grade_cols: dict[str, list[tuple[FieldMap, str | list[str]]]] = {}
            for c, pieces in by_table.get("strength", {}).items():
                mine: list[tuple[FieldMap, str]] = [
                    (m, v) for m, v in pieces if m.tables == ("strength",) and isinstance(v, str)
                ]
                split = per_grade_values(mine[0][1], grid) if mine else None
                grade_cols[c] = (
                    [(m, split.get(fm.field, "")) for m, _ in mine] if split is not None else pieces
                )
            row, fields = self._assemble("strength", grade_cols, origin)
            row.update(
                patient_id=record, muscle=fm.muscle or "", side=fm.side or "", grade=str(grade)
            )
            fields.update(grade=fm.field, muscle=fm.field, side=fm.field)
            self._add("strength", row, replace(origin, fields=fields))
        if record not in self.patients:
            self._patient(record, {"patient_id": record}, {}, base)

    def _assemble(
        self, table: str, cols: Mapping[str, list[tuple[FieldMap, str | list[str]]]], origin: Origin
    ) -> tuple[dict[str, str], dict[str, str]]:
        row: dict[str, str] = {}
        fields: dict[str, str] = {}
        for column, pieces in cols.items():
            value, source, rule = _combine(table, column, pieces)
            if rule:
                self.fail(origin, f"{table}.{column}", source, value, rule)
            row[column] = value
            fields[column] = source
        for target, value in self.mapping.constants.items():
            t, _, c = target.partition(".")
            if t == table and not row.get(c):
                row[c] = value
                fields[c] = "[constants]"
        return row, fields

    def _patient(
        self, record: str, row: dict[str, str], fields: dict[str, str], origin: Origin
    ) -> None:
        if record not in self.patients:
            for target, value in self.mapping.constants.items():
                t, _, c = target.partition(".")
                if t == "patients" and not row.get(c):
                    row[c] = value
            self.patients[record] = (row, replace(origin, fields=fields))
            return
        have, first = self.patients[record]
        for c, v in row.items():
            if v and have.get(c) and have[c] != v:
                self.fail(
                    origin,
                    f"patients.{c}",
                    fields.get(c, ""),
                    v,
                    f"the record already gives {have[c]!r} ({first.where})",
                )
            elif v:
                have[c] = v
                first.fields[c] = fields.get(c, "")  # type: ignore[index]

    def _add(self, table: str, row: dict[str, str], origin: Origin) -> None:
        defaults = {c: self.default_field.get(f"{table}.{c}", "") for c in TABLES[table].names}
        self.rows[table].append(row)
        self.origins[table].append(replace(origin, fields={**defaults, **origin.fields}))

    def _build(self) -> Dataset:
        for _record, (row, origin) in self.patients.items():
            self.rows["patients"].append(row)
            defaults = {
                c: self.default_field.get(f"patients.{c}", "") for c in TABLES["patients"].names
            }
            defaults["patient_id"] = self.mapping.record_id
            self.origins["patients"].append(replace(origin, fields={**defaults, **origin.fields}))
        frames = {
            t: pd.DataFrame(
                rows, columns=list(dict.fromkeys(["patient_id", *(c for r in rows for c in r)]))
            ).fillna("")
            for t, rows in self.rows.items()
            if rows or t == "patients"
        }
        name = self.label
        try:
            ds = Dataset.from_frames(name=name, **frames)
        except InvalidData as err:
            raise InvalidData(self.problems + locate(err.problems, name, self.origins)) from None
        if self.problems:
            raise InvalidData(self.problems)
        return replace(ds, warnings=tuple(locate(ds.warnings, name, self.origins)))
