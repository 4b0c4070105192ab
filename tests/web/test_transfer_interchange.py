"""REDCap and FHIR in the registry: imported through the same limits, preview and
all-or-nothing commit as a workbook; exported under the same de-identification rules."""

from __future__ import annotations

import html
import io
import json
import zipfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from tests.web.conftest import add_patient
from tests.web.test_transfer import PUBLISHED, dump

from myotrack.interchange.compare import compare
from myotrack.interchange.redcap import export_records, project_dictionary
from myotrack.interchange.redcap.dictionary import dictionary_csv
from myotrack.tables import TABLES, read_source
from myotrack.web.audit.models import AuditRecord
from myotrack.web.export import LOSSES, dataset_for
from myotrack.web.patients.models import Patient

pytestmark = pytest.mark.django_db

SECRETS = (b"Synthetic Person", b"REC-1", b"free text", b"private", b"2023-")


@pytest.fixture
def manager(client: Client, users: dict[str, Any]) -> Client:
    client.force_login(users["data_manager"])
    return client


def zipped(files: Mapping[str, bytes | str]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, body in files.items():
            archive.writestr(name, body)
    return buffer.getvalue()


def members(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return {n: archive.read(n) for n in archive.namelist()}


def upload(client: Client, name: str, data: bytes, site: Any) -> Any:
    response = client.post(
        reverse("transfer:import"), {"file": SimpleUploadedFile(name, data), "site": site.pk}
    )
    assert response.status_code == 302, response.context["form"].errors
    return client.get(response["Location"]).context["preview"]


def commit(client: Client, token: str) -> Any:
    return client.post(reverse("transfer:import_commit", kwargs={"token": token}), {"commit": "1"})


def redcap_zip(folder: Path, edit: Any = None) -> bytes:
    """A published case folder as a REDCap export of myotrack's project (dictionary + records)."""
    records, _, _ = export_records(read_source(folder), include_notes=True)
    if edit is not None:
        edit(records)
    return zipped(
        {
            "redcap_dictionary.csv": dictionary_csv(project_dictionary()),
            "redcap_records.csv": records.to_csv(index=False),
        }
    )


def wipe(**where: object) -> None:
    """Delete patients and their rows for good (the registry only soft-deletes)."""
    from myotrack.web.events.models import Event
    from myotrack.web.observations.models import Observation
    from myotrack.web.treatments.models import Treatment
    from myotrack.web.visits.models import StrengthGrade, Visit

    gone = Patient.all_objects.filter(**where)
    for model in (StrengthGrade, Visit, Treatment, Event, Observation):
        model._base_manager.filter(patient__in=gone).delete()
    gone.delete()


def contract_cells(patients: Any) -> dict[str, pd.DataFrame]:
    return dataset_for(patients, identified=True).to_text_frames()


# --- import ---------------------------------------------------------------------------------


def test_redcap_grade_7_in_instance_3_is_rejected_whole(
    manager: Client, sites: dict[str, Any]
) -> None:
    def grade_7(records: pd.DataFrame) -> None:
        at = records.index[
            (records["patient_id"] == "000-P1")
            & (records["redcap_event_name"] == "visit_arm_1")
            & (records["redcap_repeat_instance"].astype(str) == "3")
        ][0]
        field = next(c for c in records.columns if c.startswith("mrc_") and records.at[at, c])
        records.at[at, field] = "7"
        grade_7.field = field  # type: ignore[attr-defined]

    before = dump()
    preview = upload(
        manager, "project.zip", redcap_zip(PUBLISHED / "000_perera2024", grade_7), sites["A"]
    )
    assert not preview.ok
    assert preview.counts == {} and preview.patient_ids == []
    [problem] = [p for p in preview.problems if p.value == "7"]
    text = str(problem)
    field = grade_7.field  # type: ignore[attr-defined]
    for part in (
        "project.zip: redcap_records.csv",
        "record '000-P1'",
        "event 'visit_arm_1'",
        "instrument 'visit'",
        "instance 3",
        f"field '{field}'",
        "strength.grade",
        "grade outside the MRC scale",
    ):
        assert part in text, (part, text)
    page = manager.get(reverse("transfer:import_preview", kwargs={"token": preview.token}))
    shown = html.unescape(page.content.decode())
    assert "record '000-P1', event 'visit_arm_1', instrument 'visit', instance 3" in shown
    assert f"field '{field}'" in shown and "strength.grade" in shown
    commit(manager, preview.token)
    assert dump() == before
    assert not Patient.all_objects.filter(code__startswith="000-").exists()


def test_redcap_export_is_imported_whole_and_audited(
    manager: Client, sites: dict[str, Any]
) -> None:
    folder = PUBLISHED / "000_perera2024"
    preview = upload(manager, "project.zip", redcap_zip(folder), sites["A"])
    assert preview.ok, [str(p) for p in preview.problems]
    expected = read_source(folder)
    assert preview.patient_ids == expected.patient_ids
    assert preview.counts["strength"] == len(expected.strength)
    assert commit(manager, preview.token).status_code == 302
    imported = Patient.objects.filter(code__in=expected.patient_ids)
    assert imported.count() == len(expected.patient_ids)
    audit = AuditRecord.objects.get(action="import")
    assert audit.after["file"] == "project.zip"  # type: ignore[index]


def test_registry_problems_of_a_redcap_export_name_the_patient(
    manager: Client, sites: dict[str, Any], patients: dict[str, Any]
) -> None:
    data = manager.post(reverse("transfer:export"), {"format": "redcap"}).content
    preview = upload(manager, "again.zip", data, sites["A"])
    assert [(p.file, p.column, p.value) for p in preview.problems] == [
        ("again.zip", "patient_id", "PA-1")
    ]


def test_fhir_bundles_are_imported_as_zip_or_json(
    manager: Client, users: dict[str, Any], sites: dict[str, Any], patients: dict[str, Any]
) -> None:
    add_patient(users["data_manager"], sites["A"], "PA-2")
    mine = Patient.objects.filter(site=sites["A"])
    before = contract_cells(mine)
    data = members(manager.post(reverse("transfer:export"), {"format": "fhir"}).content)
    wipe(site=sites["A"])
    bundles = {n: b for n, b in data.items() if n.endswith(".json")}
    assert len(bundles) == 2
    first, second = sorted(bundles)
    preview = upload(manager, first, bundles[first], sites["A"])
    assert preview.ok and preview.patient_ids == ["PA-1"], [str(p) for p in preview.problems]
    commit(manager, preview.token)
    preview = upload(manager, "rest.zip", zipped({second: bundles[second]}), sites["A"])
    assert preview.ok and preview.patient_ids == ["PA-2"]
    commit(manager, preview.token)
    diff = compare(before, contract_cells(Patient.objects.filter(site=sites["A"])))
    # de-identified: the notes were not exported (and are listed as such)
    assert {(d.table, d.column) for d in diff.differences} <= {
        ("treatments", "note"),
        ("events", "note"),
    }


def test_broken_fhir_json_is_named_in_the_preview(manager: Client, sites: dict[str, Any]) -> None:
    bundle = {"resourceType": "Bundle", "type": "transaction", "entry": [{"resource": {}}]}
    preview = upload(manager, "bad.json", json.dumps(bundle).encode(), sites["A"])
    assert not preview.ok
    assert all(p.file == "bad.json" for p in preview.problems)


def test_interchange_uploads_keep_the_limits(
    manager: Client, sites: dict[str, Any], settings: Any
) -> None:
    settings.IMPORT_MAX_ROWS = 3
    staged = (
        set(Path(settings.IMPORT_DIR).iterdir()) if Path(settings.IMPORT_DIR).exists() else set()
    )
    lines = "\n".join(json.dumps({"resourceType": "Patient", "id": f"p{i}"}) for i in range(5))
    response = manager.post(
        reverse("transfer:import"),
        {"file": SimpleUploadedFile("Patient.ndjson", lines.encode()), "site": sites["A"].pk},
    )
    assert "more than 3 resources" in str(response.context["form"].errors)
    assert "MYOTRACK_IMPORT_MAX_ROWS" in str(response.context["form"].errors)
    records = "patient_id\n" + "".join(f"P{i}\n" for i in range(5))
    response = manager.post(
        reverse("transfer:import"),
        {
            "file": SimpleUploadedFile(
                "project.zip",
                zipped({"redcap_dictionary.csv": "a\n", "redcap_records.csv": records}),
            ),
            "site": sites["A"].pk,
        },
    )
    errors = str(response.context["form"].errors)
    assert "redcap_records.csv" in errors and "more than 3 rows" in errors
    response = manager.post(
        reverse("transfer:import"),
        {"file": SimpleUploadedFile("other.zip", zipped({"x.txt": "x"})), "site": sites["A"].pk},
    )
    assert "no REDCap project" in str(response.context["form"].errors)
    assert set(Path(settings.IMPORT_DIR).iterdir()) == staged


# --- export ---------------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["redcap", "fhir"])
def test_interchange_export_is_deidentified_listed_and_audited(
    manager: Client, patients: dict[str, Any], fmt: str
) -> None:
    response = manager.post(reverse("transfer:export"), {"format": fmt})
    assert response.status_code == 200 and response["Content-Type"] == "application/zip"
    assert f".{fmt}.zip" in response["Content-Disposition"]
    files = members(response.content)
    if fmt == "redcap":
        assert set(files) == {"redcap_dictionary.csv", "redcap_records.csv", LOSSES}
    else:
        assert set(files) == {"PA-1.json", LOSSES}
        bundle = json.loads(files["PA-1.json"])
        assert bundle["resourceType"] == "Bundle" and bundle["type"] == "transaction"
        patient = next(
            e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == "Patient"
        )
        assert "identifier" not in patient and "name" not in patient
    raw = b"".join(files.values())
    for secret in SECRETS:
        assert secret not in raw, secret
    # the notes were removed before the exporter saw them; what it could not hold is listed
    assert files[LOSSES].decode().startswith("REDCap: " if fmt == "redcap" else "FHIR: ")
    audit = AuditRecord.objects.get(action="export")
    assert audit.after == {"patients": ["PA-1"], "format": fmt, "identified": False}


@pytest.mark.parametrize("fmt", ["redcap", "fhir"])
def test_identified_interchange_export_needs_the_right(
    manager: Client, users: dict[str, Any], patients: dict[str, Any], fmt: str
) -> None:
    refused = manager.post(reverse("transfer:export"), {"format": fmt, "identified": "on"})
    assert refused.status_code == 403
    profile = users["data_manager"].profile
    profile.export_identified = True
    profile.save()
    response = manager.post(reverse("transfer:export"), {"format": fmt, "identified": "on"})
    files = members(response.content)
    identifiers = pd.read_csv(io.BytesIO(files["identifiers.csv"]), dtype=str)
    assert identifiers["name"].tolist() == ["Synthetic Person"]
    raw = b"".join(files.values())
    assert b"private" in raw  # notes are written in an identified export
    if fmt == "fhir":
        assert b"2023-02-01" in files["PA-1.json"]  # days as dates from the index date


def test_losses_are_listed_in_the_zip(
    manager: Client, users: dict[str, Any], sites: dict[str, Any]
) -> None:
    from myotrack.web.visits.services import save_visit

    patient = add_patient(users["data_manager"], sites["A"], "PA-9")
    # a limb muscle 'axial': the REDCap grid has no field for it
    save_visit(
        users["data_manager"], patient, {"date": "2023-04-01"}, [("hip_flexors", "axial", "4")]
    )
    files = members(manager.post(reverse("transfer:export"), {"format": "redcap"}).content)
    text = files[LOSSES].decode()
    assert "strength PA-9" in text and "not written" in text


# --- round trip -----------------------------------------------------------------------------


def test_redcap_round_trip_keeps_every_contract_cell(
    manager: Client, users: dict[str, Any], sites: dict[str, Any]
) -> None:
    """A small cohort exported as REDCap and imported into a fresh registry: every cell of
    every contract table is the same."""
    user = users["data_manager"]
    add_patient(user, sites["A"], "RT-1")
    add_patient(user, sites["A"], "RT-2", sex="M", antibody="HMGCR", age_at_onset="38")
    cohort = Patient.objects.filter(code__startswith="RT-")
    before = dataset_for(cohort).to_text_frames()
    files = members(manager.post(reverse("transfer:export"), {"format": "redcap"}).content)
    assert "every one of the" in files[LOSSES].decode()
    wipe()  # a fresh registry
    preview = upload(manager, "cohort.redcap.zip", zipped(files), sites["A"])
    assert preview.ok, [str(p) for p in preview.problems]
    commit(manager, preview.token)
    after = dataset_for(Patient.objects.filter(code__startswith="RT-")).to_text_frames()
    cells = 0
    for table in TABLES:
        a, b = before.get(table), after.get(table)
        if a is None:
            assert b is None or b.empty
            continue
        assert b is not None and list(a.columns) == list(b.columns), table
        assert len(a) == len(b) and len(a) > 0, table
        for (_, x), (_, y) in zip(a.iterrows(), b.iterrows(), strict=True):
            for column in a.columns:
                cells += 1
                assert x[column] == y[column], (table, column, x[column], y[column])
    assert cells > 100
    assert compare(before, after).differences == ()
