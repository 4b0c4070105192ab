"""Visit pages: the visit form with its grade grid (and rows for other muscles and limb
regions), and delete."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse

from ..entry import RowPages
from ..forms import DatedForm, VisitForm
from .models import StrengthGrade, Visit
from .services import delete_visit, save_visit


class VisitPages(RowPages):
    def extra_initial(self, obj: Any) -> dict[str, object]:
        return dict(VisitForm.initial_grades(StrengthGrade.objects.filter(visit=obj)))

    def save_args(self, form: DatedForm) -> tuple[Any, ...]:
        assert isinstance(form, VisitForm)
        return (form.grades(),)

    def form_kwargs(self, obj: Any) -> dict[str, Any]:
        grades = StrengthGrade.objects.filter(visit=obj) if obj is not None else []
        return {"extra_rows": VisitForm.rows_for(grades)}


pages = VisitPages(Visit, VisitForm, save_visit, delete_visit, "visit")


def visit_edit(request: HttpRequest, patient: int, visit: int | None = None) -> HttpResponse:
    return pages.edit(request, patient, visit)


def visit_delete(request: HttpRequest, patient: int, visit: int) -> HttpResponse:
    return pages.remove(request, patient, visit)
