"""FHIR R4: a transaction Bundle per patient, validated with fhir.resources, read back."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest

from myotrack.errors import InvalidData
from myotrack.evidence.base import load_evidence
from myotrack.interchange.compare import compare
from myotrack.interchange.fhir import bundles, read_fhir, write_fhir
from myotrack.interchange.fhir.codes import standard
from tests.conftest import make


@pytest.fixture(scope="module")
def evidence():  # type: ignore[no-untyped-def]
    return load_evidence()


def sample():  # type: ignore[no-untyped-def]
    return make(
        [
            {
                "patient_id": "P1",
                "sex": "F",
                "antibody": "SRP",
                "age_at_onset": 52,
                "comorbidities": "hbv;cirrhosis",
                "site": "lyon",
            }
        ],
        visits=[
            {"patient_id": "P1", "day": 0, "ck": 8400, "ck_uln": 200, "mrc_sum": 44, "mrs": 3},
            {
                "patient_id": "P1",
                "day": 90,
                "ck": "<200",
                "ck_uln": 200,
                "ldh": 300,
                "ldh_uln": 250,
            },
        ],
        strength=[
            {"patient_id": "P1", "day": 0, "muscle": "hip_flexors", "side": "left", "grade": "3-"}
        ],
        treatments=[
            {
                "patient_id": "P1",
                "drug": "RTX",
                "start_day": 10,
                "end_day": 24,
                "dose": 1000,
                "dose_unit": "mg",
                "route": "IV",
            }
        ],
        events=[
            {
                "patient_id": "P1",
                "day": 40,
                "kind": "adverse_event",
                "term": "herpes_zoster",
                "treatment": "rituximab",
                "grade": 2,
            },
            {"patient_id": "P1", "day": 200, "kind": "relapse_reported"},
        ],
    )


def resources(bundle: dict) -> dict[str, list[dict]]:  # type: ignore[type-arg]
    out: dict[str, list[dict]] = {}  # type: ignore[type-arg]
    for e in bundle["entry"]:
        out.setdefault(e["resource"]["resourceType"], []).append(e["resource"])
    return out


def test_one_transaction_bundle_per_patient_with_standard_codes() -> None:
    made, losses, _ = bundles(sample())
    assert losses == [] and list(made) == ["P1"]
    b = made["P1"]
    assert b["type"] == "transaction" and all(e["request"]["method"] == "PUT" for e in b["entry"])
    r = resources(b)
    patient = r["Patient"][0]
    assert patient["gender"] == "female" and "identifier" not in patient
    imnm = r["Condition"][0]["code"]["coding"]
    assert {c["code"] for c in imnm} >= {"ORPHA:206569", "G72.4", "G72.49", "SRP"}
    assert r["Condition"][0]["onsetAge"]["value"] == 52
    ck = [o for o in r["Observation"] if any(c["code"] == "2157-6" for c in o["code"]["coding"])]
    assert (
        ck[0]["valueQuantity"]["value"] == 8400
        and ck[0]["referenceRange"][0]["high"]["value"] == 200
    )
    assert ck[1]["valueQuantity"]["comparator"] == "<"
    med = r["MedicationStatement"][0]
    assert {
        "system": "http://www.nlm.nih.gov/research/umls/rxnorm",
        "code": "121191",
        "display": "rituximab",
    } in med["medicationCodeableConcept"]["coding"]
    assert med["dosage"][0]["doseAndRate"][0]["doseQuantity"]["value"] == 1000
    ae = r["AdverseEvent"][0]
    assert ae["suspectEntity"][0]["instance"]["display"] == "rituximab"
    day = next(e for e in ae["extension"] if e["url"].endswith("relative-day"))
    assert {"url": "day", "valueInteger": 40} in day["extension"]


def test_codes_table_does_not_use_the_ibm_code() -> None:
    assert "G72.41" not in {c.code for c in standard("condition:imnm")}
    assert [c.code for c in standard("visits:ck")] == ["2157-6"]


def test_index_dates_give_dates_and_read_back(tmp_path: Path) -> None:
    ds = sample()
    idx = {"P1": date(2021, 3, 1)}
    write_fhir(ds, tmp_path, index_dates=idx)
    b = json.loads((tmp_path / "P1.json").read_text())
    med = resources(b)["MedicationStatement"][0]
    assert med["effectivePeriod"] == {"start": "2021-03-11", "end": "2021-03-25"}
    assert compare(ds, read_fhir(tmp_path, idx)).differences == ()
    with pytest.raises(InvalidData) as err:
        read_fhir(tmp_path)  # dates without the index date
    assert "start_day" in str(err.value)


@pytest.mark.parametrize("ndjson", [False, True])
def test_published_cases_round_trip(tmp_path: Path, evidence, ndjson: bool) -> None:  # type: ignore[no-untyped-def]
    result = write_fhir(evidence, tmp_path / "full", ndjson=ndjson, include_notes=True)
    rt = compare(evidence, read_fhir(tmp_path / "full"))
    print(
        f"FHIR ({'NDJSON' if ndjson else 'Bundles'}), published cases, notes included: {rt.summary()}"
    )
    assert result.losses == () and rt.differences == ()
    deid = write_fhir(evidence, tmp_path / "deid", ndjson=ndjson)
    rt = compare(evidence, read_fhir(tmp_path / "deid"))
    print(f"FHIR, published cases, de-identified: {rt.summary()}; {len(deid.losses)} listed")
    assert rt.uncovered(deid.losses) == [] and {x.column for x in deid.losses} == {"note"}


def test_invalid_resources_and_values_are_named(tmp_path: Path) -> None:
    write_fhir(sample(), tmp_path)
    path = tmp_path / "P1.json"
    b = json.loads(path.read_text())
    b["entry"][0]["resource"]["gender"] = "woman"
    path.write_text(json.dumps(b))
    with pytest.raises(InvalidData) as err:
        read_fhir(tmp_path)
    text = str(err.value.problems[0])
    assert "P1.json, row 1: entry 1, Patient/P1" in text and "gender" in text
    b["entry"][0]["resource"]["gender"] = "female"
    strength = next(e["resource"] for e in b["entry"] if e["resource"].get("valueString") == "3-")
    strength["valueString"] = "7"
    path.write_text(json.dumps(b))
    with pytest.raises(InvalidData) as err:
        read_fhir(tmp_path)
    (p,) = err.value.problems
    assert (
        f"Observation/{strength['id']}" in str(p)
        and "(strength.grade)" in str(p)
        and "MRC grade is 0-5" in str(p)
    )
