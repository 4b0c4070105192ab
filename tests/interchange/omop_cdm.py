"""A small synthetic OMOP CDM v5.4 (four persons), built from the official field-level spec.

The tables are created with every column of the v5.4 spec
(``tests/data/omop/OMOP_CDMv5.4_Field_Level_subset.csv``, types as in OHDSI's PostgreSQL DDL:
integer, NUMERIC for float, date, timestamp, varchar(n), TEXT for varchar(MAX)); the concept
rows are ``tests/data/omop/concepts.csv``. The statements were compared with OHDSI's
``inst/ddl/5.4/postgresql/OMOPCDM_postgresql_5.4_ddl.sql`` of the same commit: the same
columns, in the same order, with the same types and NOT NULL, for all ten tables. What each person is meant to give is in the
docstrings of ``tests/interchange/test_omop.py``.

- person 1: F, born 1960-05-10; IMNM on 2020-03-01 (day 0), anti-HMGCR positive 2020-02-20;
  a prednisone era 2020-03-02 to 2020-10-01 besides the exposures (not read: exposures exist);
  atorvastatin from 2019-01-01; CK 8000 and 7500 (U/L, ULN 200) and ALT 150 (ULN 40) on day 0,
  CK 0.5 ukat/L on 2020-04-01, CK <200 on 2020-06-01; prednisone 2020-03-02 to 2020-09-01
  (oral), IVIG 2020-03-10 (IV), rituximab 2020-05-01; hypertension (ICD10CM I10 as the source
  concept) and type 2 diabetes (SNOMED only; ICD10CM E11.9 maps to it).
- person 2: M, only the year of birth (1950); anti-SRP positive on 2021-07-15 (observation
  table), anti-HMGCR 5 U/mL the same day; died 2022-01-15. Drug eras only (no exposure):
  atorvastatin 2020-01-01 to 2021-06-30, prednisone 2021-07-20 to 2021-12-31 (12 drug-free
  days), rituximab 2021-08-01 to 2021-08-15 (gap days not given).
- person 3: hypertension only: never selected.
- person 4: gender unknown, born 1980-12-31; statin-associated IMNM (a descendant of IMNM) on
  2022-01-01; immunoglobulin SC on 2022-02-01; atorvastatin from 2022-06-01 (after day 0).
"""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any

DATA = Path(__file__).resolve().parents[1] / "data" / "omop"
SPEC = DATA / "OMOP_CDMv5.4_Field_Level_subset.csv"
CONCEPTS = DATA / "concepts.csv"

IMNM, SAAM = 2000000200, 2000000201


def _rows(path: Path) -> list[dict[str, str]]:
    text = "".join(line for line in path.open(encoding="utf-8") if not line.startswith("#"))
    return list(csv.DictReader(io.StringIO(text)))


def spec() -> dict[str, list[tuple[str, str, bool]]]:
    """table -> [(column, cdm datatype, required)] in the spec's order."""
    out: dict[str, list[tuple[str, str, bool]]] = {}
    for r in _rows(SPEC):
        out.setdefault(r["cdmTableName"].lower(), []).append(
            (r["cdmFieldName"].lower(), r["cdmDatatype"], r["isRequired"] == "Yes")
        )
    return out


def _sql_type(cdm: str) -> str:
    low = cdm.lower()
    if low == "integer":
        return "INTEGER"
    if low == "float":
        return "NUMERIC"
    if low == "date":
        return "DATE"
    if low == "datetime":
        return "TIMESTAMP"
    if low == "varchar(max)":
        return "TEXT"
    return cdm.upper()


def ddl(schema: str) -> list[str]:
    return [
        f"CREATE TABLE {schema}.{table} ("
        + ", ".join(f"{c} {_sql_type(t)}{' NOT NULL' if req else ''}" for c, t, req in cols)
        + ")"
        for table, cols in spec().items()
    ]


def _lit(v: Any) -> str:
    if v is None:
        return "NULL"
    if isinstance(v, int | float):
        return repr(v)
    return "'" + str(v).replace("'", "''") + "'"


