"""Adding, changing and deleting treatment courses (validated like a treatments file)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.db import transaction

from ..patients.models import Patient
from ..records import delete_row, save_row
from .models import Treatment

DATES = (("start_date", "start_day"), ("end_date", "end_day"))


@transaction.atomic
def save_treatment(
    user: Any, patient: Patient, data: Mapping[str, object], treatment: Treatment | None = None
) -> Treatment:
    """Create (``treatment`` None) or change a course; the drug may be any known synonym."""
    saved: Treatment = save_row(user, patient, treatment or Treatment(), "treatments", data, DATES)
    return saved


@transaction.atomic
def delete_treatment(user: Any, treatment: Treatment) -> None:
    delete_row(user, treatment)
