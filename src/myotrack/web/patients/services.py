"""Creating, changing, deleting and restoring patients: the only way patient rows change."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from django.db import transaction

from ..accounts.models import Site
from ..audit.services import snapshot
from ..policy import Perm, policy
from ..records import (
    RecordInvalid,
    RowProblem,
    assign,
    check_patient,
    normalised,
    parse_date,
    restore,
    row_warnings,
    save_audited,
    soft_delete,
    validate,
)
from .models import Patient

MAX_CODE = Patient._meta.get_field("code").max_length or 64
#: Form fields that are not contract columns.
OWN_FIELDS = ("name", "record_number", "notes")


def _problem(field: str, message: str) -> RecordInvalid:
    return RecordInvalid([RowProblem("patients", 0, field, message)])


def _site(user: Any, data: Mapping[str, object]) -> Site:
    """The site named (by id or name) in ``data``, if it is one of the user's."""
    raw = data.get("site")
    sites = policy.sites(user)
    if isinstance(raw, Site):
        found = sites.filter(pk=raw.pk).first()
    else:
        text = str(raw or "").strip()
        found = (sites.filter(pk=int(text)) if text.isdigit() else sites.filter(name=text)).first()
    if found is None:
        raise _problem("site", "choose one of your sites")
    return found


def _check_code(code: str, exclude_pk: int | None) -> None:
    if len(code) > MAX_CODE:
        raise _problem("patient_id", f"patient_id is at most {MAX_CODE} characters")
    taken = Patient.all_objects.filter(code=code)
    if exclude_pk is not None:
        taken = taken.exclude(pk=exclude_pk)
    if taken.exists():
        raise _problem(
            "patient_id",
            "this patient_id is already used in the registry (perhaps by a deleted patient)",
        )


def check(
    user: Any, data: Mapping[str, object], patient: Patient | None = None
) -> tuple[Site, dict[str, object], dt.date | None, list[RowProblem]]:
    """Validate a patient row; the site, the normalised contract values, the index date and
    the row's warnings."""
    site = _site(user, data)
    code = str(data.get("patient_id") or "").strip()
    row = {
        **{k: data.get(k) for k in Patient.CONTRACT_FIELDS},
        "patient_id": code,
        "site": site.name,
    }
    problems: list[RowProblem] = []
    try:
        index_date = parse_date(data.get("index_date"))
    except ValueError as err:
        problems.append(RowProblem("patients", 0, "index_date", str(err)))
        index_date = None
    try:
        ds = validate({"patients": [row]})
    except RecordInvalid as err:
        problems = err.problems + problems
    if problems:
        raise RecordInvalid(problems)
    _check_code(code, patient.pk if patient is not None else None)
    return site, normalised(ds, "patients", 0), index_date, row_warnings(ds, "patients", [0])


@transaction.atomic
def create_patient(user: Any, data: Mapping[str, object]) -> Patient:
    """Add a patient at one of the user's sites."""
    policy.require(user, Perm.EDIT)
    site, values, index_date, warnings = check(user, data)
    policy.require(user, Perm.EDIT, site)
    patient = Patient(code=str(values["patient_id"]), site=site, index_date=index_date)
    assign(patient, values, Patient.CONTRACT_FIELDS)
    assign(patient, {k: data.get(k) for k in OWN_FIELDS}, OWN_FIELDS)
    save_audited(user, patient, None)
    patient.warnings = warnings
    return patient


@transaction.atomic
def update_patient(user: Any, patient: Patient, data: Mapping[str, object]) -> Patient:
    """Change a patient; a new index date re-dates (or un-dates) every row of the patient."""
    policy.require(user, Perm.EDIT, patient.site)
    before = snapshot(patient)
    site, values, index_date, warnings = check(user, data, patient)
    old_index = patient.index_date
    patient.code = str(values["patient_id"])
    patient.site = site
    patient.index_date = index_date
    assign(patient, values, Patient.CONTRACT_FIELDS)
    assign(patient, {k: data.get(k) for k in OWN_FIELDS}, OWN_FIELDS)
    save_audited(user, patient, before)
    if index_date != old_index:
        redate(user, patient)
    patient.warnings = warnings
    return patient


#: (model, date field, day field) of every dated row of a patient.
def _dated() -> list[tuple[Any, str, str]]:
    from ..events.models import Event
    from ..observations.models import Observation
    from ..treatments.models import Treatment
    from ..visits.models import StrengthGrade, Visit

    return [
        (Visit, "date", "day"),
        (StrengthGrade, "date", "day"),
        (Treatment, "start_date", "start_day"),
        (Treatment, "end_date", "end_day"),
        (Event, "date", "day"),
        (Event, "end_date", "end_day"),
        (Observation, "date", "day"),
    ]


def redate(user: Any, patient: Patient) -> None:
    """After the index date changed: calendar dates stay and days follow (with their range);
    rows with an exact day only get a date (an uncertain day gets none); with no index date,
    rows keep their days and lose their dates."""
    index = patient.index_date
    for model, date_field, day_field in _dated():
        earliest, latest = f"{day_field}_earliest", f"{day_field}_latest"
        for obj in model.objects.filter(patient=patient):
            before = snapshot(obj)
            date, day = getattr(obj, date_field), getattr(obj, day_field)
            if index is None:
                setattr(obj, date_field, None)
            elif date is not None:
                shift = (date - index).days - day if day is not None else 0
                setattr(obj, day_field, (date - index).days)
                for name in (earliest, latest):
                    if getattr(obj, name) is not None:
                        setattr(obj, name, getattr(obj, name) + shift)
            elif day is not None and getattr(obj, earliest) is None:
                setattr(obj, date_field, index + dt.timedelta(days=day))
            save_audited(user, obj, before, summary="index date changed")


@transaction.atomic
def delete_patient(user: Any, patient: Patient) -> None:
    """Hide a patient and all their rows (an administrator can restore them)."""
    policy.require(user, Perm.DELETE, patient.site)
    soft_delete(user, patient)


@transaction.atomic
def restore_patient(user: Any, patient: Patient) -> None:
    policy.require(user, Perm.RESTORE, patient.site)
    restore(user, patient)
    check_patient(patient)