_DEFAULTS = {
    "race_concept_id": 0,
    "ethnicity_concept_id": 0,
    "measurement_type_concept_id": 0,
    "observation_type_concept_id": 0,
    "drug_type_concept_id": 0,
    "condition_type_concept_id": 0,
    "valid_start_date": "1970-01-01",
    "valid_end_date": "2099-12-31",
    "min_levels_of_separation": 0,
    "max_levels_of_separation": 0,
}


def _insert(schema: str, table: str, rows: list[dict[str, Any]]) -> list[str]:
    cols = [c for c, _, _ in spec()[table]]
    required = {c for c, _, req in spec()[table] if req}
    out = []
    for row in rows:
        full = {c: row.get(c, _DEFAULTS.get(c) if c in required else None) for c in cols}
        out.append(
            f"INSERT INTO {schema}.{table} ({', '.join(cols)}) VALUES "
            f"({', '.join(_lit(full[c]) for c in cols)})"
        )
    return out


def _concepts() -> list[dict[str, Any]]:
    return [
        {
            "concept_id": int(r["concept_id"]),
            "concept_name": r["concept_name"],
            "domain_id": r["domain_id"],
            "vocabulary_id": r["vocabulary_id"],
            "concept_class_id": r["concept_class_id"],
            "standard_concept": r["standard_concept"] or None,
            "concept_code": r["concept_code"],
        }
        for r in _rows(CONCEPTS)
    ]


CK, ALT, HMGCR, SRP = 2000000001, 3006923, 2000000004, 2000000005
UL, UKAT, UML = 8645, 2000000010, 2000000011
LT, EQ, POS = 2000000020, 2000000021, 2000000030
ORAL, IV, SC = 2000000040, 2000000041, 2000000042
PRED_TAB, RTX_INJ, IGG_INJ, ATORVA_TAB = 2000000101, 2000000103, 2000000105, 2000000107
PRED, RTX, ATORVA = 2000000100, 2000000102, 2000000106
HTN, T2DM, ICD_I10, ICD_E11_9 = 2000000202, 2000000203, 2000000300, 2000000301


def _ancestors() -> list[dict[str, Any]]:
    self_rows = [2000000100, 2000000102, 2000000104, 2000000106, IMNM, SAAM, HTN, T2DM]
    pairs = [(c, c, 0) for c in self_rows] + [
        (2000000100, PRED_TAB, 1),
        (2000000102, RTX_INJ, 1),
        (2000000104, IGG_INJ, 1),
        (2000000106, ATORVA_TAB, 1),
        (IMNM, SAAM, 1),
    ]
    return [
        {
            "ancestor_concept_id": a,
            "descendant_concept_id": d,
            "min_levels_of_separation": n,
            "max_levels_of_separation": n,
        }
        for a, d, n in pairs
    ]


def _measurements() -> list[dict[str, Any]]:
    rows = [
        # person, concept, date, value, unit, range_high, operator, value concept
        (1, CK, "2020-03-01", 8000, UL, 200, EQ, None),
        (1, CK, "2020-03-01", 7500, UL, 200, None, None),
        (1, ALT, "2020-03-01", 150, UL, 40, None, None),
        (1, CK, "2020-04-01", 0.5, UKAT, 3.3, None, None),
        (1, CK, "2020-06-01", 200, UL, 200, LT, None),
        (1, HMGCR, "2020-02-20", None, None, None, None, POS),
        (2, HMGCR, "2021-07-15", 5, UML, 20, None, None),
        (3, CK, "2020-01-01", 300, UL, 200, None, None),
    ]
    return [
        {
            "measurement_id": i + 1,
            "person_id": p,
            "measurement_concept_id": c,
            "measurement_date": d,
            "value_as_number": v,
            "unit_concept_id": u,
            "range_high": hi,
            "operator_concept_id": op,
            "value_as_concept_id": vc,
        }
        for i, (p, c, d, v, u, hi, op, vc) in enumerate(rows)
    ]


