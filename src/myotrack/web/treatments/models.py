"""Treatment courses: one drug (canonical name), its dose, schedule, dates and why it stopped."""

from __future__ import annotations

from django.db import models

from myotrack.tables import schema

from ..patients.models import Patient
from ..softdelete import SoftDeleteModel


class Treatment(SoftDeleteModel):
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="treatments")
    drug = models.TextField(help_text="canonical drug name; an unknown one as written")
    start_date = models.DateField(null=True, blank=True)
    start_day = models.IntegerField(null=True, blank=True)
    start_day_earliest = models.IntegerField(null=True, blank=True)
    start_day_latest = models.IntegerField(null=True, blank=True)
    end_date = models.DateField(null=True, blank=True)
    end_day = models.IntegerField(null=True, blank=True)
    end_day_earliest = models.IntegerField(null=True, blank=True)
    end_day_latest = models.IntegerField(null=True, blank=True)
    line = models.IntegerField(null=True, blank=True)
    dose = models.FloatField(null=True, blank=True)
    dose_unit = models.CharField(max_length=10, blank=True)
    dose_per = models.CharField(
        max_length=20, blank=True, help_text="administration, day, week, month or course"
    )
    route = models.TextField(blank=True)
    schedule = models.TextField(blank=True)
    protocol = models.TextField(blank=True)
    stop_reason = models.CharField(max_length=20, blank=True)
    reported_response = models.CharField(max_length=10, blank=True)
    index_course = models.CharField(
        max_length=3, blank=True, help_text="yes on the patient's index treatment (at most one)"
    )
    note = models.TextField(blank=True)
    source = models.TextField(blank=True)

    CONTRACT_FIELDS = tuple(c.name for c in schema.TREATMENTS.columns if c.name != "patient_id")

    class Meta:
        ordering = (
            "patient",
            "start_day",
            "line",
            "pk",
        )

    def __str__(self) -> str:
        return f"{self.drug} from day {self.start_day}"

    def row(self) -> dict[str, object]:
        out: dict[str, object] = {"patient_id": self.patient.code}
        for name in self.CONTRACT_FIELDS:
            out[name] = getattr(self, name)
        return out
