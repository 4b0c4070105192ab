"""The patient page reads the patient's outcomes once (its criteria and its timeline part
share them), and again after a change of the patient; the parts that take a while load after
the page."""

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

    def counted(qs: Any, *args: Any) -> Any:
        calls.append(sorted(qs.values_list("code", flat=True)))
        return real(qs, *args)

    monkeypatch.setattr(outcomes_module, "outcomes_for", counted)
    patient = patients["A"]
    client.force_login(users["data_manager"])
    url = reverse("patients:detail", kwargs={"patient": patient.pk})
    page = client.get(url)
    assert page.status_code == 200
    timeline = client.get(reverse("patients:timeline", kwargs={"patient": patient.pk}) + "?part=1")
    assert timeline.context["timeline_error"] == "" and "<svg" in timeline.context["timeline"]
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
    url = reverse("patients:evidence", kwargs={"patient": patient.pk}) + "?part=1"
    page = client.get(url)
    assert page.status_code == 200 and page.context["evidence"] is None
    assert "being prepared" in page.context["evidence_error"]
    assert b"being prepared" in page.content
    (thread,) = lookup._preparing
    thread.join(300)
    assert lookup.corpus_ready()
    page = client.get(url)
    assert page.context["evidence_error"] == "" and page.context["evidence"] is not None


def test_the_page_loads_its_slow_parts_after_it(
    client: Client, users: dict[str, Any], patients: dict[str, Any], monkeypatch: Any
) -> None:
    """The page itself neither draws the timeline nor compares the published patients; it
    names the URLs of both (loaded by its script, linked without one). Each part is a page of
    its own without ``?part=1``, and is refused to a user who may not see the patient."""
    from myotrack.web.patients import views

    def refuse(*args: Any) -> Any:
        raise AssertionError("computed by the page itself")

    patient = patients["A"]
    kw = {"patient": patient.pk}
    client.force_login(users["data_manager"])
    with monkeypatch.context() as m:
        m.setattr(views, "timeline_svg", refuse)
        m.setattr(views, "evidence_for", refuse)
        page = client.get(reverse("patients:detail", kwargs=kw)).content.decode()
    assert "parts.js" in page
    for name in ("timeline", "evidence"):
        part = reverse(f"patients:{name}", kwargs=kw)
        assert f'data-part="{part}?part=1"' in page and f'href="{part}"' in page
        alone = client.get(part + "?part=1").content.decode()
        whole = client.get(part).content.decode()
        assert "<html" not in alone and "<h1" not in alone and "<html" in whole
        assert alone.strip() and alone.strip() in whole
    assert (
        "<svg" in client.get(reverse("patients:timeline", kwargs=kw) + "?part=1").content.decode()
    )
    client.force_login(users["manager_b"])
    refused = client.get(reverse("patients:detail", kwargs=kw)).status_code
    assert refused in (403, 404)
    for name in ("timeline", "evidence"):
        assert client.get(reverse(f"patients:{name}", kwargs=kw) + "?part=1").status_code == refused
