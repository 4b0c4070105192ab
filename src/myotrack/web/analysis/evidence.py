"""The evidence lookup for a registry patient: :mod:`myotrack.evidence` on the patient's rows.

The published cases are prepared once per process that compares (the server's drawing
processes, :mod:`.render`, as they start; else this process, in the background from its first
page, :func:`myotrack.evidence.lookup.prepare_corpus`): a page asked for before they are ready
says so instead of waiting for them."""

from __future__ import annotations

from django.core.cache import cache

from myotrack.errors import MyotrackError
from myotrack.evidence import EvidenceResult
from myotrack.evidence.lookup import prepare_corpus

from ..patients.models import Patient
from . import render
from .outcomes import CACHE_SECONDS, frames_of, patient_version

TOP_MATCHES = 5


class EvidencePreparing(MyotrackError):
    """The published cases are still being prepared in this server process."""


def evidence_for(patient: Patient) -> EvidenceResult:
    """Published patients like this one, what they received next, and the safety notes.

    Cached until the patient changes (every change writes an audit record). Raises
    EvidencePreparing (and starts the preparation) while the published cases are not ready."""
    key = f"myotrack:evidence:{patient.pk}:{patient_version(patient)}"
    result: EvidenceResult | None = cache.get(key)
    if result is None:
        if not render.ready():
            if not render.started():
                prepare_corpus()
            raise EvidencePreparing(
                "The published cases are being prepared for the comparison (once after the "
                "server starts); reload the page in a few seconds."
            )
        result = render.run(render.compare, frames_of(patient), patient.code)
        cache.set(key, result, CACHE_SECONDS)
    return result
