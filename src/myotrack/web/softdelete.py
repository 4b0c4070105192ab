"""Soft deletion: a deleted record is hidden, kept, and can be restored by an administrator."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models


class LiveManager(models.Manager):
    """Records that are not deleted."""

    def get_queryset(self) -> models.QuerySet:
        return super().get_queryset().filter(deleted_at__isnull=True)


class SoftDeleteModel(models.Model):
    deleted_at = models.DateTimeField(null=True, blank=True, editable=False)
    deleted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        editable=False,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    objects: Any = LiveManager()
    all_objects: Any = models.Manager()

    class Meta:
        abstract = True

    @property
    def is_deleted(self) -> bool:
        return self.deleted_at is not None
