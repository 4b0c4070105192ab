"""The five-table data contract (v1): every column, its type, unit, allowed values and meaning.

Every source (CSV folder, Excel workbook, registry database, published cases) is turned into
these tables and every computation reads only these. Time is ``day``: whole days since the
patient's index date (symptom onset unless ``patients.index_event`` says otherwise).
Unknown is empty, never a made-up value.

Beyond the columns named in the architecture, the contract has a few optional ones:

- ``source`` on every table: the citation of the row (document, table or section). Required
  for published cases, empty for a registry's own patients.
- ``patients.index_event``: what day 0 is when it is not symptom onset (published cases that
  do not give the onset date count days from a named treatment instead).
- ``visits.hbdh`` / ``hbdh_uln``: hydroxybutyrate dehydrogenase (001 Table 1).
- ``treatments.line`` (order of the course when days are unknown), ``reported_response``
  (what the authors or the treating doctor said: yes, partial, no, unknown) and ``note``.
- ``visits.ck`` may be written with a bound, ``<200`` or ``>10000``, as laboratories and papers
  report it; the reader keeps the number in ``ck`` and the bound in ``ck_bound``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

Kind = Literal["text", "int", "float", "enum", "list", "grade", "drug", "muscle"]


@dataclass(frozen=True)
class Column:
    name: str
    kind: Kind
    description: str
    unit: str = ""
    required: bool = False
    minimum: float | None = None
    maximum: float | None = None
    allowed: tuple[str, ...] = field(default_factory=tuple)
    integer: bool = False

    def allowed_text(self) -> str:
        if self.allowed:
            return ", ".join(self.allowed)
        if self.minimum is not None and self.maximum is not None:
            return f"{self.minimum:g} to {self.maximum:g}"
        if self.minimum is not None:
            return f">= {self.minimum:g}"
        return ""


@dataclass(frozen=True)
class TableSpec:
    name: str
    description: str
    columns: tuple[Column, ...]

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns)

    def column(self, name: str) -> Column:
        for c in self.columns:
            if c.name == name:
                return c
        raise KeyError(name)


SEX = ("F", "M", "other", "unknown")
ANTIBODY = ("SRP", "HMGCR", "seronegative", "unknown")
YES_NO_UNKNOWN = ("yes", "no", "unknown")
SIDE = ("left", "right", "axial")
DOSE_UNIT = ("mg", "g", "mg/kg", "g/kg", "mg/m2", "mL", "other")
STOP_REASON = (
    "inefficacy",
    "intolerance",
    "adverse_event",
    "remission",
    "cost",
    "pregnancy",
    "other",
)
EVENT_KIND = ("adverse_event", "relapse_reported", "hospitalisation", "death", "other")
REPORTED_RESPONSE = ("yes", "partial", "no", "unknown")


def _enzyme(name: str, label: str) -> tuple[Column, Column]:
    return (
        Column(name, "float", f"{label} at this visit", "U/L", minimum=0),
        Column(
            f"{name}_uln",
            "float",
            f"upper limit of normal of the laboratory for {label}",
            "U/L",
            minimum=0,
        ),
    )


SOURCE = Column(
    "source", "text", "citation of this row: document, table or section (published cases)"
)

PATIENTS = TableSpec(
    "patients",
    "one row per patient",
    (
        Column(
            "patient_id", "text", "identifier, unique; never a name or record number", required=True
        ),
        Column("sex", "enum", "sex", allowed=SEX),
        Column("age_at_onset", "float", "age at symptom onset", "years", minimum=0, maximum=120),
        Column(
            "antibody", "enum", "myositis-specific antibody (224th ENMC subgroup)", allowed=ANTIBODY
        ),
        Column("other_antibodies", "list", "other autoantibodies, ';'-separated (e.g. Ro52;ANA)"),
        Column("statin_exposure", "enum", "statin taken before onset", allowed=YES_NO_UNKNOWN),
        Column("height_cm", "float", "height", "cm", minimum=30, maximum=260),
        Column("weight_kg", "float", "body weight at diagnosis", "kg", minimum=2, maximum=400),
        Column("comorbidities", "list", "';'-separated vocabulary terms (e.g. hbv;cirrhosis)"),
        Column("site", "text", "centre or data-access group"),
        Column("index_event", "text", "what day 0 is; empty means symptom onset"),
        SOURCE,
    ),
)

VISITS = TableSpec(
    "visits",
    "one row per assessment",
    (
        Column("patient_id", "text", "patient of this visit", required=True),
        Column("day", "int", "days since the index date", "day", required=True, integer=True),
        Column("ck", "float", "creatine kinase; may be written <N or >N", "U/L", minimum=0),
        Column(
            "ck_uln", "float", "upper limit of normal of the laboratory for CK", "U/L", minimum=1
        ),
        *_enzyme("ldh", "lactate dehydrogenase"),
        *_enzyme("hbdh", "hydroxybutyrate dehydrogenase"),
        *_enzyme("aldolase", "aldolase"),
        *_enzyme("alt", "alanine aminotransferase"),
        *_enzyme("ast", "aspartate aminotransferase"),
        Column(
            "mrc_sum",
            "float",
            "MRC sum score (six muscle groups, both sides)",
            "0-60",
            minimum=0,
            maximum=60,
        ),
        Column(
            "mmt8",
            "float",
            "manual muscle testing of eight muscles, Kendall 0-10 each",
            "0-80",
            minimum=0,
            maximum=80,
        ),
        Column("mrs", "int", "modified Rankin Scale", "0-6", minimum=0, maximum=6, integer=True),
        Column(
            "prednisone_mg_day",
            "float",
            "prednisone-equivalent glucocorticoid dose",
            "mg/day",
            minimum=0,
            maximum=2000,
        ),
        Column(
            "physician_global",
            "float",
            "physician global activity (VAS)",
            "0-10 cm",
            minimum=0,
            maximum=10,
        ),
        Column(
            "patient_global",
            "float",
            "patient global activity (VAS)",
            "0-10 cm",
            minimum=0,
            maximum=10,
        ),
        Column(
            "extramuscular_global",
            "float",
            "extramuscular disease activity (VAS)",
            "0-10 cm",
            minimum=0,
            maximum=10,
        ),
        Column(
            "haq",
            "float",
            "Health Assessment Questionnaire disability index",
            "0-3",
            minimum=0,
            maximum=3,
        ),
        Column("myoact", "float", "MYOACT total as reported", "0-60", minimum=0, maximum=60),
        Column("mitax", "float", "MITAX total", "0-63", minimum=0, maximum=63),
        Column("weight_kg", "float", "body weight at this visit", "kg", minimum=2, maximum=400),
        SOURCE,
    ),
)

STRENGTH = TableSpec(
    "strength",
    "one row per muscle, side and assessment (manual muscle testing)",
    (
        Column("patient_id", "text", "patient", required=True),
        Column("day", "int", "days since the index date", "day", required=True, integer=True),
        Column("muscle", "muscle", "muscle group (vocabulary)", required=True),
        Column("side", "enum", "side; empty when the source does not say", allowed=SIDE),
        Column(
            "grade",
            "grade",
            "MRC grade as written: 0-5 with + or -, ranges like 1-2, T for trace",
            "MRC 0-5",
            required=True,
        ),
        SOURCE,
    ),
)

TREATMENTS = TableSpec(
    "treatments",
    "one row per treatment course",
    (
        Column("patient_id", "text", "patient", required=True),
        Column(
            "drug",
            "drug",
            "drug or procedure; any synonym in, the canonical name out",
            required=True,
        ),
        Column(
            "start_day",
            "int",
            "first day of the course; empty when the source gives no date",
            "day",
            integer=True,
        ),
        Column(
            "end_day",
            "int",
            "last day of the course; empty means ongoing or unknown",
            "day",
            integer=True,
        ),
        Column(
            "line",
            "int",
            "order of the course among the patient's courses, when days are unknown",
            integer=True,
            minimum=1,
        ),
        Column("dose", "float", "dose per administration", minimum=0),
        Column(
            "dose_unit",
            "enum",
            "unit of the dose (per day/week/course goes in schedule)",
            allowed=DOSE_UNIT,
        ),
        Column("route", "text", "route (IV, oral, SC, ...)"),
        Column(
            "schedule",
            "text",
            "schedule as written (e.g. daily, weekly, every 2 weeks x3 then monthly)",
        ),
        Column(
            "protocol",
            "text",
            "named protocol (rtx_a, rtx_b, rtx_one, ivig_induction, ivig_maintenance, hicy, autohct, belimumab)",
        ),
        Column("stop_reason", "enum", "why the course stopped", allowed=STOP_REASON),
        Column(
            "reported_response",
            "enum",
            "response as the authors or treating doctor reported it",
            allowed=REPORTED_RESPONSE,
        ),
        Column("note", "text", "free text (published cases only; never exported de-identified)"),
        SOURCE,
    ),
)

EVENTS = TableSpec(
    "events",
    "adverse events, reported relapses, hospitalisations, deaths",
    (
        Column("patient_id", "text", "patient", required=True),
        Column(
            "day", "int", "day of the event; empty when the source gives none", "day", integer=True
        ),
        Column("kind", "enum", "kind of event", required=True, allowed=EVENT_KIND),
        Column("term", "text", "event term (vocabulary, e.g. febrile_neutropenia, herpes_zoster)"),
        Column("grade", "int", "severity grade (CTCAE 1-5)", minimum=1, maximum=5, integer=True),
        Column("treatment", "drug", "drug the event is attributed to"),
        Column("note", "text", "free text (published cases only; never exported de-identified)"),
        SOURCE,
    ),
)

TABLES: dict[str, TableSpec] = {t.name: t for t in (PATIENTS, VISITS, STRENGTH, TREATMENTS, EVENTS)}
TABLE_NAMES: tuple[str, ...] = tuple(TABLES)

#: Internal column added by the reader next to ``visits.ck``: '<', '>' or '' (exact).
CK_BOUND = "ck_bound"
