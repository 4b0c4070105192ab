"""What every service shares: validation by the file readers' rules, dates, saving with audit.

A write is checked by building the rows it touches as contract tables (with the patient's
row, and the patient's other rows where a rule compares rows) and handing them to
:meth:`myotrack.tables.Dataset.from_frames`, the same validator the CSV and Excel readers use.
Its problems come back as :class:`RowProblem` (table, row index, column, rule), which forms
show next to their fields. The validated, normalised row (canonical drug and muscle names,
each enzyme split into its number, bound and word, a day into the day and its range) is what
gets stored. Warnings (an unknown term kept as written) never block a write: the saved record
carries the warnings of its own row in ``warnings``, for the page to show.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, cast

import numpy as np
import pandas as pd
from django.db import models
from django.utils import timezone

from myotrack.errors import InvalidData, MyotrackError
from myotrack.tables import TABLES, Dataset
from myotrack.tables.dataset import object_array
from myotrack.tables.schema import ENZYMES, REFERENCE_RANGES

from .audit.models import Action
from .audit.services import record, snapshot

_LABEL_PREFIX = "form: "


@dataclass(frozen=True)
class RowProblem:
    """One broken rule: ``index`` is the 0-based row of ``table`` in the rows validated.

    A ``warning`` says what was kept (an unknown drug kept as written); it never blocks."""

    table: str
    index: int | None
    column: str | None
    message: str
    warning: bool = False


class RecordInvalid(MyotrackError):
    """A write broke a rule; nothing was saved. ``problems`` say where and why."""

    def __init__(self, problems: Sequence[RowProblem]):
        self.problems = list(problems)
        super().__init__("; ".join(p.message for p in self.problems))

    def for_row(self, table: str, index: int) -> list[RowProblem]:
        return [p for p in self.problems if p.table == table and p.index == index]


def _text(value: object) -> str:
    if value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value)):
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def frames_of(tables: Mapping[str, Sequence[Mapping[str, object]]]) -> dict[str, pd.DataFrame]:
    """Rows of contract tables (and ``reference_ranges``) as the text frames a file would give:
    :func:`frames_of_columns` of the rows' columns."""
    return frames_of_columns(
        {
            name: Columns(len(rows), {f: [r.get(f) for r in rows] for f in _fields(name)})
            for name, rows in tables.items()
        }
    )


@dataclass(frozen=True)
class Columns:
    """One table as columns: ``length`` rows, a column by field (an absent field is unknown
    in every row)."""

    length: int
    values: Mapping[str, Sequence[object]]

    def get(self, field: str) -> Sequence[object]:
        found = self.values.get(field)
        return [None] * self.length if found is None else found


def _fields(name: str) -> tuple[str, ...]:
    """The fields a table's text is made from: its columns, and for visits each enzyme's
    bound and state."""
    names = TABLES.get(name, REFERENCE_RANGES).names
    if name != "visits":
        return tuple(names)
    return (*names, *(f"{e}_{part}" for e in ENZYMES for part in ("bound", "state")))


def frames_of_columns(tables: Mapping[str, Columns]) -> dict[str, pd.DataFrame]:
    """Columns of contract tables (and ``reference_ranges``) as the text frames a file would
    give, made column by column: contract columns only, each enzyme as reported.

    A stored visit gives each enzyme as its number, ``<enzyme>_bound`` and ``<enzyme>_state``
    ('>' + 10000 is '>10000', an empty number with 'normal' is 'normal'); text from a form
    is passed on as written."""
    out = {}
    for name, table in tables.items():
        spec = TABLES.get(name, REFERENCE_RANGES)
        columns: dict[str, np.ndarray] = {}
        for field in spec.names:
            text = _texts(table.get(field))
            if name == "visits" and field in ENZYMES:
                bound = _texts(table.get(f"{field}_bound"))
                state = _texts(table.get(f"{field}_state"))
                text = [b + t if t else w for t, b, w in zip(text, bound, state, strict=True)]
            columns[field] = object_array(text)
        out[name] = pd.DataFrame(columns, columns=list(spec.names), dtype=object)
    return out


def _texts(values: Sequence[object]) -> list[str]:
    """:func:`_text` of each value of one column. A registry column holds one type: text,
    whole numbers and floats take a short way, anything else :func:`_text` itself."""
    kinds = set(map(type, values)) - {type(None)}
    if kinds <= {str}:
        return [t.strip() if t else "" for t in cast("Sequence[str | None]", values)]
    if kinds <= {int}:
        return ["" if v is None else str(v) for v in values]
    if kinds <= {float}:
        return [
            "" if x is None or x != x else str(int(x)) if x.is_integer() else str(x)
            for x in cast("Sequence[float | None]", values)
        ]
    return [_text(v) for v in values]


