"""What each kind of job does: the work of the report, export and import pages (the preview
and the commit of an import), run by a worker as the user who asked (whose rights are checked
again when it runs)."""

from __future__ import annotations

import json
import logging

from django.utils import timezone

from ..accounts.models import Site
from ..patients.models import Patient
from .models import Job, Kind
from .services import RUNNERS, JobFailed, Progress

HTML = "text/html; charset=utf-8"
log = logging.getLogger("myotrack.jobs")


def _patients(job: Job) -> object:
    pks = [int(p) for p in job.params.get("patients", [])]
    return Patient.objects.filter(pk__in=pks)


def report(job: Job, progress: Progress) -> tuple[bytes, str, str, str]:
    """The cohort report of the patients chosen when the job was submitted."""
    from ..analysis.report import cohort_report_html

    weights = {"outcomes": (0.0, 0.3), "tables": (0.3, 0.4), "patients": (0.7, 0.3)}

    def step(stage: str, done: int, total: int) -> None:
        start, width = weights.get(stage, (0.0, 0.0))
        progress(start + width * done / max(total, 1), stage)

    progress(0.0, "outcomes")
    group_by = str(job.params.get("group_by", ""))
    html = cohort_report_html(
        job.user, _patients(job), group_by, "myotrack cohort report", progress=step
    )
    count = len(job.params.get("patients", []))
    name = f"myotrack-report-{timezone.now():%Y%m%d}.html"
    return html.encode("utf-8"), name, HTML, f"report of {count} patients"


def export(job: Job, progress: Progress) -> tuple[bytes, str, str, str]:
    """An export of the patients chosen when the job was submitted, in the format chosen."""
    from ..export import export_bytes
    from ..transfer.views import CONTENT_TYPES, SUFFIXES

    fmt = str(job.params.get("format", "zip"))
    identified = bool(job.params.get("identified", False))
    progress(0.1, "reading the registry")
    data = export_bytes(job.user, _patients(job), fmt, identified)
    stem = str(job.params.get("stem", "myotrack"))
    kind = "identified" if identified else "deidentified"
    name = f"{stem}-{kind}-{timezone.now():%Y%m%d}.{SUFFIXES[fmt]}"
    count = len(job.params.get("patients", []))
    return data, name, CONTENT_TYPES[fmt], f"{fmt} export of {count} patients ({kind})"


def import_file(job: Job, progress: Progress) -> tuple[bytes, str, str, str]:
    """The commit of a staged import: everything or nothing."""
    from ..analysis.outcomes import MAX_IDS, outcomes_for
    from ..importer import ImportRefused, commit

    site = Site.objects.filter(pk=job.params.get("site")).first()
    if site is None:
        raise JobFailed("the site of this import no longer exists; nothing was imported")
    filename = str(job.params.get("filename", ""))
    progress(0.05, "checking and writing")
    try:
        result = commit(job.user, str(job.params.get("token", "")), filename, site)
    except ImportRefused as err:
        raise JobFailed(f"{err}. Fix the file and upload it again.") from err
    # the new patients' outcomes, in one engine call, so that their pages open at once
    progress(0.8, "outcomes of the new patients")
    try:
        outcomes_for(Patient.objects.filter(code__in=result.patient_ids[:MAX_IDS]))
    except Exception as err:  # the import is done: its patients' outcomes come on first view
        log.error("outcomes after an import: %s", type(err).__name__)
    counts = ", ".join(f"{n} {t}" for t, n in result.counts.items())
    summary = f"Imported {filename}: {counts}\n"
    return summary.encode("utf-8"), "import-summary.txt", "text/plain; charset=utf-8", summary


def preview_file(job: Job, progress: Progress) -> tuple[bytes, str, str, str]:
    """The preview of a staged import (every problem, what it would add), as JSON data that
    the import's preview page shows."""
    from ..importer import ImportRefused, preview, preview_data

    site = Site.objects.filter(pk=job.params.get("site")).first()
    if site is None:
        raise JobFailed("the site of this import no longer exists; upload the file again")
    filename = str(job.params.get("filename", ""))
    progress(0.05, "reading and checking")
    try:
        result = preview(job.user, str(job.params.get("token", "")), filename, site)
    except ImportRefused as err:
        raise JobFailed(str(err)) from err
    data = json.dumps(preview_data(result)).encode("utf-8")
    found = f"{len(result.problems)} problem(s)" if result.problems else "no problems"
    message = f"checked {filename}: {found}, {len(result.patient_ids)} patients"
    return data, "import-preview.json", "application/json", message


RUNNERS.update(
    {
        Kind.REPORT: report,
        Kind.EXPORT: export,
        Kind.IMPORT: import_file,
        Kind.PREVIEW: preview_file,
    }
)
