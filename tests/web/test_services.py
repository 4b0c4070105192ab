"""The service layer: validation by the readers' rules, audit of every change, soft deletes."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied
from django.http import Http404

from myotrack.tables import validate_source
from myotrack.web.audit.models import AuditRecord
from myotrack.web.events.models import Event
from myotrack.web.patients.models import Patient
from myotrack.web.patients.services import (
    create_patient,
    delete_patient,
    restore_patient,
    update_patient,
)
from myotrack.web.records import RecordInvalid, warnings_of
from myotrack.web.treatments.models import Treatment
from myotrack.web.treatments.services import delete_treatment, save_treatment
from myotrack.web.visits.models import StrengthGrade, Visit
from myotrack.web.visits.services import delete_visit, restore_visit, save_visit

pytestmark = pytest.mark.django_db


def _columns(err: RecordInvalid, table: str) -> dict[str | None, str]:
    return {p.column: p.message for p in err.problems if p.table == table}


def test_patient_rules_are_the_readers_rules(
    users: dict[str, Any], sites: dict[str, Any], tmp_path: Path
) -> None:
    row = {
        "patient_id": "X1",
        "site": sites["A"].pk,
        "age_at_onset": "200",
        "antibody": "SPR",
        "comorbidities": "hbv;gout",
    }
    with pytest.raises(RecordInvalid) as caught:
        create_patient(users["data_entry"], row)
    form_rules = sorted(p.message for p in caught.value.problems)
    (tmp_path / "patients.csv").write_text(
        "patient_id,age_at_onset,antibody,comorbidities\nX1,200,SPR,hbv;gout\n"
    )
    found = validate_source(tmp_path)
    assert form_rules == sorted(p.rule for p in found if not p.is_warning)
    assert set(_columns(caught.value, "patients")) == {"age_at_onset", "antibody"}
    # an unknown comorbidity is a warning: it never blocks, and it is reported on save
    assert [p.column for p in found if p.is_warning] == ["comorbidities"]
    row["age_at_onset"], row["antibody"] = "50", "SRP"
    patient = create_patient(users["data_entry"], row)
    assert patient.comorbidities == "hbv;gout"
    assert [(w.column, w.warning) for w in warnings_of(patient)] == [("comorbidities", True)]


def test_create_patient_is_audited(users: dict[str, Any], sites: dict[str, Any]) -> None:
    patient = create_patient(
        users["data_entry"],
        {"patient_id": "P7", "site": sites["A"].pk, "antibody": "hmgcr", "sex": "f"},
    )
    assert (patient.antibody, patient.sex) == ("HMGCR", "F")
    audit = AuditRecord.objects.get()
    assert (audit.action, audit.model, audit.object_id, audit.patient_pk) == (
        "create",
        "patients.patient",
        patient.pk,
        patient.pk,
    )
    assert audit.username == "entry"
    assert audit.before is None
    assert audit.after is not None and audit.after["antibody"] == "HMGCR"


def test_patient_id_is_unique_also_against_deleted(
    users: dict[str, Any], sites: dict[str, Any]
) -> None:
    patient = create_patient(users["data_manager"], {"patient_id": "P7", "site": sites["A"].pk})
    delete_patient(users["data_manager"], patient)
    with pytest.raises(RecordInvalid) as caught:
        create_patient(users["data_manager"], {"patient_id": "P7", "site": sites["A"].pk})
    assert "already used" in _columns(caught.value, "patients")["patient_id"]


def test_roles_and_sites_are_enforced_by_the_services(
    users: dict[str, Any], sites: dict[str, Any], patients: dict[str, Any]
) -> None:
    with pytest.raises(PermissionDenied):
        create_patient(users["viewer"], {"patient_id": "V1", "site": sites["A"].pk})
    with pytest.raises(RecordInvalid):  # site B is not one of this user's sites
        create_patient(users["data_entry"], {"patient_id": "V1", "site": sites["B"].pk})
    with pytest.raises(Http404):
        save_visit(users["data_manager"], patients["B"], {"day": "400"})
    with pytest.raises(PermissionDenied):
        delete_patient(users["data_entry"], patients["A"])
    with pytest.raises(PermissionDenied):
        restore_patient(users["data_manager"], patients["A"])


def test_visit_with_grades_dates_and_rules(users: dict[str, Any], patients: dict[str, Any]) -> None:
    patient = patients["A"]
    user = users["data_entry"]
    visit = save_visit(
        user,
        patient,
        {"date": "2023-04-11", "ck": "<200", "ck_uln": "200"},
        [("deltoid", "left", "4+")],
    )
    assert (visit.day, visit.ck, visit.ck_bound) == (
        (dt.date(2023, 4, 11) - dt.date(2023, 1, 10)).days,
        200.0,
        "<",
    )
    grade = StrengthGrade.objects.get(visit=visit)
    assert (grade.muscle, grade.grade, grade.day) == ("shoulder_abductors", "4+", visit.day)

    with pytest.raises(RecordInvalid) as caught:
        save_visit(
            user, patient, {"date": "2023-04-11", "ck": "900"}, [("hip_flexors", "left", "6")]
        )
    visits = _columns(caught.value, "visits")
    assert "second visit" in visits["day"]
    assert "ck_uln" not in visits  # contract v2: a value without its ULN is accepted
    assert [(p.index, p.column) for p in caught.value.problems if p.table == "strength"] == [
        (0, "grade")
    ]


def test_date_needs_an_index_date(users: dict[str, Any], sites: dict[str, Any]) -> None:
    patient = create_patient(users["data_entry"], {"patient_id": "N1", "site": sites["A"].pk})
    with pytest.raises(RecordInvalid) as caught:
        save_visit(users["data_entry"], patient, {"date": "2023-04-11"})
    assert "index date" in _columns(caught.value, "visits")["date"]
    visit = save_visit(users["data_entry"], patient, {"day": "30", "mrc_sum": "48"})
    assert (visit.day, visit.date) == (30, None)


def test_changing_the_index_date_redates_rows(
    users: dict[str, Any], patients: dict[str, Any]
) -> None:
    patient = patients["A"]
    visit = patient.visits.get()
    old_day = visit.day
    data = {
        "patient_id": patient.code,
        "site": patient.site_id,
        "index_date": "2023-01-01",
        "antibody": "SRP",
    }
    update_patient(users["data_manager"], patient, data)
    visit.refresh_from_db()
    assert visit.date == dt.date(2023, 2, 1)
    assert visit.day == old_day + 9
    assert AuditRecord.objects.filter(
        model="visits.visit", object_id=visit.pk, action="update"
    ).exists()


def test_drug_synonym_and_unknown_drug(users: dict[str, Any], patients: dict[str, Any]) -> None:
    course = save_treatment(
        users["data_entry"], patients["A"], {"drug": "MabThera", "start_day": "40"}
    )
    assert course.drug == "rituximab"
    with pytest.raises(RecordInvalid) as caught:
        save_treatment(
            users["data_entry"],
            patients["A"],
            {"drug": "rituxumab", "dose": "2", "end_day": "1", "start_day": "5"},
        )
    columns = _columns(caught.value, "treatments")
    assert set(columns) == {"dose_unit", "end_day"}  # the unknown drug is no error
    kept = save_treatment(
        users["data_entry"], patients["A"], {"drug": "rituxumab", "start_day": "5"}
    )
    assert kept.drug == "rituxumab"
    [warning] = warnings_of(kept)
    assert warning.column == "drug" and "kept as written" in warning.message
    assert "rituximab" in warning.message  # the closest known name is suggested


def test_update_records_before_and_after(users: dict[str, Any], patients: dict[str, Any]) -> None:
    course = patients["A"].treatments.get()
    save_treatment(
        users["data_entry"],
        patients["A"],
        {"drug": "rituximab", "start_day": "23", "dose": "375", "dose_unit": "mg/m2"},
        course,
    )
    audit = AuditRecord.objects.filter(model="treatments.treatment", action="update").get()
    assert (audit.before or {})["dose"] == 1000.0
    assert (audit.after or {})["dose"] == 375.0
    assert ("dose_unit", "mg", "mg/m2") in audit.changes()


def test_soft_delete_and_restore(users: dict[str, Any], patients: dict[str, Any]) -> None:
    patient = patients["A"]
    visit = patient.visits.get()
    delete_visit(users["data_manager"], visit)
    assert not Visit.objects.filter(pk=visit.pk).exists()
    assert not StrengthGrade.objects.filter(visit=visit).exists()
    assert Visit.all_objects.filter(pk=visit.pk).exists()
    deleted = Visit.all_objects.get(pk=visit.pk)
    restore_visit(users["administrator"], deleted)
    assert Visit.objects.filter(pk=visit.pk).exists()
    assert StrengthGrade.objects.filter(visit=visit).count() == 2
    actions = list(
        AuditRecord.objects.filter(model="visits.visit", object_id=visit.pk).values_list(
            "action", flat=True
        )
    )
    assert sorted(actions) == ["create", "delete", "restore"]

    course = patient.treatments.get()
    delete_treatment(users["data_manager"], course)
    assert not Treatment.objects.filter(pk=course.pk).exists()
    delete_patient(users["data_manager"], patient)
    assert not Patient.objects.filter(pk=patient.pk).exists()
    restore_patient(users["administrator"], Patient.all_objects.get(pk=patient.pk))
    assert Patient.objects.filter(pk=patient.pk).exists()
    assert Event.objects.filter(patient=patient).count() == 1


def test_restore_refuses_a_clash(users: dict[str, Any], patients: dict[str, Any]) -> None:
    patient = patients["A"]
    visit = patient.visits.get()
    delete_visit(users["data_manager"], visit)
    save_visit(users["data_manager"], patient, {"day": str(visit.day), "mrc_sum": "50"})
    with pytest.raises(RecordInvalid):
        restore_visit(users["administrator"], Visit.all_objects.get(pk=visit.pk))
    assert Visit.all_objects.get(pk=visit.pk).is_deleted
