"""Adding, changing and deleting visits with their per-muscle grades.

A visit and its grades are validated together, with the patient's other visits and grades,
exactly as a visits file and a strength file are (so a second visit on the same day, or a
grade outside the MRC scale, is refused with the reader's own words). A grade has its visit's
day, range and date.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from django.db import transaction
from django.utils import timezone

from myotrack.tables.vocab import canonical_muscle

from ..audit.services import snapshot
from ..patients.models import Patient
from ..policy import Perm, policy
from ..records import (
    RecordInvalid,
    RowProblem,
    assign,
    check_patient,
    exact_date,
    normalised,
    resolve_day,
    row_warnings,
    save_audited,
    soft_delete,
    validate,
)
from ..records import restore as restore_record
from .models import StrengthGrade, Visit

#: Contract columns of a visit a form may give (the day comes from the date or the day field).
VISIT_FIELDS = tuple(f for f in Visit.CONTRACT_FIELDS if f != "day")
#: What a grade takes from its visit.
TIMING = ("day", "day_earliest", "day_latest")


def _renumber(
    problems: Sequence[RowProblem], visit_index: int, grade_offset: int
) -> list[RowProblem]:
    """Problems of the edited visit as index 0 and of the new grades from 0; others general."""
    out = []
    for p in problems:
        if p.table == "visits":
            index = 0 if p.index == visit_index else None
        elif p.table == "strength" and p.index is not None:
            index = p.index - grade_offset if p.index >= grade_offset else None
        else:
            index = None
        out.append(RowProblem(p.table, index, p.column, p.message))
    return out


def _key(muscle: str, side: str) -> tuple[str, str]:
    """A grade's place; a grade without side on an axial muscle is the axial grade."""
    return (muscle, "axial" if side in ("", "axial") and muscle in AXIAL_MUSCLES else side)


AXIAL_MUSCLES = ("neck_flexors", "neck_extensors")


def grade_places(grades: Sequence[tuple[str, str, str]]) -> dict[tuple[str, str], int]:
    """Each place (muscle by its vocabulary name, or as written, and side) named in ``grades``,
    in the order first named, with the index of the last grade given for it."""
    places: dict[tuple[str, str], int] = {}
    for i, (muscle, side, _) in enumerate(grades):
        written = str(muscle or "").strip()
        places[_key(canonical_muscle(written) or written, str(side or ""))] = i
    return places


@transaction.atomic
def save_visit(
    user: Any,
    patient: Patient,
    data: Mapping[str, object],
    grades: Sequence[tuple[str, str, str]] = (),
    visit: Visit | None = None,
) -> Visit:
    """Create (``visit`` None) or change a visit and its grades.

    ``grades`` are (muscle or limb region, side, grade as written), the muscle by any of its
    names; a grade given replaces the visit's grade of that muscle and side, an empty one
    removes it, and the visit's grades of muscles not named stay as they are. The saved visit's
    ``warnings`` are those of the visit and of the grades given.
    """
    policy.require(user, Perm.EDIT, patient.site)
    places = grade_places(grades)
    named = {key: str(grades[i][2] or "").strip() for key, i in places.items()}
    mine = list(StrengthGrade.objects.filter(visit=visit)) if visit is not None else []
    kept = [g for g in mine if _key(g.muscle, g.side) not in named]
    # the patient's rows with their patient (each row names it): one query each, not one per row
    others = list(
        Visit.objects.filter(patient=patient)
        .exclude(pk=visit.pk if visit else None)
        .select_related("patient")
    )
    grades_of = StrengthGrade.objects.filter(patient=patient).select_related("patient")
    if visit is None:
        other_grades = [g.row() for g in grades_of]
    else:
        other_grades = [g.row() for g in grades_of.exclude(visit=visit)]
    index = len(others)
    problems: list[RowProblem] = []
    row: dict[str, object] = {k: data.get(k) for k in VISIT_FIELDS}
    row["patient_id"] = patient.code
    try:
        date, row["day"] = resolve_day(
            patient.index_date, data.get("date"), data.get("day"), "visits", "date", "day", index
        )
    except RecordInvalid as err:
        problems.extend(err.problems)
        date = None
        row["day"] = data.get("day")
    timing = {k: row.get(k) for k in TIMING}
    given = [(m, s, g) for (m, s), g in named.items() if g]
    grade_rows = [
        {"patient_id": patient.code, **timing, "muscle": m, "side": s, "grade": g}
        for m, s, g in given
    ]
    kept_rows = [{**g.row(), **timing} for g in kept]
    offset = len(other_grades) + len(kept_rows)
    try:
        ds = validate(
            {
                "patients": [patient.row()],
                "visits": [o.row() for o in others] + [row],
                "strength": other_grades + kept_rows + grade_rows,
            }
        )
    except RecordInvalid as err:
        problems = err.problems + problems
    if problems:
        raise RecordInvalid(_renumber(problems, index, offset))

    before = snapshot(visit) if visit is not None else None
    visit = visit or Visit(patient=patient)
    values = normalised(ds, "visits", index)
    assign(visit, values, Visit.STORED_FIELDS)
    visit.date = exact_date(date, data.get("date"), values, "day")
    save_audited(user, visit, before)
    _save_grades(
        user,
        patient,
        visit,
        mine,
        named,
        [normalised(ds, "strength", offset + i) for i in range(len(given))],
    )
    visit.warnings = row_warnings(ds, "visits", [index]) + row_warnings(
        ds, "strength", [offset + i for i in range(len(given))]
    )
    return visit


def _save_grades(
    user: Any,
    patient: Patient,
    visit: Visit,
    mine: list[StrengthGrade],
    named: Mapping[tuple[str, str], str],
    rows: list[dict[str, object]],
) -> None:
    existing = {_key(g.muscle, g.side): g for g in mine}
    for values in rows:
        key = _key(str(values["muscle"]), str(values.get("side") or ""))
        grade = existing.pop(key, None)
        before = snapshot(grade) if grade is not None else None
        grade = grade or StrengthGrade(patient=patient, visit=visit)
        assign(grade, values, StrengthGrade.CONTRACT_FIELDS)
        grade.date = visit.date
        save_audited(user, grade, before)
    for key, grade in existing.items():
        if key in named:  # named with an empty grade: removed
            soft_delete(user, grade)
        elif _timing(grade) != _timing(visit):
            before = snapshot(grade)
            for name in (*TIMING, "date"):
                setattr(grade, name, getattr(visit, name))
            save_audited(user, grade, before)


def _timing(obj: Any) -> tuple[object, ...]:
    return tuple(getattr(obj, name) for name in (*TIMING, "date"))


@transaction.atomic
def delete_visit(user: Any, visit: Visit) -> None:
    """Hide a visit and its grades (an administrator can restore them)."""
    policy.require(user, Perm.DELETE, visit.patient.site)
    now = timezone.now()
    for grade in StrengthGrade.objects.filter(visit=visit):
        soft_delete(user, grade, at=now)
    soft_delete(user, visit, at=now)


@transaction.atomic
def restore_visit(user: Any, visit: Visit) -> None:
    """Bring back a deleted visit with the grades deleted together with it."""
    policy.require(user, Perm.RESTORE, visit.patient.site)
    for grade in StrengthGrade.all_objects.filter(visit=visit, deleted_at=visit.deleted_at):
        restore_record(user, grade)
    restore_record(user, visit)
    check_patient(visit.patient)
