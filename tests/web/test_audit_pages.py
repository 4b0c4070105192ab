"""The history page, the audit trail and the restore of deleted records through the pages."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from myotrack.tables import TABLES
from myotrack.tables.schema import ENZYMES
from myotrack.web.events.models import Event
from myotrack.web.observations.models import Observation
from myotrack.web.patients.models import Patient
from myotrack.web.treatments.models import Treatment
from myotrack.web.visits.models import StrengthGrade, Visit

pytestmark = pytest.mark.django_db


def test_every_contract_column_has_a_field() -> None:
    models = {
        "patients": Patient,
        "visits": Visit,
        "strength": StrengthGrade,
        "treatments": Treatment,
        "events": Event,
        "observations": Observation,
    }
    assert set(models) == set(TABLES)
    for table, model in models.items():
        fields = {f.name for f in model._meta.get_fields()}
        missing = set(TABLES[table].names) - fields - {"patient_id", "site"}
        assert not missing, f"{table}: no registry field for {missing}"
    visit_fields = {f.name for f in Visit._meta.get_fields()}
    for enzyme in ENZYMES:
        assert {f"{enzyme}_bound", f"{enzyme}_state"} <= visit_fields


def test_history_shows_who_changed_what(
    client: Client, users: dict[str, Any], patients: dict[str, Any]
) -> None:
    patient = patients["A"]
    client.force_login(users["data_entry"])
    course = Treatment.objects.get(patient=patient)
    url = reverse("patients:treatment_edit", kwargs={"patient": patient.pk, "treatment": course.pk})
    data = {"drug": "rituximab", "start_date": "2023-02-02", "dose": "375", "dose_unit": "mg/m2"}
    assert client.post(url, data).status_code == 302
    client.force_login(users["data_manager"])
    page = client.get(reverse("patients:history", kwargs={"patient": patient.pk}))
    records = list(page.context["page"])
    assert records[0].username == "entry" and records[0].action == "update"
    text = page.content.decode()
    assert "1000.0 → 375.0" in text and "mg → mg/m2" in text
    assert all(r.patient_pk == patient.pk for r in records)


def test_audit_trail_is_per_site(
    client: Client, users: dict[str, Any], patients: dict[str, Any]
) -> None:
    client.force_login(users["data_manager"])
    records = list(client.get(reverse("audit:list")).context["page"])
    assert records and {r.patient_pk for r in records} == {patients["A"].pk}
    client.force_login(users["administrator"])
    everyone = {r.patient_pk for r in client.get(reverse("audit:list")).context["page"]}
    assert everyone == {patients["A"].pk, patients["B"].pk}


def test_delete_and_restore_through_the_pages(
    client: Client, users: dict[str, Any], patients: dict[str, Any]
) -> None:
    patient = patients["A"]
    visit = Visit.objects.get(patient=patient)
    client.force_login(users["data_manager"])
    assert (
        client.post(
            reverse("patients:visit_delete", kwargs={"patient": patient.pk, "visit": visit.pk})
        ).status_code
        == 302
    )
    assert (
        client.post(reverse("patients:delete", kwargs={"patient": patient.pk})).status_code == 302
    )
    assert client.get(reverse("patients:detail", kwargs={"patient": patient.pk})).status_code == 404

    client.force_login(users["administrator"])
    items = client.get(reverse("audit:trash")).context["items"]
    assert [(kind, obj.pk) for kind, obj in items] == [
        ("patient", patient.pk)
    ]  # rows of deleted patients wait
    assert (
        client.post(
            reverse("audit:restore", kwargs={"kind": "patient", "pk": patient.pk})
        ).status_code
        == 302
    )
    items = client.get(reverse("audit:trash")).context["items"]
    assert [(kind, obj.pk) for kind, obj in items] == [("visit", visit.pk)]
    # a visit on the same day now clashes with the deleted one: the restore says so and changes nothing
    Visit.objects.create(patient=patient, day=visit.day, date=visit.date)
    page = client.post(reverse("audit:restore", kwargs={"kind": "visit", "pk": visit.pk}))
    assert page.status_code == 200 and "second visit" in page.content.decode()
    assert Visit.all_objects.get(pk=visit.pk).is_deleted
    Visit.objects.filter(patient=patient).exclude(pk=visit.pk).delete()
    assert (
        client.post(reverse("audit:restore", kwargs={"kind": "visit", "pk": visit.pk})).status_code
        == 302
    )
    assert not Visit.all_objects.get(pk=visit.pk).is_deleted
    assert StrengthGrade.objects.filter(visit=visit).count() == 2
    assert (
        client.get(reverse("audit:restore", kwargs={"kind": "nothing", "pk": 1})).status_code == 404
    )
