"""The empty workbook with a data dictionary (``myotrack template PATH.xlsx``).

The data dictionary lists every column of the contract and, below them, every term of the
vocabularies (drugs with their classes, muscles and limb regions, comorbidities with their
ICD-10 codes, other antibodies, event terms), each with its synonyms.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from myotrack.tables import vocab
from myotrack.tables.observations import CODES, FINDINGS, SYMPTOMS, Code
from myotrack.tables.schema import REFERENCE_RANGES, TABLES

#: Every sheet of the template: the contract's tables and the laboratories' reference ranges.
SPECS = {**TABLES, REFERENCE_RANGES.name: REFERENCE_RANGES}

VOCABULARY = "vocabulary"
#: Extra columns of the data dictionary that only the vocabulary rows fill.
VOCABULARY_COLUMNS = ("term", "class", "icd10", "synonyms")


def _see(column: str) -> str:
    return f"(the '{VOCABULARY}' rows for {column} list every term with its synonyms)"


def _allowed(table: str, column: str, text: str) -> str:
    if column in ("drug", "treatment"):
        return "a drug name or synonym of the vocabulary, stored as its name " + _see(
            "treatments.drug"
        )
    if column == "muscle":
        return "a muscle group or limb region of the vocabulary, or a synonym " + _see(
            "strength.muscle"
        )
    if column == "comorbidities":
        return "';'-separated terms of the vocabulary, with ICD-10 codes " + _see(
            "patients.comorbidities"
        )
    if column == "other_antibodies":
        return "';'-separated, e.g. Ro52;ANA " + _see("patients.other_antibodies")
    if column == "grade":
        return "0-5 with + or - (4+, 3-), a range (1-2), or T (trace)"
    if column == "term":
        return "e.g. " + ", ".join(vocab.EVENT_TERMS[:8]) + " " + _see("events.term")
    kind = SPECS[table].column(column).kind
    if kind == "lab":
        return ">= 0 as a number, a bound (<200, <=200, >10000, >=3000), ~N, or normal / elevated"
    if kind == "day":
        return (
            "whole days since the index date, or 120..150, ~120, 6 months, ~6 years, "
            f"within 2 weeks, at age 37 (the range goes to {column}_earliest / _latest)"
        )
    if kind == "unit":
        return text + "; optionally per day, week, month, course (mg/kg/day, g/kg per course)"
    if kind == "code":
        return "a code of the observation vocabulary " + _see("observations.code")
    return text


def _vocabulary_rows() -> list[dict[str, str]]:
    """One row per vocabulary term: the column it serves, its class or ICD-10 code, synonyms."""

    def row(
        column: str, term: str, label: str, cls: str, icd10: str, synonyms: tuple[str, ...]
    ) -> dict[str, str]:
        return {
            "table": VOCABULARY,
            "column": column,
            "description": label,
            "term": term,
            "class": cls,
            "icd10": icd10,
            "synonyms": "; ".join(synonyms),
        }

    rows = [
        row(
            "treatments.drug",
            d.name,
            d.label,
            f"{d.drug_class} ({vocab.drug_class_label(d.drug_class)})",
            "",
            d.synonyms,
        )
        for d in vocab.DRUGS
    ]
    regions = {r: ", ".join(m) for r, m in vocab.REGIONS.items()}
    synonyms: dict[str, list[str]] = {m: [] for m in (*vocab.MUSCLES, *vocab.REGIONS)}
    for table in (vocab.MUSCLE_SYNONYMS, vocab.REGION_SYNONYMS):
        for written, name in table.items():
            synonyms[name].append(written.replace("_", " "))
    rows += [
        row(
            "strength.muscle",
            m,
            f"region: {regions[m]}" if m in regions else m.replace("_", " "),
            "region" if m in regions else "muscle",
            "",
            tuple(synonyms[m]),
        )
        for m in synonyms
    ]
    rows += [
        row("patients.comorbidities", c.term, c.label, c.kind, c.icd10, c.synonyms)
        for c in vocab.COMORBIDITY_TERMS
    ]
    rows += [
        row("patients.other_antibodies", a.name, a.label, "", "", a.synonyms)
        for a in vocab.OTHER_ANTIBODY_ENTRIES
    ]
    rows += [
        row("events.term", e.term, e.label, "", "", e.synonyms) for e in vocab.EVENT_TERM_ENTRIES
    ]
    rows += [
        row("observations.code", c.code, f"{c.label} ({_values(c)})", c.kind, "", ()) for c in CODES
    ]
    return rows


def _values(code: Code) -> str:
    if code.kind == "number":
        return f"a number, {code.minimum:g} to {code.maximum:g} {code.unit}".strip()
    if code.kind == "antibody":
        return "positive, negative, borderline, a titre 1:640 or a number"
    return ", ".join(FINDINGS if code.kind == "finding" else SYMPTOMS)


def dictionary_frame() -> pd.DataFrame:
    """One row per column of the contract (table, column, required, unit, allowed values,
    meaning), then one row per vocabulary term (table 'vocabulary': the column it serves, the
    term, its label, drug class or comorbidity kind, ICD-10 code and synonyms)."""
    rows: list[dict[str, str]] = []
    for table, spec in SPECS.items():
        for c in spec.columns:
            rows.append(
                {
                    "table": table,
                    "column": c.name,
                    "required": "yes" if c.required else "no",
                    "unit": c.unit,
                    "allowed": _allowed(table, c.name, c.allowed_text()),
                    "description": c.description,
                }
            )
    rows += _vocabulary_rows()
    columns = ["table", "column", "required", "unit", "allowed", "description", *VOCABULARY_COLUMNS]
    return pd.DataFrame(rows, columns=columns).fillna("")


def write_template(path: str | Path) -> Path:
    """An empty workbook: one sheet per table (and reference_ranges) with its header, and the
    data dictionary."""
    p = Path(path)
    if p.suffix.lower() != ".xlsx":
        p = p.with_suffix(".xlsx")
    p.parent.mkdir(parents=True, exist_ok=True)
    with pd.ExcelWriter(p, engine="openpyxl") as writer:
        for name, spec in SPECS.items():
            pd.DataFrame(columns=list(spec.names)).to_excel(writer, sheet_name=name, index=False)
        dictionary_frame().to_excel(writer, sheet_name="data_dictionary", index=False)
    return p
