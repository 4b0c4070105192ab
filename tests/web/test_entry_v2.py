"""Contract v2 on the entry pages: the visit, treatment, event and observation forms take the
new columns (days as records write them, enzymes as reported, regions and both sides, dose_per,
event end days, sequence and relapse type); values are shown back as written; a warning is
shown on save and does not block it."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from myotrack.web.audit.models import AuditRecord
from myotrack.web.events.models import Event
from myotrack.web.patients.models import Patient
from myotrack.web.treatments.models import Treatment
from myotrack.web.visits.models import StrengthGrade, Visit
from myotrack.web.visits.services import save_visit

pytestmark = pytest.mark.django_db

#: A visit's enzymes as a laboratory or a paper reports them.
LAB_TEXT = {
    "day": "60",
    "ck": ">10000",
    "ldh": "~4000",
    "alt": "normal",
    "ast": "<=40",
    "aldolase": "markedly elevated",
    "lab": "L1",
}


def test_lab_values_are_shown_back_as_written(
    client: Client, users: dict[str, Any], patients: dict[str, Any]
) -> None:
    patient = patients["A"]
    visit = save_visit(users["data_entry"], patient, LAB_TEXT)
    client.force_login(users["data_entry"])
    url = reverse("patients:visit_edit", kwargs={"patient": patient.pk, "visit": visit.pk})
    initial = client.get(url).context["form"].initial
    assert [initial[e] for e in ("ck", "ldh", "alt", "ast", "aldolase")] == [
        ">10000",
        "~4000",
        "normal",
        "<=40",
        "elevated",
    ]
    page = client.get(reverse("patients:detail", kwargs={"patient": patient.pk})).content.decode()
    assert "&gt;10000" in page and "LDH ~4000" in page and "ALT normal" in page
    assert "AST &lt;=40" in page and "lab L1" in page
    # the form saved as shown changes nothing
    data = {k: v for k, v in initial.items() if v not in (None, "")}
    before = AuditRecord.objects.count()
    assert client.post(url, data).status_code == 302
    assert AuditRecord.objects.count() == before


def test_entry_pages_take_the_new_fields(
    client: Client, users: dict[str, Any], patients: dict[str, Any]
) -> None:
    patient = patients["A"]
    client.force_login(users["data_entry"])
    kw = {"patient": patient.pk}

    page = client.get(reverse("patients:visit_create", kwargs=kw)).content.decode()
    for name in ("day_earliest", "day_latest", "lab", "ldh", "extra__0__muscle", "extra__0__side"):
        assert f'name="{name}"' in page
    assert 'value="both"' in page and 'id="muscle-names"' in page
    response = client.post(
        reverse("patients:visit_create", kwargs=kw),
        {
            "day": "~90",
            "ck": "~4000",
            "grade__hip_flexors__left": "4",
            "extra__0__muscle": "proximal lower limb",
            "extra__0__side": "both",
            "extra__0__grade": "4-5",
            "extra__1__muscle": "deltoids",
            "extra__1__side": "",
            "extra__1__grade": "4",
        },
    )
    assert response.status_code == 302
    visit = Visit.objects.get(patient=patient, day=90)
    assert sorted(
        StrengthGrade.objects.filter(visit=visit).values_list("muscle", "side", "grade")
    ) == [
        ("hip_flexors", "left", "4"),
        ("proximal_lower_limb", "both", "4-5"),
        ("shoulder_abductors", "", "4"),
    ]
    # the edit form shows the grades outside the grid in their rows; a changed row replaces
    url = reverse("patients:visit_edit", kwargs={**kw, "visit": visit.pk})
    form = client.get(url).context["form"]
    assert form.extra_rows == 4
    assert (form.initial["extra__0__muscle"], form.initial["extra__0__side"]) == (
        "proximal_lower_limb",
        "both",
    )
    data = {k: v for k, v in form.initial.items() if v not in (None, "")}
    data["extra__0__side"] = "right"
    data["extra__1__grade"] = ""
    assert client.post(url, data).status_code == 302
    assert sorted(
        StrengthGrade.objects.filter(visit=visit).values_list("muscle", "side", "grade")
    ) == [
        ("hip_flexors", "left", "4"),
        ("proximal_lower_limb", "right", "4-5"),
    ]
    # a bad grade in an extra row is shown at that row
    data = {"day": "300", "extra__0__muscle": "distal limbs", "extra__0__grade": "7"}
    response = client.post(reverse("patients:visit_create", kwargs=kw), data)
    assert "MRC" in " ".join(response.context["form"].errors["extra__0__grade"])

    response = client.post(
        reverse("patients:treatment_create", kwargs=kw),
        {"drug": "IVIG", "start_day": "100..110", "dose": "2", "dose_unit": "g/kg per course"},
    )
    assert response.status_code == 302
    course = Treatment.objects.get(patient=patient, drug="ivig")
    assert (course.start_day, course.dose_per) == (105, "course")
    form = client.get(
        reverse("patients:treatment_edit", kwargs={**kw, "treatment": course.pk})
    ).context["form"]
    assert (form.initial["start_day_earliest"], form.initial["dose_per"]) == (100, "course")

    page = client.get(reverse("patients:event_create", kwargs=kw)).content.decode()
    for name in ("end_date", "end_day", "sequence", "relapse_type"):
        assert f'name="{name}"' in page
    assert 'value="worsening"' in page
    response = client.post(
        reverse("patients:event_create", kwargs=kw),
        {
            "kind": "relapse_reported",
            "relapse_type": "clinical",
            "date": "2023-06-01",
            "end_day": "150",
        },
    )
    assert response.status_code == 302
    assert Event.objects.get(patient=patient, kind="relapse_reported").relapse_type == "clinical"

    page = client.get(reverse("patients:observation_create", kwargs=kw)).content.decode()
    assert 'id="observation-codes"' in page and 'value="anti_hmgcr"' in page
    response = client.post(
        reverse("patients:observation_create", kwargs=kw),
        {"code": "six_minute_walk", "value": "350", "unit": "m", "date": "2023-05-01"},
    )
    assert response.status_code == 302
    detail = client.get(reverse("patients:detail", kwargs=kw)).content.decode()
    assert 'id="observations"' in detail and "six minute walk" in detail and "350 m" in detail
    assert "anti srp" in detail and "line blot" in detail
    assert "per course" in detail and "90 (81..99)" in detail
    assert "proximal lower limb r 4-5" in detail  # the region row, its side edited to right
    assert "could not be computed" not in detail
    timeline = client.get(reverse("patients:timeline", kwargs=kw) + "?part=1").content.decode()
    assert "<svg" in timeline and "could not be computed" not in timeline  # a relapse without a day


def test_a_warning_is_shown_on_save_and_does_not_block(
    client: Client, users: dict[str, Any], patients: dict[str, Any]
) -> None:
    patient = patients["A"]
    client.force_login(users["data_entry"])
    response = client.post(
        reverse("patients:treatment_create", kwargs={"patient": patient.pk}),
        {"drug": "drugxyz", "start_day": "300"},
        follow=True,
    )
    assert response.status_code == 200
    assert Treatment.objects.filter(patient=patient, drug="drugxyz").exists()
    [shown] = [m for m in response.context["messages"]]
    assert shown.level_tag == "warning"
    assert str(shown).startswith("Saved with a warning: drug: 'drugxyz' is not in the drug")
    assert "kept as written" in response.content.decode()

    response = client.post(
        reverse("patients:create"),
        {"patient_id": "W-1", "site": patient.site_id, "comorbidities": "gout"},
        follow=True,
    )
    assert Patient.objects.filter(code="W-1").exists()
    assert "comorbidities: not in the comorbidity vocabulary" in response.content.decode()
