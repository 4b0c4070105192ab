"""The shape shared by the visit, treatment, event and observation pages: a form that calls a
service, and a delete confirmation. Each app's views module fills in its model, form and
service. What the service kept with a warning (an unknown drug as written) is saved and shown
on the next page."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from myotrack.tables import vocab
from myotrack.tables.observations import CODES

from .forms import MUSCLE_NAMES, DatedForm, initial_from
from .policy import Perm, policy
from .records import RecordInvalid, RowProblem, warnings_of

DRUG_NAMES = sorted({d.name for d in vocab.DRUGS} | {s for d in vocab.DRUGS for s in d.synonyms})
OBSERVATION_CODES = [(c.code, c.label) for c in CODES]


def show_warnings(request: HttpRequest, saved: object) -> None:
    """Tell the user what a save kept with a warning (it was saved all the same)."""
    for w in warnings_of(saved):
        messages.warning(request, warning_text(w))


def warning_text(w: RowProblem) -> str:
    where = f"{w.column.replace('_', ' ')}: " if w.column else ""
    return f"Saved with a warning: {where}{w.message}"


@dataclass(frozen=True)
class RowPages:
    """The pages of one kind of patient row."""

    model: Any
    form: type[DatedForm]
    save: Callable[..., Any]
    delete: Callable[[Any, Any], None]
    noun: str

    def initial(self, obj: Any) -> dict[str, object]:
        values = initial_from(obj, obj.CONTRACT_FIELDS)
        for date_name, _ in self.form.dates:
            value = getattr(obj, date_name)
            values[date_name] = value.isoformat() if value else ""
        return values

    def extra_initial(self, obj: Any) -> dict[str, object]:
        return {}

    def save_args(self, form: DatedForm) -> tuple[Any, ...]:
        return ()

    def form_kwargs(self, obj: Any) -> dict[str, Any]:
        return {}

    def edit(self, request: HttpRequest, patient: int, pk: int | None = None) -> HttpResponse:
        owner = policy.patient(request.user, patient, Perm.EDIT)
        obj = (
            policy.child(request.user, self.model, owner, pk, Perm.EDIT) if pk is not None else None
        )
        dated = owner.index_date is not None
        more = self.form_kwargs(obj)
        if request.method == "POST":
            form = self.form(request.POST, dated=dated, **more)
            if form.is_valid():
                try:
                    saved = self.save(
                        request.user, owner, form.cleaned_data, *self.save_args(form), obj
                    )
                except RecordInvalid as err:
                    form.add_problems(err)
                else:
                    show_warnings(request, saved)
                    return redirect("patients:detail", patient=owner.pk)
        else:
            initial = {**self.initial(obj), **self.extra_initial(obj)} if obj is not None else {}
            form = self.form(dated=dated, initial=initial, **more)
        return render(
            request,
            f"{self.noun}s/form.html",
            {
                "form": form,
                "patient": owner,
                "object": obj,
                "noun": self.noun,
                "drug_names": DRUG_NAMES,
                "muscle_names": MUSCLE_NAMES,
                "observation_codes": OBSERVATION_CODES,
            },
        )

    def remove(self, request: HttpRequest, patient: int, pk: int) -> HttpResponse:
        owner = policy.patient(request.user, patient, Perm.DELETE)
        obj = policy.child(request.user, self.model, owner, pk, Perm.DELETE)
        if request.method == "POST":
            self.delete(request.user, obj)
            return redirect("patients:detail", patient=owner.pk)
        return render(
            request, "confirm_delete.html", {"patient": owner, "what": f"this {self.noun} ({obj})"}
        )
