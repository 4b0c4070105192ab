"""Patient list (search and filters), patient page, patient form, delete."""

from __future__ import annotations

from typing import Any

from django.core.paginator import Paginator
from django.db.models import Q, QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from myotrack.criteria import CRITERIA, NE, NO, ORDER, YES
from myotrack.tables.schema import ANTIBODY

from ..analysis.evidence import TOP_MATCHES, evidence_for
from ..analysis.outcomes import matching, patient_results
from ..analysis.safely import safely
from ..analysis.timeline import timeline_svg
from ..entry import show_warnings
from ..events.models import Event
from ..forms import PatientForm, initial_from
from ..observations.models import Observation
from ..policy import Perm, policy
from ..records import RecordInvalid
from ..treatments.models import Treatment
from ..visits.models import Visit
from .models import Patient
from .services import create_patient, delete_patient, update_patient

PAGE_SIZE = 50
OUTCOME_VALUES = (YES, NO, NE)


def filtered(request: HttpRequest) -> tuple[QuerySet[Patient], dict[str, str]]:
    """The user's patients narrowed by the list's filters (q, antibody, site, outcome).

    ``given["error"]`` says why an outcome filter could not be applied (then nobody matches)."""
    qs = policy.patients(request.user).select_related("site")
    given = {
        k: request.GET.get(k, "").strip() for k in ("q", "antibody", "site", "criterion", "value")
    }
    if given["q"]:
        q = given["q"]
        qs = qs.filter(Q(code__icontains=q) | Q(name__icontains=q) | Q(record_number__icontains=q))
    if given["antibody"] in ANTIBODY:
        qs = qs.filter(antibody=given["antibody"])
    if given["site"].isdigit():
        qs = qs.filter(site_id=int(given["site"]))
    if given["criterion"] in CRITERIA and given["value"] in OUTCOME_VALUES:
        codes, given["error"] = safely(
            "outcome filter", lambda: matching(qs, given["criterion"], given["value"])
        )
        qs = qs.filter(code__in=codes or [])
    return qs, given


def patient_list(request: HttpRequest) -> HttpResponse:
    policy.require(request.user, Perm.VIEW)
    qs, given = filtered(request)
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "patients/list.html",
        {
            "page": page,
            "given": given,
            "query": query.urlencode(),
            "antibodies": ANTIBODY,
            "sites": policy.sites(request.user),
            "criteria": [(c, CRITERIA[c].title) for c in ORDER],
            "outcome_values": OUTCOME_VALUES,
        },
    )


def patient_detail(request: HttpRequest, patient: int) -> HttpResponse:
    """The patient's record and outcomes. The parts that take a while to compute the first
    time after a change (the timeline, the published evidence) are loaded by the page after it
    (:func:`patient_timeline`, :func:`patient_evidence`), so the record shows at once."""
    obj = policy.patient(request.user, patient)
    results, outcome_error = safely("outcomes", lambda: patient_results(obj))
    return render(
        request,
        "patients/detail.html",
        {
            "patient": obj,
            "visits": Visit.objects.filter(patient=obj).prefetch_related("grades"),
            "treatments": Treatment.objects.filter(patient=obj),
            "events": Event.objects.filter(patient=obj),
            "observations": Observation.objects.filter(patient=obj),
            "results": results or [],
            "outcome_error": outcome_error,
        },
    )


def _part(
    request: HttpRequest, patient: Patient, template: str, heading: str, context: dict[str, Any]
) -> HttpResponse:
    """A part of the patient page: alone with ``?part=1`` (the page loads it), else as a page
    of its own (the page links to it when the browser runs no scripts)."""
    context = {"patient": patient, "heading": heading, "part": template, **context}
    if request.GET.get("part") == "1":
        return render(request, template, context)
    return render(request, "patients/part.html", context)


def patient_timeline(request: HttpRequest, patient: int) -> HttpResponse:
    obj = policy.patient(request.user, patient)
    timeline, timeline_error = safely("timeline", lambda: timeline_svg(obj))
    return _part(
        request,
        obj,
        "patients/_timeline.html",
        "Timeline",
        {"timeline": timeline, "timeline_error": timeline_error},
    )


def patient_evidence(request: HttpRequest, patient: int) -> HttpResponse:
    obj = policy.patient(request.user, patient)
    evidence, evidence_error = safely("evidence lookup", lambda: evidence_for(obj))
    return _part(
        request,
        obj,
        "patients/_evidence.html",
        "Published evidence",
        {
            "evidence": evidence,
            "evidence_matches": evidence.comparable[:TOP_MATCHES] if evidence is not None else (),
            "evidence_error": evidence_error,
        },
    )


def _form_page(request: HttpRequest, form: PatientForm, patient: Patient | None) -> HttpResponse:
    return render(request, "patients/form.html", {"form": form, "patient": patient})


def patient_create(request: HttpRequest) -> HttpResponse:
    policy.require(request.user, Perm.EDIT)
    sites = policy.sites(request.user)
    if request.method == "POST":
        form = PatientForm(request.POST, sites=sites)
        if form.is_valid():
            try:
                obj = create_patient(request.user, form.cleaned_data)
            except RecordInvalid as err:
                form.add_problems(err)
            else:
                show_warnings(request, obj)
                return redirect("patients:detail", patient=obj.pk)
    else:
        form = PatientForm(
            sites=sites, initial={"site": sites.first().pk if sites.exists() else None}
        )
    return _form_page(request, form, None)


def patient_edit(request: HttpRequest, patient: int) -> HttpResponse:
    obj = policy.patient(request.user, patient, Perm.EDIT)
    sites = policy.sites(request.user)
    if request.method == "POST":
        form = PatientForm(request.POST, sites=sites)
        if form.is_valid():
            try:
                saved = update_patient(request.user, obj, form.cleaned_data)
            except RecordInvalid as err:
                form.add_problems(err)
            else:
                show_warnings(request, saved)
                return redirect("patients:detail", patient=obj.pk)
    else:
        initial: dict[str, Any] = initial_from(
            obj, [*Patient.CONTRACT_FIELDS, *Patient.IDENTIFYING_FIELDS]
        )
        initial.update(
            patient_id=obj.code,
            site=obj.site_id,
            index_date=obj.index_date.isoformat() if obj.index_date else "",
        )
        form = PatientForm(sites=sites, initial=initial)
    return _form_page(request, form, obj)


def patient_delete(request: HttpRequest, patient: int) -> HttpResponse:
    obj = policy.patient(request.user, patient, Perm.DELETE)
    if request.method == "POST":
        delete_patient(request.user, obj)
        return redirect("patients:list")
    return render(
        request,
        "confirm_delete.html",
        {"patient": obj, "what": f"patient {obj.code} and all their rows"},
    )
