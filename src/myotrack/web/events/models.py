"""Events: adverse events, reported relapses, hospitalisations, deaths, worsening and
improvement."""

from __future__ import annotations

from django.db import models

from myotrack.tables import schema

from ..patients.models import Patient
from ..softdelete import SoftDeleteModel


class Event(SoftDeleteModel):
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="events")
    date = models.DateField(null=True, blank=True)
    day = models.IntegerField(null=True, blank=True)
    day_earliest = models.IntegerField(null=True, blank=True)
    day_latest = models.IntegerField(null=True, blank=True)
    end_date = models.DateField(null=True, blank=True)
    end_day = models.IntegerField(null=True, blank=True)
    end_day_earliest = models.IntegerField(null=True, blank=True)
    end_day_latest = models.IntegerField(null=True, blank=True)
    sequence = models.IntegerField(
        null=True, blank=True, help_text="order among the patient's events"
    )
    kind = models.CharField(max_length=20)
    relapse_type = models.CharField(max_length=20, blank=True)
    term = models.TextField(blank=True)
    grade = models.IntegerField(null=True, blank=True)
    treatment = models.TextField(blank=True)
    note = models.TextField(blank=True)
    source = models.TextField(blank=True)

    CONTRACT_FIELDS = tuple(c.name for c in schema.EVENTS.columns if c.name != "patient_id")

    class Meta:
        ordering = (
            "patient",
            "day",
            "sequence",
            "pk",
        )

    def __str__(self) -> str:
        return f"{self.kind} on day {self.day}"

    def row(self) -> dict[str, object]:
        out: dict[str, object] = {"patient_id": self.patient.code}
        for name in self.CONTRACT_FIELDS:
            out[name] = getattr(self, name)
        return out
