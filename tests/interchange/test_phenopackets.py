"""GA4GH Phenopacket v2: every published case and user sources, validated with the official
``phenopackets`` package and read back (myotrack.interchange.phenopackets)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import phenopackets as pp
import pytest
from google.protobuf import json_format
from typer.testing import CliRunner

from myotrack.cli import app
from myotrack.evidence import load_evidence
from myotrack.interchange import read_any
from myotrack.interchange.compare import compare
from myotrack.interchange.phenopackets import (
    cohort,
    phenopackets,
    read_phenopackets,
    write_phenopackets,
)
from myotrack.interchange.phenopackets.write import CONTRACT_URI
from myotrack.synth import generate

CREATED = datetime(2026, 12, 1, tzinfo=UTC)
runner = CliRunner()


@pytest.fixture(scope="module")
def evidence():  # type: ignore[no-untyped-def]
    return load_evidence()


@pytest.fixture(scope="module")
def packets(evidence):  # type: ignore[no-untyped-def]
    return {p.id: p for p in phenopackets(evidence, include_notes=True, created=CREATED)[0]}


def test_every_published_case_is_a_valid_phenopacket(evidence, packets) -> None:  # type: ignore[no-untyped-def]
    assert set(packets) == set(evidence.patient_ids)
    for p in packets.values():
        back = pp.Phenopacket()
        json_format.Parse(json_format.MessageToJson(p), back)
        assert back == p
        assert p.meta_data.phenopacket_schema_version == "2.0"
        assert p.diseases[0].term.id == "ORPHA:206569"


def test_subject_disease_features_and_references(packets) -> None:  # type: ignore[no-untyped-def]
    """002 patient 1 (Mecoli 2017): 53-year-old man, anti-SRP, dysphagia and dyspnea; HiCy."""
    p = packets["002-P1"]
    assert p.subject.sex == pp.MALE
    assert p.diseases[0].onset.age.iso8601duration == "P53Y"
    assert p.diseases[0].disease_stage[0].id == "MYOTRACK:imnm-SRP"
    features = {f.type.id for f in p.phenotypic_features}
    assert {"HP:0003701", "HP:0003236", "HP:0002015", "HP:0002094"} <= features
    refs = {r.id for r in p.meta_data.external_references}
    assert "DOI:10.1212/NXI.0000000000000381" in refs
    z = packets["zeng2024_efgartigimod-P1"]
    assert {"PMID:39569185", "DOI:10.3389/fimmu.2024.1495415"} <= {
        r.id for r in z.meta_data.external_references
    }


def test_ck_measurement_with_loinc_and_reference_range(packets) -> None:  # type: ignore[no-untyped-def]
    """002 Table 3: most recent CK 494 IU/L, normal range 24-170."""
    ck = [m for m in packets["002-P1"].measurements if m.assay.id == "LOINC:2157-6"]
    q = ck[0].value.quantity
    assert (q.value, q.unit.id, q.reference_range.high) == (494, "UCUM:U/L", 170)
    grades = [m for m in packets["002-P1"].measurements if m.assay.id.startswith("MYOTRACK:muscle")]
    assert grades and grades[0].value.ontology_class.id.startswith("MYOTRACK:mrc-grade-")


def test_medical_actions(packets) -> None:  # type: ignore[no-untyped-def]
    """002: HiCy 50 mg/kg IV daily x4 on days 0-3, definite responder, febrile neutropenia."""
    hicy = next(
        a for a in packets["002-P1"].medical_actions if a.treatment.agent.id == "MYOTRACK:drug-hicy"
    )
    di = hicy.treatment.dose_intervals[0]
    assert (di.quantity.value, di.quantity.unit.id) == (50, "MYOTRACK:unit-mg/kg")
    assert (di.interval.end.seconds - di.interval.start.seconds) == 3 * 86400
    assert hicy.response_to_treatment.id == "MYOTRACK:response-yes"
    assert "MYOTRACK:event-febrile_neutropenia" in {e.id for e in hicy.adverse_events}
    rtx = [a for a in packets["002-P1"].medical_actions if a.treatment.agent.id == "RXNORM:121191"]
    assert rtx and rtx[0].treatment.agent.label == "rituximab"


def test_round_trip_keeps_every_contract_field(tmp_path: Path, evidence) -> None:  # type: ignore[no-untyped-def]
    result = write_phenopackets(evidence, tmp_path, include_notes=True, cohort_id="published")
    assert result.losses == ()
    back = read_phenopackets(tmp_path)
    rt = compare(evidence, back)
    assert rt.differences == () and rt.cells > 5000
    from_cohort = read_phenopackets(tmp_path / "cohort.json")
    assert compare(evidence, from_cohort).differences == ()


def test_de_identified_export_lists_the_notes(tmp_path: Path, evidence) -> None:  # type: ignore[no-untyped-def]
    result = write_phenopackets(evidence, tmp_path)
    assert {x.column for x in result.losses} == {"note"}
    rt = compare(evidence, read_phenopackets(tmp_path))
    assert rt.uncovered(result.losses) == []


def test_a_phenopacket_of_another_tool_reads_from_its_standard_elements(packets) -> None:  # type: ignore[no-untyped-def]
    """Without myotrack's contract file: sex, age at onset, antibody, CK with its ULN, courses
    with dose, response and adverse events, symptoms."""
    p = pp.Phenopacket()
    p.CopyFrom(packets["002-P1"])
    del p.files[:]
    import tempfile

    with tempfile.TemporaryDirectory() as d:
        path = Path(d) / "p.json"
        path.write_text(json_format.MessageToJson(p), encoding="utf-8")
        ds = read_phenopackets(path)
    row = ds.patients.iloc[0]
    assert (row["sex"], row["age_at_onset"], row["antibody"]) == ("M", 53, "SRP")
    v = ds.visits.set_index("day")
    assert (v.loc[1035, "ck"], v.loc[1035, "ck_uln"]) == (494, 170)
    t = ds.treatments
    hicy = t[t["drug"] == "hicy"].iloc[0]
    assert (hicy["dose"], hicy["start_day"], hicy["end_day"]) == (50, 0, 3)
    assert hicy["reported_response"] == "yes"
    assert "febrile_neutropenia" in set(ds.events["term"])
    assert set(ds.observations["code"]) >= {"dysphagia", "dyspnoea"}


def test_user_source_export_and_read_any(tmp_path: Path) -> None:
    ds = generate(8, seed=3)
    result = write_phenopackets(ds, tmp_path / "pp", include_notes=True)
    assert len(result.files) == 8
    back = read_any(tmp_path / "pp")
    assert compare(ds, back).differences == ()
    first = json.loads(result.files[0].read_text(encoding="utf-8"))
    assert first["files"][0]["uri"].startswith(CONTRACT_URI)


def test_cohort_and_cli(tmp_path: Path, packets) -> None:  # type: ignore[no-untyped-def]
    c = cohort(list(packets.values()), "published", "published IMNM cases", CREATED)
    assert len(c.members) == len(packets)
    res = runner.invoke(
        app, ["export", "published", "--format", "phenopacket", "-o", str(tmp_path)]
    )
    assert res.exit_code == 0, res.output
    assert (tmp_path / "cohort.json").exists() and (tmp_path / "002-P1.json").exists()
    res = runner.invoke(app, ["validate", str(tmp_path / "cohort.json")])
    assert res.exit_code == 0, res.output
