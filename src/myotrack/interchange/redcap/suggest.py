"""A first mapping for an existing REDCap project, from its field names, labels and choices.

Each field's name and label are matched against the contract's columns (a table of the words
clinicians and REDCap designers use for them, :data:`WORDS`), the muscle vocabulary (a grade
field names a muscle and a side) and, for choice fields, the vocabularies: drugs
(:func:`myotrack.tables.vocab.canonical_drug`), muscles, the schema's allowed values and MRC
grades. Date fields give days since the index date (the onset date field, when one is found).
Every suggestion carries a comment saying why; fields with no match are listed at the end.
The result is a start for a person to review, never a mapping to use unread.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from myotrack.interchange.redcap.dictionary import Field
from myotrack.interchange.redcap.mapping import FieldMap, RedcapMapping
from myotrack.measures.grades import parse_grade
from myotrack.tables import TABLES, vocab
from myotrack.tables.schema import ENZYMES

#: words (matched as whole words in a field's name or label) for contract columns
WORDS: dict[str, tuple[str, ...]] = {
    "patients.sex": ("sex", "gender"),
    "patients.age_at_onset": (
        "age at onset",
        "onset age",
        "age onset",
        "age at symptom onset",
        "age at first symptoms",
    ),
    "patients.antibody": (
        "antibody",
        "myositis specific antibody",
        "msa",
        "serology",
        "autoantibody",
    ),
    "patients.other_antibodies": ("other antibodies", "associated antibodies", "maa"),
    "patients.statin_exposure": ("statin", "statin exposure", "statin use"),
    "patients.height_cm": ("height",),
    "patients.weight_kg": ("weight", "body weight"),
    "patients.comorbidities": ("comorbidities", "comorbidity", "medical history"),
    "patients.site": ("site", "centre", "center"),
    "visits.ck": ("ck", "cpk", "creatine kinase", "creatine phosphokinase", "creatinine kinase"),
    "visits.ldh": ("ldh", "lactate dehydrogenase"),
    "visits.hbdh": ("hbdh", "hydroxybutyrate dehydrogenase"),
    "visits.aldolase": ("aldolase",),
    "visits.alt": ("alt", "alat", "sgpt", "alanine aminotransferase"),
    "visits.ast": ("ast", "asat", "sgot", "aspartate aminotransferase"),
    "visits.mrc_sum": ("mrc sum", "mrc total", "mrc sum score", "mrc score", "mrcss"),
    "visits.mmt8": ("mmt8", "mmt 8", "manual muscle testing 8"),
    "visits.mrs": ("mrs", "rankin", "modified rankin"),
    "visits.prednisone_mg_day": (
        "prednisone",
        "prednisolone",
        "steroid dose",
        "glucocorticoid dose",
        "pred dose",
    ),
    "visits.physician_global": (
        "physician global",
        "md global",
        "phga",
        "physician global activity",
    ),
    "visits.patient_global": ("patient global", "ptga", "patient global activity"),
    "visits.extramuscular_global": ("extramuscular", "extra muscular"),
    "visits.haq": ("haq", "health assessment questionnaire"),
    "visits.myoact": ("myoact",),
    "visits.mitax": ("mitax",),
    "visits.day": (
        "visit date",
        "date of visit",
        "assessment date",
        "visit day",
        "date of assessment",
        "exam date",
    ),
    "treatments.drug": ("drug", "medication", "treatment", "therapy", "agent", "immunosuppressant"),
    "treatments.start_day": ("start date", "date started", "start", "treatment start", "begin"),
    "treatments.end_day": ("stop date", "end date", "date stopped", "stop", "end", "discontinued"),
    "treatments.dose": ("dose", "dosage"),
    "treatments.dose_unit": ("dose unit", "unit", "units"),
    "treatments.route": ("route",),
    "treatments.stop_reason": (
        "reason stopped",
        "stop reason",
        "reason for stopping",
        "discontinuation reason",
    ),
    "events.term": ("adverse event", "ae", "ae term", "complication", "side effect"),
    "events.day": ("event date", "ae date", "date of event", "ae onset"),
    "events.grade": ("ctcae", "ae grade", "severity grade", "ctcae grade"),
}
INDEX_WORDS = ("onset date", "date of onset", "symptom onset", "first symptoms", "disease onset")
SIDE_WORDS = {
    "left": "left",
    "l": "left",
    "lt": "left",
    "right": "right",
    "r": "right",
    "rt": "right",
    "bilateral": "both",
    "both": "both",
}
SYNONYMS = {
    "patients.sex": {"female": "F", "woman": "F", "f": "F", "male": "M", "man": "M", "m": "M"},
    "patients.antibody": {
        "anti srp": "SRP",
        "srp": "SRP",
        "anti hmgcr": "HMGCR",
        "hmgcr": "HMGCR",
        "anti hmg coa reductase": "HMGCR",
        "negative": "seronegative",
        "seronegative": "seronegative",
        "none": "seronegative",
        "not tested": "unknown",
    },
    "patients.statin_exposure": {
        "yes": "yes",
        "no": "no",
        "unknown": "unknown",
        "not known": "unknown",
    },
}


def _words(text: str) -> str:
    return " " + re.sub(r"[^a-z0-9]+", " ", text.lower()).strip() + " "


def _has(text: str, phrase: str) -> bool:
    return f" {phrase} " in text


@dataclass(frozen=True)
class Suggestion:
    mapping: RedcapMapping
    comments: dict[str, str]
    unmapped: list[tuple[str, str]]


def _muscle_side(text: str) -> tuple[str, str] | None:
    tokens = text.split()
    muscle = None
    for n in (3, 2, 1):
        for i in range(len(tokens) - n + 1):
            m = vocab.canonical_muscle(" ".join(tokens[i : i + n]))
            if m:
                muscle = m
                break
        if muscle:
            break
    if muscle is None:
        return None
    side = next((SIDE_WORDS[t] for t in tokens if t in SIDE_WORDS), "")
    if muscle.startswith("neck") and not side:
        side = "axial"
    return muscle, side


def _enum_choices(target: str, f: Field) -> tuple[dict[str, str], list[str]]:
    table, column = target.split(".")
    col = TABLES[table].column(column)
    known = SYNONYMS.get(target, {})
    out, missed = {}, []
    for code, label in f.choice_list():
        key = _words(label).strip()
        value = known.get(key) or next(
            (a for a in col.allowed if a.lower() == key.replace(" ", "_")), None
        )
        if col.kind == "drug":
            value = vocab.canonical_drug(label)
        elif col.kind == "grade":
            try:
                value = parse_grade(label.replace("/5", "")).canonical
            except ValueError:
                value = None
        elif col.kind == "list":
            terms = {
                t.lower(): t
                for t in (
                    vocab.COMORBIDITIES if column == "comorbidities" else vocab.OTHER_ANTIBODIES
                )
            }
            value = terms.get(key.replace(" ", "_")) or terms.get(key.replace(" ", ""))
        if value:
            out[code] = value
        else:
            missed.append(f"{code} ({label})")
    return out, missed


def suggest_mapping(fields: Sequence[Field]) -> Suggestion:
    """A first mapping of a project's dictionary, with a comment per field and the unmapped."""
    maps: list[FieldMap] = []
    comments: dict[str, str] = {}
    unmapped: list[tuple[str, str]] = []
    record_id = fields[0].name
    index_date = None
    used: set[str] = set()
    forms_with_day = set()
    plan: list[tuple[Field, str, str]] = []
    for f in fields[1:]:
        if f.type in ("descriptive", "calc", "file") or f.name.endswith("_complete"):
            unmapped.append((f.name, f"a {f.type} field"))
            continue
        text = _words(f"{f.name.replace('_', ' ')} {f.label}")
        is_date = f.validation.startswith("date")
        if is_date and any(_has(text, w) for w in INDEX_WORDS):
            index_date = f.name
            comments[f.name] = "the index date (day 0)"
            continue
        grade = _muscle_side(text) if f.type in ("dropdown", "radio", "text") else None
        if grade and not any(_has(text, w) for w in ("date", "sum", "total", "score")):
            muscle, side = grade
            grades, missed = _enum_choices("strength.grade", f) if f.choice_list() else ({}, [])
            maps.append(
                FieldMap(
                    f.name, ("strength.grade",), choices=grades or None, muscle=muscle, side=side
                )
            )
            comments[f.name] = (
                f"a grade of {muscle} ({side or 'side not stated'}) from {f.label!r}"
                + (f"; choices not matched: {', '.join(missed)}" if missed else "")
            )
            continue
        best = None
        for target, words in WORDS.items():
            for w in words:
                if _has(text, w) and (best is None or len(w) > len(best[1])):
                    best = (target, w)
        if best is None and f.choice_list():
            drugs = [vocab.canonical_drug(lab) for _, lab in f.choice_list()]
            if sum(d is not None for d in drugs) * 2 > len(drugs):
                best = ("treatments.drug", "choices that are drugs")
        if best is None:
            unmapped.append((f.name, f"no contract column matches {f.label!r}"))
            continue
        target, word = best
        table, column = target.split(".")
        if column in ENZYMES and (
            _has(text, "uln") or _has(text, "upper limit") or _has(text, "normal")
        ):
            target = f"{table}.{column}_uln"
        if (
            is_date
            and table in ("treatments", "events", "visits")
            and column not in ("day", "start_day", "end_day")
        ):
            target = f"{table}.{'day' if table != 'treatments' else 'start_day'}"
        if target.endswith(".day") and table == "visits":
            forms_with_day.add(f.form)
        plan.append((f, target, word))
    for f, target, word in plan:
        if target == "patients.weight_kg" and f.form in forms_with_day:
            target = "visits.weight_kg"
        if target in used and not target.startswith("strength."):
            unmapped.append(
                (f.name, f"{target} is already given by another field (matched {word!r})")
            )
            continue
        used.add(target)
        table, column = target.split(".")
        col = TABLES[table].column(column)
        targets = (target, "strength.day") if target == "visits.day" else (target,)
        date = f.validation.startswith("date") and col.kind == "day"
        choices: dict[str, str] | None = None
        note = f"matched {word!r} in {f.name!r} / {f.label!r}"
        if f.choice_list() and f.type in ("dropdown", "radio", "checkbox"):
            choices, missed = _enum_choices(target, f)
            if missed:
                note += f"; choices not matched (add them): {', '.join(missed)}"
        if date:
            note += "; a date: days since the index date"
        maps.append(FieldMap(f.name, targets, choices=choices, date=date))
        comments[f.name] = note
    mapping = RedcapMapping(record_id, tuple(maps), index_date)
    return Suggestion(mapping, comments, unmapped)
