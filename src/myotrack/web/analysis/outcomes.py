"""Outcomes of registry patients: the criteria engine on :func:`myotrack.web.export.dataset_for`."""

from __future__ import annotations

from dataclasses import dataclass

from django.db import models

from myotrack.criteria import CRITERIA, ORDER, Outcomes, evaluate

from ..export import dataset_for
from ..patients.models import Patient


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


def outcomes_for(patients: models.QuerySet[Patient]) -> Outcomes:
    """Every criterion for every (live) patient of the queryset."""
    return evaluate(dataset_for(patients))


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
        details = tuple((k.replace("_", " "), v) for k, v in entry.items() if v is not None and v != "")
        results.append(CriterionResult(cid, meta.title, meta.citation, value, reason, deciding, details))
    return results


def matching(patients: models.QuerySet[Patient], criterion: str, value: str) -> list[str]:
    """Patient ids of the queryset whose ``criterion`` is ``value`` (yes/no/not_evaluable)."""
    frame = evaluate(dataset_for(patients), criteria=[criterion]).frame
    return [str(p) for p in frame.loc[frame[criterion] == value, "patient_id"]]
