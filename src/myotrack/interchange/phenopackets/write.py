"""Contract -> GA4GH Phenopacket v2, one per patient, validated through JSON.

What goes where (the terms are :mod:`.codes`):

- ``subject``: the patient id (a pseudonym), sex, taxonomy Homo sapiens.
- ``diseases``: IMNM (ORPHA:206569) with the subtype (antibody) in ``disease_stage`` and the
  age at onset as ``onset.age``; each comorbidity as a disease of its own (myotrack's term).
- ``phenotypic_features``: proximal muscle weakness (HP:0003701) when a grade is below 5,
  elevated CK (HP:0003236) when a CK is above its ULN or written 'elevated', and every symptom
  observation (dysphagia HP:0002015, dyspnoea HP:0002094, myalgia HP:0003326, weight loss
  HP:0001824; others as myotrack's terms), ``excluded`` when absent.
- ``measurements``: every enzyme value (CK LOINC 2157-6, U/L, ``reference_range`` 0..ULN when
  the ULN is known), MRC sum, MMT-8, mRS, prednisone dose, the IMACS scores and weight, every
  muscle grade (assay: the muscle; value: the grade as written) and every other observation.
- ``medical_actions``: one per course: agent (RxNorm where known), route, dose (amount and
  unit), schedule, the interval of the course, the response as reported, the adverse events
  attributed to the drug, the stop reason.
- ``meta_data.external_references``: the publication (PMID, DOI, URL) of a published patient,
  and the contract's ``source`` text of a user patient.

**Time.** The contract counts days since the patient's index date and exports never hold the
date itself, so a day is written as a timestamp ``1970-01-01 + day`` (an uncertain day as the
interval of its earliest and latest day); ``meta_data.external_references`` carries
:data:`RELATIVE_TIME` to say so.

**Every contract value.** A phenopacket has no element for several contract fields (course
order ``line``, ``protocol``, a day's uncertainty on a point, a lab bound or word, an event's
kind and sequence, the observation ``assay`` ...). So that a round trip keeps every field, each
phenopacket also carries one ``files`` entry (:data:`CONTRACT_URI`) whose ``file_attributes``
hold the patient's contract rows as text (``<table>.<row>.<column>``); other tools ignore it.
Free-text notes are left out unless asked for, and listed as losses.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pandas as pd
import phenopackets as pp
from google.protobuf import json_format
from google.protobuf.timestamp_pb2 import Timestamp

from myotrack.interchange.compare import row_keys
from myotrack.interchange.losses import ExportResult, Loss
from myotrack.interchange.phenopackets import codes
from myotrack.measures.grades import parse_grade
from myotrack.tables import TABLES, Dataset
from myotrack.tables.observations import CODE_BY_NAME

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
CONTRACT_URI = "urn:myotrack:contract"
RELATIVE_TIME = "myotrack:relative-days"
RELATIVE_TEXT = (
    "Timestamps are days since the patient's index date (symptom onset unless the contract's "
    "index_event says otherwise), written as 1970-01-01 plus that many days; no real date."
)
SCHEMA_VERSION = "2.0"
SEX = {"F": pp.FEMALE, "M": pp.MALE, "other": pp.OTHER_SEX, "unknown": pp.UNKNOWN_SEX}
NOTES_REASON = "free text is not exported de-identified (--include-notes writes it)"
SCORES = {
    "mrc_sum": "MRC sum score (0-60)",
    "mmt8": "MMT-8 (0-80)",
    "mrs": "modified Rankin Scale (0-6)",
    "prednisone_mg_day": "prednisone-equivalent dose (mg/day)",
    "physician_global": "physician global activity (0-10 cm)",
    "patient_global": "patient global activity (0-10 cm)",
    "extramuscular_global": "extramuscular global activity (0-10 cm)",
    "haq": "HAQ disability index (0-3)",
    "myoact": "MYOACT",
    "mitax": "MITAX",
    "weight_kg": "body weight (kg)",
}
ENZYMES = ("ck", "ldh", "hbdh", "aldolase", "alt", "ast")
NOTE_COLUMNS = ("note",)


def term(pair: tuple[str, str]) -> pp.OntologyClass:
    return pp.OntologyClass(id=pair[0], label=pair[1])


def _text(v: object) -> str:
    if v is None or v is pd.NA:
        return ""
    if isinstance(v, float) and v != v:
        return ""
    return str(v)


def _num(v: object) -> float | None:
    t = _text(v)
    try:
        return float(t) if t else None
    except ValueError:
        return None


def stamp(day: float) -> Timestamp:
    ts = Timestamp()
    ts.FromDatetime(EPOCH + timedelta(days=float(day)))
    return ts


def when(row: Mapping[str, object], column: str) -> pp.TimeElement | None:
    """The time of a day column: a timestamp, or the interval of an uncertain day."""
    day, low, high = (_num(row.get(c)) for c in (column, f"{column}_earliest", f"{column}_latest"))
    if low is not None and high is not None:
        return pp.TimeElement(interval=pp.TimeInterval(start=stamp(low), end=stamp(high)))
    if day is not None:
        return pp.TimeElement(timestamp=stamp(day))
    return None


def _age(years: float) -> pp.Age:
    whole = int(years)
    months = round((years - whole) * 12)
    return pp.Age(iso8601duration=f"P{whole}Y{months}M" if months else f"P{whole}Y")


def _rows(frame: pd.DataFrame | None, pid: str) -> list[dict[str, object]]:
    if frame is None or frame.empty:
        return []
    return frame[frame["patient_id"] == pid].to_dict("records")


def _quantity(value: float, unit: tuple[str, str], uln: float | None = None) -> pp.Quantity:
    q = pp.Quantity(unit=term(unit), value=value)
    if uln is not None:
        q.reference_range.CopyFrom(pp.ReferenceRange(unit=term(unit), low=0, high=uln))
    return q


def _measurements(pid: str, frames: Mapping[str, pd.DataFrame]) -> list[pp.Measurement]:
    out: list[pp.Measurement] = []
    for v in _rows(frames.get("visits"), pid):
        t = when(v, "day")
        for e in ENZYMES:
            value = _text(v.get(e))
            if not value:
                continue
            assay = codes.lab(e) or codes.own("lab", e)
            m = pp.Measurement(assay=term(assay), description=f"{e} {value}")
            number = _num(value.lstrip("<>=~"))
            uln = _num(v.get(f"{e}_uln"))
            if number is not None:
                m.value.CopyFrom(pp.Value(quantity=_quantity(number, codes.UCUM_U_PER_L, uln)))
            else:
                m.value.CopyFrom(pp.Value(ontology_class=term(codes.own("lab-state", value))))
            if t is not None:
                m.time_observed.CopyFrom(t)
            out.append(m)
        for col, label in SCORES.items():
            number = _num(v.get(col))
            if number is None:
                continue
            m = pp.Measurement(
                assay=term(codes.own("score", col)),
                description=label,
                value=pp.Value(
                    quantity=pp.Quantity(unit=term(codes.own("unit", col)), value=number)
                ),
            )
            if t is not None:
                m.time_observed.CopyFrom(t)
            out.append(m)
    for s in _rows(frames.get("strength"), pid):
        side = _text(s.get("side"))
        m = pp.Measurement(
            assay=term(codes.own("muscle", _text(s["muscle"]))),
            description=f"MRC grade {s['grade']}" + (f", {side}" if side else ""),
            value=pp.Value(ontology_class=term(codes.own("mrc-grade", _text(s["grade"])))),
        )
        t = when(s, "day")
        if t is not None:
            m.time_observed.CopyFrom(t)
        out.append(m)
    for o in _rows(frames.get("observations"), pid):
        code = _text(o["code"])
        if code in codes.HPO or (code in CODE_BY_NAME and CODE_BY_NAME[code].kind == "symptom"):
            continue  # a phenotypic feature
        value = _text(o["value"])
        number = _num(value)
        m = pp.Measurement(
            assay=term(codes.own("observation", code)), description=f"{code} {value}"
        )
        if number is not None:
            unit = _text(o.get("unit")) or "1"
            m.value.CopyFrom(
                pp.Value(quantity=pp.Quantity(unit=term(codes.own("unit", unit)), value=number))
            )
        else:
            m.value.CopyFrom(pp.Value(ontology_class=term(codes.own("result", value))))
        t = when(o, "day")
        if t is not None:
            m.time_observed.CopyFrom(t)
        out.append(m)
    return out


def _features(pid: str, frames: Mapping[str, pd.DataFrame]) -> list[pp.PhenotypicFeature]:
    out: list[pp.PhenotypicFeature] = []
    weak = [s for s in _rows(frames.get("strength"), pid) if parse_grade(s["grade"]).low < 5]
    if weak:
        out.append(pp.PhenotypicFeature(type=term(codes.HPO["proximal_weakness"])))
    high = False
    for v in _rows(frames.get("visits"), pid):
        value = _text(v.get("ck")).lower()
        number, uln = _num(value.lstrip("<>=~")), _num(v.get("ck_uln"))
        if "elevated" in value or (
            number is not None and uln is not None and number > uln and not value.startswith("<")
        ):
            high = True
    if high:
        out.append(pp.PhenotypicFeature(type=term(codes.HPO["elevated_ck"])))
    for o in _rows(frames.get("observations"), pid):
        code = _text(o["code"])
        if not (
            code in codes.HPO or (code in CODE_BY_NAME and CODE_BY_NAME[code].kind == "symptom")
        ):
            continue
        f = pp.PhenotypicFeature(
            type=term(codes.HPO.get(code, codes.own("symptom", code))),
            excluded=_text(o["value"]).lower() == "absent",
        )
        t = when(o, "day")
        if t is not None:
            f.onset.CopyFrom(t)
        out.append(f)
    return out


def _actions(pid: str, frames: Mapping[str, pd.DataFrame]) -> list[pp.MedicalAction]:
    events = _rows(frames.get("events"), pid)
    out: list[pp.MedicalAction] = []
    seen: set[str] = set()
    for c in _rows(frames.get("treatments"), pid):
        drug = _text(c["drug"])
        tr = pp.Treatment(agent=term(codes.agent(drug)))
        route = _text(c.get("route"))
        if route:
            tr.route_of_administration.CopyFrom(term(codes.own("route", route)))
        dose = _num(c.get("dose"))
        interval = None
        start, end = when(c, "start_day"), when(c, "end_day")
        if start is not None:
            interval = pp.TimeInterval()
            interval.start.CopyFrom(
                start.timestamp if start.HasField("timestamp") else start.interval.start
            )
            if end is not None:
                interval.end.CopyFrom(
                    end.timestamp if end.HasField("timestamp") else end.interval.end
                )
        if dose is not None or interval is not None or _text(c.get("schedule")):
            di = pp.DoseInterval()
            if dose is not None:
                unit = _text(c.get("dose_unit")) or "unknown"
                di.quantity.CopyFrom(pp.Quantity(unit=term(codes.own("unit", unit)), value=dose))
            if _text(c.get("schedule")):
                di.schedule_frequency.CopyFrom(term(codes.own("schedule", _text(c["schedule"]))))
            if interval is not None:
                di.interval.CopyFrom(interval)
            tr.dose_intervals.append(di)
        a = pp.MedicalAction(treatment=tr)
        said = _text(c.get("reported_response"))
        if said:
            a.response_to_treatment.CopyFrom(term(codes.own("response", said)))
        stop = _text(c.get("stop_reason"))
        if stop:
            a.treatment_termination_reason.CopyFrom(term(codes.own("stop", stop)))
        if drug not in seen:  # adverse events attributed to the drug, on its first course
            seen.add(drug)
            for e in events:
                if _text(e.get("treatment")) == drug and _text(e["kind"]) in (
                    "adverse_event",
                    "death",
                ):
                    a.adverse_events.append(
                        term(codes.own("event", _text(e.get("term")) or _text(e["kind"])))
                    )
        out.append(a)
    return out


def _references(
    patient: Mapping[str, object], sources: Mapping[str, Iterable[tuple[str, str, str]]]
) -> list[pp.ExternalReference]:
    pid = _text(patient["patient_id"])
    refs = [
        pp.ExternalReference(id=i, reference=r, description=d) for i, r, d in sources.get(pid, ())
    ]
    if not refs and _text(patient.get("source")):
        refs.append(
            pp.ExternalReference(id="myotrack:source", description=_text(patient["source"]))
        )
    refs.append(pp.ExternalReference(id=RELATIVE_TIME, description=RELATIVE_TEXT))
    return refs


def _meta(created: datetime, refs: list[pp.ExternalReference]) -> pp.MetaData:
    ts = Timestamp()
    ts.FromDatetime(created)
    return pp.MetaData(
        created=ts,
        created_by="myotrack",
        phenopacket_schema_version=SCHEMA_VERSION,
        resources=[
            pp.Resource(id=i, name=n, url=u, version="", namespace_prefix=p, iri_prefix=iri)
            for i, n, u, p, iri in codes.RESOURCES
        ],
        external_references=refs,
    )


def _contract_file(
    pid: str, frames: Mapping[str, pd.DataFrame], include_notes: bool
) -> tuple[pp.File, list[Loss]]:
    attrs: dict[str, str] = {}
    losses: list[Loss] = []
    for table in TABLES:
        f = frames.get(table)
        if f is None or f.empty:
            continue
        mine = f[f["patient_id"] == pid]
        keys = row_keys(table, mine)
        for i, (key, r) in enumerate(zip(keys, mine.to_dict("records"), strict=True), start=1):
            for col, value in r.items():
                text = _text(value)
                if not text or col == "patient_id":
                    continue
                if col in NOTE_COLUMNS and not include_notes:
                    losses.append(Loss(table, key, col, text, NOTES_REASON))
                    continue
                attrs[f"{table}.{i}.{col}"] = text
    return pp.File(uri=f"{CONTRACT_URI}:{pid}", file_attributes=attrs), losses


def validate(message: pp.Phenopacket | pp.Cohort) -> None:
    """Build-and-parse check: the message survives JSON both ways unchanged (ValueError if not)."""
    text = json_format.MessageToJson(message)
    back = type(message)()
    json_format.Parse(text, back)
    if back != message:
        raise ValueError(f"phenopacket {message.id!r} does not survive a JSON round trip")


def _publication_refs(ds: Dataset) -> dict[str, list[tuple[str, str, str]]]:
    """PMID / DOI / URL of the publication of every published patient in ``ds``."""
    from myotrack.evidence.base import seed_of, sources

    by = {s.seed: s for s in sources()}
    out: dict[str, list[tuple[str, str, str]]] = {}
    for pid in ds.patient_ids:
        s = by.get(seed_of(pid))
        if s is None:
            continue
        refs = []
        if s.pmid:
            refs.append((f"PMID:{s.pmid}", f"https://pubmed.ncbi.nlm.nih.gov/{s.pmid}", s.citation))
        if s.doi:
            refs.append((f"DOI:{s.doi}", f"https://doi.org/{s.doi}", s.citation))
        if not refs:
            refs.append((f"myotrack:publication-{s.seed}", s.url, s.citation))
        out[pid] = refs
    return out


def phenopackets(
    ds: Dataset, include_notes: bool = False, created: datetime | None = None
) -> tuple[list[pp.Phenopacket], list[Loss]]:
    """One validated phenopacket per patient of ``ds``, and the values not written."""
    frames = ds.to_text_frames()
    created = created or datetime.now(UTC).replace(microsecond=0)
    refs = _publication_refs(ds)
    out: list[pp.Phenopacket] = []
    losses: list[Loss] = []
    for p in frames["patients"].to_dict("records"):
        _text(p["patient_id"])
        packet, lost = phenopacket(p, frames, refs, include_notes, created)
        out.append(packet)
        losses += lost
    return out, losses


def phenopacket(
    p: Mapping[str, object],
    frames: Mapping[str, pd.DataFrame],
    refs: Mapping[str, Iterable[tuple[str, str, str]]],
    include_notes: bool,
    created: datetime,
) -> tuple[pp.Phenopacket, list[Loss]]:
    """The phenopacket of one patient (a row of the patients text frame)."""
    pid = _text(p["patient_id"])
    subject = pp.Individual(
        id=pid,
        sex=SEX.get(_text(p.get("sex")), pp.UNKNOWN_SEX),
        taxonomy=pp.OntologyClass(id="NCBITaxon:9606", label="Homo sapiens"),
    )
    disease = pp.Disease(term=term(codes.IMNM))
    antibody = _text(p.get("antibody")) or "unknown"
    disease.disease_stage.append(term(codes.own("imnm", antibody)))
    age = _num(p.get("age_at_onset"))
    if age is not None:
        disease.onset.CopyFrom(pp.TimeElement(age=_age(age)))
    diseases = [disease]
    for c in [t for t in _text(p.get("comorbidities")).split(";") if t]:
        diseases.append(pp.Disease(term=term(codes.own("comorbidity", c))))
    file, losses = _contract_file(pid, frames, include_notes)
    packet = pp.Phenopacket(
        id=pid,
        subject=subject,
        phenotypic_features=_features(pid, frames),
        measurements=_measurements(pid, frames),
        diseases=diseases,
        medical_actions=_actions(pid, frames),
        files=[file],
        meta_data=_meta(created, _references(p, refs)),
    )
    validate(packet)
    return packet, losses


def cohort(
    packets: list[pp.Phenopacket], cohort_id: str, description: str, created: datetime | None = None
) -> pp.Cohort:
    """A validated Cohort of phenopackets (e.g. the published evidence base)."""
    created = created or datetime.now(UTC).replace(microsecond=0)
    c = pp.Cohort(
        id=cohort_id,
        description=description,
        members=packets,
        meta_data=_meta(
            created, [pp.ExternalReference(id=RELATIVE_TIME, description=RELATIVE_TEXT)]
        ),
    )
    validate(c)
    return c


def _safe(pid: str) -> str:
    return "".join(ch if ch.isalnum() or ch in "-_." else "_" for ch in pid)


def write_phenopackets(
    ds: Dataset,
    out_dir: str | Path,
    include_notes: bool = False,
    cohort_id: str | None = None,
    created: datetime | None = None,
) -> ExportResult:
    """Write one ``<patient_id>.json`` per patient into ``out_dir``; with ``cohort_id`` also
    ``cohort.json``, a Cohort of them all."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    packets, losses = phenopackets(ds, include_notes, created)
    files = []
    for packet in packets:
        path = out / f"{_safe(packet.id)}.json"
        path.write_text(json_format.MessageToJson(packet, indent=1) + "\n", encoding="utf-8")
        files.append(path)
    if cohort_id:
        c = cohort(packets, cohort_id, f"{ds.name}: {len(packets)} patients", created)
        path = out / "cohort.json"
        path.write_text(json_format.MessageToJson(c, indent=1) + "\n", encoding="utf-8")
        files.append(path)
    frames = ds.to_text_frames()
    cells = sum(
        int((f.astype(str).replace("nan", "") != "").to_numpy().sum())
        for n, f in frames.items()
        if n in TABLES
    )
    return ExportResult(tuple(files), tuple(losses), cells)


def dumps(message: pp.Phenopacket | pp.Cohort) -> str:
    return json.dumps(json.loads(json_format.MessageToJson(message)), indent=1)
