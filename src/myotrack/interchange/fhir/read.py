"""FHIR R4 -> contract: transaction Bundles or an NDJSON bulk export, as written by
:mod:`.write` (and, for the standard elements, by other systems).

Each resource is validated with fhir.resources' R4B models first; a resource that is not
valid FHIR, or a value the contract rejects, is a problem naming the file, the entry (or
line), the resource and the element, besides the contract column and rule. All or nothing.
Days come from the relative-day extension, else from the dates minus the patient's index
date (``index_dates``), else they stay unknown.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from dataclasses import replace
from datetime import date
from pathlib import Path
from typing import Any

import pandas as pd

from myotrack.errors import InvalidData, Problem, SourceNotFound
from myotrack.interchange.fhir.codes import code_in, local_system
from myotrack.interchange.fhir.write import (
    APPROXIMATE,
    CONTRACT_VALUE,
    RELATIVE_DAY,
    ROW_ORDER,
    SUBTYPE,
)
from myotrack.interchange.origins import Origin, SourceProblem, locate
from myotrack.tables import TABLES, Dataset

SEX = {"female": "F", "male": "M", "other": "other", "unknown": "unknown"}


def read_index_dates(path: str | Path) -> dict[str, date]:
    """A CSV of ``patient_id,index_date`` (YYYY-MM-DD) as a mapping."""
    f = pd.read_csv(path, dtype=str, keep_default_na=False)
    problems = []
    out = {}
    for i, row in f.iterrows():
        try:
            out[row["patient_id"]] = date.fromisoformat(row["index_date"].strip())
        except (KeyError, ValueError):
            problems.append(
                Problem(
                    Path(path).name,
                    int(str(i)) + 2,
                    "index_date",
                    row.get("index_date"),
                    "write the index date as YYYY-MM-DD",
                )
            )
    if problems:
        raise InvalidData(problems)
    return out


def _resources(path: Path) -> Iterator[tuple[str, int, dict[str, Any]]]:
    files = (
        sorted(p for p in path.iterdir() if p.suffix.lower() in (".json", ".ndjson"))
        if path.is_dir()
        else [path]
    )
    if not files:
        raise SourceNotFound(f"{path}: no .json or .ndjson file")
    for f in files:
        text = f.read_text(encoding="utf-8")
        if f.suffix.lower() == ".ndjson":
            for i, line in enumerate(text.splitlines()):
                if line.strip():
                    yield f.name, i + 1, _json(line, f.name, i + 1)
            continue
        doc = _json(text, f.name, None)
        if doc.get("resourceType") == "Bundle":
            for i, e in enumerate(doc.get("entry", []) or []):  # type: ignore[attr-defined]
                if isinstance(e, dict) and isinstance(e.get("resource"), dict):
                    yield f.name, i + 1, e["resource"]
        else:
            yield f.name, 1, doc


def _json(text: str, name: str, line: int | None) -> dict[str, Any]:
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as err:
        raise InvalidData([Problem(name, line, None, None, f"not JSON ({err})")]) from err
    if not isinstance(doc, dict):
        raise InvalidData([Problem(name, line, None, None, "a FHIR resource is a JSON object")])
    return doc


def _exts(res: Mapping[str, Any], url: str) -> list[dict[str, Any]]:
    return [
        e for e in res.get("extension", []) or [] if isinstance(e, dict) and e.get("url") == url
    ]  # type: ignore[union-attr]


def _sub(ext: Mapping[str, Any]) -> dict[str, Any]:
    out = {}
    for s in ext.get("extension", []) or []:  # type: ignore[union-attr]
        value = next((v for k, v in s.items() if k.startswith("value")), None)
        out[str(s.get("url"))] = value
    return out


def _num(value: object) -> str:
    if isinstance(value, bool) or value is None:
        return ""
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    return str(value)


class _Reader:
    def __init__(self, index_dates: Mapping[str, date] | None) -> None:
        self.index_dates = dict(index_dates or {})
        self.rows: dict[str, list[dict[str, str]]] = {t: [] for t in TABLES}
        self.origins: dict[str, list[Origin]] = {t: [] for t in TABLES}
        self.visits: dict[tuple[str, ...], int] = {}
        self.patients: dict[str, int] = {}
        self.ids: dict[str, str] = {}  # Patient resource id -> patient_id
        self.problems: list[Problem] = []
        self.order: dict[str, list[int]] = {}

    def origin(
        self, file: str, entry: int, res: Mapping[str, Any], fields: dict[str, str]
    ) -> Origin:
        return Origin(
            file, entry, f"entry {entry}, {res.get('resourceType')}/{res.get('id', '')}", fields
        )

    def subject(self, res: Mapping[str, Any]) -> str:
        ref = res.get("subject") or res.get("patient") or {}
        text = str(ref.get("reference", "")) if isinstance(ref, dict) else ""
        rid = text.split("/")[-1]
        return self.ids.get(rid, rid)

    def days(
        self,
        res: Mapping[str, Any],
        row: dict[str, str],
        fields: dict[str, str],
        column: str,
        element: str | None,
    ) -> None:
        for ext in _exts(res, RELATIVE_DAY):
            sub = _sub(ext)
            if sub.get("column") != column:
                continue
            for name, col in (
                ("day", column),
                ("earliest", f"{column}_earliest"),
                ("latest", f"{column}_latest"),
            ):
                if name in sub:
                    row[col] = _num(sub[name])
                    fields[col] = f"extension relative-day ({name})"
            return
        if element is None:
            return
        parent, _, child = element.partition(".")
        value = res.get(parent)
        if child and isinstance(value, dict):
            value = value.get(child)
        if isinstance(value, str) and value:
            start = self.index_dates.get(row["patient_id"])
            if start is None:
                fields[column] = element
                row[column] = f"{value} (no index date)"
                return
            row[column] = str((date.fromisoformat(value[:10]) - start).days)
            fields[column] = element

    def values(
        self, res: Mapping[str, Any], table: str, row: dict[str, str], fields: dict[str, str]
    ) -> None:
        for ext in _exts(res, CONTRACT_VALUE):
            sub = _sub(ext)
            t, _, col = str(sub.get("column", "")).partition(".")
            if t == table and col:
                row.setdefault(col, str(sub.get("value", "")))
                fields.setdefault(col, f"extension contract-value ({t}.{col})")

    def add(
        self,
        table: str,
        row: dict[str, str],
        origin: Origin,
        res: Mapping[str, Any] | None = None,
    ) -> None:
        order = next((e.get("valueInteger") for e in _exts(res or {}, ROW_ORDER)), None)
        self.order.setdefault(table, []).append(order if isinstance(order, int) else 1 << 62)
        self.rows[table].append(row)
        self.origins[table].append(origin)

    def sorted(self) -> None:
        """Rows in their source order (the row-order extension), else in the order read."""
        for table, order in self.order.items():
            ranks = sorted(range(len(order)), key=lambda i: (order[i], i))
            self.rows[table] = [self.rows[table][i] for i in ranks]
            self.origins[table] = [self.origins[table][i] for i in ranks]

    def patient(self, file: str, entry: int, res: Mapping[str, Any]) -> None:
        row: dict[str, str] = {"patient_id": str(res.get("id", ""))}
        fields = {"patient_id": "id"}
        if res.get("gender"):
            row["sex"] = SEX.get(str(res["gender"]), str(res["gender"]))
            fields["sex"] = "gender"
        org = res.get("managingOrganization")
        if isinstance(org, dict) and org.get("display"):
            row["site"] = str(org["display"])
            fields["site"] = "managingOrganization.display"
        extra: dict[str, str] = {}
        self.values(res, "patients", extra, fields)
        row.update(extra)
        self.ids[str(res.get("id", ""))] = row["patient_id"]
        self.patients[row["patient_id"]] = len(self.rows["patients"])
        self.add("patients", row, self.origin(file, entry, res, fields))

    def condition(self, file: str, entry: int, res: Mapping[str, Any]) -> None:
        pid = self.subject(res)
        if pid not in self.patients:
            self.problems.append(
                SourceProblem(
                    file,
                    entry,
                    None,
                    pid,
                    "the Condition's subject is not a Patient of the source",
                    where=f"entry {entry}, Condition/{res.get('id', '')}",
                    source_field="subject",
                )
            )
            return
        row = self.rows["patients"][self.patients[pid]]
        fields = self.origins["patients"][self.patients[pid]].fields
        code = res.get("code") or {}
        codings = code.get("coding", []) if isinstance(code, dict) else []
        term = code_in(codings, local_system("patients", "comorbidities"))
        if term is not None:
            row["comorbidities"] = ";".join(
                [t for t in row.get("comorbidities", "").split(";") if t] + [term]
            )
            fields["comorbidities"] = "Condition.code"  # type: ignore[index]
            return
        sub = code_in(codings, local_system("patients", SUBTYPE))
        if sub is not None:
            row["antibody"] = sub
            fields["antibody"] = "Condition.code"  # type: ignore[index]
        age = res.get("onsetAge")
        if isinstance(age, dict) and "value" in age:
            row["age_at_onset"] = _num(age["value"])
            fields["age_at_onset"] = "Condition.onsetAge"  # type: ignore[index]

    def observation(self, file: str, entry: int, res: Mapping[str, Any]) -> None:
        pid = self.subject(res)
        code = res.get("code") or {}
        codings = code.get("coding", []) if isinstance(code, dict) else []
        for table in ("patients", "visits"):
            for col in TABLES[table].names:
                if code_in(codings, local_system(table, col)) is None:
                    continue
                if table == "patients":
                    if pid in self.patients:
                        self.rows["patients"][self.patients[pid]][col] = _num(
                            (res.get("valueQuantity") or {}).get("value")
                        )  # type: ignore[union-attr]
                    return
                return self.measure(file, entry, res, pid, col)
        if code_in(codings, local_system("strength", "grade")) is not None:
            row = {"patient_id": pid}
            fields = {"grade": "valueString", "muscle": "bodySite"}
            site = res.get("bodySite") or {}
            row["muscle"] = (
                code_in(site.get("coding", []), local_system("strength", "muscle"))
                or str(site.get("text", ""))
                if isinstance(site, dict)
                else ""
            )  # type: ignore[union-attr]
            row["grade"] = str(res.get("valueString", ""))
            self.days(res, row, fields, "day", "effectiveDateTime")
            self.values(res, "strength", row, fields)
            return self.add("strength", row, self.origin(file, entry, res, fields), res)
        kind = code_in(codings, local_system("events", "kind"))
        if kind is not None:
            row = {"patient_id": pid, "kind": kind}
            fields = {"kind": "code"}
            self.days(res, row, fields, "day", "effectiveDateTime")
            self.days(res, row, fields, "end_day", None)
            self.values(res, "events", row, fields)
            return self.add("events", row, self.origin(file, entry, res, fields), res)
        obs = code_in(codings, local_system("observations", "code"))
        row = {
            "patient_id": pid,
            "code": obs
            if obs is not None
            else str(code.get("text", "") if isinstance(code, dict) else ""),
        }
        fields = {"code": "code", "value": "value[x]"}
        row["value"] = (
            str(res["valueString"])
            if "valueString" in res
            else _num((res.get("valueQuantity") or {}).get("value"))
        )  # type: ignore[union-attr]
        self.days(res, row, fields, "day", "effectiveDateTime")
        self.values(res, "observations", row, fields)
        self.add("observations", row, self.origin(file, entry, res, fields), res)

    def measure(self, file: str, entry: int, res: Mapping[str, Any], pid: str, col: str) -> None:
        day: dict[str, str] = {"patient_id": pid}
        fields: dict[str, str] = {}
        self.days(res, day, fields, "day", "effectiveDateTime")
        key = (pid, day.get("day", ""), day.get("day_earliest", ""), day.get("day_latest", ""))
        if key not in self.visits:
            self.visits[key] = len(self.rows["visits"])
            self.add("visits", day, self.origin(file, entry, res, fields), res)
        i = self.visits[key]
        row, origin_fields = self.rows["visits"][i], self.origins["visits"][i].fields
        q = res.get("valueQuantity")
        if isinstance(q, dict) and "value" in q:
            bound = str(q.get("comparator", ""))
            if any(e.get("url") == APPROXIMATE for e in q.get("extension", []) or []):
                bound = "~"
            row[col] = bound + _num(q["value"])
        elif "valueString" in res:
            row[col] = str(res["valueString"])
        interp = res.get("interpretation")
        if isinstance(interp, list) and interp:
            text = {"N": "normal", "H": "elevated"}.get(
                str(
                    code_in(
                        interp[0].get("coding", []),
                        "http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation",
                    )
                ),
                "",
            )
            row[col] = text or str(interp[0].get("text", ""))
        for rr in res.get("referenceRange", []) or []:  # type: ignore[union-attr]
            high = rr.get("high") if isinstance(rr, dict) else None
            if isinstance(high, dict) and "value" in high:
                row[f"{col}_uln"] = _num(high["value"])
                origin_fields[f"{col}_uln"] = f"entry {entry} referenceRange.high"  # type: ignore[index]
        origin_fields[col] = f"entry {entry} value[x]"  # type: ignore[index]
        self.values(res, "visits", row, dict(origin_fields))

    def medication(self, file: str, entry: int, res: Mapping[str, Any]) -> None:
        pid = self.subject(res)
        med = res.get("medicationCodeableConcept") or {}
        drug = (
            code_in(med.get("coding", []), local_system("treatments", "drug"))
            if isinstance(med, dict)
            else None
        )
        row = {
            "patient_id": pid,
            "drug": drug or (str(med.get("text", "")) if isinstance(med, dict) else ""),
        }
        fields = {"drug": "medicationCodeableConcept"}
        self.days(res, row, fields, "start_day", "effectivePeriod.start")
        self.days(res, row, fields, "end_day", "effectivePeriod.end")
        for d in (res.get("dosage") or [])[:1]:  # type: ignore[index]
            if d.get("text"):
                row["schedule"], fields["schedule"] = str(d["text"]), "dosage.text"
            if isinstance(d.get("route"), dict) and d["route"].get("text"):
                row["route"], fields["route"] = str(d["route"]["text"]), "dosage.route"
            for dr in (d.get("doseAndRate") or [])[:1]:
                q = dr.get("doseQuantity") or {}
                if "value" in q:
                    row["dose"], fields["dose"] = (
                        _num(q["value"]),
                        "dosage.doseAndRate.doseQuantity.value",
                    )
                if q.get("unit"):
                    row["dose_unit"], fields["dose_unit"] = (
                        str(q["unit"]),
                        "dosage.doseAndRate.doseQuantity.unit",
                    )
        self.values(res, "treatments", row, fields)
        self.add("treatments", row, self.origin(file, entry, res, fields), res)

    def adverse_event(self, file: str, entry: int, res: Mapping[str, Any]) -> None:
        pid = self.subject(res)
        row = {"patient_id": pid, "kind": "adverse_event"}
        fields = {"kind": "resourceType"}
        ev = res.get("event")
        if isinstance(ev, dict):
            row["term"] = code_in(ev.get("coding", []), local_system("events", "term")) or str(
                ev.get("text", "")
            )
            fields["term"] = "event"
        for s in (res.get("suspectEntity") or [])[:1]:  # type: ignore[index]
            inst = s.get("instance") or {}
            if inst.get("display"):
                row["treatment"], fields["treatment"] = (
                    str(inst["display"]),
                    "suspectEntity.instance.display",
                )
        self.days(res, row, fields, "day", "date")
        self.days(res, row, fields, "end_day", None)
        self.values(res, "events", row, fields)
        self.add("events", row, self.origin(file, entry, res, fields), res)


def read_fhir(path: str | Path, index_dates: Mapping[str, date] | None = None) -> Dataset:
    """FHIR Bundles (a file or a folder of them) or an NDJSON bulk export as a Dataset."""
    from fhir.resources.R4B import get_fhir_model_class
    from pydantic import ValidationError

    p = Path(path)
    if not p.exists():
        raise SourceNotFound(f"{p}: no such file or folder")
    reader = _Reader(index_dates)
    items = list(_resources(p))
    problems: list[Problem] = []
    for file, entry, res in items:
        rtype = str(res.get("resourceType", ""))
        try:
            get_fhir_model_class(rtype).model_validate(res)
        except (KeyError, ValidationError, ValueError) as err:
            detail = (
                err.errors()[0]
                if isinstance(err, ValidationError)
                else {"loc": (), "msg": f"unknown resource type {rtype!r}"}
            )
            element = ".".join(str(x) for x in detail.get("loc", ()))
            problems.append(
                SourceProblem(
                    file,
                    entry,
                    None,
                    None,
                    f"not a valid R4 {rtype}: {detail.get('msg')}",
                    where=f"entry {entry}, {rtype}/{res.get('id', '')}",
                    source_field=element,
                )
            )
    if problems:
        raise InvalidData(problems)
    order = {"Patient": 0, "Condition": 1}
    for file, entry, res in sorted(
        items, key=lambda x: order.get(str(x[2].get("resourceType")), 2)
    ):
        handler = {
            "Patient": reader.patient,
            "Condition": reader.condition,
            "Observation": reader.observation,
            "MedicationStatement": reader.medication,
            "AdverseEvent": reader.adverse_event,
        }.get(str(res.get("resourceType")))
        if handler is None:
            problems.append(
                SourceProblem(
                    file,
                    entry,
                    None,
                    res.get("resourceType"),
                    "myotrack reads Patient, Condition, Observation, MedicationStatement and AdverseEvent",
                    where=f"entry {entry}",
                )
            )
            continue
        handler(file, entry, res)
    reader.sorted()
    reader.visits.clear()
    frames = {
        t: pd.DataFrame(
            rows, columns=list(dict.fromkeys(["patient_id", *(c for r in rows for c in r)]))
        ).fillna("")
        for t, rows in reader.rows.items()
        if rows or t == "patients"
    }
    name = p.name
    try:
        ds = Dataset.from_frames(name=name, **frames)
    except InvalidData as err:
        raise InvalidData(
            problems + reader.problems + locate(err.problems, name, reader.origins)
        ) from None
    if problems or reader.problems:
        raise InvalidData(problems + reader.problems)
    return replace(ds, warnings=tuple(locate(ds.warnings, name, reader.origins)))