def validate(tables: Mapping[str, Sequence[Mapping[str, object]]]) -> Dataset:
    """Validate contract rows with the readers' rules; raise RecordInvalid with every error.

    The dataset's ``warnings`` are the warnings (see :func:`row_warnings`)."""
    try:
        return Dataset.from_frames(name="form", **frames_of(tables))
    except InvalidData as err:
        raise RecordInvalid([_row_problem(p) for p in err.problems]) from err


def row_warnings(ds: Dataset, table: str, indexes: Sequence[int]) -> list[RowProblem]:
    """The warnings of rows ``indexes`` of ``table`` (renumbered from 0 in that order)."""
    where = {index: n for n, index in enumerate(indexes)}
    out = []
    for p in ds.warnings:
        problem = _row_problem(p)
        if problem.table == table and problem.index in where:
            out.append(
                RowProblem(table, where[problem.index], problem.column, problem.message, True)
            )
    return out


def warnings_of(instance: object) -> list[RowProblem]:
    """The warnings a service attached to the record it saved (none when it attached none)."""
    found: list[RowProblem] = getattr(instance, "warnings", None) or []
    return found


def _row_problem(problem: Any) -> RowProblem:
    table = str(problem.file)
    if table.startswith(_LABEL_PREFIX):
        table = table[len(_LABEL_PREFIX) :]
    index = problem.row - 2 if problem.row is not None else None
    return RowProblem(table, index, problem.column, problem.rule, problem.is_warning)


def _python(value: object) -> object:
    if value is None or value is pd.NA:
        return None
    if isinstance(value, float | np.floating) and math.isnan(float(value)):
        return None
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.floating):
        return float(value)
    return value


def normalised(ds: Dataset, table: str, index: int) -> dict[str, object]:
    """Row ``index`` of a validated table as plain Python values (None for unknown)."""
    frame = ds.table(table)
    return {str(k): _python(v) for k, v in frame.iloc[index].items()}


def assign(instance: models.Model, values: Mapping[str, object], fields: Sequence[str]) -> None:
    """Set model fields from normalised values; unknown text is '' and unknown numbers None."""
    for name in fields:
        field = instance._meta.get_field(name)
        value = values.get(name)
        if isinstance(field, models.CharField | models.TextField):
            value = "" if value is None else str(value)
        elif isinstance(field, models.IntegerField) and value is not None:
            value = int(str(value)) if not isinstance(value, float) else int(value)
        elif isinstance(field, models.FloatField) and value is not None:
            value = float(str(value))
        setattr(instance, name, value)


# --- dates ---------------------------------------------------------------------------------


def parse_date(text: object) -> dt.date | None:
    """An ISO date (YYYY-MM-DD) or None when empty; ValueError with the rule otherwise."""
    if text is None or isinstance(text, dt.date):
        return text
    raw = str(text).strip()
    if not raw:
        return None
    try:
        return dt.date.fromisoformat(raw)
    except ValueError as err:
        raise ValueError("a date is written YYYY-MM-DD (e.g. 2024-03-31)") from err


def resolve_day(
    index_date: dt.date | None,
    date_text: object,
    day_text: object,
    table: str,
    date_field: str,
    day_field: str,
    index: int = 0,
) -> tuple[dt.date | None, str]:
    """The stored date and the day (as text for validation) from what a form or file gave.

    With an index date a calendar date gives the day (days since the index date) and an exact
    day gives the date; without one only a day can be given. A day written as a range or an
    approximation (120..150, ~120, 6 months) gives no date: see :func:`exact_date`.
    """
    try:
        date = parse_date(date_text)
    except ValueError as err:
        raise RecordInvalid([RowProblem(table, index, date_field, str(err))]) from err
    day = "" if day_text is None else str(day_text).strip()
    if date is not None:
        if index_date is None:
            raise RecordInvalid(
                [
                    RowProblem(
                        table,
                        index,
                        date_field,
                        "this patient has no index date (symptom onset): give the day instead, "
                        "or set the index date on the patient first",
                    )
                ]
            )
        from_date = (date - index_date).days
        if day and day != str(from_date):
            raise RecordInvalid(
                [
                    RowProblem(
                        table,
                        index,
                        day_field,
                        f"day {day} does not match the date ({from_date} days after the index date); give one of them",
                    )
                ]
            )
        return date, str(from_date)
    if day and index_date is not None:
        try:
            return index_date + dt.timedelta(days=int(day)), day
        except ValueError:
            return None, day  # the validator reads a range or an approximate day
    return None, day


