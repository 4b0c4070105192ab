"""The evidence lookup for a registry patient: :mod:`myotrack.evidence` on the patient's rows."""

from __future__ import annotations

from django.core.cache import cache

from myotrack.evidence import EvidenceResult, find_evidence, profile_from_source

from ..patients.models import Patient
from .outcomes import CACHE_SECONDS, dataset_of, patient_versions

TOP_MATCHES = 5


def evidence_for(patient: Patient) -> EvidenceResult:
    """Published patients like this one, what they received next, and the safety notes.

    Cached until the patient changes (every change writes an audit record)."""
    one = Patient.objects.filter(pk=patient.pk)
    key = f"myotrack:evidence:{patient.pk}:{patient_versions(one).get(patient.pk, '')}"
    result: EvidenceResult | None = cache.get(key)
    if result is None:
        ds = dataset_of(patient)
        result = find_evidence(profile_from_source(ds, patient.code), exclude=[patient.code])
        cache.set(key, result, CACHE_SECONDS)
    return result
