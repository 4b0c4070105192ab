"""Entry forms, built from the contract's tables.

Fields carry the contract's column names, descriptions and units; every value is passed on as
text so that the service validates it with the file readers' own rules (a day may be written
120..150 or ~6 months, a laboratory value >10000, ~4000 or normal). Forms only lay out the
inputs and show the service's problems next to the right field.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django import forms

from myotrack.measures.mrc import REGIONS
from myotrack.tables import TABLES, vocab
from myotrack.tables.schema import ENZYMES, SIDE, Column

from .records import RecordInvalid
from .visits.models import StrengthGrade, lab_text
from .visits.services import grade_places

NUMBER_KINDS = ("int", "float")

#: The grid of the visit form: neck flexors (axial), the MRC-sum six and the MMT-8 extras.
GRID_MUSCLES: tuple[str, ...] = tuple(
    dict.fromkeys(["neck_flexors", *vocab.MRC_SUM_MUSCLES, "gluteus_maximus", "gluteus_medius"])
)
AXIAL = ("neck_flexors", "neck_extensors")
#: Muscles and limb regions offered for the rows below the grid (any synonym is accepted).
MUSCLE_NAMES: tuple[str, ...] = (*vocab.MUSCLES, *REGIONS)
#: Rows for other muscles, limb regions and sides (both, not stated) below the grid: one per
#: such grade of the visit, and this many empty ones.
EXTRA_EMPTY_ROWS = 2


def grid_sides(muscle: str) -> tuple[str, ...]:
    return ("axial",) if muscle in AXIAL else ("left", "right")


def grade_field_name(muscle: str, side: str) -> str:
    return f"grade__{muscle}__{side}"


def in_grid(muscle: str, side: str) -> bool:
    """Whether a grade has its cell in the visit form's grid (else it has an extra row)."""
    side = side or ("axial" if muscle in AXIAL else "")
    return muscle in GRID_MUSCLES and side in grid_sides(muscle)


def extra_field_name(row: int, part: str) -> str:
    return f"extra__{row}__{part}"


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
            choices=[("", "—"), *((m, m.replace("_", " ")) for m in MUSCLE_NAMES)],
        )
    attrs: dict[str, str] = {}
    if column.kind in NUMBER_KINDS:
        attrs["inputmode"] = "decimal"
        attrs["class"] = "num"
    if column.kind == "drug":
        attrs["list"] = "drug-names"
        attrs["autocomplete"] = "off"
    if column.kind == "code":
        attrs["list"] = "observation-codes"
        attrs["autocomplete"] = "off"
    if column.name == "ck":
        help_text += " (e.g. 8500, or <200 / >10000 / ~4000 / normal as reported)"
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
    """Form initial values from a record (numbers without '.0', each enzyme as reported:
    '>10000', '~4000', 'normal')."""
    out: dict[str, object] = {}
    for name in fields:
        value = getattr(instance, name, None)
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        out[name] = "" if value is None else value
    for enzyme in ENZYMES:
        if enzyme in out and hasattr(instance, f"{enzyme}_bound"):
            out[enzyme] = lab_text(
                getattr(instance, enzyme),
                getattr(instance, f"{enzyme}_bound"),
                getattr(instance, f"{enzyme}_state"),
            )
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
    """A contract form whose day can be given as a calendar date (an exact day), or as a day
    as records write it (120..150, ~120, 6 months) with its earliest and latest day."""

    dates: tuple[tuple[str, str], ...] = (("date", "day"),)

    def __init__(self, *args: Any, dated: bool = True, **kwargs: Any):
        super().__init__(*args, **kwargs)
        for date_name, day_name in self.dates:
            self.fields[day_name].required = False
            if dated:
                self.fields[date_name] = date_field(date_name.replace("_", " "))
                self.fields[day_name].help_text = (
                    "or the day since the index date: 120, or as the record says it "
                    "(120..150, ~120, 6 months, within 2 weeks, at age 37)"
                )
        order = [
            name
            for date_name, day_name in self.dates
            for name in (date_name, day_name, f"{day_name}_earliest", f"{day_name}_latest")
            if name in self.fields
        ]
        self.order_fields(order)


