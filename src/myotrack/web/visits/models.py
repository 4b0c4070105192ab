"""Visits (one assessment: enzymes, scores, dose) and per-muscle grades."""

from __future__ import annotations

from django.db import models

from myotrack.tables import schema

from ..patients.models import Patient
from ..softdelete import SoftDeleteModel


def _number() -> models.FloatField:
    return models.FloatField(null=True, blank=True)


class Visit(SoftDeleteModel):
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="visits")
    date = models.DateField(null=True, blank=True)
    day = models.IntegerField()
    ck = _number()
    ck_bound = models.CharField(
        max_length=1, blank=True, help_text="'<' or '>' when CK was reported as a bound"
    )
    ck_uln = _number()
    ldh = _number()
    ldh_uln = _number()
    hbdh = _number()
    hbdh_uln = _number()
    aldolase = _number()
    aldolase_uln = _number()
    alt = _number()
    alt_uln = _number()
    ast = _number()
    ast_uln = _number()
    mrc_sum = _number()
    mmt8 = _number()
    mrs = models.IntegerField(null=True, blank=True)
    prednisone_mg_day = _number()
    physician_global = _number()
    patient_global = _number()
    extramuscular_global = _number()
    haq = _number()
    myoact = _number()
    mitax = _number()
    weight_kg = _number()
    source = models.TextField(blank=True)

    CONTRACT_FIELDS = tuple(c.name for c in schema.VISITS.columns if c.name not in ("patient_id",))

    class Meta:
        ordering = (
            "patient",
            "day",
            "pk",
        )

    def __str__(self) -> str:
        return f"visit of {self.patient} on day {self.day}"

    def row(self) -> dict[str, object]:
        out: dict[str, object] = {"patient_id": self.patient.code}
        for name in self.CONTRACT_FIELDS:
            out[name] = getattr(self, name)
        out[schema.CK_BOUND] = self.ck_bound
        return out


class StrengthGrade(SoftDeleteModel):
    """One muscle on one side at one assessment, with the grade as written."""

    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="strength")
    visit = models.ForeignKey(
        Visit, null=True, blank=True, on_delete=models.PROTECT, related_name="grades"
    )
    date = models.DateField(null=True, blank=True)
    day = models.IntegerField()
    muscle = models.CharField(max_length=40)
    side = models.CharField(max_length=10, blank=True)
    grade = models.CharField(max_length=12)
    source = models.TextField(blank=True)

    CONTRACT_FIELDS = ("day", "muscle", "side", "grade", "source")

    class Meta:
        ordering = (
            "patient",
            "day",
            "muscle",
            "side",
            "pk",
        )

    def __str__(self) -> str:
        return f"{self.muscle} {self.side} {self.grade}"

    def row(self) -> dict[str, object]:
        out: dict[str, object] = {"patient_id": self.patient.code}
        for name in self.CONTRACT_FIELDS:
            out[name] = getattr(self, name)
        return out
