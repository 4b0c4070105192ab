"""Observations: what the other tables cannot hold (antibody tests, B cells, biopsy and MRI
findings, symptoms, functional tests), one finding per row with its value as written."""

from __future__ import annotations

from django.db import models

from myotrack.tables import schema

from ..patients.models import Patient
from ..softdelete import SoftDeleteModel


class Observation(SoftDeleteModel):
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="observations")
    date = models.DateField(null=True, blank=True)
    day = models.IntegerField(null=True, blank=True)
    day_earliest = models.IntegerField(null=True, blank=True)
    day_latest = models.IntegerField(null=True, blank=True)
    code = models.TextField(help_text="observation code; an unknown one as written")
    value = models.TextField()
    unit = models.TextField(blank=True)
    assay = models.TextField(blank=True)
    sequence = models.IntegerField(
        null=True, blank=True, help_text="order among the patient's observations"
    )
    note = models.TextField(blank=True)
    source = models.TextField(blank=True)

    CONTRACT_FIELDS = tuple(c.name for c in schema.OBSERVATIONS.columns if c.name != "patient_id")

    class Meta:
        ordering = (
            "patient",
            "day",
            "sequence",
            "pk",
        )

    def __str__(self) -> str:
        when = f"day {self.day}" if self.day is not None else "day unknown"
        return f"{self.code} {self.value} ({when})"

    def row(self) -> dict[str, object]:
        out: dict[str, object] = {"patient_id": self.patient.code}
        for name in self.CONTRACT_FIELDS:
            out[name] = getattr(self, name)
        return out
