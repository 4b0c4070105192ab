"""Contract -> FHIR R4: one transaction Bundle per patient, every resource validated.

Resources (references are ``Patient/<id>``; every entry is a PUT with a stable id, so
writing again updates instead of duplicating):

- **Patient**: ``gender`` from ``sex``, ``managingOrganization.display`` from ``site``; the
  resource id is the patient_id (a pseudonym in the contract; never an identifier element).
- **Condition** (IMNM): Orphanet, ICD-10 and ICD-10-CM codes (:mod:`.codes`) and the
  subtype (``antibody``) as myotrack's code; ``onsetAge`` from ``age_at_onset``. One
  Condition per comorbidity term.
- **Observation**: one per filled visit measure (CK with LOINC 2157-6, ``valueQuantity`` with
  its comparator for a bound, ``interpretation`` N / H for 'normal' / 'elevated', and the ULN
  as ``referenceRange.high``; the other enzymes; MRC sum, MMT-8, mRS, prednisone dose, the
  IMACS core set, weight), one per muscle grade (``bodySite`` the muscle, ``valueString`` the
  grade as written), height and weight of the patient, every row of the observations table,
  and the events that are not adverse events (code: the event's kind).
- **MedicationStatement** per treatment: the drug (RxNorm where the table has it),
  ``dosage`` (dose and unit, route, schedule as text) and ``effectivePeriod``.
- **AdverseEvent** per adverse event: the term as ``event``, the drug it is attributed to as
  ``suspectEntity.instance.display``.

Time: without an index date, a day is written as the extension
``{CANONICAL}/StructureDefinition/relative-day`` (sub-extensions ``column``, ``day``,
``earliest``, ``latest``: days since the patient's index date, which itself is never
written); with an index date (an identified export), as dates in the standard elements.
Every contract value without a standard element is kept in the extension
``{CANONICAL}/StructureDefinition/contract-value`` (``column`` = table.column, ``value`` as
text), so nothing is lost; free-text notes are left out unless asked for, and listed.
"""

from __future__ import annotations

import hashlib
import json
import re
import uuid
from collections.abc import Mapping
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from myotrack.interchange.compare import row_keys
from myotrack.interchange.fhir.codes import (
    CANONICAL,
    CATEGORY,
    INTERPRETATION,
    UCUM,
    concept,
    local,
)
from myotrack.interchange.losses import WHOLE_ROW, ExportResult, Loss
from myotrack.tables import TABLES, Dataset
from myotrack.tables.schema import ENZYMES

RELATIVE_DAY = f"{CANONICAL}/StructureDefinition/relative-day"
CONTRACT_VALUE = f"{CANONICAL}/StructureDefinition/contract-value"
APPROXIMATE = f"{CANONICAL}/StructureDefinition/approximate"
#: the rank of the contract row a resource holds, in its table (an NDJSON export keeps no order)
ROW_ORDER = f"{CANONICAL}/StructureDefinition/row-order"
NAMESPACE = uuid.UUID("6f1c2a5e-4d0b-5c8e-9a3f-2b7d1e0c9a41")
FHIR_ID = re.compile(r"^[A-Za-z0-9\-.]{1,64}$")
GENDER = {"F": "female", "M": "male", "other": "other", "unknown": "unknown"}
SUBTYPE = "antibody"
_LAB = re.compile(r"^(<=|>=|<|>|~)?([0-9]*\.?[0-9]+)$")
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
NOTES_REASON = "free text is not exported de-identified (--include-notes writes it)"


def patient_resource_id(patient_id: str) -> str:
    """The Patient id: the patient_id itself when FHIR allows it as an id, else a digest."""
    if FHIR_ID.match(patient_id):
        return patient_id
    return "p" + hashlib.sha256(patient_id.encode()).hexdigest()[:32]


def number(text: str) -> int | float:
    value = float(text)
    return (
        int(value) if value.is_integer() and "." not in text and "e" not in text.lower() else value
    )


def quantity(text: str, unit: str) -> dict[str, Any]:
    q: dict[str, Any] = {"value": number(text)}
    if unit:
        q.update(unit=unit, system=UCUM, code=unit)
    return q


