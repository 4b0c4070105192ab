"""Entry pages through the test client: forms show the readers' rules per field; the patient page
shows every criterion; the list filters."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from myotrack.criteria import ORDER
from myotrack.web.patients.models import Patient
from myotrack.web.treatments.models import Treatment
from myotrack.web.visits.models import StrengthGrade, Visit

pytestmark = pytest.mark.django_db


@pytest.fixture
def entry(client: Client, users: dict[str, Any]) -> Client:
    client.force_login(users["data_entry"])
    return client


def test_add_patient_visit_and_treatment_through_forms(
    entry: Client, sites: dict[str, Any]
) -> None:
    response = entry.post(
        reverse("patients:create"),
        {
            "patient_id": "F-1",
            "site": sites["A"].pk,
            "index_date": "2024-01-01",
            "antibody": "HMGCR",
            "sex": "M",
        },
    )
    assert response.status_code == 302
    patient = Patient.objects.get(code="F-1")
    assert response["Location"] == reverse("patients:detail", kwargs={"patient": patient.pk})

    visit_url = reverse("patients:visit_create", kwargs={"patient": patient.pk})
    page = entry.get(visit_url).content.decode()
    assert 'name="grade__hip_flexors__left"' in page and 'name="grade__neck_flexors__axial"' in page
    response = entry.post(
        visit_url,
        {
            "date": "2024-02-15",
            "ck": "12000",
            "ck_uln": "170",
            "mrc_sum": "42",
            "grade__hip_flexors__left": "3-",
            "grade__hip_flexors__right": "3",
            "grade__neck_flexors__axial": "4",
        },
    )
    assert response.status_code == 302
    visit = Visit.objects.get(patient=patient)
    assert visit.day == 45
    assert sorted(
        StrengthGrade.objects.filter(visit=visit).values_list("muscle", "side", "grade")
    ) == [
        ("hip_flexors", "left", "3-"),
        ("hip_flexors", "right", "3"),
        ("neck_flexors", "axial", "4"),
    ]

    response = entry.post(
        reverse("patients:treatment_create", kwargs={"patient": patient.pk}),
        {
            "drug": "IVIG",
            "start_date": "2024-02-16",
            "dose": "2",
            "dose_unit": "g/kg",
            "schedule": "over 5 days",
        },
    )
    assert response.status_code == 302
    assert Treatment.objects.get(patient=patient).drug == "ivig"

    page = entry.get(reverse("patients:detail", kwargs={"patient": patient.pk})).content.decode()
    for cid in ORDER:
        assert f'data-criterion="{cid}"' in page
    assert "12000" in page and "ivig" in page


def test_form_shows_the_readers_rules_per_field(entry: Client, patients: dict[str, Any]) -> None:
    patient = patients["A"]
    response = entry.post(
        reverse("patients:visit_create", kwargs={"patient": patient.pk}),
        {
            "day": "x",
            "ck": "900",
            "mrc_sum": "61",
            "grade__hip_flexors__left": "7",
        },
    )
    assert response.status_code == 200
    form = response.context["form"]
    assert "whole number" in " ".join(form.errors["day"])
    assert "ck_uln" not in form.errors  # contract v2: a value without its ULN is accepted
    assert "0 to 60" in " ".join(form.errors["mrc_sum"])
    assert "MRC" in " ".join(form.errors["grade__hip_flexors__left"])
    assert Visit.objects.filter(patient=patient).count() == 1

    response = entry.post(
        reverse("patients:treatment_create", kwargs={"patient": patient.pk}),
        {"drug": "rituximab", "start_day": "40", "end_day": "10"},
    )
    assert "end_day" in response.context["form"].errors


def test_edit_visit_keeps_and_changes_grades(entry: Client, patients: dict[str, Any]) -> None:
    patient = patients["A"]
    visit = patient.visits.get()
    url = reverse("patients:visit_edit", kwargs={"patient": patient.pk, "visit": visit.pk})
    form = entry.get(url).context["form"]
    assert form.initial["grade__shoulder_abductors__right"] == "3+"
    assert form.initial["ck"] == "8000"
    data = {k: v for k, v in form.initial.items() if v not in (None, "")}
    data["grade__shoulder_abductors__right"] = "4"
    data["grade__shoulder_abductors__left"] = ""
    assert entry.post(url, data).status_code == 302
    grades = StrengthGrade.objects.filter(visit=visit)
    assert list(grades.values_list("side", "grade")) == [("right", "4")]


def test_list_search_and_filters(
    client: Client, users: dict[str, Any], patients: dict[str, Any], sites: dict[str, Any]
) -> None:
    client.force_login(users["administrator"])
    url = reverse("patients:list")
    codes = lambda r: [p.code for p in r.context["page"]]  # noqa: E731
    assert codes(client.get(url)) == ["PA-1", "PB-1"]
    assert codes(client.get(url, {"q": "pb-"})) == ["PB-1"]
    assert codes(client.get(url, {"site": sites["A"].pk})) == ["PA-1"]
    assert codes(client.get(url, {"antibody": "HMGCR"})) == []
    assert codes(client.get(url, {"criterion": "rtx_response", "value": "yes"})) == []
    assert codes(client.get(url, {"criterion": "relapse", "value": "not_evaluable"})) == [
        "PA-1",
        "PB-1",
    ]


def test_cohort_page_counts_outcomes(
    client: Client, users: dict[str, Any], patients: dict[str, Any]
) -> None:
    client.force_login(users["viewer"])
    response = client.get(reverse("analysis:cohort"))
    assert response.context["count"] == 1
    rows = {r["criterion"]: r for r in response.context["rows"]}
    assert set(rows) == set(ORDER)
    assert all(r["yes"] + r["no"] + r["not_evaluable"] == 1 for r in rows.values())


def test_outcomes_api(client: Client, users: dict[str, Any], patients: dict[str, Any]) -> None:
    client.force_login(users["viewer"])
    data = client.get(
        reverse("analysis:patient_outcomes", kwargs={"patient": patients["A"].pk})
    ).json()
    assert data["patient_id"] == "PA-1"
    assert [c["id"] for c in data["criteria"]] == list(ORDER)


def test_drug_picker_api(client: Client, users: dict[str, Any]) -> None:
    client.force_login(users["viewer"])
    assert (
        client.get(reverse("analysis:drugs"), {"q": "Rituxan"}).json()["canonical"] == "rituximab"
    )
    assert (
        "rituximab"
        in client.get(reverse("analysis:drugs"), {"q": "rituxumab"}).json()["suggestions"]
    )


def test_cohort_report_of_the_users_patients(
    client: Client, users: dict[str, Any], patients: dict[str, Any]
) -> None:
    from myotrack.web.audit.models import AuditRecord

    client.force_login(users["viewer"])
    url = reverse("analysis:cohort_report")
    assert client.get(url).status_code == 302
    response = client.post(url, {"group_by": "antibody"})
    assert response.status_code == 200
    html = response.content.decode()
    assert "PA-1" in html and "PB-1" not in html
    assert "Synthetic Person" not in html and "2023-01-10" not in html
    audit = AuditRecord.objects.get(action="export")
    assert audit.after == {
        "patients": ["PA-1"],
        "format": "report",
        "group_by": "antibody",
        "identified": False,
    }
    client.force_login(users["manager_b"])
    assert "PA-1" not in client.post(url + f"?site={patients['A'].site_id}").content.decode()


def test_a_dollar_in_a_patient_id_does_not_break_the_timeline(
    client: Client, users: dict[str, Any], sites: dict[str, Any]
) -> None:
    from tests.web.conftest import add_patient

    patient = add_patient(users["data_manager"], sites["A"], r"P$\frac$-1")
    client.force_login(users["data_manager"])
    page = client.get(reverse("patients:timeline", kwargs={"patient": patient.pk}) + "?part=1")
    assert page.status_code == 200
    assert page.context["timeline_error"] == "" and "<svg" in page.context["timeline"]
