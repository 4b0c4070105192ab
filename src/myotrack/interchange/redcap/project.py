"""myotrack's own REDCap project, built from the contract's schema.

Every contract column becomes one REDCap field (two for a lab value, a drug or a vocabulary
list: the value and its qualifier or 'other' text), so columns added to
:data:`myotrack.tables.TABLES` appear in the project by themselves. Instruments:

- ``demographics``: the patients table; the record id is ``patient_id``.
- ``visit``: the visits table (prefix ``v_``) and the per-muscle MRC grid of the strength table
  (``mrc_<muscle>_<side>``, one dropdown of grades each); in a longitudinal project it is the
  only instrument of the repeating event ``visit_arm_1``, in a classic one a repeating
  instrument.
- ``treatment`` (``tx_``), ``clinical_event`` (``ev_``), ``observation`` (``obs_``): repeating
  instruments of the event ``enrolment_arm_1``.

Field types follow the contract's kinds: whole numbers are ``text`` validated as ``integer``,
other numbers as ``number``, both with the contract's range; allowed values are ``dropdown``
choices; vocabulary lists are ``checkbox`` fields with an 'other' text; free text ``notes``
(flagged as identifiers, so REDCap's de-identified export leaves them out). Branching logic
shows a companion only when what it qualifies is filled (the ULN of a CK, a dose's unit, the
range of a day, a reported relapse's type, the 'other' text of a choice).

Each field's annotation names its contract column (``myotrack: visits.ck``), and choice labels
are the contract's values, so a project can be read back from its own dictionary even after
the schema changed.
"""

from __future__ import annotations

from dataclasses import dataclass

from myotrack.interchange.redcap.dictionary import Field, format_choices
from myotrack.measures.grades import parse_grade
from myotrack.measures.mrc import REGIONS
from myotrack.tables import TABLES, vocab
from myotrack.tables.schema import ENZYMES, Column

RECORD_ID = "patient_id"
ANNOTATION = "myotrack:"
OTHER_LABEL = "other (write it in the next field)"
#: the qualifier of a lab value: a bound of the number, or a result without a number
QUALIFIERS: tuple[tuple[str, str], ...] = (
    ("<", "< (below the number)"),
    ("<=", "<= (at most the number)"),
    (">", "> (above the number)"),
    (">=", ">= (at least the number)"),
    ("~", "~ (about the number)"),
    ("normal", "normal (at or below the ULN; no number)"),
    ("elevated", "elevated (above the ULN; no number)"),
)


@dataclass(frozen=True)
class Form:
    name: str
    label: str
    prefix: str


FORMS: dict[str, Form] = {
    "patients": Form("demographics", "Demographics", ""),
    "visits": Form("visit", "Visit", "v_"),
    "treatments": Form("treatment", "Treatment", "tx_"),
    "events": Form("clinical_event", "Clinical event", "ev_"),
    "observations": Form("observation", "Observation", "obs_"),
}
GRID_PREFIX = "mrc_"
GRID_SWITCH = "mrc_more"
ENROLMENT_EVENT = ("Enrolment", "enrolment_arm_1")
VISIT_EVENT = ("Visit", "visit_arm_1")

_SECTIONS: dict[tuple[str, str], str] = {
    ("patients", "sex"): "Patient",
    ("visits", "day"): "Timing (days since the index date)",
    ("visits", "ck"): "Muscle enzymes (U/L), each with the laboratory's upper limit of normal",
    ("visits", "mrc_sum"): "Strength and function scores",
    ("visits", "physician_global"): "IMACS core set",
    ("visits", "weight_kg"): "Other",
    ("treatments", "dose"): "Dose",
    ("events", "kind"): "Event",
    ("observations", "code"): "Result",
}
#: (table, column) -> (column it qualifies, value that column must have; None = any value)
_SHOWN_WHEN: dict[tuple[str, str], tuple[str, str | None]] = {
    ("treatments", "dose_unit"): ("dose", None),
    ("treatments", "dose_per"): ("dose", None),
    ("events", "relapse_type"): ("kind", "relapse_reported"),
}


def form_of(table: str) -> Form:
    """The instrument of a table (a table added to the contract gets one of its own)."""
    return FORMS.get(table) or Form(table, table.replace("_", " ").capitalize(), f"{table}_")


def other_code(n_choices: int) -> str:
    """The code of the 'other' choice after ``n_choices`` vocabulary terms."""
    return str(max(99, n_choices + 1))


def grade_code(text: str) -> str:
    """The choice code of a grade: the digit itself, 4p for 4+, 3m for 3-, 1to2 for 1-2, t."""
    g = parse_grade(text)
    if text.strip().lower() in ("t", "trace"):
        return "t"
    if g.upper is not None:
        return f"{g.grade}to{g.upper}"
    return f"{g.grade}{ {'+': 'p', '-': 'm', '': ''}[g.modifier] }".replace(" ", "")


