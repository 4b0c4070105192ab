"""The permission policy, per role and per view, including exports, history and the audit pages.

A user of site A must get 404 for every URL of a site-B patient: the test walks the URL
configuration, so a new URL with a patient (or one of a patient's rows) in it is tested
automatically, and an unknown URL argument fails the test until it is mapped here.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from myotrack.web.audit.models import AuditRecord
from myotrack.web.events.models import Event
from myotrack.web.observations.models import Observation
from myotrack.web.patients.models import Patient
from myotrack.web.treatments.models import Treatment
from myotrack.web.visits.models import Visit

pytestmark = pytest.mark.django_db

#: URL arguments that name a patient or one of a patient's rows.
OBJECT_ARGS = {"patient", "visit", "treatment", "event", "observation", "pk"}
#: URL arguments that name no patient data.
OTHER_ARGS = {
    "path",
    "token",
    "kind",
    "app_label",
    "model_name",
    "object_id",
    "url",
    "content_type_id",
    "user_id",
    "id",
    "uidb64",
    "job",  # a background job: its owner's only (tests/web/test_jobs.py)
}


def named_patterns(
    resolver: URLResolver | None = None, prefix: str = ""
) -> Iterator[tuple[str, URLPattern]]:
    resolver = resolver or get_resolver()
    for entry in resolver.url_patterns:
        if isinstance(entry, URLResolver):
            if entry.app_name == "admin":
                continue  # the admin holds users and sites only, for staff
            ns = f"{prefix}{entry.namespace}:" if entry.namespace else prefix
            yield from named_patterns(entry, ns)
        elif entry.name:
            yield f"{prefix}{entry.name}", entry


def argument_names(pattern: URLPattern) -> set[str]:
    return (
        set(pattern.pattern.converters)
        if hasattr(pattern.pattern, "converters")
        else set(pattern.pattern.regex.groupindex)
    )


def patient_urls(patient: Patient) -> dict[str, str]:
    """Every named URL whose arguments name patient data, filled with ``patient``'s objects."""
    objects = {
        "patient": patient.pk,
        "visit": Visit.objects.filter(patient=patient).first().pk,  # type: ignore[union-attr]
        "treatment": Treatment.objects.filter(patient=patient).first().pk,  # type: ignore[union-attr]
        "event": Event.objects.filter(patient=patient).first().pk,  # type: ignore[union-attr]
        "observation": Observation.objects.filter(patient=patient).first().pk,  # type: ignore[union-attr]
    }
    urls = {}
    for name, pattern in named_patterns():
        args = argument_names(pattern)
        unknown = args - OBJECT_ARGS - OTHER_ARGS
        assert not unknown, f"URL {name} has arguments {unknown}: map them in test_permissions.py"
        if not args & OBJECT_ARGS:
            continue
        if name == "audit:restore":
            for kind in ("patient", "visit", "treatment", "event", "observation"):
                urls[f"{name}:{kind}"] = reverse(name, kwargs={"kind": kind, "pk": objects[kind]})
            continue
        urls[name] = reverse(name, kwargs={a: objects[a] for a in args})
    return urls


def test_the_url_walk_covers_every_patient_page(patients: dict[str, Any]) -> None:
    urls = patient_urls(patients["B"])
    for expected in (
        "patients:detail",
        "patients:timeline",
        "patients:evidence",
        "patients:edit",
        "patients:delete",
        "patients:history",
        "patients:export",
        "patients:visit_edit",
        "patients:visit_delete",
        "patients:treatment_edit",
        "patients:event_delete",
        "patients:observation_edit",
        "patients:observation_delete",
        "analysis:patient_outcomes",
        "audit:restore:visit",
        "audit:restore:observation",
    ):
        assert expected in urls
    assert len(urls) >= 22


@pytest.mark.parametrize("role", ["viewer", "data_entry", "data_manager"])
def test_site_a_gets_404_for_every_url_of_a_site_b_patient(
    client: Client, users: dict[str, Any], patients: dict[str, Any], role: str
) -> None:
    client.force_login(users[role])
    before = AuditRecord.objects.count()
    for name, url in patient_urls(patients["B"]).items():
        expected = (403, 404) if name.startswith("audit:restore") else (404,)
        for method in ("get", "post"):
            response = getattr(client, method)(url, {"format": "zip", "identified": "on"})
            assert response.status_code in expected, (
                f"{role} {method.upper()} {name} {url}: {response.status_code}"
            )
            assert b"PB-1" not in response.content
    assert AuditRecord.objects.count() == before, "nothing was changed or exported"
    assert not Visit.all_objects.filter(patient=patients["B"], deleted_at__isnull=False).exists()


def test_rows_of_another_patient_are_404_under_an_allowed_patient(
    client: Client, users: dict[str, Any], patients: dict[str, Any]
) -> None:
    client.force_login(users["data_manager"])
    a, b = patients["A"], patients["B"]
    for name, kind, model in (
        ("visit_edit", "visit", Visit),
        ("treatment_delete", "treatment", Treatment),
        ("event_edit", "event", Event),
        ("observation_edit", "observation", Observation),
    ):
        other = model.objects.get(patient=b)
        url = reverse(f"patients:{name}", kwargs={"patient": a.pk, kind: other.pk})
        assert client.get(url).status_code == 404
        assert client.post(url, {"drug": "rtx"}).status_code == 404


