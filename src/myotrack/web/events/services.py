"""Adding, changing and deleting events (validated like an events file)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.db import transaction

from ..patients.models import Patient
from ..records import delete_row, save_row
from .models import Event

DATES = (("date", "day"), ("end_date", "end_day"))


@transaction.atomic
def save_event(
    user: Any, patient: Patient, data: Mapping[str, object], event: Event | None = None
) -> Event:
    """Create (``event`` None) or change an event."""
    saved: Event = save_row(user, patient, event or Event(), "events", data, DATES)
    return saved


@transaction.atomic
def delete_event(user: Any, event: Event) -> None:
    delete_row(user, event)
