"""Import (preview with every problem, all-or-nothing commit) and export (de-identified by default)."""

from __future__ import annotations

import io
import shutil
import zipfile
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from django.urls import reverse

from myotrack.tables import TABLES, read_source, write_excel
from myotrack.web import importer
from myotrack.web.audit.models import AuditRecord
from myotrack.web.export import dataset_for
from myotrack.web.patients.models import Patient
from myotrack.web.visits.models import StrengthGrade

pytestmark = pytest.mark.django_db

PUBLISHED = Path(__file__).resolve().parents[2] / "src" / "myotrack" / "evidence" / "data"
PATIENT_TABLES = [
    "patients_patient",
    "visits_visit",
    "visits_strengthgrade",
    "treatments_treatment",
    "events_event",
]


def dump() -> list[tuple[str, list[tuple[Any, ...]]]]:
    """Every row of the patient tables, in primary-key order."""
    out = []
    with connection.cursor() as cursor:
        for table in PATIENT_TABLES:
            cursor.execute(f"SELECT * FROM {table} ORDER BY id")
            out.append((table, cursor.fetchall()))
    return out


def zipped(folder: Path) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for f in sorted(folder.glob("*.csv")):
            archive.write(f, f.name)
    return buffer.getvalue()


def broken_copy(tmp_path: Path) -> Path:
    """The 002 published cases with three problems in three tables."""
    folder = tmp_path / "broken"
    shutil.copytree(PUBLISHED / "002_mecoli2017", folder)
    visits = pd.read_csv(folder / "visits.csv", dtype=str, keep_default_na=False)
    visits.loc[0, "mrc_sum"] = "75"
    visits.to_csv(folder / "visits.csv", index=False)
    treatments = pd.read_csv(folder / "treatments.csv", dtype=str, keep_default_na=False)
    treatments.loc[1, "drug"] = "cyclofosfamide"
    treatments.to_csv(folder / "treatments.csv", index=False)
    strength = pd.read_csv(folder / "strength.csv", dtype=str, keep_default_na=False)
    strength.loc[2, "grade"] = "6"
    strength.to_csv(folder / "strength.csv", index=False)
    return folder


def upload(client: Client, name: str, data: bytes, site: Any) -> Any:
    return client.post(
        reverse("transfer:import"), {"file": SimpleUploadedFile(name, data), "site": site.pk}
    )


@pytest.fixture
def manager(client: Client, users: dict[str, Any]) -> Client:
    client.force_login(users["data_manager"])
    return client


def test_preview_lists_every_problem_and_saves_nothing(
    manager: Client, sites: dict[str, Any], patients: dict[str, Any], tmp_path: Path
) -> None:
    before = dump()
    response = upload(manager, "cases.zip", zipped(broken_copy(tmp_path)), sites["A"])
    assert response.status_code == 302
    preview = manager.get(response["Location"]).context["preview"]
    assert not preview.ok
    where = {(p.file, p.row, p.column) for p in preview.problems}
    assert ("cases.zip: visits.csv", 2, "mrc_sum") in where
    assert ("cases.zip: strength.csv", 4, "grade") in where
    # an unknown drug is kept as written: listed apart, as a warning
    assert ("cases.zip: treatments.csv", 3, "drug") not in where
    warned = {(p.file, p.row, p.column) for p in preview.warnings}
    assert ("cases.zip: treatments.csv", 3, "drug") in warned
    commit = manager.post(
        reverse("transfer:import_commit", kwargs={"token": preview.token}), {"commit": "1"}
    )
    assert commit.status_code == 302
    assert dump() == before


def test_registry_problems_are_listed_too(
    manager: Client, sites: dict[str, Any], patients: dict[str, Any], tmp_path: Path
) -> None:
    folder = tmp_path / "clash"
    folder.mkdir()
    (folder / "patients.csv").write_text("patient_id,site\nPA-1,\nNEW-1,Site B\nNEW-2,Site A\n")
    preview = manager.get(
        upload(manager, "clash.zip", zipped(folder), sites["A"])["Location"]
    ).context["preview"]
    assert [(p.row, p.column) for p in preview.problems] == [(2, "patient_id"), (3, "site")]


def test_correct_workbook_is_imported_whole_and_audited(
    manager: Client,
    sites: dict[str, Any],
    patients: dict[str, Any],
    tmp_path: Path,
    django_capture_on_commit_callbacks: Any,
) -> None:
    source = read_source(PUBLISHED / "002_mecoli2017")
    book = write_excel(source, tmp_path / "mecoli.xlsx")
    response = upload(manager, "mecoli.xlsx", book.read_bytes(), sites["A"])
    preview = manager.get(response["Location"]).context["preview"]
    assert preview.ok, preview.problems
    assert preview.counts["patients"] == len(source.patients)
    with django_capture_on_commit_callbacks(execute=True):
        response = manager.post(
            reverse("transfer:import_commit", kwargs={"token": preview.token}), {"commit": "1"}
        )
    assert response.status_code == 302
    imported = Patient.objects.filter(code__in=source.patient_ids)
    assert imported.count() == len(source.patients)
    assert set(imported.values_list("site__name", flat=True)) == {"Site A"}
    back = dataset_for(imported, identified=True)
    for table in ("patients", "visits", "strength", "treatments", "events"):
        mine = back.to_text_frames()[table].drop(columns=["site"], errors="ignore")
        theirs = source.to_text_frames()[table].drop(columns=["site"], errors="ignore")
        key = [
            c
            for c in ("patient_id", "day", "start_day", "muscle", "side", "drug", "kind")
            if c in mine.columns
        ]
        pd.testing.assert_frame_equal(
            mine.sort_values(key).reset_index(drop=True),
            theirs.sort_values(key).reset_index(drop=True),
            check_dtype=False,
        )
    assert StrengthGrade.objects.filter(patient__in=imported, visit__isnull=False).exists()
    assert AuditRecord.objects.filter(action="import").count() == 1
    created = AuditRecord.objects.filter(action="create", summary="import mecoli.xlsx").count()
    assert created == sum(len(source.table(t)) for t in TABLES)
    assert not list(Path(importer._folder()).glob(f"{preview.token}*"))


