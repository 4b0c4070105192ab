"""Event pages: the event form and delete."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse

from ..entry import RowPages
from ..forms import EventForm
from .models import Event
from .services import delete_event, save_event

pages = RowPages(Event, EventForm, save_event, delete_event, "event")


def event_edit(request: HttpRequest, patient: int, event: int | None = None) -> HttpResponse:
    return pages.edit(request, patient, event)


def event_delete(request: HttpRequest, patient: int, event: int) -> HttpResponse:
    return pages.remove(request, patient, event)
