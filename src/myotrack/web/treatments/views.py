"""Treatment pages: the course form (drug picker accepting synonyms) and delete."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse

from ..entry import RowPages
from ..forms import TreatmentForm
from .models import Treatment
from .services import delete_treatment, save_treatment

pages = RowPages(Treatment, TreatmentForm, save_treatment, delete_treatment, "treatment")


def treatment_edit(
    request: HttpRequest, patient: int, treatment: int | None = None
) -> HttpResponse:
    return pages.edit(request, patient, treatment)


def treatment_delete(request: HttpRequest, patient: int, treatment: int) -> HttpResponse:
    return pages.remove(request, patient, treatment)
