"""Outcomes of registry patients: the criteria engine on :func:`myotrack.web.export.dataset_for`,
kept per patient.

Each patient's row of the outcomes table is stored (:class:`~.models.PatientOutcome`) with the
version it was computed from: the engine's version, and the newest audit record and the number
of audit records of the patient and of the reference ranges of the patient's site. Every
change to registry data writes an audit record, so a saved visit changes the version of its
patient only (a new reference range, of its site's patients). :func:`outcomes_for` assembles
the stored rows that are current and evaluates the stale ones in one call of
:func:`myotrack.criteria.evaluate`, storing them in turn. The count is there besides the newest
record because on PostgreSQL a transaction may commit a record numbered below one already
committed; any new record changes the count.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd
from django.core.cache import cache
from django.db import models, transaction
from django.db.models import Count, Max, Q

import myotrack
from myotrack.criteria import CRITERIA, ORDER, Outcomes, evaluate
from myotrack.criteria.base import Params

from ..audit.models import AuditRecord
from ..export import dataset_for, registry_frames
from ..patients.models import Patient
from .indatabase import available, database_plan, evaluate_in_database
from .models import PatientOutcome

CACHE_SECONDS = 3600
#: Part of every stored row's version: a new myotrack computes every row again.
ENGINE_VERSION = f"myotrack-{myotrack.__version__}"
#: Stale patients read by their ids at most (more are read as the whole queryset; SQLite takes
#: at most 32,766 values in one statement).
MAX_IDS = 30_000
#: Rows stored per INSERT.
BATCH = 500


@dataclass(frozen=True)
class CriterionResult:
    """One criterion for one patient, as the patient page shows it."""

    id: str
    title: str
    citation: str
    value: str
    reason: str
    why: str
    details: tuple[tuple[str, object], ...]


#: Audit records of a site's reference ranges: a new range changes the ULN of the site's
#: visits that give none.
RANGE_MODEL = "visits.referencerange"


def version(pks: list[int]) -> int:
    """The newest audit record of these patients or of their sites' reference ranges."""
    sites = Patient.all_objects.filter(pk__in=pks).values("site_id")
    records = AuditRecord.objects.filter(
        Q(patient_pk__in=pks) | Q(model=RANGE_MODEL, site_pk__in=sites)
    )
    return int(records.aggregate(v=Max("pk"))["v"] or 0)


def _trail_text(newest: object, n: int) -> str:
    """An audit trail in a version: its newest record and how many (none: '0.0')."""
    return f"{newest}.{n}" if n else "0.0"


def _version(own: str, ranges: str) -> str:
    return f"{ENGINE_VERSION}|{own}|{ranges}"


def _trail(records: models.QuerySet[AuditRecord], key: str) -> dict[int, str]:
    grouped = records.values(key).annotate(newest=Max("pk"), n=Count("pk")).order_by()
    return {int(r[key]): _trail_text(r["newest"], r["n"]) for r in grouped}


def patient_versions(live: models.QuerySet[Patient]) -> dict[int, str]:
    """What each patient's outcomes are computed from, by patient pk (see the module)."""
    sites = dict(live.order_by().values_list("pk", "site_id"))
    own = _trail(AuditRecord.objects.filter(patient_pk__in=live.values("pk")), "patient_pk")
    ranges = _trail(
        AuditRecord.objects.filter(model=RANGE_MODEL, site_pk__in=live.values("site_id")),
        "site_pk",
    )
    none = _trail_text(None, 0)
    return {pk: _version(own.get(pk, none), ranges.get(site, none)) for pk, site in sites.items()}


def patient_version(patient: Patient) -> str:
    """One live patient's :func:`patient_versions` entry, in one query (the patient's site is
    known): what a page of the patient keys its kept parts by."""
    own = Q(patient_pk=patient.pk)
    ranges = Q(model=RANGE_MODEL, site_pk=patient.site_id)
    found = AuditRecord.objects.filter(own | ranges).aggregate(
        own_newest=Max("pk", filter=own),
        own_n=Count("pk", filter=own),
        ranges_newest=Max("pk", filter=ranges),
        ranges_n=Count("pk", filter=ranges),
    )
    return _version(
        _trail_text(found["own_newest"], found["own_n"]),
        _trail_text(found["ranges_newest"], found["ranges_n"]),
    )


def frames_of(patient: Patient) -> dict[str, pd.DataFrame]:
    """One patient's tables as read (de-identified), not yet validated
    (:func:`~myotrack.web.export.registry_frames`)."""
    return registry_frames(Patient.objects.filter(pk=patient.pk))


# --- the stored rows -----------------------------------------------------------------------

#: The outcomes table's columns and their dtypes (the same for every dataset), learnt from
#: the first evaluation of this process.
_layout: list[tuple[str, str]] = []


def _learn(frame: pd.DataFrame) -> list[tuple[str, str]]:
    if not _layout:
        _layout.extend((str(c), str(t)) for c, t in frame.dtypes.items())
    return _layout


def layout() -> list[tuple[str, str]]:
    """The columns of the outcomes table with their dtypes (an empty dataset's evaluation
    tells them when no evaluation has yet)."""
    return _layout or _learn(evaluate(dataset_for(Patient.objects.none())).frame)


