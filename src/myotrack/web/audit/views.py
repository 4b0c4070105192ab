"""The audit pages: a patient's history, the trail of the user's sites, and the trash where an
administrator restores deleted records."""

from __future__ import annotations

from typing import Any

from django.core.paginator import Paginator
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from ..events.models import Event
from ..observations.models import Observation
from ..patients.models import Patient
from ..patients.services import restore_patient
from ..policy import Perm, policy
from ..records import RecordInvalid, restore_row
from ..treatments.models import Treatment
from ..visits.models import Visit
from ..visits.services import restore_visit
from .models import AuditRecord

PAGE_SIZE = 100


def patient_history(request: HttpRequest, patient: int) -> HttpResponse:
    """Every change to one patient and their rows (data managers and administrators)."""
    obj = policy.patient(request.user, patient, Perm.AUDIT)
    records = AuditRecord.objects.filter(patient_pk=obj.pk)
    page = Paginator(records, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "audit/history.html", {"patient": obj, "page": page})


def audit_list(request: HttpRequest) -> HttpResponse:
    """The trail of the user's sites (and the user's own exports)."""
    policy.require(request.user, Perm.AUDIT)
    sites = list(policy.sites(request.user).values_list("pk", flat=True))
    records = AuditRecord.objects.filter(
        Q(site_pk__in=sites) | Q(site_pk__isnull=True, user=request.user)
    )
    if policy.administers_every_site(request.user):
        records = AuditRecord.objects.all()
    page = Paginator(records, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "audit/list.html", {"page": page})


#: kind in the URL -> (model, restore function)
RESTORABLE: dict[str, tuple[Any, Any]] = {
    "patient": (Patient, restore_patient),
    "visit": (Visit, restore_visit),
    "treatment": (Treatment, restore_row),
    "event": (Event, restore_row),
    "observation": (Observation, restore_row),
}


def trash(request: HttpRequest) -> HttpResponse:
    """Deleted patients and rows (of live patients), for an administrator to restore."""
    policy.require(request.user, Perm.RESTORE)
    visible = policy.patients(request.user)
    items = [("patient", p) for p in policy.patients(request.user, deleted=True)]
    for kind, (model, _) in RESTORABLE.items():
        if kind != "patient":
            deleted = model.all_objects.filter(deleted_at__isnull=False, patient__in=visible)
            items += [(kind, obj) for obj in deleted.select_related("patient")]
    items.sort(key=lambda item: item[1].deleted_at, reverse=True)
    return render(request, "audit/trash.html", {"items": items})


def restore(request: HttpRequest, kind: str, pk: int) -> HttpResponse:
    policy.require(request.user, Perm.RESTORE)
    if kind not in RESTORABLE:
        raise Http404("nothing to restore")
    model, restore_fn = RESTORABLE[kind]
    sites = policy.sites(request.user)
    scope = {"site__in": sites} if kind == "patient" else {"patient__site__in": sites}
    try:
        obj = model.all_objects.get(pk=pk, deleted_at__isnull=False, **scope)
    except model.DoesNotExist as err:
        raise Http404("nothing to restore") from err
    if request.method != "POST":
        return render(request, "audit/restore.html", {"kind": kind, "object": obj})
    try:
        restore_fn(request.user, obj)
    except RecordInvalid as err:
        return render(
            request, "audit/restore.html", {"kind": kind, "object": obj, "problems": err.problems}
        )
    return redirect("audit:trash")
