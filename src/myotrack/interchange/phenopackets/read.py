"""GA4GH Phenopacket v2 -> contract: a ``.json`` phenopacket, a Cohort, or a folder of them.

A phenopacket written by myotrack carries its contract rows (``files`` entry
:data:`~.write.CONTRACT_URI`), which are read as they are: the round trip keeps every field
the contract holds (free-text notes only when they were exported). A phenopacket from another
tool is read from its standard elements:

- ``subject``: patient id and sex; the IMNM disease's ``onset.age``: age at onset; its
  ``disease_stage`` ``MYOTRACK:imnm-<antibody>``: the antibody; other diseases with a
  ``MYOTRACK:comorbidity-`` term: comorbidities.
- measurements with a LOINC enzyme code (CK 2157-6 ...): a visit per day (``time_observed``
  timestamp = 1970-01-01 + day, or an interval = an uncertain day), the value and the
  reference range's high as the ULN.
- medical actions: a course per treatment (agent label as the drug, dose and unit, route,
  schedule, interval, response and stop reason from myotrack's terms); adverse events as
  events attributed to the drug.
- phenotypic features with myotrack's symptom codes or their HPO terms: observations.

What a phenopacket from another tool cannot give the contract: strength grades and scores
under other assay terms, visit measures other than the enzymes, event days, course order
(``line``), notes, and anything without a myotrack or known standard term; those stay empty.
"""

from __future__ import annotations

import json
from collections import defaultdict
from datetime import UTC
from pathlib import Path

import pandas as pd
import phenopackets as pp
from google.protobuf import json_format

from myotrack.errors import InvalidData, Problem
from myotrack.interchange.phenopackets import codes
from myotrack.interchange.phenopackets.write import CONTRACT_URI, EPOCH, SEX
from myotrack.tables import TABLES, Dataset

_SEX_BACK = {v: k for k, v in SEX.items()}
_LOINC_BACK = {}
for _e in ("ck", "ldh", "aldolase", "alt", "ast"):
    _t = codes.lab(_e)
    if _t:
        _LOINC_BACK[_t[0]] = _e
_HPO_BACK = {v[0]: k for k, v in codes.HPO.items()}


def is_phenopacket(path: Path) -> bool:
    """A .json file (or a folder whose first .json file is one) holding a phenopacket or a
    Cohort: a JSON object with ``metaData`` and ``subject`` or ``members``."""
    files = [path] if path.is_file() else sorted(path.glob("*.json")) if path.is_dir() else []
    if not files or files[0].suffix.lower() != ".json":
        return False
    try:
        data = json.loads(files[0].read_text(encoding="utf-8"))
    except (ValueError, UnicodeDecodeError):
        return False
    return (
        isinstance(data, dict) and "metaData" in data and ("subject" in data or "members" in data)
    )


def _own(c: pp.OntologyClass, kind: str) -> str | None:
    prefix = f"{codes.PREFIX}:{kind}-"
    return c.id[len(prefix) :] if c.id.startswith(prefix) else None


def _day(ts: object) -> int:
    dt = ts.ToDatetime(tzinfo=UTC)  # type: ignore[attr-defined]
    return round((dt - EPOCH).total_seconds() / 86400)


def _time(t: pp.TimeElement, row: dict[str, str], column: str) -> None:
    if t.HasField("timestamp"):
        row[column] = str(_day(t.timestamp))
    elif t.HasField("interval"):
        lo, hi = _day(t.interval.start), _day(t.interval.end)
        row[column] = f"{lo}..{hi}" if lo != hi else str(lo)


def _years(age: str) -> str:
    s = age.removeprefix("P")
    years = months = 0.0
    if "Y" in s:
        y, s = s.split("Y", 1)
        years = float(y)
    if "M" in s:
        m, s = s.split("M", 1)
        months = float(m)
    value = years + months / 12
    return f"{value:g}"


def _from_contract(packet: pp.Phenopacket) -> dict[str, list[dict[str, str]]] | None:
    for f in packet.files:
        if f.uri.startswith(CONTRACT_URI):
            rows: dict[str, dict[int, dict[str, str]]] = defaultdict(dict)
            for key, value in f.file_attributes.items():
                table, i, col = key.split(".", 2)
                rows[table].setdefault(int(i), {"patient_id": packet.id})[col] = value
            out = {t: [r[i] for i in sorted(r)] for t, r in rows.items()}
            out.setdefault("patients", [{"patient_id": packet.id}])
            return out
    return None


