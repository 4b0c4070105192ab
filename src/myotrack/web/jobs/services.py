"""Submitting, claiming and running background jobs; the database is the queue.

A job is claimed atomically, so that several server processes (each with its worker threads)
never run one twice: on PostgreSQL the oldest queued row is locked with
``SELECT ... FOR UPDATE SKIP LOCKED`` (a worker passes over rows another one is claiming); on
SQLite, whose writers take turns, by an UPDATE that changes the row only while it is still
queued. A running job's worker writes a heartbeat (``beat_at``); a job whose heartbeat stopped
(its server was killed) is failed when a server starts and by the workers as they poll.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import secrets
import socket
from collections.abc import Callable
from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied
from django.db import connection, transaction
from django.utils import timezone

from myotrack.errors import MyotrackError

from ..logs import raised_at
from .models import UNFINISHED, Job, Kind, Status

log = logging.getLogger("myotrack.jobs")

#: A heartbeat older than this means the job's worker is gone.
ABANDONED_AFTER = dt.timedelta(minutes=2)
#: How often a running job's worker writes its heartbeat.
BEAT_SECONDS = 20

#: report(job, fraction, stage): a runner says how far it is.
Progress = Callable[[float, str], None]
#: A runner does the work of one kind of job and returns (file bytes, file name, content type,
#: a message for the status page).
Runner = Callable[[Job, Progress], tuple[bytes, str, str, str]]
RUNNERS: dict[str, Runner] = {}


class JobRefused(MyotrackError):
    """The user has as many unfinished jobs as allowed."""


class JobFailed(MyotrackError):
    """A runner's own message for the user (it holds no patient data)."""


def worker_name() -> str:
    """This process: host and process id."""
    return f"{socket.gethostname()}:{os.getpid()}"


def job_dir() -> Path:
    folder = Path(settings.JOB_DIR)
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def submit(user: Any, kind: Kind, title: str, params: dict[str, object]) -> Job:
    """Queue a job for the user, unless they have ``JOB_LIMIT_PER_USER`` unfinished ones."""
    expire()
    limit = settings.JOB_LIMIT_PER_USER
    with transaction.atomic():
        # one submission of a user at a time (SQLite's writers take turns anyway)
        User.objects.select_for_update().filter(pk=user.pk).first()
        busy = Job.objects.filter(user=user, status__in=UNFINISHED).count()
        if busy >= limit:
            raise JobRefused(
                f"you have {busy} jobs queued or running, the most one user may have; "
                "wait until one has finished (see your jobs)"
            )
        job = Job.objects.create(kind=kind, user=user, title=title[:200], params=params)
    from . import workers

    workers.wake()
    return job


def claim(worker: str | None = None) -> Job | None:
    """The oldest queued job, now running for ``worker`` (this process by default); None when
    nothing is queued."""
    worker = worker or worker_name()
    now = timezone.now()
    queued = Job.objects.filter(status=Status.QUEUED).order_by("created_at", "pk")
    if connection.vendor == "postgresql":
        with transaction.atomic():
            job = queued.select_for_update(skip_locked=True).first()
            if job is None:
                return None
            Job.objects.filter(pk=job.pk).update(
                status=Status.RUNNING, worker=worker, started_at=now, beat_at=now
            )
    else:
        while True:
            pk = queued.values_list("pk", flat=True).first()
            if pk is None:
                return None
            taken = Job.objects.filter(pk=pk, status=Status.QUEUED).update(
                status=Status.RUNNING, worker=worker, started_at=now, beat_at=now
            )
            if taken:
                break
        job = Job(pk=pk)
    job.refresh_from_db()
    return job


def _finish(job: Job, **fields: object) -> None:
    Job.objects.filter(pk=job.pk).update(finished_at=timezone.now(), **fields)