def contract_value(table: str, column: str, value: str) -> dict[str, Any]:
    return {
        "url": CONTRACT_VALUE,
        "extension": [
            {"url": "column", "valueCode": f"{table}.{column}"},
            {"url": "value", "valueString": value},
        ],
    }


class _Writer:
    def __init__(
        self, ds: Dataset, index_dates: Mapping[str, date] | None, include_notes: bool
    ) -> None:
        self.frames = ds.to_text_frames()
        self.keys = {t: row_keys(t, f) for t, f in self.frames.items()}
        self.index_dates = dict(index_dates or {})
        self.include_notes = include_notes
        self.losses: list[Loss] = []
        self.cells = 0

    # -- helpers
    def ref(self, pid: str) -> dict[str, str]:
        return {"reference": f"Patient/{patient_resource_id(pid)}"}

    def rid(self, pid: str, *parts: object) -> str:
        return str(uuid.uuid5(NAMESPACE, "/".join([pid, *map(str, parts)])))

    def date_of(self, pid: str, day: str) -> str | None:
        start = self.index_dates.get(pid)
        if start is None or day == "":
            return None
        return (start + timedelta(days=int(day))).isoformat()

    def rest(
        self,
        table: str,
        key: tuple[str, ...],
        row: Mapping[str, str],
        handled: set[str],
        res: dict[str, Any],
    ) -> None:
        """Every value not in a standard element goes to the contract-value extension."""
        ext = res.setdefault("extension", [])
        assert isinstance(ext, list)
        for col in TABLES[table].names:
            v = row.get(col, "")
            if col in handled or v == "":
                continue
            self.cells += 1
            if col == "note" and not self.include_notes:
                self.losses.append(Loss(table, key, col, v, NOTES_REASON))
                continue
            ext.append(contract_value(table, col, v))
        if not ext:
            del res["extension"]

    def days(
        self,
        table: str,
        row: Mapping[str, str],
        day: str,
        res: dict[str, Any],
        element: str | None,
    ) -> set[str]:
        """Write one day column (and its range): relative, or as a date in ``element``."""
        family = [day, f"{day}_earliest", f"{day}_latest"]
        pid = row["patient_id"]
        when = self.date_of(pid, row.get(day, ""))
        handled = set()
        if when is not None and element is not None:
            self.cells += 1
            handled.add(day)
            parent, _, child = element.partition(".")
            if child:
                target = res.setdefault(parent, {})
                assert isinstance(target, dict)
                target[child] = when
            else:
                res[element] = when
            return handled
        if pid in self.index_dates:
            return handled  # the day goes with the others as a contract value
        sub: list[dict[str, Any]] = [{"url": "column", "valueCode": day}]
        for name, col in (("day", day), ("earliest", family[1]), ("latest", family[2])):
            v = row.get(col, "")
            if v != "":
                self.cells += 1
                sub.append({"url": name, "valueInteger": int(v)})
                handled.add(col)
        if len(sub) > 1:
            ext = res.setdefault("extension", [])
            assert isinstance(ext, list)
            ext.append({"url": RELATIVE_DAY, "extension": sub})
        return handled

    def entry(self, res: dict[str, Any]) -> dict[str, Any]:
        return {
            "resource": res,
            "request": {"method": "PUT", "url": f"{res['resourceType']}/{res['id']}"},
        }

    # -- resources
    def patient(self, row: Mapping[str, str], key: tuple[str, ...]) -> list[dict[str, Any]]:
        pid = row["patient_id"]
        res: dict[str, Any] = {"resourceType": "Patient", "id": patient_resource_id(pid)}
        handled = {
            "sex",
            "site",
            "age_at_onset",
            "antibody",
            "comorbidities",
            "height_cm",
            "weight_kg",
        }
        if res["id"] == pid:
            handled.add("patient_id")
        self.cells += 1
        if row["sex"]:
            res["gender"] = GENDER[row["sex"]]
            self.cells += 1
        if row["site"]:
            res["managingOrganization"] = {"display": row["site"]}
            self.cells += 1
        self.rest("patients", key, row, handled, res)
        out = [res]
        condition: dict[str, Any] = {
            "resourceType": "Condition",
            "id": self.rid(pid, "condition", "imnm"),
            "subject": self.ref(pid),
            "code": {
                "coding": concept("patients", "condition", "imnm"),
                "text": "immune-mediated necrotizing myopathy",
            },
        }
        if row["antibody"]:
            self.cells += 1
            coding = condition["code"]
            assert isinstance(coding, dict)
            coding["coding"].append(local("patients", SUBTYPE, row["antibody"]).json())
        if row["age_at_onset"]:
            self.cells += 1
            condition["onsetAge"] = {
                "value": number(row["age_at_onset"]),
                "unit": "a",
                "system": UCUM,
                "code": "a",
            }
        out.append(condition)
        for i, term in enumerate(t for t in row["comorbidities"].split(";") if t):
            self.cells += i == 0
            out.append(
                {
                    "resourceType": "Condition",
                    "id": self.rid(pid, "comorbidity", i),
                    "subject": self.ref(pid),
                    "code": {
                        "coding": [local("patients", "comorbidities", term).json()],
                        "text": term,
                    },
                }
            )
        for col, unit in (("height_cm", "cm"), ("weight_kg", "kg")):
            if row[col]:
                self.cells += 1
                out.append(
                    {
                        "resourceType": "Observation",
                        "id": self.rid(pid, "patients", col),
                        "status": "final",
                        "category": [{"coding": [{"system": CATEGORY, "code": "vital-signs"}]}],
                        "code": {"coding": concept("patients", col, col)},
                        "subject": self.ref(pid),
                        "valueQuantity": quantity(row[col], unit),
                    }
                )
        return out

    def visit(self, row: Mapping[str, str], key: tuple[str, ...], n: int) -> list[dict[str, Any]]:
        pid = row["patient_id"]
        spec = TABLES["visits"]
        family = {"day", "day_earliest", "day_latest"}
        shared = {c for c in spec.names if c not in family and spec.column(c).kind in ("text",)}
        measures = [
            c.name
            for c in spec.columns
            if c.name not in family | shared | {"patient_id"}
            and not (c.name.endswith("_uln") and c.name[:-4] in ENZYMES)
        ]
        out: list[dict[str, Any]] = []
        for col in measures:
            uln = row.get(f"{col}_uln", "") if col in ENZYMES else ""
            value = row[col]
            if value == "" and uln == "":
                continue
            c = spec.column(col)
            res: dict[str, Any] = {
                "resourceType": "Observation",
                "id": self.rid(pid, "visits", n, col),
                "status": "final",
                "category": [
                    {
                        "coding": [
                            {"system": CATEGORY, "code": "laboratory" if col in ENZYMES else "exam"}
                        ]
                    }
                ],
                "code": {
                    "coding": concept("visits", col, col),
                    "text": c.description.split(":")[0],
                },
                "subject": self.ref(pid),
            }
            handled = self.days("visits", row, "day", res, "effectiveDateTime")
            handled |= {"patient_id"}
            if value != "":
                self.cells += 1
                if col in ENZYMES:
                    self._lab(res, key, col, value)
                elif c.kind in ("int", "float"):
                    res["valueQuantity"] = quantity(
                        value, "" if not c.unit or " " in c.unit or "-" in c.unit else c.unit
                    )
                else:
                    res["valueString"] = value
            if uln:
                self.cells += 1
                res["referenceRange"] = [{"high": quantity(uln, "U/L")}]
            self.rest(
                "visits",
                key,
                {k: row[k] for k in shared | family if k not in handled} | {"patient_id": pid},
                {"patient_id"},
                res,
            )
            self.cells -= (
                sum(1 for k in shared if row[k]) if out else 0
            )  # shared values counted once
            out.append(res)
        if not out:
            self.losses.append(
                Loss(
                    "visits",
                    key,
                    WHOLE_ROW,
                    row["day"],
                    "a visit without any measure has no Observation to hold it",
                )
            )
        return out

    def _lab(self, res: dict[str, Any], key: tuple[str, ...], col: str, value: str) -> None:
        m = _LAB.match(value)
        if m:
            q = quantity(m.group(2), "U/L")
            bound = m.group(1) or ""
            if bound in ("<", "<=", ">", ">="):
                q["comparator"] = bound
            elif bound == "~":
                q["extension"] = [{"url": APPROXIMATE, "valueBoolean": True}]
            res["valueQuantity"] = q
            return
        word = QUALITATIVE.get(value.lower())
        if word is None:
            self.losses.append(
                Loss("visits", key, col, value, "a lab value FHIR's Quantity cannot hold")
            )
            return
        code = "N" if word == "normal" else "H"
        res["interpretation"] = [
            {"coding": [{"system": INTERPRETATION, "code": code}], "text": word}
        ]
        if word != value:
            self.losses.append(
                Loss(
                    "visits",
                    key,
                    col,
                    value,
                    "a qualitative result written with its standard word",
                    word,
                )
            )

    def strength(self, row: Mapping[str, str], key: tuple[str, ...], n: int) -> dict[str, Any]:
        pid = row["patient_id"]
        res: dict[str, Any] = {
            "resourceType": "Observation",
            "id": self.rid(pid, "strength", n),
            "status": "final",
            "category": [{"coding": [{"system": CATEGORY, "code": "exam"}]}],
            "code": {
                "coding": [local("strength", "grade", "mrc_grade", "MRC grade").json()],
                "text": "MRC grade",
            },
            "subject": self.ref(pid),
            "bodySite": {
                "coding": [local("strength", "muscle", row["muscle"]).json()],
                "text": row["muscle"],
            },
            "valueString": row["grade"],
        }
        self.cells += 3
        handled = self.days("strength", row, "day", res, "effectiveDateTime") | {
            "patient_id",
            "muscle",
            "grade",
        }
        self.rest("strength", key, row, handled, res)
        return res

    def treatment(self, row: Mapping[str, str], key: tuple[str, ...], n: int) -> dict[str, Any]:
        pid = row["patient_id"]
        status = "completed" if row["end_day"] else ("active" if row["start_day"] else "unknown")
        res: dict[str, Any] = {
            "resourceType": "MedicationStatement",
            "id": self.rid(pid, "treatments", n),
            "status": status,
            "medicationCodeableConcept": {
                "coding": concept("treatments", "drug", row["drug"]),
                "text": row["drug"],
            },
            "subject": self.ref(pid),
        }
        self.cells += 1
        handled = {"patient_id", "drug"}
        handled |= self.days("treatments", row, "start_day", res, "effectivePeriod.start")
        handled |= self.days("treatments", row, "end_day", res, "effectivePeriod.end")
        dosage: dict[str, Any] = {}
        if row["schedule"]:
            dosage["text"] = row["schedule"]
        if row["route"]:
            dosage["route"] = {"text": row["route"]}
        if row["dose"]:
            dosage["doseAndRate"] = [{"doseQuantity": quantity(row["dose"], "")}]
            if row["dose_unit"]:
                dq = dosage["doseAndRate"][0]["doseQuantity"]  # type: ignore[index]
                dq.update(unit=row["dose_unit"], system=UCUM, code=row["dose_unit"]) if row[
                    "dose_unit"
                ] != "other" else dq.update(unit="other")
                handled.add("dose_unit")
        for col in ("schedule", "route", "dose"):
            if row[col]:
                handled.add(col)
        self.cells += len(handled & {"schedule", "route", "dose", "dose_unit"})
        if dosage:
            res["dosage"] = [dosage]
        self.rest("treatments", key, row, handled, res)
        return res

    def event(self, row: Mapping[str, str], key: tuple[str, ...], n: int) -> dict[str, Any]:
        pid = row["patient_id"]
        self.cells += 1
        if row["kind"] == "adverse_event":
            res: dict[str, Any] = {
                "resourceType": "AdverseEvent",
                "id": self.rid(pid, "events", n),
                "actuality": "actual",
                "subject": self.ref(pid),
            }
            handled = {"patient_id", "kind"}
            if row["term"]:
                res["event"] = {
                    "coding": [local("events", "term", row["term"]).json()],
                    "text": row["term"],
                }
                handled.add("term")
                self.cells += 1
            if row["treatment"]:
                res["suspectEntity"] = [{"instance": {"display": row["treatment"]}}]
                handled.add("treatment")
                self.cells += 1
            handled |= self.days("events", row, "day", res, "date")
        else:
            res = {
                "resourceType": "Observation",
                "id": self.rid(pid, "events", n),
                "status": "final",
                "code": {
                    "coding": [local("events", "kind", row["kind"]).json()],
                    "text": row["kind"].replace("_", " "),
                },
                "subject": self.ref(pid),
            }
            handled = {"patient_id", "kind"} | self.days(
                "events", row, "day", res, "effectiveDateTime"
            )
        handled |= self.days("events", row, "end_day", res, None)
        self.rest("events", key, row, handled, res)
        return res

    def observation(self, row: Mapping[str, str], key: tuple[str, ...], n: int) -> dict[str, Any]:
        pid = row["patient_id"]
        res: dict[str, Any] = {
            "resourceType": "Observation",
            "id": self.rid(pid, "observations", n),
            "status": "final",
            "code": {
                "coding": [local("observations", "code", row["code"]).json()],
                "text": row["code"],
            },
            "subject": self.ref(pid),
            "valueString": row["value"],
        }
        self.cells += 2
        handled = {"patient_id", "code", "value"} | self.days(
            "observations", row, "day", res, "effectiveDateTime"
        )
        self.rest("observations", key, row, handled, res)
        return res

    def bundles(self) -> dict[str, list[dict[str, Any]]]:
        per: dict[str, list[dict[str, Any]]] = {}
        for row, key in zip(
            self.frames["patients"].to_dict("records"), self.keys["patients"], strict=True
        ):
            per[row["patient_id"]] = self.patient(row, key)
        builders: dict[str, Any] = {
            "visits": self.visit,
            "strength": self.strength,
            "treatments": self.treatment,
            "events": self.event,
            "observations": self.observation,
        }
        for table, build in builders.items():
            for n, (row, key) in enumerate(
                zip(self.frames[table].to_dict("records"), self.keys[table], strict=True)
            ):
                made: Any = build(row, key, n)
                for res in made if isinstance(made, list) else [made]:
                    ext = res.setdefault("extension", [])
                    assert isinstance(ext, list)
                    ext.append({"url": ROW_ORDER, "valueInteger": n})
                    per[row["patient_id"]].append(res)
        return per


