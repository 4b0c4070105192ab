"""Import (upload, preview with every problem, commit) and export pages."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from django import forms
from django.conf import settings
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone

from ..accounts.models import Site
from ..export import export_bytes
from ..importer import (
    ImportRefused,
    Preview,
    commit,
    discard,
    keep,
    preview,
    preview_from,
    staged_count,
    staged_path,
)
from ..intake import size_text
from ..jobs.models import Job, Kind, Status
from ..jobs.services import JobRefused, result_path, submit
from ..jobs.views import REFRESH_SECONDS, queue
from ..patients.models import Patient
from ..patients.views import filtered
from ..policy import Perm, policy

SESSION_KEY = "imports"
CONTENT_TYPES = {
    "zip": "application/zip",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "redcap": "application/zip",
    "fhir": "application/zip",
}
#: The file name's ending of each format (REDCap and FHIR are zips).
SUFFIXES = {"zip": "zip", "xlsx": "xlsx", "redcap": "redcap.zip", "fhir": "fhir.zip"}


class UploadForm(forms.Form):
    file = forms.FileField()
    site = forms.ChoiceField(help_text="site of patients whose 'site' column is empty")

    def __init__(self, *args: Any, sites: Any = (), **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.fields["site"].choices = [(s.pk, s.name) for s in sites]
        self.fields["file"].help_text = (
            "an Excel workbook (.xlsx) or a .zip of CSV files, as 'myotrack template' writes; "
            "a .zip of a REDCap export (redcap_dictionary.csv, redcap_records.csv and, for a "
            "project not built by myotrack, redcap_mapping.toml); or FHIR Bundles (.json, "
            ".ndjson, or a .zip of them); "
            f"at most {size_text(settings.IMPORT_MAX_UPLOAD_BYTES)}"
        )


class ExportForm(forms.Form):
    format = forms.ChoiceField(
        choices=[
            ("zip", "zip of CSV files"),
            ("xlsx", "Excel workbook"),
            ("redcap", "REDCap (zip of data dictionary and records)"),
            ("fhir", "FHIR R4 (zip of one Bundle per patient)"),
        ]
    )
    identified = forms.BooleanField(
        required=False, label="identified (names, record numbers, index dates, notes)"
    )


def _import_sites(request: HttpRequest) -> list[Site]:
    return [s for s in policy.sites(request.user) if policy.has(request.user, Perm.IMPORT, s)]


def _staged_patients(request: HttpRequest, token: str) -> int:
    """How many patients the staged file holds (as its preview counted them)."""
    entry = request.session.get(SESSION_KEY, {}).get(token) or {}
    return int(entry.get("patients", 0))


def _staged(request: HttpRequest, token: str) -> tuple[str, Site]:
    entry = request.session.get(SESSION_KEY, {}).get(token)
    if not entry:
        raise Http404("no such import")
    site = policy.sites(request.user).filter(pk=entry["site"]).first()
    if site is None:
        raise Http404("no such import")
    return str(entry["filename"]), site


def import_upload(request: HttpRequest) -> HttpResponse:
    policy.require(request.user, Perm.IMPORT)
    sites = _import_sites(request)
    form = UploadForm(request.POST or None, request.FILES or None, sites=sites)
    if request.method == "POST" and form.is_valid():
        site = next(s for s in sites if str(s.pk) == form.cleaned_data["site"])
        upload = form.cleaned_data["file"]
        filename = Path(upload.name or "upload").name
        try:
            token = keep(request.user, upload, site)
            count = staged_count(token, filename)
        except ImportRefused as err:
            form.add_error("file", str(err))
        else:
            entry: dict[str, object] = {"filename": filename, "site": site.pk, "patients": count}
            if count > settings.JOB_THRESHOLD:
                # checking many patients takes a while: a job, shown by the preview page
                title = f"check of {filename} (up to {count} patients)"
                params = {"token": token, "filename": filename, "site": site.pk}
                try:
                    entry["job"] = submit(request.user, Kind.PREVIEW, title, params).pk
                except JobRefused as err:
                    discard(token, filename)
                    form.add_error("file", f"Not started: {err}.")
                    return render(request, "transfer/import.html", {"form": form})
            staged = request.session.get(SESSION_KEY, {})
            staged[token] = entry
            request.session[SESSION_KEY] = staged
            return redirect("transfer:import_preview", token=token)
    return render(request, "transfer/import.html", {"form": form})


def import_preview(request: HttpRequest, token: str) -> HttpResponse:
    policy.require(request.user, Perm.IMPORT)
    filename, site = _staged(request, token)
    job_pk = request.session.get(SESSION_KEY, {}).get(token, {}).get("job")
    try:
        if job_pk is None:
            result = preview(request.user, token, filename, site)
        else:
            job = Job.objects.filter(pk=job_pk, user=request.user).first()
            if job is None or job.status == Status.FAILED:
                _forget(request, token)
                discard(token, filename)
                messages.error(request, job.error if job else "this check is no longer available")
                return redirect("transfer:import")
            if job.status != Status.DONE:
                return render(
                    request,
                    "transfer/checking.html",
                    {"job": job, "filename": filename, "refresh": REFRESH_SECONDS},
                )
            result = _job_preview(request, job, token, filename)
    except ImportRefused as err:
        _forget(request, token)
        messages.error(request, str(err))
        return redirect("transfer:import")
    return render(request, "transfer/preview.html", {"preview": result})


def _job_preview(request: HttpRequest, job: Job, token: str, filename: str) -> Preview:
    """The preview a job made, while the staged file is still there; the session learns how
    many patients it holds (which decides whether its commit is a job)."""
    path = result_path(job)
    if path is None or not staged_path(token, filename).exists():
        raise ImportRefused("this import is no longer available; upload the file again")
    result = preview_from(json.loads(path.read_text(encoding="utf-8")))
    if result.token != token:
        raise ImportRefused("this import is no longer available; upload the file again")
    staged = request.session.get(SESSION_KEY, {})
    if token in staged:
        staged[token] = {**staged[token], "patients": len(result.patient_ids)}
        request.session[SESSION_KEY] = staged
    return result


def import_commit(request: HttpRequest, token: str) -> HttpResponse:
    policy.require(request.user, Perm.IMPORT)
    filename, site = _staged(request, token)
    if request.method != "POST":
        return redirect("transfer:import_preview", token=token)
    if "cancel" in request.POST:
        discard(token, filename)
        _forget(request, token)
        return redirect("transfer:import")
    count = _staged_patients(request, token)
    if count > settings.JOB_THRESHOLD:
        _forget(request, token)
        return queue(
            request,
            Kind.IMPORT,
            f"import of {filename} ({count} patients)",
            {"token": token, "filename": filename, "site": site.pk},
        )
    try:
        result = commit(request.user, token, filename, site)
    except ImportRefused as err:
        messages.error(request, f"{err}. Fix the file and upload it again.")
        return redirect("transfer:import_preview", token=token)
    _forget(request, token)
    messages.success(
        request, f"Imported {filename}: " + ", ".join(f"{n} {t}" for t, n in result.counts.items())
    )
    return redirect("patients:list")


def _forget(request: HttpRequest, token: str) -> None:
    staged = request.session.get(SESSION_KEY, {})
    staged.pop(token, None)
    request.session[SESSION_KEY] = staged


def _download(request: HttpRequest, patients: Any, stem: str) -> HttpResponse:
    form = ExportForm(request.POST)
    if not form.is_valid():
        raise Http404("unknown export format")
    identified = bool(form.cleaned_data["identified"])
    fmt = form.cleaned_data["format"]
    if identified:
        policy.require(request.user, Perm.EXPORT_IDENTIFIED)
    pks = list(patients.values_list("pk", flat=True))
    if len(pks) > settings.JOB_THRESHOLD:
        kind = "identified" if identified else "de-identified"
        return queue(
            request,
            Kind.EXPORT,
            f"{fmt} export of {len(pks)} patients ({kind})",
            {"patients": pks, "format": fmt, "identified": identified, "stem": stem},
        )
    data = export_bytes(request.user, patients, fmt, identified)
    name = f"{stem}-{'identified' if identified else 'deidentified'}-{timezone.now():%Y%m%d}.{SUFFIXES[fmt]}"
    response = HttpResponse(data, content_type=CONTENT_TYPES[fmt])
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


def export_cohort(request: HttpRequest) -> HttpResponse:
    """The patients of the list's filters (all the user's patients without filters)."""
    policy.require(request.user, Perm.EXPORT)
    patients, given = filtered(request)
    if request.method == "POST":
        return _download(request, patients, "myotrack")
    return render(
        request,
        "transfer/export.html",
        {
            "form": ExportForm(),
            "count": patients.count(),
            "given": given,
            "query": request.GET.urlencode(),
        },
    )


def export_patient(request: HttpRequest, patient: int) -> HttpResponse:
    obj = policy.patient(request.user, patient, Perm.EXPORT)
    if request.method == "POST":
        return _download(
            request, Patient.objects.filter(pk=obj.pk), re.sub(r"[^A-Za-z0-9_-]", "_", obj.code)
        )
    return render(
        request, "transfer/export.html", {"form": ExportForm(), "count": 1, "patient": obj}
    )
