"""The cohort page and the small JSON API (a patient's outcomes, drug names)."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render

from myotrack.criteria import CRITERIA, ORDER
from myotrack.tables import vocab

from ..headers import REPORT_POLICY
from ..jobs.models import Kind
from ..jobs.views import queue
from ..patients.views import filtered
from ..policy import Perm, policy
from .outcomes import outcomes_for, patient_results
from .report import GROUP_VARIABLES, REPORT_TIMELINES, cohort_report_html
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
            "group_choices": group_choices(),
            "report_timelines": REPORT_TIMELINES,
            "job_threshold": settings.JOB_THRESHOLD,
        },
    )


def group_choices() -> list[tuple[str, str]]:
    return [(v, v.replace("_", " ")) for v in GROUP_VARIABLES] + [
        (c, CRITERIA[c].title) for c in ORDER
    ]


def cohort_report(request: HttpRequest) -> HttpResponse:
    """The full cohort report (Table 1, Table 2, survival, rates, timelines) as one HTML page."""
    policy.require(request.user, Perm.EXPORT)
    if request.method != "POST":
        return redirect("analysis:cohort")
    patients, _ = filtered(request)
    group_by = request.POST.get("group_by", "").strip()
    if group_by and group_by not in dict(group_choices()):
        group_by = ""
    pks = list(patients.values_list("pk", flat=True))
    if len(pks) > settings.JOB_THRESHOLD:
        grouped = f", by {group_by.replace('_', ' ')}" if group_by else ""
        return queue(
            request,
            Kind.REPORT,
            f"cohort report of {len(pks)} patients{grouped}",
            {"patients": pks, "group_by": group_by},
        )
    html, error = safely(
        "report",
        lambda: cohort_report_html(request.user, patients, group_by, "myotrack cohort report"),
    )
    if html is None:
        return render(
            request,
            "analysis/cohort.html",
            {
                "count": patients.count(),
                "rows": [],
                "error": "",
                "given": {},
                "query": request.GET.urlencode(),
                "group_choices": group_choices(),
                "report_error": error,
            },
        )
    response = HttpResponse(html, content_type="text/html; charset=utf-8")
    response["Content-Security-Policy"] = REPORT_POLICY
    return response


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
