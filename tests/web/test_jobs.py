"""Background jobs: queued in the database, claimed once, run as their user, failed when their
server was killed, limited per user; their status page and downloads are the user's own."""

from __future__ import annotations

import datetime as dt
import io
import threading
import time
import zipfile
from pathlib import Path
from typing import Any

import pytest
from django.db import connections
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from tests.web.test_transfer import PUBLISHED, upload, zipped

from myotrack.tables import read_source
from myotrack.web.jobs import services, workers
from myotrack.web.jobs.models import Job, Kind, Status
from myotrack.web.patients.models import Patient

pytestmark = pytest.mark.django_db


@pytest.fixture
def small_threshold(settings: Any) -> Any:
    """Every cohort counts as many patients here: its report and export become jobs."""
    settings.JOB_THRESHOLD = 0
    return settings


def export_job(user: Any, pks: list[int], fmt: str = "zip") -> Job:
    return services.submit(
        user, Kind.EXPORT, "export", {"patients": pks, "format": fmt, "identified": False}
    )


def test_an_export_job_runs_as_its_user_and_only_they_download_it(
    client: Client, users: dict[str, Any], patients: dict[str, Any], small_threshold: Any
) -> None:
    client.force_login(users["data_manager"])
    response = client.post(reverse("transfer:export"), {"format": "zip"})
    assert response.status_code == 302 and response["Location"] == reverse("jobs:list")
    job = Job.objects.get()
    assert (job.kind, job.status, job.user) == ("export", "queued", users["data_manager"])
    # the user's patients only: site A's
    assert job.params["patients"] == [patients["A"].pk]
    page = client.get(reverse("jobs:list"))
    assert b'http-equiv="refresh"' in page.content and b"queued" in page.content

    done = services.run_next()
    assert done is not None and done.status == Status.DONE, done.error
    page = client.get(reverse("jobs:list"))
    assert b'http-equiv="refresh"' not in page.content
    download = client.get(reverse("jobs:download", kwargs={"job": job.pk}))
    assert download.status_code == 200
    body = b"".join(download.streaming_content)
    with zipfile.ZipFile(io.BytesIO(body)) as archive:
        text = archive.read("patients.csv").decode()
    assert "PA-1" in text and "PB-1" not in text
    assert "deidentified" in download["Content-Disposition"]

    other = Client()
    other.force_login(users["manager_b"])
    assert other.get(reverse("jobs:download", kwargs={"job": job.pk})).status_code == 404
    assert job.title.encode() in page.content
    assert job.title.encode() not in other.get(reverse("jobs:list")).content


def test_a_report_job_is_an_html_page(
    client: Client, users: dict[str, Any], patients: dict[str, Any], small_threshold: Any
) -> None:
    client.force_login(users["data_manager"])
    response = client.post(reverse("analysis:cohort_report"), {"group_by": ""})
    assert response.status_code == 302
    job = services.run_next()
    assert job is not None and job.status == Status.DONE, job.error
    page = client.get(reverse("jobs:download", kwargs={"job": job.pk}))
    assert page["Content-Type"].startswith("text/html")
    html = b"".join(page.streaming_content).decode()
    assert "PA-1" in html and "PB-1" not in html


def test_a_third_job_is_refused_with_a_message(
    client: Client, users: dict[str, Any], patients: dict[str, Any], small_threshold: Any
) -> None:
    client.force_login(users["data_manager"])
    for _ in range(2):
        client.post(reverse("transfer:export"), {"format": "zip"})
    response = client.post(reverse("transfer:export"), {"format": "xlsx"}, follow=True)
    assert Job.objects.filter(user=users["data_manager"]).count() == 2
    assert b"Not started: you have 2 jobs queued or running" in response.content
    # another user is not held back by them
    export_job(users["manager_b"], [patients["B"].pk])
    # once one has run, there is room again
    services.run_next()
    export_job(users["data_manager"], [patients["A"].pk])
    assert Job.objects.filter(user=users["data_manager"]).count() == 3


