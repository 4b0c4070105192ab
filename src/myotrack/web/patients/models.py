"""A patient of the registry: the contract's ``patients`` row plus what only the registry keeps
(the index date and the identifying fields, never exported de-identified)."""

from __future__ import annotations

from django.db import models

from myotrack.tables import schema

from ..accounts.models import Site
from ..softdelete import SoftDeleteModel


class Patient(SoftDeleteModel):
    code = models.CharField(
        "patient id",
        max_length=64,
        unique=True,
        help_text=schema.PATIENTS.column("patient_id").description,
    )
    site = models.ForeignKey(Site, on_delete=models.PROTECT, related_name="patients")
    sex = models.CharField(max_length=10, blank=True)
    age_at_onset = models.FloatField(null=True, blank=True)
    antibody = models.CharField(max_length=20, blank=True)
    other_antibodies = models.TextField(blank=True)
    statin_exposure = models.CharField(max_length=10, blank=True)
    height_cm = models.FloatField(null=True, blank=True)
    weight_kg = models.FloatField(null=True, blank=True)
    comorbidities = models.TextField(blank=True)
    index_event = models.TextField(blank=True)
    source = models.TextField(blank=True)
    # Kept by the registry only; exported only with the export-identified right.
    index_date = models.DateField(
        "index date",
        null=True,
        blank=True,
        help_text="symptom onset (day 0); visits are dated against it",
    )
    name = models.TextField(blank=True)
    record_number = models.TextField("hospital record number", blank=True)
    notes = models.TextField(blank=True)

    #: Contract columns stored as fields of the same name.
    CONTRACT_FIELDS = (
        "sex",
        "age_at_onset",
        "antibody",
        "other_antibodies",
        "statin_exposure",
        "height_cm",
        "weight_kg",
        "comorbidities",
        "index_event",
        "source",
    )
    IDENTIFYING_FIELDS = ("name", "record_number", "index_date", "notes")

    class Meta:
        ordering = ("code",)

    def __str__(self) -> str:
        return self.code

    def row(self) -> dict[str, object]:
        """This patient as a row of the contract's ``patients`` table."""
        out: dict[str, object] = {"patient_id": self.code, "site": self.site.name}
        for name in self.CONTRACT_FIELDS:
            out[name] = getattr(self, name)
        return out