def _user_message(err: BaseException) -> str:
    """What the status page says of a failure: the runner's own words, a missing right, or
    the kind of error (logged by type and place, never with the data)."""
    if isinstance(err, JobFailed | JobRefused):
        return str(err)[:300]
    if isinstance(err, PermissionDenied):
        return "you no longer have the right to do this"
    place = raised_at(err)
    log.error("job failed: %s%s", type(err).__name__, place)
    if isinstance(err, MyotrackError):
        return f"the data could not be processed ({type(err).__name__}); the error was logged"
    return f"the job failed ({type(err).__name__}); the error was logged"


def run(job: Job) -> Job:
    """Run a claimed job to its end: done with its file, or failed with a message."""
    last = [timezone.now()]

    def progress(fraction: float, stage: str) -> None:
        now = timezone.now()
        fields: dict[str, object] = {"progress": max(0.0, min(1.0, fraction)), "stage": stage}
        if (now - last[0]).total_seconds() >= 1 or fraction >= 1:
            last[0] = now
            Job.objects.filter(pk=job.pk).update(beat_at=now, **fields)

    try:
        runner = RUNNERS[job.kind]
        data, name, content_type, message = runner(job, progress)
        path = job_dir() / f"{job.pk}-{secrets.token_hex(8)}"
        # readable by the server's user only: an export may be identified
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        _finish(
            job,
            status=Status.DONE,
            progress=1.0,
            stage="done",
            result_file=path.name,
            result_name=name,
            content_type=content_type,
            message=message[:300],
        )
    except Exception as err:
        _finish(job, status=Status.FAILED, stage="failed", error=_user_message(err))
    job.refresh_from_db()
    return job


def run_next(worker: str | None = None) -> Job | None:
    """Claim the oldest queued job and run it; None when nothing is queued."""
    job = claim(worker)
    return run(job) if job is not None else None


def beat(worker: str) -> None:
    """The heartbeat of every job this worker process runs."""
    Job.objects.filter(status=Status.RUNNING, worker=worker).update(beat_at=timezone.now())


def fail_abandoned(worker: str | None = None) -> int:
    """Fail the running jobs whose server is gone: this host's jobs of another process that is
    no longer alive (at start-up), and any job without a heartbeat for ``ABANDONED_AFTER``.
    Returns how many."""
    worker = worker or worker_name()
    host = worker.rsplit(":", 1)[0]
    running = Job.objects.filter(status=Status.RUNNING)
    gone = [
        j.pk
        for j in running.filter(worker__startswith=f"{host}:").exclude(worker=worker)
        if not _alive(j.worker)
    ]
    cutoff = timezone.now() - ABANDONED_AFTER
    message = "the server stopped while this job ran; start it again"
    failed = running.filter(pk__in=gone).update(
        status=Status.FAILED, stage="failed", error=message, finished_at=timezone.now()
    )
    failed += running.filter(beat_at__lt=cutoff).update(
        status=Status.FAILED, stage="failed", error=message, finished_at=timezone.now()
    )
    return failed


def _alive(worker: str) -> bool:
    try:
        pid = int(worker.rsplit(":", 1)[1])
        os.kill(pid, 0)
    except (ValueError, IndexError, ProcessLookupError):
        return False
    except PermissionError:  # another user's live process
        return True
    return True


def expire() -> int:
    """Delete finished jobs older than ``JOB_KEEP_HOURS``, with their files."""
    cutoff = timezone.now() - dt.timedelta(hours=settings.JOB_KEEP_HOURS)
    old = Job.objects.filter(status__in=(Status.DONE, Status.FAILED), finished_at__lt=cutoff)
    count = 0
    for job in old:
        if job.result_file:
            (job_dir() / job.result_file).unlink(missing_ok=True)
        job.delete()
        count += 1
    return count


def result_path(job: Job) -> Path | None:
    """The file of a finished job, when it is still there."""
    if job.status != Status.DONE or not job.result_file:
        return None
    path = job_dir() / job.result_file
    return path if path.is_file() else None
