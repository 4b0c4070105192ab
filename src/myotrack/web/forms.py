"""Entry forms, built from the five-table contract.

Fields carry the contract's column names, descriptions and units; every value is passed on as
text so that the service validates it with the file readers' own rules. Forms only lay out the
inputs and show the service's problems next to the right field.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django import forms

from myotrack.tables import TABLES, vocab
from myotrack.tables.schema import SIDE, Column

from .records import RecordInvalid
from .visits.models import StrengthGrade

NUMBER_KINDS = ("int", "float")

#: The grid of the visit form: neck flexors (axial), the MRC-sum six and the MMT-8 extras.
GRID_MUSCLES: tuple[str, ...] = tuple(
    dict.fromkeys(["neck_flexors", *vocab.MRC_SUM_MUSCLES, "gluteus_maximus", "gluteus_medius"])
)
AXIAL = ("neck_flexors", "neck_extensors")


def grid_sides(muscle: str) -> tuple[str, ...]:
    return ("axial",) if muscle in AXIAL else ("left", "right")


def grade_field_name(muscle: str, side: str) -> str:
    return f"grade__{muscle}__{side}"


def _label(column: Column) -> str:
    text = column.name.replace("_", " ")
    return f"{text} ({column.unit})" if column.unit and column.unit != "day" else text


def contract_field(column: Column) -> forms.Field:
    """A form field for one contract column (text in, the service validates)."""
    label = _label(column)
    help_text = column.description
    if column.kind == "enum":
        return forms.ChoiceField(
            label=label,
            help_text=help_text,
            required=column.required,
            choices=[("", "—"), *((v, v.replace("_", " ")) for v in column.allowed)],
        )
    if column.kind == "muscle":
        return forms.ChoiceField(
            label=label,
            help_text=help_text,
            required=column.required,
            choices=[("", "—"), *((m, m.replace("_", " ")) for m in vocab.MUSCLES)],
        )
    attrs: dict[str, str] = {}
    if column.kind in NUMBER_KINDS:
        attrs["inputmode"] = "decimal"
        attrs["class"] = "num"
    if column.kind == "drug":
        attrs["list"] = "drug-names"
        attrs["autocomplete"] = "off"
    if column.name == "ck":
        help_text += " (e.g. 8500, or <200 / >10000 as reported)"
    if column.name == "note":
        return forms.CharField(
            label=label,
            help_text=help_text,
            required=False,
            widget=forms.Textarea(attrs={"rows": 2}),
        )
    return forms.CharField(
        label=label,
        help_text=help_text,
        required=column.required,
        widget=forms.TextInput(attrs=attrs),
    )


def date_field(label: str, help_text: str = "") -> forms.CharField:
    return forms.CharField(
        label=label,
        required=False,
        help_text=help_text,
        widget=forms.DateInput(attrs={"type": "date"}),
    )


class ContractForm(forms.Form):
    """A form whose fields are contract columns of ``table`` (minus ``exclude``)."""

    table = ""
    exclude: tuple[str, ...] = ("patient_id",)

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        for column in TABLES[self.table].columns:
            if column.name not in self.exclude and column.name not in self.fields:
                self.fields[column.name] = contract_field(column)

    def add_problems(
        self,
        err: RecordInvalid,
        table: str | None = None,
        index: int = 0,
        rename: dict[str, str] | None = None,
    ) -> None:
        """Show the service's problems of row ``index`` next to their fields; others on top."""
        rename = rename or {}
        table = table or self.table
        for p in err.problems:
            field = rename.get(p.column or "", p.column)
            mine = p.table == table and p.index == index
            if mine and field in self.fields:
                self.add_error(field, p.message)
            elif p.table != "strength":
                self.add_error(None, p.message)