class VisitForm(DatedForm):
    """A visit with its grade grid and, below it, rows for other muscles, limb regions and
    sides (``extra_rows`` of them: the visit's grades outside the grid, and empty ones)."""

    table = "visits"
    exclude = ("patient_id",)

    def __init__(self, *args: Any, extra_rows: int = EXTRA_EMPTY_ROWS, **kwargs: Any):
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
        self.extra_rows = extra_rows
        sides = [("", "not stated"), *((s, s) for s in SIDE)]
        for row in range(extra_rows):
            self.fields[extra_field_name(row, "muscle")] = forms.CharField(
                required=False,
                label=f"muscle or region {row + 1}",
                widget=forms.TextInput(attrs={"list": "muscle-names", "autocomplete": "off"}),
            )
            self.fields[extra_field_name(row, "side")] = forms.ChoiceField(
                required=False, label=f"side {row + 1}", choices=sides
            )
            self.fields[extra_field_name(row, "grade")] = forms.CharField(
                required=False,
                label=f"grade {row + 1}",
                widget=forms.TextInput(attrs={"class": "grade", "size": 3, "autocomplete": "off"}),
            )
            # the muscle and side this row showed: a changed row replaces that grade
            self.fields[extra_field_name(row, "was")] = forms.CharField(
                required=False, widget=forms.HiddenInput
            )

    def _extra(self, row: int) -> tuple[str, str, str, str]:
        get = self.cleaned_data.get
        return (
            str(get(extra_field_name(row, "muscle")) or "").strip(),
            str(get(extra_field_name(row, "side")) or ""),
            str(get(extra_field_name(row, "grade")) or "").strip(),
            str(get(extra_field_name(row, "was")) or ""),
        )

    def grades(self) -> list[tuple[str, str, str]]:
        """(muscle, side, grade) of every cell and row; an empty grade removes that grade."""
        return [(m, s, g) for m, s, g, _ in self._grades()]

    def _grades(self) -> list[tuple[str, str, str, str | None]]:
        """The grades with the field each comes from (None: the removal of a changed row's)."""
        out: list[tuple[str, str, str, str | None]] = [
            (muscle, side, self.cleaned_data.get(name, ""), name)
            for muscle in GRID_MUSCLES
            for side in grid_sides(muscle)
            for name in [grade_field_name(muscle, side)]
        ]
        for row in range(self.extra_rows):
            muscle, side, grade, was = self._extra(row)
            if was and was != f"{muscle}|{side}":
                old_muscle, _, old_side = was.partition("|")
                out.append((old_muscle, old_side, "", None))
            if muscle:
                out.append((muscle, side, grade, extra_field_name(row, "grade")))
        return out

    def grid(self) -> list[tuple[str, list[forms.BoundField | None]]]:
        """Rows of the grade grid: (muscle, [left, right, axial] bound fields or None)."""
        rows = []
        for muscle in GRID_MUSCLES:
            cells = [
                self[grade_field_name(muscle, s)] if s in grid_sides(muscle) else None
                for s in ("left", "right", "axial")
            ]
            rows.append((muscle.replace("_", " "), cells))
        return rows

    def extra(self) -> list[tuple[forms.BoundField, ...]]:
        """The rows below the grid: (muscle, side, grade, was) bound fields."""
        return [
            tuple(self[extra_field_name(row, p)] for p in ("muscle", "side", "grade", "was"))
            for row in range(self.extra_rows)
        ]

    def contract_fields(self) -> list[forms.BoundField]:
        return [self[n] for n in self.fields if not n.startswith(("grade__", "extra__"))]

    def add_problems(
        self,
        err: RecordInvalid,
        table: str | None = None,
        index: int = 0,
        rename: dict[str, str] | None = None,
    ) -> None:
        super().add_problems(err, "visits", 0, rename)
        given = self.given_fields()
        for p in err.problems:
            if p.table != "strength":
                continue
            field = given[p.index] if p.index is not None and 0 <= p.index < len(given) else None
            self.add_error(field, p.message)

    def given_fields(self) -> list[str | None]:
        """The field of each grade given, in the order the service validates them."""
        grades = self._grades()
        places = grade_places(self.grades())
        return [grades[i][3] for i in places.values() if str(grades[i][2] or "").strip()]

    @staticmethod
    def initial_grades(grades: Iterable[StrengthGrade]) -> dict[str, str]:
        """Initial values: grid cells, then one extra row per grade outside the grid."""
        out: dict[str, str] = {}
        row = 0
        for g in grades:
            if in_grid(g.muscle, g.side):
                out[grade_field_name(g.muscle, g.side or "axial")] = g.grade
                continue
            out[extra_field_name(row, "muscle")] = g.muscle
            out[extra_field_name(row, "side")] = g.side
            out[extra_field_name(row, "grade")] = g.grade
            out[extra_field_name(row, "was")] = f"{g.muscle}|{g.side}"
            row += 1
        return out

    @staticmethod
    def rows_for(grades: Iterable[StrengthGrade]) -> int:
        """How many extra rows a visit with these grades needs."""
        return sum(1 for g in grades if not in_grid(g.muscle, g.side)) + EXTRA_EMPTY_ROWS


class TreatmentForm(DatedForm):
    table = "treatments"
    dates = (("start_date", "start_day"), ("end_date", "end_day"))


class EventForm(DatedForm):
    table = "events"
    dates = (("date", "day"), ("end_date", "end_day"))


class ObservationForm(DatedForm):
    table = "observations"
