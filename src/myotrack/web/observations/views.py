"""Observation pages: the observation form and delete."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse

from ..entry import RowPages
from ..forms import ObservationForm
from .models import Observation
from .services import delete_observation, save_observation

pages = RowPages(Observation, ObservationForm, save_observation, delete_observation, "observation")


def observation_edit(
    request: HttpRequest, patient: int, observation: int | None = None
) -> HttpResponse:
    return pages.edit(request, patient, observation)


def observation_delete(request: HttpRequest, patient: int, observation: int) -> HttpResponse:
    return pages.remove(request, patient, observation)
