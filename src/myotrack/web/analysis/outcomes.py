"""Outcomes of registry patients: the criteria engine on :func:`myotrack.web.export.dataset_for`."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from django.core.cache import cache
from django.db import models
from django.db.models import Max, Q

from myotrack.criteria import CRITERIA, ORDER, Outcomes, evaluate
from myotrack.tables import Dataset

from ..audit.models import AuditRecord
from ..export import dataset_for
from ..patients.models import Patient

CACHE_SECONDS = 3600


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
    """The newest audit record of these patients or of any reference range (of the registry
    for many): every change to registry data writes one, so outcomes cached under it are never
    stale."""
    records = (
        AuditRecord.objects.filter(Q(patient_pk__in=pks) | Q(model=RANGE_MODEL))
        if len(pks) <= 100
        else AuditRecord.objects
    )
    return int(records.aggregate(v=Max("pk"))["v"] or 0)


def _key(kind: str, patients: models.QuerySet[Patient]) -> str:
    pks = sorted(patients.filter(deleted_at__isnull=True).values_list("pk", flat=True))
    digest = hashlib.sha256(",".join(map(str, pks)).encode()).hexdigest()
    return f"myotrack:{kind}:{digest}:{version(pks)}"


def dataset_of(patients: models.QuerySet[Patient]) -> Dataset:
    """:func:`~myotrack.web.export.dataset_for` (de-identified), cached until a change."""
    key = _key("dataset", patients)
    ds: Dataset | None = cache.get(key)
    if ds is None:
        ds = dataset_for(patients)
        cache.set(key, ds, CACHE_SECONDS)
    return ds


def outcomes_for(patients: models.QuerySet[Patient]) -> Outcomes:
    """Every criterion for every (live) patient of the queryset, cached until a change."""
    key = _key("outcomes", patients)
    result: Outcomes | None = cache.get(key)
    if result is None:
        result = evaluate(dataset_of(patients))
        cache.set(key, result, CACHE_SECONDS)
    return result


def patient_results(patient: Patient) -> list[CriterionResult]:
    """Every criterion for one patient, in the order of the outcomes table."""
    outcomes = outcomes_for(Patient.objects.filter(pk=patient.pk))
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