def prepare() -> None:
    """What evaluating the registry's patients builds once per process, built now: the
    criteria in-process (with them the outcomes table's columns, :func:`layout`) and, on
    PostgreSQL, compiled for its database (:func:`~.indatabase.evaluate_in_database`). The
    first page that evaluates a patient would otherwise wait for it (seconds)."""
    layout()
    if available():
        database_plan(Params())


def _cell(value: object) -> object:
    """A cell as JSON: unknown (NA, NaN) is None, NumPy scalars are Python numbers."""
    if value is None or value is pd.NA:
        return None
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and math.isnan(value):
        return None
    return value


def _frame(rows: list[list[object]], columns: list[tuple[str, str]]) -> pd.DataFrame:
    """The outcomes table of stored rows, with the engine's dtypes."""
    data: dict[str, object] = {}
    for i, (name, dtype) in enumerate(columns):
        cells = [r[i] for r in rows]
        if dtype == "object":
            data[name] = np.array(cells, dtype=object)
        elif dtype == "float64":
            data[name] = np.array(cells, dtype="float64")  # None is NaN
        else:
            data[name] = pd.array([pd.NA if c is None else c for c in cells], dtype=dtype)
    return pd.DataFrame(data, columns=[c for c, _ in columns])


def _store(fresh: pd.DataFrame, pks: dict[str, int], versions: dict[int, str]) -> dict[int, list]:
    names = [c for c, _ in _learn(fresh)]
    rows: dict[int, list[object]] = {}
    for values in fresh[names].itertuples(index=False, name=None):
        rows[pks[str(values[0])]] = [_cell(v) for v in values]
    with transaction.atomic():
        PatientOutcome.objects.bulk_create(
            [
                PatientOutcome(patient_id=pk, version=versions[pk], values=r)
                for pk, r in rows.items()
            ],
            batch_size=BATCH,
            update_conflicts=True,
            unique_fields=["patient"],
            update_fields=["version", "values", "computed_at"],
        )
    return rows


def outcomes_for(
    patients: models.QuerySet[Patient], versions: dict[int, str] | None = None
) -> Outcomes:
    """Every criterion for every (live) patient of the queryset, in patient id order: the
    stored rows that are current, and the stale ones evaluated in one engine call.

    ``versions`` are the patients' :func:`patient_versions` when the caller has just read
    them (before the rows: a change meanwhile leaves the rows stale, never the version)."""
    live = patients.filter(deleted_at__isnull=True)
    if versions is None:
        versions = patient_versions(live)
    codes = dict(live.order_by("code").values_list("pk", "code"))
    rows: dict[int, list[object]] = {}
    for pk, stored, values in PatientOutcome.objects.filter(
        patient__in=live.values("pk")
    ).values_list("patient_id", "version", "values"):
        if versions.get(pk) == stored:
            rows[pk] = values
    stale = [pk for pk in codes if pk not in rows]
    if stale:
        subset = (
            live if len(stale) == len(codes) or len(stale) > MAX_IDS else live.filter(pk__in=stale)
        )
        # in the registry's database when it is PostgreSQL; else in-process
        fresh = (
            evaluate_in_database(subset) if available() else evaluate(dataset_for(subset))
        ).frame
        found = _store(fresh, {c: pk for pk, c in codes.items()}, versions)
        rows.update(found)
    columns = layout()
    frame = _frame([rows[pk] for pk in codes], columns)
    return Outcomes(frame, tuple(c for c in ORDER if c in frame.columns))


def patient_outcomes(patient: Patient, version: str | None = None) -> Outcomes:
    """One patient's :func:`outcomes_for`, kept in the server process until a change of the
    patient: the parts of the patient page (criteria, timeline) read it once. ``version`` is
    the patient's :func:`patient_version` when the caller has just read it."""
    if version is None:
        version = patient_version(patient)
    key = f"myotrack:outcomes:{patient.pk}:{version}"
    outcomes: Outcomes | None = cache.get(key)
    if outcomes is None:
        outcomes = outcomes_for(Patient.objects.filter(pk=patient.pk), {patient.pk: version})
        cache.set(key, outcomes, CACHE_SECONDS)
    return outcomes


def patient_results(patient: Patient) -> list[CriterionResult]:
    """Every criterion for one patient, in the order of the outcomes table."""
    outcomes = patient_outcomes(patient)
    why = outcomes.why(patient.code)
    results = []
    for cid in ORDER:
        entry = dict(why[cid])
        value = str(entry.pop("value"))
        reason = str(entry.pop("reason", "") or "")
        deciding = str(entry.pop("why", "") or "")
        meta = CRITERIA[cid]
        details = tuple(
            (k.replace("_", " "), v) for k, v in entry.items() if v is not None and v != ""
        )
        results.append(
            CriterionResult(cid, meta.title, meta.citation, value, reason, deciding, details)
        )
    return results


def matching(patients: models.QuerySet[Patient], criterion: str, value: str) -> list[str]:
    """Patient ids of the queryset whose ``criterion`` is ``value`` (yes/no/not_evaluable)."""
    frame = outcomes_for(patients).frame
    return [str(p) for p in frame.loc[frame[criterion] == value, "patient_id"]]
