"""The cohort page and the small JSON API (a patient's outcomes, drug names)."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render

from myotrack.criteria import CRITERIA
from myotrack.tables import vocab

from ..patients.views import filtered
from ..policy import Perm, policy
from .outcomes import outcomes_for, patient_results
from .safely import safely


def cohort(request: HttpRequest) -> HttpResponse:
    """Outcome counts for the patients of the list's filters."""
    policy.require(request.user, Perm.VIEW)
    patients, given = filtered(request)
    count = patients.count()
    rows: list[dict[str, object]] = []
    error = ""
    if count:
        outcomes, error = safely("outcomes", lambda: outcomes_for(patients))
        if outcomes is not None:
            for r in outcomes.counts().to_dict("records"):
                meta = CRITERIA[str(r["criterion"])]
                rows.append({**r, "title": meta.title, "citation": meta.citation})
    return render(
        request,
        "analysis/cohort.html",
        {
            "count": count,
            "rows": rows,
            "error": error,
            "given": given,
            "query": request.GET.urlencode(),
        },
    )


def patient_outcomes_api(request: HttpRequest, patient: int) -> JsonResponse:
    """Every criterion of one patient as JSON."""
    obj = policy.patient(request.user, patient)
    results = patient_results(obj)
    return JsonResponse(
        {
            "patient_id": obj.code,
            "criteria": [
                {
                    "id": r.id,
                    "value": r.value,
                    "reason": r.reason,
                    "why": r.why,
                    "details": dict(r.details),
                }
                for r in results
            ],
        }
    )


def drugs_api(request: HttpRequest) -> JsonResponse:
    """Drug names for the picker: the canonical name of a synonym, or the closest names."""
    policy.require(request.user, Perm.VIEW)
    text = request.GET.get("q", "")[:100]
    canonical = vocab.canonical_drug(text)
    return JsonResponse(
        {"canonical": canonical, "suggestions": [] if canonical else vocab.suggest_drugs(text)}
    )