def initial_from(instance: Any, fields: Iterable[str]) -> dict[str, object]:
    """Form initial values from a record (numbers without '.0', CK with its bound)."""
    out: dict[str, object] = {}
    for name in fields:
        value = getattr(instance, name, None)
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        out[name] = "" if value is None else value
    if hasattr(instance, "ck_bound") and instance.ck is not None:
        out["ck"] = f"{instance.ck_bound}{out['ck']}"
    return out


class PatientForm(ContractForm):
    table = "patients"
    exclude = ("site",)
    site = forms.ChoiceField(label="site")
    index_date = date_field("index date (symptom onset)", "day 0; visits are dated against it")
    name = forms.CharField(required=False, help_text="identifying: never exported de-identified")
    record_number = forms.CharField(
        label="hospital record number",
        required=False,
        help_text="identifying: never exported de-identified",
    )
    notes = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="free text: never exported de-identified",
    )
    field_order = (
        "patient_id",
        "site",
        "index_date",
        "name",
        "record_number",
        "sex",
        "age_at_onset",
        "antibody",
    )

    def __init__(self, *args: Any, sites: Iterable[Any] = (), **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.fields["site"].choices = [(s.pk, s.name) for s in sites]
        self.order_fields(self.field_order)


class DatedForm(ContractForm):
    """A contract form whose day can be given as a calendar date."""

    dates: tuple[tuple[str, str], ...] = (("date", "day"),)

    def __init__(self, *args: Any, dated: bool = True, **kwargs: Any):
        super().__init__(*args, **kwargs)
        for date_name, day_name in self.dates:
            self.fields[day_name].required = False
            if dated:
                self.fields[date_name] = date_field(date_name.replace("_", " "))
                self.fields[day_name].help_text = "or the day since the index date"
        order = [n for pair in self.dates for n in pair if n in self.fields]
        self.order_fields(order)


class VisitForm(DatedForm):
    table = "visits"
    exclude = ("patient_id",)

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        for muscle in GRID_MUSCLES:
            for side in grid_sides(muscle):
                self.fields[grade_field_name(muscle, side)] = forms.CharField(
                    required=False,
                    label=f"{muscle.replace('_', ' ')} {side}",
                    widget=forms.TextInput(
                        attrs={"class": "grade", "size": 3, "autocomplete": "off"}
                    ),
                )

    def grades(self) -> list[tuple[str, str, str]]:
        return [
            (muscle, side, self.cleaned_data.get(grade_field_name(muscle, side), ""))
            for muscle in GRID_MUSCLES
            for side in grid_sides(muscle)
        ]

    def grid(self) -> list[tuple[str, list[forms.BoundField | None]]]:
        """Rows of the grade grid: (muscle, [left, right, axial] bound fields or None)."""
        rows = []
        for muscle in GRID_MUSCLES:
            cells = [
                self[grade_field_name(muscle, s)] if s in grid_sides(muscle) else None for s in SIDE
            ]
            rows.append((muscle.replace("_", " "), cells))
        return rows

    def contract_fields(self) -> list[forms.BoundField]:
        return [self[n] for n in self.fields if not n.startswith("grade__")]

    def add_problems(
        self,
        err: RecordInvalid,
        table: str | None = None,
        index: int = 0,
        rename: dict[str, str] | None = None,
    ) -> None:
        super().add_problems(err, "visits", 0, rename)
        given = [g for g in self.grades() if str(g[2]).strip()]
        for p in err.problems:
            if p.table != "strength":
                continue
            if p.index is not None and 0 <= p.index < len(given):
                muscle, side, _ = given[p.index]
                self.add_error(grade_field_name(muscle, side), p.message)
            else:
                self.add_error(None, p.message)

    @staticmethod
    def initial_grades(grades: Iterable[StrengthGrade]) -> dict[str, str]:
        return {grade_field_name(g.muscle, g.side or "axial"): g.grade for g in grades}


class TreatmentForm(DatedForm):
    table = "treatments"
    dates = (("start_date", "start_day"), ("end_date", "end_day"))


class EventForm(DatedForm):
    table = "events"