def test_lists_and_exports_hold_only_the_users_sites(
    client: Client, users: dict[str, Any], patients: dict[str, Any]
) -> None:
    client.force_login(users["viewer"])
    listed = client.get(reverse("patients:list"))
    assert [p.code for p in listed.context["page"]] == ["PA-1"]
    assert client.get(reverse("patients:list"), {"q": "PB-1"}).context["page"].paginator.count == 0
    import io
    import zipfile

    data = client.post(reverse("transfer:export"), {"format": "zip"}).content
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        patients_csv = archive.read("patients.csv").decode()
    assert "PA-1" in patients_csv and "PB-1" not in patients_csv
    assert client.get(reverse("analysis:cohort")).context["count"] == 1


#: (url name, roles of site A that may open it); everyone else gets 403.
PAGES = [
    ("patients:detail", {"viewer", "data_entry", "data_manager", "administrator"}),
    ("patients:timeline", {"viewer", "data_entry", "data_manager", "administrator"}),
    ("patients:evidence", {"viewer", "data_entry", "data_manager", "administrator"}),
    ("patients:export", {"viewer", "data_entry", "data_manager", "administrator"}),
    ("analysis:patient_outcomes", {"viewer", "data_entry", "data_manager", "administrator"}),
    ("patients:edit", {"data_entry", "data_manager", "administrator"}),
    ("patients:visit_create", {"data_entry", "data_manager", "administrator"}),
    ("patients:visit_edit", {"data_entry", "data_manager", "administrator"}),
    ("patients:treatment_create", {"data_entry", "data_manager", "administrator"}),
    ("patients:treatment_edit", {"data_entry", "data_manager", "administrator"}),
    ("patients:event_create", {"data_entry", "data_manager", "administrator"}),
    ("patients:event_edit", {"data_entry", "data_manager", "administrator"}),
    ("patients:observation_create", {"data_entry", "data_manager", "administrator"}),
    ("patients:observation_edit", {"data_entry", "data_manager", "administrator"}),
    ("patients:delete", {"data_manager", "administrator"}),
    ("patients:visit_delete", {"data_manager", "administrator"}),
    ("patients:treatment_delete", {"data_manager", "administrator"}),
    ("patients:event_delete", {"data_manager", "administrator"}),
    ("patients:observation_delete", {"data_manager", "administrator"}),
    ("patients:history", {"data_manager", "administrator"}),
    ("patients:list", {"viewer", "data_entry", "data_manager", "administrator"}),
    ("patients:create", {"data_entry", "data_manager", "administrator"}),
    ("analysis:cohort", {"viewer", "data_entry", "data_manager", "administrator"}),
    ("transfer:export", {"viewer", "data_entry", "data_manager", "administrator"}),
    ("transfer:import", {"data_manager", "administrator"}),
    ("audit:list", {"data_manager", "administrator"}),
    ("audit:trash", {"administrator"}),
]
ROLES = ["viewer", "data_entry", "data_manager", "administrator"]


def test_every_patient_page_is_in_the_role_table(patients: dict[str, Any]) -> None:
    listed = {name for name, _ in PAGES}
    missing = {n for n in patient_urls(patients["A"]) if not n.startswith("audit:restore")} - listed
    assert not missing, f"add these pages to PAGES: {missing}"


@pytest.mark.parametrize("role", ROLES)
def test_role_table(
    client: Client, users: dict[str, Any], patients: dict[str, Any], role: str
) -> None:
    client.force_login(users[role])
    urls = patient_urls(patients["A"])
    for name, allowed in PAGES:
        url = urls.get(name) or reverse(name)
        status = client.get(url).status_code
        assert status == (200 if role in allowed else 403), f"{role} GET {name}: {status}"


@pytest.mark.parametrize("role", ["viewer", "data_entry"])
def test_forbidden_posts_change_nothing(
    client: Client, users: dict[str, Any], patients: dict[str, Any], role: str
) -> None:
    client.force_login(users[role])
    urls = patient_urls(patients["A"])
    before = AuditRecord.objects.count()
    forbidden = [n for n, allowed in PAGES if role not in allowed and n in urls]
    forbidden += [n for n in urls if n.startswith("audit:restore")]
    for name in forbidden:
        response = client.post(
            urls[name], {"patient_id": "X", "day": "5", "drug": "rtx", "kind": "other"}
        )
        assert response.status_code == 403, f"{role} POST {name}: {response.status_code}"
    assert AuditRecord.objects.count() == before
    assert Patient.objects.filter(pk=patients["A"].pk).exists()


def test_identified_export_needs_the_right(
    client: Client, users: dict[str, Any], patients: dict[str, Any]
) -> None:
    client.force_login(users["data_manager"])
    url = reverse("patients:export", kwargs={"patient": patients["A"].pk})
    assert client.post(url, {"format": "zip", "identified": "on"}).status_code == 403
    profile = users["data_manager"].profile
    profile.export_identified = True
    profile.save()
    assert client.post(url, {"format": "zip", "identified": "on"}).status_code == 200


def test_users_without_a_profile_see_nothing(client: Client, patients: dict[str, Any]) -> None:
    from django.contrib.auth.models import User

    client.force_login(User.objects.create_user("nobody", password="x" * 20))
    assert client.get(reverse("patients:list")).status_code == 403
    assert (
        client.get(reverse("patients:detail", kwargs={"patient": patients["A"].pk})).status_code
        == 404
    )


def test_anonymous_users_are_sent_to_log_in(client: Client, patients: dict[str, Any]) -> None:
    for url in [
        reverse("patients:list"),
        *patient_urls(patients["A"]).values(),
        reverse("transfer:import"),
        reverse("audit:list"),
    ]:
        response = client.get(url)
        assert response.status_code == 302 and response["Location"].startswith(reverse("login")), (
            url
        )
