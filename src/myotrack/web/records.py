"""What every service shares: validation by the file readers' rules, dates, saving with audit.

A write is checked by building the rows it touches as contract tables (with the patient's
row, and the patient's other rows where a rule compares rows) and handing them to
:meth:`myotrack.tables.Dataset.from_frames`, the same validator the CSV and Excel readers use.
Its problems come back as :class:`RowProblem` (table, row index, column, rule), which forms
show next to their fields. The validated, normalised row (canonical drug and muscle names,
CK split from its bound) is what gets stored.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from django.db import models
from django.utils import timezone

from myotrack.errors import InvalidData, MyotrackError
from myotrack.tables import TABLES, Dataset
from myotrack.tables.schema import CK_BOUND

from .audit.models import Action
from .audit.services import record, snapshot

_LABEL_PREFIX = "form: "


@dataclass(frozen=True)
class RowProblem:
    """One broken rule: ``index`` is the 0-based row of ``table`` in the rows validated."""

    table: str
    index: int | None
    column: str | None
    message: str


class RecordInvalid(MyotrackError):
    """A write broke a rule; nothing was saved. ``problems`` say where and why."""

    def __init__(self, problems: Sequence[RowProblem]):
        self.problems = list(problems)
        super().__init__("; ".join(p.message for p in self.problems))

    def for_row(self, table: str, index: int) -> list[RowProblem]:
        return [p for p in self.problems if p.table == table and p.index == index]


def contract_text(table: str, row: Mapping[str, object]) -> dict[str, str]:
    """A row as the text a file would hold: contract columns only, CK with its bound."""
    out: dict[str, str] = {}
    for name in TABLES[table].names:
        value = row.get(name)
        if value is None or (isinstance(value, float) and math.isnan(value)):
            text = ""
        elif isinstance(value, float) and value.is_integer():
            text = str(int(value))
        else:
            text = str(value).strip()
        if table == "visits" and name == "ck" and text:
            text = f"{row.get(CK_BOUND) or ''}{text}"
        out[name] = text
    return out


def validate(tables: Mapping[str, Sequence[Mapping[str, object]]]) -> Dataset:
    """Validate contract rows with the readers' rules; raise RecordInvalid with every problem."""
    frames = {
        name: pd.DataFrame([contract_text(name, r) for r in rows], columns=list(TABLES[name].names))
        for name, rows in tables.items()
    }
    try:
        return Dataset.from_frames(name="form", **frames)
    except InvalidData as err:
        raise RecordInvalid([_row_problem(p) for p in err.problems]) from err


def _row_problem(problem: Any) -> RowProblem:
    table = str(problem.file)
    if table.startswith(_LABEL_PREFIX):
        table = table[len(_LABEL_PREFIX) :]
    index = problem.row - 2 if problem.row is not None else None
    return RowProblem(table, index, problem.column, problem.rule)


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

    With an index date a calendar date gives the day (days since the index date) and a day
    gives the date; without one only a day can be given.
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
            return None, day  # the validator names the rule for a day that is not a whole number
    return None, day


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
    """Validate and save one treatment or event row of ``patient`` (new when unsaved).

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
    instance.patient = patient
    assign(instance, normalised(ds, table, 0), instance.CONTRACT_FIELDS)
    for field, value in stored.items():
        setattr(instance, field, value)
    save_audited(user, instance, before)
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
