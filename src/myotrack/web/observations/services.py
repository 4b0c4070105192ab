"""Adding, changing and deleting observations (validated like an observations file)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.db import transaction

from ..patients.models import Patient
from ..records import delete_row, save_row
from .models import Observation

DATES = (("date", "day"),)


@transaction.atomic
def save_observation(
    user: Any,
    patient: Patient,
    data: Mapping[str, object],
    observation: Observation | None = None,
) -> Observation:
    """Create (``observation`` None) or change an observation; an unknown code is kept as
    written (with a warning in the saved row's ``warnings``)."""
    saved: Observation = save_row(
        user, patient, observation or Observation(), "observations", data, DATES
    )
    return saved


@transaction.atomic
def delete_observation(user: Any, observation: Observation) -> None:
    delete_row(user, observation)
