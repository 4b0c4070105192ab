"""A background job: a report, export, import or import preview of many patients, run by a
worker thread."""

from __future__ import annotations

from enum import StrEnum

from django.conf import settings
from django.db import models


class Kind(StrEnum):
    REPORT = "report"
    EXPORT = "export"
    IMPORT = "import"
    PREVIEW = "preview"


class Status(StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"


#: A job counts against its user's limit while it is one of these.
UNFINISHED = (Status.QUEUED, Status.RUNNING)


class Job(models.Model):
    """What a user asked for, how far it is, and its file when done.

    The database is the queue: a worker claims the oldest queued job (see
    :func:`myotrack.web.jobs.services.claim`). ``params`` say what to do (patient pks, format,
    the staged import); ``error`` is a message for the user that holds no patient data.
    ``worker`` and ``beat_at`` tell which process runs it and when it last said so: a job
    whose worker stopped saying so is failed (:func:`~myotrack.web.jobs.services.fail_abandoned`).
    """

    kind = models.CharField(max_length=10, choices=[(k.value, k.value) for k in Kind])
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="jobs"
    )
    status = models.CharField(
        max_length=10,
        choices=[(s.value, s.value) for s in Status],
        default=Status.QUEUED,
        db_index=True,
    )
    title = models.CharField(max_length=200)
    params = models.JSONField(default=dict)
    progress = models.FloatField(default=0.0)  # 0 to 1
    stage = models.CharField(max_length=100, blank=True)
    result_file = models.CharField(max_length=200, blank=True)
    result_name = models.CharField(max_length=200, blank=True)
    content_type = models.CharField(max_length=100, blank=True)
    message = models.CharField(max_length=300, blank=True)
    error = models.CharField(max_length=300, blank=True)
    worker = models.CharField(max_length=100, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    beat_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ("-created_at", "-pk")

    def __str__(self) -> str:
        return f"{self.kind} job {self.pk} ({self.status})"

    @property
    def finished(self) -> bool:
        return self.status in (Status.DONE, Status.FAILED)

    @property
    def percent(self) -> int:
        return round(100 * self.progress)