def _from_standard(packet: pp.Phenopacket) -> dict[str, list[dict[str, str]]]:
    pid = packet.subject.id or packet.id
    patient = {"patient_id": pid, "sex": _SEX_BACK.get(packet.subject.sex, "")}
    como = []
    for d in packet.diseases:
        if d.term.id == codes.IMNM[0]:
            if d.onset.HasField("age"):
                patient["age_at_onset"] = _years(d.onset.age.iso8601duration)
            for s in d.disease_stage:
                ab = _own(s, "imnm")
                if ab:
                    patient["antibody"] = ab
        elif (c := _own(d.term, "comorbidity")) is not None:
            como.append(c)
    patient["comorbidities"] = ";".join(como)
    visits: dict[str, dict[str, str]] = {}
    for m in packet.measurements:
        enzyme = _LOINC_BACK.get(m.assay.id)
        if enzyme is None:
            continue
        when: dict[str, str] = {}
        _time(m.time_observed, when, "day")
        if "day" not in when:
            continue
        v = visits.setdefault(when["day"], {"patient_id": pid, "day": when["day"]})
        if m.value.HasField("quantity"):
            q = m.value.quantity
            v[enzyme] = f"{q.value:g}"
            if q.HasField("reference_range") and q.reference_range.high:
                v[f"{enzyme}_uln"] = f"{q.reference_range.high:g}"
        elif (state := _own(m.value.ontology_class, "lab-state")) is not None:
            v[enzyme] = state
    treatments, events = [], []
    for a in packet.medical_actions:
        if not a.HasField("treatment"):
            continue
        t = a.treatment
        drug = _own(t.agent, "drug") or t.agent.label or t.agent.id
        row = {"patient_id": pid, "drug": drug}
        if t.HasField("route_of_administration"):
            row["route"] = (
                _own(t.route_of_administration, "route") or t.route_of_administration.label
            )
        for di in t.dose_intervals[:1]:
            if di.HasField("quantity"):
                row["dose"] = f"{di.quantity.value:g}"
                unit = _own(di.quantity.unit, "unit") or di.quantity.unit.label
                if unit and unit != "unknown":
                    row["dose_unit"] = unit
            if di.HasField("schedule_frequency"):
                row["schedule"] = (
                    _own(di.schedule_frequency, "schedule") or di.schedule_frequency.label
                )
            if di.HasField("interval"):
                row["start_day"] = str(_day(di.interval.start))
                if di.interval.HasField("end"):
                    row["end_day"] = str(_day(di.interval.end))
        if a.HasField("response_to_treatment"):
            row["reported_response"] = _own(a.response_to_treatment, "response") or ""
        if a.HasField("treatment_termination_reason"):
            row["stop_reason"] = _own(a.treatment_termination_reason, "stop") or ""
        treatments.append(row)
        for ae in a.adverse_events:
            events.append(
                {
                    "patient_id": pid,
                    "kind": "adverse_event",
                    "term": _own(ae, "event") or ae.label,
                    "treatment": drug,
                }
            )
    observations = []
    for f in packet.phenotypic_features:
        code = _HPO_BACK.get(f.type.id) or _own(f.type, "symptom")
        if code is None or code in ("proximal_weakness", "elevated_ck"):
            continue
        row = {"patient_id": pid, "code": code, "value": "absent" if f.excluded else "present"}
        _time(f.onset, row, "day")
        observations.append(row)
    return {
        "patients": [patient],
        "visits": list(visits.values()),
        "treatments": treatments,
        "events": events,
        "observations": observations,
    }


def _packets(path: Path) -> list[tuple[str, pp.Phenopacket]]:
    files = sorted(path.glob("*.json")) if path.is_dir() else [path]
    out: list[tuple[str, pp.Phenopacket]] = []
    problems: list[Problem] = []
    for f in files:
        text = f.read_text(encoding="utf-8")
        try:
            if '"members"' in text:
                c = pp.Cohort()
                json_format.Parse(text, c)
                out += [(f.name, m) for m in c.members]
            else:
                p = pp.Phenopacket()
                json_format.Parse(text, p)
                out.append((f.name, p))
        except json_format.ParseError as err:
            problems.append(Problem(f.name, None, None, None, f"not a GA4GH phenopacket v2: {err}"))
    if problems:
        raise InvalidData(problems)
    if path.is_dir():  # a folder written by myotrack holds the members and their cohort.json
        seen: set[str] = set()
        unique = []
        for name, p in out:
            if p.id not in seen:
                seen.add(p.id)
                unique.append((name, p))
        out = unique
    return out


def read_phenopackets(path: str | Path) -> Dataset:
    """Read and validate phenopackets (a file, a Cohort or a folder) as a contract Dataset."""
    p = Path(path)
    rows: dict[str, list[dict[str, str]]] = defaultdict(list)
    for _, packet in _packets(p):
        tables = _from_contract(packet) or _from_standard(packet)
        for table, rs in tables.items():
            rows[table] += rs
    frames = {
        t: pd.DataFrame(rows[t], dtype=object).fillna("") if rows.get(t) else None for t in TABLES
    }
    return Dataset.from_frames(name=p.name, **frames)