@pytest.mark.django_db(transaction=True)
def test_a_failure_during_commit_leaves_the_tables_unchanged(
    manager: Client,
    sites: dict[str, Any],
    patients: dict[str, Any],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    response = upload(manager, "cases.zip", zipped(PUBLISHED / "004_termglinchan2024"), sites["A"])
    preview = manager.get(response["Location"]).context["preview"]
    assert preview.ok
    before = dump()
    audits = AuditRecord.objects.count()
    saved = {"n": 0}
    original = importer.create_rows
    # every table with rows is written in bulk with its audit records
    writes = sum(1 for n in preview.counts.values() if n)

    def failing_write(*args: Any, **kwargs: Any) -> list[int]:
        if args[2]:  # a table with rows
            saved["n"] += 1
            if saved["n"] == writes:  # every table but the last is already written
                raise RuntimeError("disk full")
        return original(*args, **kwargs)

    monkeypatch.setattr(importer, "create_rows", failing_write)
    with pytest.raises(RuntimeError):
        importer.commit(importer_user(manager), preview.token, preview.filename, sites["A"])
    assert saved["n"] == writes > 1
    assert dump() == before
    assert AuditRecord.objects.count() == audits


def importer_user(client: Client) -> Any:
    from django.contrib.auth import get_user

    class _Request:
        session = client.session

    return get_user(_Request())  # type: ignore[arg-type]


def test_uploads_are_xlsx_or_zip_and_imports_are_per_user(
    manager: Client, client_b: Client, sites: dict[str, Any]
) -> None:
    response = upload(manager, "cases.csv", b"patient_id\nX\n", sites["A"])
    assert "xlsx" in " ".join(response.context["form"].errors["file"])
    response = upload(manager, "cases.zip", zipped(PUBLISHED / "003_pinheiro2022"), sites["A"])
    preview_url = response["Location"]
    token = preview_url.rstrip("/").split("/")[-1]
    assert client_b.get(preview_url).status_code == 404
    assert (
        client_b.post(reverse("transfer:import_commit", kwargs={"token": token})).status_code == 404
    )
    assert not Patient.objects.exists()


@pytest.fixture
def client_b(users: dict[str, Any]) -> Client:
    other = Client()
    other.force_login(users["manager_b"])
    return other


def read_zip(data: bytes) -> dict[str, pd.DataFrame]:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return {
            Path(n).stem: pd.read_csv(io.BytesIO(archive.read(n)), dtype=str, keep_default_na=False)
            for n in archive.namelist()
        }


def test_export_is_deidentified_and_audited(manager: Client, patients: dict[str, Any]) -> None:
    patient = patients["A"]
    response = manager.post(
        reverse("patients:export", kwargs={"patient": patient.pk}), {"format": "zip"}
    )
    assert response.status_code == 200
    tables = read_zip(response.content)
    assert set(tables) == {
        "patients",
        "visits",
        "strength",
        "treatments",
        "events",
        "observations",
    }
    raw = b"".join(
        zipfile.ZipFile(io.BytesIO(response.content)).read(n)
        for n in zipfile.ZipFile(io.BytesIO(response.content)).namelist()
    )
    for secret in (b"Synthetic Person", b"REC-1", b"free text", b"private", b"2023-"):
        assert secret not in raw
    assert list(tables["visits"]["day"]) == ["22"]
    assert list(tables["treatments"]["start_day"]) == ["23"]
    audit = AuditRecord.objects.get(action="export")
    assert audit.patient_pk == patient.pk and audit.after == {
        "patients": ["PA-1"],
        "format": "zip",
        "identified": False,
    }


def test_identified_export_adds_identifiers_and_notes(
    manager: Client, users: dict[str, Any], patients: dict[str, Any]
) -> None:
    profile = users["data_manager"].profile
    profile.export_identified = True
    profile.save()
    response = manager.post(reverse("transfer:export"), {"format": "zip", "identified": "on"})
    tables = read_zip(response.content)
    assert tables["identifiers"].to_dict("records") == [
        {
            "patient_id": "PA-1",
            "name": "Synthetic Person",
            "record_number": "REC-1",
            "index_date": "2023-01-10",
            "notes": "free text",
        }
    ]
    assert list(tables["treatments"]["note"]) == ["private"]
    assert AuditRecord.objects.get(action="export").after["identified"] is True  # type: ignore[index]


def test_xlsx_export_reads_back(manager: Client, patients: dict[str, Any], tmp_path: Path) -> None:
    response = manager.post(reverse("transfer:export"), {"format": "xlsx"})
    path = tmp_path / "export.xlsx"
    path.write_bytes(response.content)
    ds = read_source(path)
    assert ds.patient_ids == ["PA-1"]
    assert ds.treatments["drug"].tolist() == ["rituximab"]