def test_a_failed_job_says_why_without_patient_data(
    users: dict[str, Any], patients: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(job: Job, progress: Any) -> Any:
        raise ValueError(f"could not read patient {patients['A'].code} named Synthetic Person")

    monkeypatch.setitem(services.RUNNERS, Kind.EXPORT, broken)
    export_job(users["data_manager"], [patients["A"].pk])
    job = services.run_next()
    assert job is not None and job.status == Status.FAILED
    assert job.error == "the job failed (ValueError); the error was logged"
    assert "PA-1" not in job.error and job.finished_at is not None


def test_a_job_is_rechecked_against_the_users_rights(
    users: dict[str, Any], patients: dict[str, Any]
) -> None:
    """A viewer without the export-identified right: the job is refused when it runs."""
    job = services.submit(
        users["viewer"],
        Kind.EXPORT,
        "export",
        {"patients": [patients["A"].pk], "format": "zip", "identified": True},
    )
    done = services.run_next()
    assert done is not None and done.pk == job.pk and done.status == Status.FAILED
    assert done.error == "you no longer have the right to do this"


def test_jobs_of_a_killed_server_are_failed_at_start_up(users: dict[str, Any]) -> None:
    now = timezone.now()
    host = services.worker_name().rsplit(":", 1)[0]
    dead = Job.objects.create(
        kind=Kind.EXPORT,
        user=users["data_manager"],
        status=Status.RUNNING,
        title="dead process",
        worker=f"{host}:999999999",  # no such process
        beat_at=now,
    )
    silent = Job.objects.create(
        kind=Kind.EXPORT,
        user=users["data_manager"],
        status=Status.RUNNING,
        title="elsewhere, silent",
        worker="another-host:1",
        beat_at=now - dt.timedelta(minutes=10),
    )
    alive = Job.objects.create(
        kind=Kind.EXPORT,
        user=users["data_manager"],
        status=Status.RUNNING,
        title="elsewhere, beating",
        worker="another-host:2",
        beat_at=now,
    )
    assert services.fail_abandoned() == 2
    states = dict(Job.objects.values_list("pk", "status"))
    assert states == {dead.pk: "failed", silent.pk: "failed", alive.pk: "running"}
    assert "server stopped" in Job.objects.get(pk=dead.pk).error


def test_an_import_of_many_patients_is_a_job_all_or_nothing(
    client: Client,
    users: dict[str, Any],
    sites: dict[str, Any],
    small_threshold: Any,
    django_capture_on_commit_callbacks: Any,
) -> None:
    client.force_login(users["data_manager"])
    source = read_source(PUBLISHED / "002_mecoli2017")
    response = upload(client, "cases.zip", zipped(PUBLISHED / "002_mecoli2017"), sites["A"])
    token = response["Location"].rstrip("/").split("/")[-1]
    checked = services.run_next()  # the preview is a job too
    assert checked is not None and checked.kind == Kind.PREVIEW
    response = client.post(
        reverse("transfer:import_commit", kwargs={"token": token}), {"commit": "1"}
    )
    assert response["Location"] == reverse("jobs:list")
    assert not Patient.objects.exists()
    with django_capture_on_commit_callbacks(execute=True):
        job = services.run_next()
    assert job is not None and job.status == Status.DONE, job.error
    assert Patient.objects.filter(code__in=source.patient_ids).count() == len(source.patients)
    assert job.message.startswith("Imported cases.zip: ")

    # the same file again: every patient id is taken, nothing is added, the job says so
    response = upload(client, "again.zip", zipped(PUBLISHED / "002_mecoli2017"), sites["A"])
    token = response["Location"].rstrip("/").split("/")[-1]
    assert services.run_next() is not None  # its preview
    client.post(reverse("transfer:import_commit", kwargs={"token": token}), {"commit": "1"})
    before = Patient.all_objects.count()
    job = services.run_next()
    assert job is not None and job.status == Status.FAILED
    assert "nothing was imported" in job.error
    assert Patient.all_objects.count() == before


@pytest.mark.django_db(transaction=True)
def test_a_queued_job_is_claimed_once(users: dict[str, Any]) -> None:
    job = Job.objects.create(kind=Kind.EXPORT, user=users["data_manager"], title="one")
    start = threading.Barrier(4)
    claimed: list[object] = []

    def take(i: int) -> None:
        try:
            start.wait()
            got = services.claim(f"test-host:{i}")
            claimed.append(got.pk if got is not None else None)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=take, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert sorted(claimed, key=str) == [job.pk, None, None, None]
    assert Job.objects.get(pk=job.pk).status == Status.RUNNING


@pytest.mark.django_db(transaction=True)
def test_worker_threads_run_queued_jobs(
    users: dict[str, Any], sites: dict[str, Any], settings: Any, tmp_path: Path
) -> None:
    from tests.web.conftest import add_patient

    settings.JOB_DIR = tmp_path / "jobs"
    patient = add_patient(users["data_manager"], sites["A"], "PA-9")
    workers.start(1)
    try:
        job = export_job(users["data_manager"], [patient.pk], "xlsx")
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            job.refresh_from_db()
            if job.finished:
                break
            time.sleep(0.2)
    finally:
        workers.stop()
    assert job.status == Status.DONE, job.error
    path = services.result_path(job)
    assert path is not None and path.parent == tmp_path / "jobs"
    assert path.read_bytes()[:2] == b"PK"  # an .xlsx is a zip


def test_the_preview_of_many_patients_is_a_job_and_shows_every_problem(
    client: Client,
    users: dict[str, Any],
    sites: dict[str, Any],
    small_threshold: Any,
    tmp_path: Path,
    settings: Any,
) -> None:
    """The upload request only keeps the file; the check is a job, and the preview page waits
    for it (refreshing), then lists every problem as the check in the request would."""
    from tests.web.test_transfer import broken_copy

    from myotrack.web import importer

    settings.JOB_DIR = tmp_path / "jobs"
    client.force_login(users["data_manager"])
    response = upload(client, "cases.zip", zipped(broken_copy(tmp_path)), sites["A"])
    assert response.status_code == 302
    waiting = client.get(response["Location"])
    assert waiting.status_code == 200 and "preview" not in waiting.context
    assert (
        b"being read and checked" in waiting.content and b'http-equiv="refresh"' in waiting.content
    )
    (job,) = Job.objects.filter(user=users["data_manager"])
    assert job.kind == Kind.PREVIEW and job.status == Status.QUEUED
    assert services.run_next() is not None
    job.refresh_from_db()
    assert job.status == Status.DONE, job.error
    assert job.message.startswith("checked cases.zip: 2 problem(s)")
    listed = client.get(reverse("jobs:list"))
    assert response["Location"].encode() in listed.content  # 'show' leads to the preview
    shown = client.get(response["Location"]).context["preview"]
    token = response["Location"].rstrip("/").split("/")[-1]
    site = sites["A"]
    direct = importer.preview(users["data_manager"], token, "cases.zip", site)
    assert not shown.ok and shown == direct  # the same problems and warnings, in order
    where = {(p.file, p.row, p.column) for p in shown.problems}
    assert ("cases.zip: visits.csv", 2, "mrc_sum") in where
    assert {(p.file, p.row, p.column) for p in shown.warnings} == {
        (p.file, p.row, p.column) for p in direct.warnings
    }
    assert not Patient.objects.exists()


def test_a_staged_file_checked_by_a_job_still_expires(
    client: Client,
    users: dict[str, Any],
    sites: dict[str, Any],
    small_threshold: Any,
    tmp_path: Path,
    settings: Any,
) -> None:
    from myotrack.web import importer

    settings.JOB_DIR = tmp_path / "jobs"
    settings.IMPORT_DIR = tmp_path / "imports"
    client.force_login(users["data_manager"])
    response = upload(client, "cases.zip", zipped(PUBLISHED / "002_mecoli2017"), sites["A"])
    assert services.run_next() is not None
    assert client.get(response["Location"]).context["preview"].ok
    assert importer.expire_staged(0) == 1
    gone = client.get(response["Location"], follow=True)
    assert gone.redirect_chain[-1][0] == reverse("transfer:import")
    assert b"no longer available" in gone.content
