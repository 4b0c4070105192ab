"""The one mapping table of codes myotrack writes in FHIR (``data/codes.csv``), and its own.

``codes.csv`` holds, per concept (``condition:imnm``, ``visits:ck``, ``drug:rituximab``, ...),
the standard codes: Orphanet, ICD-10 and ICD-10-CM for IMNM (ICD-10-CM G72.41 is inclusion
body myositis, so G72.49 is used), LOINC for the enzymes and body size, RxNorm ingredients for
drugs. A concept without a row there (the IMNM subtypes, MRC sum, mRS, the IMACS core set,
muscles, event terms, observation codes, drugs whose RxNorm code was not confirmed) has only
myotrack's own code: system ``{CANONICAL}/CodeSystem/<table>-<column>``, code the column
name or the vocabulary term. Every coding myotrack writes carries its own code too, so a
Bundle reads back without the table.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

#: The canonical base of myotrack's own FHIR artefacts (code systems and extensions).
CANONICAL = "https://myotrack.org/fhir"
UCUM = "http://unitsofmeasure.org"
CATEGORY = "http://terminology.hl7.org/CodeSystem/observation-category"
INTERPRETATION = "http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation"
CODES_FILE = Path(__file__).resolve().parent / "data" / "codes.csv"


@dataclass(frozen=True)
class Coding:
    system: str
    code: str
    display: str

    def json(self) -> dict[str, str]:
        return {"system": self.system, "code": self.code, "display": self.display}


@lru_cache(maxsize=1)
def _table() -> dict[str, tuple[Coding, ...]]:
    out: dict[str, list[Coding]] = {}
    with CODES_FILE.open(encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            out.setdefault(row["concept"], []).append(
                Coding(row["system"], row["code"], row["display"])
            )
    return {k: tuple(v) for k, v in out.items()}


def standard(concept: str) -> tuple[Coding, ...]:
    """The standard codings of a concept (empty when the table has none)."""
    return _table().get(concept, ())


def local_system(table: str, column: str) -> str:
    return f"{CANONICAL}/CodeSystem/{table}-{column}"


def local(table: str, column: str, code: str, display: str | None = None) -> Coding:
    return Coding(local_system(table, column), code, display or code.replace("_", " "))


def concept(table: str, column: str, code: str, display: str | None = None) -> list[dict[str, str]]:
    """The codings of one concept: the standard ones, then myotrack's own."""
    if column in ("drug", "treatment"):
        key = f"drug:{code}"
    elif column == "condition":
        key = f"condition:{code}"
    else:
        key = f"{table}:{column}"
    return [c.json() for c in standard(key)] + [local(table, column, code, display).json()]


def code_in(codings: list[dict[str, object]] | None, system: str) -> str | None:
    for c in codings or []:
        if c.get("system") == system:
            return str(c.get("code", ""))
    return None