def grade_choices() -> list[tuple[str, str]]:
    """Every MRC grade the contract accepts, written the standard way, with its code."""
    singles = [f"{g}{m}" for g in range(6) for m in ("-", "", "+")]
    ranges = [f"{a}-{b}" for a in range(6) for b in range(a + 1, 6)]
    out = []
    for text in [*singles, *ranges, "T"]:
        try:
            g = parse_grade(text)
        except ValueError:
            continue
        out.append((grade_code(text), "T" if text == "T" else g.canonical))
    return out


def grid_muscles() -> tuple[str, ...]:
    """Muscles and limb regions of the MRC grid: the vocabulary's, then the regions."""
    return tuple(dict.fromkeys([*vocab.MUSCLES, *REGIONS]))


def grid_sides(muscle: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(sides shown at once, sides shown with the switch) of one muscle; '' = not stated."""
    if muscle.startswith("neck_"):
        return ("axial",), ("left", "right", "both", "")
    return ("left", "right"), ("both", "")


def grid_field(muscle: str, side: str) -> str:
    return f"{GRID_PREFIX}{muscle}_{side or 'ns'}"


def day_family(table: str, day: str) -> tuple[str, ...]:
    """A day column and its companions (``day``, ``day_earliest``, ``day_latest``, ...)."""
    spec = TABLES[table]
    return tuple(
        c.name
        for c in spec.columns
        if c.name == day or (c.name.startswith(day + "_") and c.kind != "day")
    )


def day_columns(table: str) -> tuple[str, ...]:
    return tuple(c.name for c in TABLES[table].columns if c.kind == "day")


def list_vocabulary(column: str) -> tuple[str, ...]:
    """The vocabulary of a ';'-list column ('' when it has none: a text field)."""
    return {
        "comorbidities": tuple(vocab.COMORBIDITIES),
        "other_antibodies": tuple(vocab.OTHER_ANTIBODIES),
    }.get(column, ())


def code_vocabulary() -> tuple[str, ...]:
    """The observation codes, when the contract has a vocabulary of them."""
    try:
        from myotrack.tables import observations  # type: ignore[attr-defined]
    except ImportError:
        return ()
    codes = getattr(observations, "CODES", ())
    return tuple(codes if not isinstance(codes, dict) else codes.keys())


def _annotation(targets: list[str], **extra: str) -> str:
    text = f"{ANNOTATION} {','.join(targets)}"
    for k, v in extra.items():
        text += f" {k}={v}"
    return text


def _label(col: Column) -> str:
    text = col.description[:1].upper() + col.description[1:]
    return f"{text} ({col.unit})" if col.unit and col.unit not in text else text


def _number(x: float | None) -> str:
    return "" if x is None else f"{x:g}"


def _column_fields(table: str, col: Column, names: set[str]) -> list[Field]:
    form = form_of(table)
    name = (
        f"{form.prefix}{col.name}"
        if not (table == "patients" and col.name == RECORD_ID)
        else RECORD_ID
    )
    targets = [f"{table}.{col.name}"]
    if (
        table == "visits"
        and col.name in TABLES["strength"].names
        and col.name in day_family("visits", "day")
    ):
        targets.append(f"strength.{col.name}")  # the grid's grades are of the visit's day
    base = {
        "name": name,
        "form": form.name,
        "label": _label(col),
        "section": _SECTIONS.get((table, col.name), ""),
        "required": "y" if col.required else "",
        "annotation": _annotation(targets),
        "branching": _branching(table, col, form.prefix, names),
    }
    if col.kind in ("int", "day", "float", "lab"):
        validation = "integer" if col.integer or col.kind in ("int", "day") else "number"
        note = col.allowed_text() if col.kind != "day" else "days since the index date"
        fields = [
            Field(
                type="text",
                validation=validation,
                minimum=_number(col.minimum),
                maximum=_number(col.maximum),
                note=note,
                **base,
            )
        ]
        if col.kind == "lab":
            fields.append(
                Field(
                    name=f"{name}_qualifier",
                    form=form.name,
                    type="dropdown",
                    label=f"{col.name.upper()} written with a bound, as approximate, or without a number",
                    choices=format_choices((str(i + 1), q) for i, (q, _) in enumerate(QUALIFIERS)),
                    note="; ".join(text for _, text in QUALIFIERS),
                    annotation=_annotation(targets, part="qualifier"),
                )
            )
        return fields
    if col.kind in ("enum", "unit"):
        return [
            Field(
                type="dropdown",
                choices=format_choices((str(i + 1), a) for i, a in enumerate(col.allowed)),
                **base,
            )
        ]
    terms: tuple[str, ...] = ()
    if col.kind == "drug":
        terms = tuple(d.name for d in vocab.DRUGS)
    elif col.kind == "code":
        terms = code_vocabulary()
    elif col.kind == "list":
        terms = list_vocabulary(col.name)
    if terms:
        other = other_code(len(terms))
        checkbox = col.kind == "list"
        pairs = [(str(i + 1), t) for i, t in enumerate(terms)] + [(other, OTHER_LABEL)]
        shown = f"[{name}({other})] = '1'" if checkbox else f"[{name}] = '{other}'"
        return [
            Field(
                type="checkbox" if checkbox else "dropdown", choices=format_choices(pairs), **base
            ),
            Field(
                name=f"{name}_other",
                form=form.name,
                type="text",
                label=f"{_label(col)}: other, as written"
                + (" (';'-separated)" if checkbox else ""),
                branching=shown,
                annotation=_annotation(targets, part="other"),
            ),
        ]
    if col.kind == "text" and col.name == "note":
        return [Field(type="notes", identifier="y", **base)]
    return [Field(type="text", **base)]


def _branching(table: str, col: Column, prefix: str, names: set[str]) -> str:
    spec = TABLES[table]
    base: str | None = None
    value: str | None = None
    if (table, col.name) in _SHOWN_WHEN:
        base, value = _SHOWN_WHEN[(table, col.name)]
    else:
        for suffix in ("_uln", "_earliest", "_latest"):
            stem = col.name.removesuffix(suffix)
            if col.name.endswith(suffix) and stem in spec.names:
                base = stem
    if base is None or base not in spec.names:
        return ""
    field = f"{prefix}{base}"
    if value is not None:
        allowed = spec.column(base).allowed
        return f"[{field}] = '{allowed.index(value) + 1}'" if value in allowed else ""
    logic = f"[{field}] <> ''"
    if spec.column(base).kind == "lab" or base in ENZYMES:
        logic += f" or [{field}_qualifier] <> ''"
    return logic


def _grid_fields() -> list[Field]:
    form = form_of("visits").name
    grades = format_choices(grade_choices())
    fields: list[Field] = []
    first = True
    extra_fields: list[Field] = []
    for muscle in grid_muscles():
        shown, extra = grid_sides(muscle)
        for side, more in [(s, False) for s in shown] + [(s, True) for s in extra]:
            f = Field(
                name=grid_field(muscle, side),
                form=form,
                type="dropdown",
                label=f"{muscle.replace('_', ' ')}, {side or 'side not stated'}",
                choices=grades,
                branching=f"[{GRID_SWITCH}] = '1'" if more else "",
                annotation=_annotation(["strength.grade"], muscle=muscle, side=side or "none"),
                section="Manual muscle testing: MRC grade per muscle and side" if first else "",
            )
            first = False
            (extra_fields if more else fields).append(f)
    switch = Field(
        name=GRID_SWITCH,
        form=form,
        type="yesno",
        label="Grades for both sides together, without a side, or on another side?",
        note="shows more grade fields",
    )
    spec = TABLES["strength"]
    grid_cols = {"patient_id", "muscle", "side", "grade", *day_family("strength", "day")}
    rest = [
        Field(
            name=f"{GRID_PREFIX}{c.name}",
            form=form,
            type="notes" if c.kind == "text" else "text",
            label=f"Manual muscle testing: {c.description}",
            note="one for every grade, or one line per grade: 'mrc_hip_flexors_left: ...'",
            identifier="y" if c.name == "note" else "",
            annotation=_annotation([f"strength.{c.name}"]),
        )
        for c in spec.columns
        if c.name not in grid_cols
    ]
    return [*fields, switch, *extra_fields, *rest]


def project_dictionary() -> tuple[Field, ...]:
    """The data dictionary of myotrack's own REDCap project, from the current schema."""
    fields: list[Field] = []
    for table, spec in TABLES.items():
        if table == "strength":
            continue
        names = set(spec.names)
        for col in spec.columns:
            if col.name == "patient_id" and table != "patients":
                continue
            fields.extend(_column_fields(table, col, names))
        if table == "visits":
            fields.extend(_grid_fields())
    return tuple(fields)


def project_forms() -> list[Form]:
    return [form_of(t) for t in TABLES if t != "strength"]


def setup_tables(classic: bool = False) -> dict[str, list[dict[str, str]]]:
    """The project set-up beyond the dictionary: events, instruments per event, repeating ones.

    Each is the CSV REDCap's Project Setup page imports: ``events`` (event_name, arm_num,
    unique_event_name), ``instrument_events`` (arm_num, unique_event_name, form) and
    ``repeating`` (event_name, form_name, custom_form_label; an empty form_name = the whole
    event repeats). A classic project has no events: one list of repeating instruments.
    """
    forms = project_forms()
    visit = form_of("visits").name
    demographics = form_of("patients").name
    repeating_forms = [f.name for f in forms if f.name != demographics]
    if classic:
        return {
            "repeating": [
                {"event_name": "", "form_name": f, "custom_form_label": ""} for f in repeating_forms
            ]
        }
    enrol, visit_event = ENROLMENT_EVENT[1], VISIT_EVENT[1]
    return {
        "events": [
            {"event_name": ENROLMENT_EVENT[0], "arm_num": "1", "unique_event_name": enrol},
            {"event_name": VISIT_EVENT[0], "arm_num": "1", "unique_event_name": visit_event},
        ],
        "instrument_events": [
            {
                "arm_num": "1",
                "unique_event_name": visit_event if f.name == visit else enrol,
                "form": f.name,
            }
            for f in forms
        ],
        "repeating": [{"event_name": visit_event, "form_name": "", "custom_form_label": ""}]
        + [
            {"event_name": enrol, "form_name": f, "custom_form_label": ""}
            for f in repeating_forms
            if f != visit
        ],
    }
