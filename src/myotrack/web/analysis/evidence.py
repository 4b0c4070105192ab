"""The evidence lookup for a registry patient: :mod:`myotrack.evidence` on the patient's rows."""

from __future__ import annotations

from django.core.cache import cache

from myotrack.evidence import EvidenceResult, find_evidence, profile_from_source

from ..patients.models import Patient
from .outcomes import CACHE_SECONDS, dataset_of, version

TOP_MATCHES = 5


def evidence_for(patient: Patient) -> EvidenceResult:
    """Published patients like this one, what they received next, and the safety notes.

    Cached until the patient changes (every change writes an audit record)."""
    key = f"myotrack:evidence:{patient.pk}:{version([patient.pk])}"
    result: EvidenceResult | None = cache.get(key)
    if result is None:
        ds = dataset_of(Patient.objects.filter(pk=patient.pk))
        result = find_evidence(profile_from_source(ds, patient.code), exclude=[patient.code])
        cache.set(key, result, CACHE_SECONDS)
    return result