def _drugs() -> list[dict[str, Any]]:
    rows = [
        (1, ATORVA_TAB, "2019-01-01", "2020-03-01", None, ORAL),
        (1, PRED_TAB, "2020-03-02", "2020-09-01", None, ORAL),
        (1, IGG_INJ, "2020-03-10", "2020-03-10", None, IV),
        (1, RTX_INJ, "2020-05-01", "2020-05-31", "2020-05-01", IV),
        (4, IGG_INJ, "2022-02-01", "2022-02-01", None, SC),
        (4, ATORVA_TAB, "2022-06-01", "2022-07-01", None, ORAL),
    ]
    return [
        {
            "drug_exposure_id": i + 1,
            "person_id": p,
            "drug_concept_id": c,
            "drug_exposure_start_date": s,
            "drug_exposure_end_date": e,
            "verbatim_end_date": v,
            "route_concept_id": r,
        }
        for i, (p, c, s, e, v, r) in enumerate(rows)
    ]


def _eras() -> list[dict[str, Any]]:
    rows = [
        # person, ingredient concept, start, end, gap days
        (1, PRED, "2020-03-02", "2020-10-01", 0),
        (2, ATORVA, "2020-01-01", "2021-06-30", 0),
        (2, PRED, "2021-07-20", "2021-12-31", 12),
        (2, RTX, "2021-08-01", "2021-08-15", None),
    ]
    return [
        {
            "drug_era_id": i + 1,
            "person_id": p,
            "drug_concept_id": c,
            "drug_era_start_date": s,
            "drug_era_end_date": e,
            "gap_days": g,
        }
        for i, (p, c, s, e, g) in enumerate(rows)
    ]


def _conditions() -> list[dict[str, Any]]:
    rows = [
        (1, IMNM, "2020-03-01", None),
        (1, HTN, "2015-01-01", ICD_I10),
        (1, T2DM, "2018-01-01", None),
        (3, HTN, "2015-01-01", ICD_I10),
        (4, SAAM, "2022-01-01", None),
    ]
    return [
        {
            "condition_occurrence_id": i + 1,
            "person_id": p,
            "condition_concept_id": c,
            "condition_start_date": d,
            "condition_source_concept_id": s,
        }
        for i, (p, c, d, s) in enumerate(rows)
    ]


def statements(schema: str) -> list[str]:
    """Every statement that builds the synthetic CDM in ``schema`` (which must exist)."""
    persons = [
        {
            "person_id": 1,
            "gender_concept_id": 8532,
            "year_of_birth": 1960,
            "month_of_birth": 5,
            "day_of_birth": 10,
        },
        {"person_id": 2, "gender_concept_id": 8507, "year_of_birth": 1950},
        {"person_id": 3, "gender_concept_id": 8507, "year_of_birth": 1970},
        {
            "person_id": 4,
            "gender_concept_id": 8551,
            "year_of_birth": 1980,
            "birth_datetime": "1980-12-31 00:00:00",
        },
    ]
    observations = [
        {
            "observation_id": 1,
            "person_id": 2,
            "observation_concept_id": SRP,
            "observation_date": "2021-07-15",
            "value_as_concept_id": POS,
        }
    ]
    relationships = [
        {"concept_id_1": ICD_E11_9, "concept_id_2": T2DM, "relationship_id": "Maps to"},
        {"concept_id_1": ICD_I10, "concept_id_2": HTN, "relationship_id": "Maps to"},
    ]
    return [
        *ddl(schema),
        *_insert(schema, "concept", _concepts()),
        *_insert(schema, "concept_ancestor", _ancestors()),
        *_insert(schema, "concept_relationship", relationships),
        *_insert(schema, "person", persons),
        *_insert(schema, "measurement", _measurements()),
        *_insert(schema, "observation", observations),
        *_insert(schema, "drug_exposure", _drugs()),
        *_insert(schema, "drug_era", _eras()),
        *_insert(schema, "condition_occurrence", _conditions()),
        *_insert(schema, "death", [{"person_id": 2, "death_date": "2022-01-15"}]),
    ]
