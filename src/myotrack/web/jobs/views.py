"""The user's jobs: their status (the page refreshes itself while one is unfinished) and the
download of a finished job's file."""

from __future__ import annotations

from django.contrib import messages
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from ..headers import REPORT_POLICY
from .models import UNFINISHED, Job, Kind
from .services import JobRefused, result_path, submit

#: Seconds between refreshes of the status page while a job is unfinished.
REFRESH_SECONDS = 5


def job_list(request: HttpRequest) -> HttpResponse:
    jobs = list(Job.objects.filter(user=request.user)[:50])
    return render(
        request,
        "jobs/list.html",
        {
            "jobs": jobs,
            "refresh": REFRESH_SECONDS if any(j.status in UNFINISHED for j in jobs) else 0,
        },
    )


def job_download(request: HttpRequest, job: int) -> HttpResponse:
    """A finished job's file, for the user who asked for it only."""
    found = Job.objects.filter(pk=job, user=request.user).first()
    path = result_path(found) if found is not None else None
    if found is None or path is None:
        raise Http404("no such file")
    response = FileResponse(
        path.open("rb"),
        as_attachment=found.kind != Kind.REPORT,
        filename=found.result_name,
        content_type=found.content_type,
    )
    if found.kind == Kind.REPORT:
        response["Content-Security-Policy"] = REPORT_POLICY
    return response


def queue(request: HttpRequest, kind: Kind, title: str, params: dict[str, object]) -> HttpResponse:
    """Queue a job for the page's user and show their jobs (or say why it was refused)."""
    try:
        submit(request.user, kind, title, params)
    except JobRefused as err:
        messages.error(request, f"Not started: {err}.")
    else:
        messages.success(
            request, f"Started: {title}. It runs in the background; download it here when done."
        )
    return redirect("jobs:list")