def validate(resource: Mapping[str, Any]) -> None:
    """Validate one resource with fhir.resources' R4B models (R4's for these resource types)."""
    from fhir.resources.R4B import get_fhir_model_class

    get_fhir_model_class(str(resource["resourceType"])).model_validate(resource)


def bundles(
    ds: Dataset, index_dates: Mapping[str, date] | None = None, include_notes: bool = False
) -> tuple[dict[str, dict[str, Any]], list[Loss], int]:
    """One validated transaction Bundle per patient, the losses and the cells written."""
    w = _Writer(ds, index_dates, include_notes)
    out = {}
    for pid, resources in w.bundles().items():
        for r in resources:
            validate(r)
        bundle: dict[str, Any] = {
            "resourceType": "Bundle",
            "type": "transaction",
            "entry": [w.entry(r) for r in resources],
        }
        validate(bundle)
        out[pid] = bundle
    return out, w.losses, w.cells


def write_fhir(
    ds: Dataset,
    path: str | Path,
    ndjson: bool = False,
    index_dates: Mapping[str, date] | None = None,
    include_notes: bool = False,
) -> ExportResult:
    """Write a Bundle per patient (``<id>.json``) or an NDJSON bulk export into a folder."""
    made, losses, cells = bundles(ds, index_dates, include_notes)
    folder = Path(path)
    folder.mkdir(parents=True, exist_ok=True)
    files: list[Path] = []
    if ndjson:
        lines: dict[str, list[str]] = {}
        for bundle in made.values():
            for e in bundle["entry"]:  # type: ignore[attr-defined]
                res = e["resource"]
                lines.setdefault(res["resourceType"], []).append(
                    json.dumps(res, ensure_ascii=False)
                )
        for rtype, text in lines.items():
            f = folder / f"{rtype}.ndjson"
            f.write_text("\n".join(text) + "\n", encoding="utf-8")
            files.append(f)
    else:
        for pid, bundle in made.items():
            f = folder / f"{patient_resource_id(pid)}.json"
            f.write_text(json.dumps(bundle, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
            files.append(f)
    return ExportResult(tuple(files), tuple(losses), cells)
