"""The patient page reads the patient's outcomes once (criteria and timeline share them), and
again after a change of the patient."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from myotrack.web.analysis import outcomes as outcomes_module
from myotrack.web.visits.services import save_visit

pytestmark = pytest.mark.django_db


def test_one_reading_of_the_outcomes_per_page_and_a_new_one_after_a_change(
    client: Client, users: dict[str, Any], patients: dict[str, Any], monkeypatch: Any
) -> None:
    calls: list[list[str]] = []
    real = outcomes_module.outcomes_for

    def counted(qs: Any) -> Any:
        calls.append(sorted(qs.values_list("code", flat=True)))
        return real(qs)

    monkeypatch.setattr(outcomes_module, "outcomes_for", counted)
    patient = patients["A"]
    client.force_login(users["data_manager"])
    url = reverse("patients:detail", kwargs={"patient": patient.pk})
    page = client.get(url)
    assert page.status_code == 200
    assert page.context["timeline_error"] == "" and "<svg" in page.context["timeline"]
    assert calls == [[patient.code]]
    client.get(url)
    assert calls == [[patient.code]]  # nothing changed: the kept outcomes
    save_visit(users["data_manager"], patient, {"day": "400", "ck": "900", "ck_uln": "200"}, [])
    page = client.get(url)
    assert calls == [[patient.code], [patient.code]]
    assert page.context["results"] == outcomes_module.patient_results(patient)


def test_the_page_does_not_wait_for_the_published_cases_to_be_prepared(
    client: Client, users: dict[str, Any], patients: dict[str, Any], monkeypatch: Any
) -> None:
    """Before the published cases are ready, the page says so and they are prepared in the
    background; once ready, the page compares the patient with them."""
    from myotrack.evidence import lookup

    monkeypatch.setattr(lookup, "_corpus", [])  # as in a process that has not prepared them
    monkeypatch.setattr(lookup, "_preparing", [])
    patient = patients["A"]
    client.force_login(users["data_manager"])
    url = reverse("patients:detail", kwargs={"patient": patient.pk})
    page = client.get(url)
    assert page.status_code == 200 and page.context["evidence"] is None
    assert "being prepared" in page.context["evidence_error"]
    assert b"being prepared" in page.content
    (thread,) = lookup._preparing
    thread.join(300)
    assert lookup.corpus_ready()
    page = client.get(url)
    assert page.context["evidence_error"] == "" and page.context["evidence"] is not None
