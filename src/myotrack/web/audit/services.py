"""Writing the audit trail. Called by the service layer only, inside its transaction."""

from __future__ import annotations

import datetime as dt
import math
from typing import Any

from django.db import models

from .models import Action, AuditRecord

#: Fields that are bookkeeping, not data, and are left out of snapshots.
_SKIP = {"deleted_at", "deleted_by"}


def _plain(value: object) -> object:
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, models.Model):
        return value.pk
    return value


def snapshot(instance: models.Model | None) -> dict[str, object] | None:
    """Every data field of a record as JSON-ready values (foreign keys as their ids)."""
    if instance is None:
        return None
    out: dict[str, object] = {}
    for field in instance._meta.concrete_fields:
        if field.name in _SKIP:
            continue
        out[field.attname] = _plain(getattr(instance, field.attname))
    return out


def record(
    user: Any,
    action: Action,
    instance: models.Model | None = None,
    before: dict[str, object] | None = None,
    after: dict[str, object] | None = None,
    *,
    patient_pk: int | None = None,
    site_pk: int | None = None,
    summary: str = "",
) -> AuditRecord:
    """Write one audit record. ``patient_pk``/``site_pk`` default to the instance's own."""
    if instance is not None:
        if patient_pk is None:
            patient_pk = getattr(instance, "patient_id", None)
            if patient_pk is None and instance._meta.label_lower == "patients.patient":
                patient_pk = instance.pk
        if site_pk is None:
            site_pk = getattr(instance, "site_id", None)
            if site_pk is None and hasattr(instance, "patient"):
                site_pk = instance.patient.site_id
    authenticated = getattr(user, "is_authenticated", False)
    return AuditRecord.objects.create(
        user=user if authenticated else None,
        username=user.get_username() if authenticated else "",
        action=action,
        model=instance._meta.label_lower if instance is not None else "",
        object_id=instance.pk if instance is not None else None,
        patient_pk=patient_pk,
        site_pk=site_pk,
        before=before,
        after=after,
        summary=summary[:300],
    )
