"""Visits (one assessment: enzymes, scores, dose), per-muscle grades, and the laboratories'
reference ranges of each site."""

from __future__ import annotations

from django.db import models

from myotrack.tables import schema

from ..accounts.models import Site
from ..patients.models import Patient
from ..softdelete import SoftDeleteModel


def _number() -> models.FloatField:
    return models.FloatField(null=True, blank=True)


def _day_bound(which: str) -> models.IntegerField:
    return models.IntegerField(
        null=True, blank=True, help_text=f"{which} possible day when the day is uncertain"
    )


def _lab_bound() -> models.CharField:
    return models.CharField(
        max_length=2, blank=True, help_text="'<', '<=', '>', '>=' or '~' as reported; '' exact"
    )


def _lab_state() -> models.CharField:
    return models.CharField(
        max_length=10, blank=True, help_text="normal or elevated for a result reported in words"
    )


#: What the reader keeps beside each enzyme: its bound and its word (see myotrack.tables.labs).
LAB_FIELDS: tuple[str, ...] = tuple(
    f"{enzyme}_{part}" for enzyme in schema.ENZYMES for part in ("bound", "state")
)


def lab_text(value: float | None, bound: str, state: str) -> str:
    """A laboratory value as written: '8500', '>10000', '~4000', 'normal', or ''."""
    if value is None:
        return state or ""
    number = str(int(value)) if float(value).is_integer() else f"{value:g}"
    return f"{bound or ''}{number}"


class Visit(SoftDeleteModel):
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="visits")
    date = models.DateField(null=True, blank=True)
    day = models.IntegerField()
    day_earliest = _day_bound("earliest")
    day_latest = _day_bound("latest")
    ck = _number()
    ck_bound = _lab_bound()
    ck_state = _lab_state()
    ck_uln = _number()
    ldh = _number()
    ldh_bound = _lab_bound()
    ldh_state = _lab_state()
    ldh_uln = _number()
    hbdh = _number()
    hbdh_bound = _lab_bound()
    hbdh_state = _lab_state()
    hbdh_uln = _number()
    aldolase = _number()
    aldolase_bound = _lab_bound()
    aldolase_state = _lab_state()
    aldolase_uln = _number()
    alt = _number()
    alt_bound = _lab_bound()
    alt_state = _lab_state()
    alt_uln = _number()
    ast = _number()
    ast_bound = _lab_bound()
    ast_state = _lab_state()
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
    lab = models.TextField(blank=True, help_text="laboratory of the enzymes")
    source = models.TextField(blank=True)

    CONTRACT_FIELDS = tuple(c.name for c in schema.VISITS.columns if c.name not in ("patient_id",))
    #: Every field a validated visits row fills: the contract columns and each enzyme's
    #: bound and word.
    STORED_FIELDS = CONTRACT_FIELDS + LAB_FIELDS

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
        for name in self.STORED_FIELDS:
            out[name] = getattr(self, name)
        return out

    def written(self, enzyme: str) -> str:
        """One enzyme as it was reported ('>10000', '~4000', 'normal'; '' when not measured)."""
        return lab_text(
            getattr(self, enzyme),
            getattr(self, f"{enzyme}_bound"),
            getattr(self, f"{enzyme}_state"),
        )

    @property
    def ck_written(self) -> str:
        return self.written("ck")

    def other_labs(self) -> list[tuple[str, str, float | None]]:
        """(enzyme, value as written, ULN) of each enzyme but CK that this visit reports."""
        out = []
        for enzyme in schema.ENZYMES[1:]:
            text = self.written(enzyme)
            if text:
                out.append((enzyme, text, getattr(self, f"{enzyme}_uln")))
        return out


class StrengthGrade(SoftDeleteModel):
    """One muscle (or limb region) on one side at one assessment, with the grade as written."""

    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="strength")
    visit = models.ForeignKey(
        Visit, null=True, blank=True, on_delete=models.PROTECT, related_name="grades"
    )
    date = models.DateField(null=True, blank=True)
    day = models.IntegerField()
    day_earliest = _day_bound("earliest")
    day_latest = _day_bound("latest")
    muscle = models.TextField(help_text="canonical muscle or region; an unknown one as written")
    side = models.CharField(max_length=10, blank=True)
    grade = models.CharField(max_length=12)
    source = models.TextField(blank=True)

    CONTRACT_FIELDS = tuple(c.name for c in schema.STRENGTH.columns if c.name != "patient_id")

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


class ReferenceRange(models.Model):
    """The upper limit of normal of one enzyme at one laboratory of a site (an empty lab: every
    laboratory of the site). A visit's enzyme without its own ULN takes it from here when the
    registry's rows are read as a dataset, exactly as a file's ``reference_ranges`` table."""

    site = models.ForeignKey(Site, on_delete=models.PROTECT, related_name="reference_ranges")
    lab = models.TextField(blank=True)
    analyte = models.CharField(max_length=10, choices=[(e, e) for e in schema.ENZYMES])
    uln = models.FloatField("upper limit of normal (U/L)")
    source = models.TextField(blank=True)

    CONTRACT_FIELDS = ("lab", "analyte", "uln", "source")

    class Meta:
        ordering = ("site", "lab", "analyte")
        constraints = (
            models.UniqueConstraint(
                fields=["site", "lab", "analyte"], name="one_reference_range_per_site_lab_analyte"
            ),
        )

    def __str__(self) -> str:
        where = f"{self.site} {self.lab}".strip()
        return f"{self.analyte} ULN {self.uln:g} U/L ({where})"

    def row(self) -> dict[str, object]:
        """This range as a row of the contract's ``reference_ranges`` table."""
        return {
            "site": self.site.name,
            "lab": self.lab,
            "analyte": self.analyte,
            "uln": self.uln,
            "source": self.source,
        }