def exact_date(
    date: dt.date | None, date_text: object, values: Mapping[str, object], day_field: str
) -> dt.date | None:
    """``date`` unless it was worked out from a day that is uncertain (it has a range): an
    uncertain day has no calendar date unless one was given."""
    given = date_text is not None and str(date_text).strip() != ""
    if not given and values.get(f"{day_field}_earliest") is not None:
        return None
    return date


# --- saving with audit ---------------------------------------------------------------------


def save_audited(
    user: Any, instance: models.Model, before: dict[str, object] | None, summary: str = ""
) -> None:
    """Save and write the audit record (create when ``before`` is None, else update)."""
    instance.save()
    after = snapshot(instance)
    if before is not None and before == after:
        return
    record(
        user,
        Action.CREATE if before is None else Action.UPDATE,
        instance,
        before,
        after,
        summary=summary,
    )


def soft_delete(
    user: Any, instance: models.Model, summary: str = "", at: dt.datetime | None = None
) -> None:
    before = snapshot(instance)
    instance.deleted_at = at or timezone.now()  # type: ignore[attr-defined]
    instance.deleted_by = user if getattr(user, "is_authenticated", False) else None  # type: ignore[attr-defined]
    instance.save(update_fields=["deleted_at", "deleted_by"])
    record(user, Action.DELETE, instance, before, None, summary=summary)


def restore(user: Any, instance: models.Model, summary: str = "") -> None:
    instance.deleted_at = None  # type: ignore[attr-defined]
    instance.deleted_by = None  # type: ignore[attr-defined]
    instance.save(update_fields=["deleted_at", "deleted_by"])
    record(user, Action.RESTORE, instance, None, snapshot(instance), summary=summary)


def save_row(
    user: Any,
    patient: Any,
    instance: Any,
    table: str,
    data: Mapping[str, object],
    dates: Sequence[tuple[str, str]],
) -> Any:
    """Validate and save one treatment, event or observation row of ``patient`` (new when
    unsaved); the saved row carries the warnings of its validation in ``warnings``.

    ``dates`` pairs each calendar-date field with the day column it fills.
    """
    from .policy import Perm, policy

    policy.require(user, Perm.EDIT, patient.site)
    before = snapshot(instance) if instance.pk else None
    row: dict[str, object] = {k: data.get(k) for k in instance.CONTRACT_FIELDS}
    row["patient_id"] = patient.code
    stored: dict[str, dt.date | None] = {}
    problems: list[RowProblem] = []
    for date_field, day_field in dates:
        try:
            stored[date_field], row[day_field] = resolve_day(
                patient.index_date,
                data.get(date_field),
                data.get(day_field),
                table,
                date_field,
                day_field,
            )
        except RecordInvalid as err:
            problems.extend(err.problems)
    try:
        ds = validate({"patients": [patient.row()], table: [row]})
    except RecordInvalid as err:
        problems = err.problems + problems
    if problems:
        raise RecordInvalid(problems)
    values = normalised(ds, table, 0)
    instance.patient = patient
    assign(instance, values, instance.CONTRACT_FIELDS)
    for date_field, day_field in dates:
        date = exact_date(stored[date_field], data.get(date_field), values, day_field)
        setattr(instance, date_field, date)
    save_audited(user, instance, before)
    instance.warnings = row_warnings(ds, table, [0])
    return instance


def delete_row(user: Any, instance: Any) -> None:
    """Hide one row of a patient (an administrator can restore it)."""
    from .policy import Perm, policy

    policy.require(user, Perm.DELETE, instance.patient.site)
    soft_delete(user, instance)


def restore_row(user: Any, instance: Any) -> None:
    from .policy import Perm, policy

    policy.require(user, Perm.RESTORE, instance.patient.site)
    restore(user, instance)
    check_patient(instance.patient)


def check_patient(patient: Any) -> None:
    """Validate all live rows of a patient together (after a restore, which can bring back a
    row that now clashes with another); raise RecordInvalid so the transaction rolls back."""
    from .export import dataset_for
    from .patients.models import Patient

    try:
        dataset_for(Patient.objects.filter(pk=patient.pk))
    except InvalidData as err:
        raise RecordInvalid([_row_problem(p) for p in err.problems]) from err
