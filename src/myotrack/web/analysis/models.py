"""Each patient's outcome row, kept until that patient's data (or the site's ranges) change."""

from __future__ import annotations

from django.db import models

from ..patients.models import Patient


class PatientOutcome(models.Model):
    """The patient's row of the outcomes table, as computed by :func:`myotrack.criteria.evaluate`.

    ``version`` says what it was computed from (the engine's version and the patient's audit
    trail, with the audit trail of the site's reference ranges): a row whose version is not the
    patient's current one is stale and is computed again. ``values`` holds the row's cells in
    the order of the outcomes table's columns (JSON: unknown is null)."""

    patient = models.OneToOneField(
        Patient, on_delete=models.CASCADE, primary_key=True, related_name="outcome"
    )
    version = models.CharField(max_length=100)
    values = models.JSONField()
    computed_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"outcomes of patient {self.patient_id} ({self.version})"
