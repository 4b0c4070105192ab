"""The audit trail: one record per change (who, when, what, before, after)."""

from __future__ import annotations

from enum import StrEnum

from django.conf import settings
from django.db import models


class Action(StrEnum):
    CREATE = "create"
    UPDATE = "update"
    DELETE = "delete"
    RESTORE = "restore"
    IMPORT = "import"
    EXPORT = "export"
    BACKUP = "backup"  # the whole database, by 'myotrack backup'
    RELOAD = "reload"  # the whole database replaced by a backup, by 'myotrack restore'


LABELS = {Action.BACKUP: "backed up", Action.RELOAD: "restored from a backup"}
ACTION_CHOICES = [
    (a.value, LABELS.get(a, f"{a.value}d" if a.value.endswith("e") else f"{a.value}ed"))
    for a in Action
]


class AuditRecord(models.Model):
    """One change. ``before``/``after`` hold the record's fields as JSON (None when absent).

    ``patient`` and ``site`` are kept as plain ids (not foreign keys) so that the trail never
    changes when the records it describes change.
    """

    at = models.DateTimeField(auto_now_add=True, db_index=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    username = models.CharField(max_length=150, blank=True)
    action = models.CharField(max_length=10, choices=ACTION_CHOICES)
    model = models.CharField(max_length=50, blank=True)
    object_id = models.BigIntegerField(null=True, blank=True)
    patient_pk = models.BigIntegerField(null=True, blank=True, db_index=True)
    site_pk = models.BigIntegerField(null=True, blank=True, db_index=True)
    before = models.JSONField(null=True, blank=True)
    after = models.JSONField(null=True, blank=True)
    summary = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = (
            "-at",
            "-pk",
        )

    def __str__(self) -> str:
        return (
            f"{self.at:%Y-%m-%d %H:%M} {self.username} {self.action} {self.model} {self.object_id}"
        )

    def changes(self) -> list[tuple[str, object, object]]:
        """(field, before, after) for each field whose value differs."""
        before = self.before or {}
        after = self.after or {}
        keys = list(dict.fromkeys([*before, *after]))
        return [(k, before.get(k), after.get(k)) for k in keys if before.get(k) != after.get(k)]
