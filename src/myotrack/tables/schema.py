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

Kind = Literal[
    "text", "int", "float", "enum", "list", "grade", "drug", "muscle", "day", "lab", "unit", "code"
]


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
SIDE = ("left", "right", "axial", "both")
DOSE_UNIT = ("mg", "g", "mg/kg", "g/kg", "mg/m2", "mL", "other")
DOSE_PER = ("administration", "day", "week", "month", "course")
RELAPSE_TYPE = ("clinical", "biochemical", "both")
STOP_REASON = (
    "inefficacy",
    "intolerance",
    "adverse_event",
    "remission",
    "cost",
    "pregnancy",
    "other",
)
EVENT_KIND = (
    "adverse_event",
    "relapse_reported",
    "hospitalisation",
    "death",
    "worsening",
    "improvement",
    "other",
)
REPORTED_RESPONSE = ("yes", "partial", "no", "unknown")


def _enzyme(name: str, label: str) -> tuple[Column, Column]:
    return (
        Column(
            name,
            "lab",
            f"{label} at this visit: a number, a bound (<200, >=3000), ~N, or normal / elevated",
            "U/L",
            minimum=0,
        ),
        Column(
            f"{name}_uln",
            "float",
            f"upper limit of normal of the laboratory for {label}",
            "U/L",
            minimum=0,
        ),
    )


def _day(name: str, description: str, required: bool = False) -> tuple[Column, Column, Column]:
    """A day column and its earliest / latest companions (see :mod:`myotrack.tables.timing`)."""
    return (
        Column(
            name,
            "day",
            f"{description}; may be written 120..150, ~120, 6 months, within 2 weeks, at age 37",
            "day",
            required=required,
            integer=True,
        ),
        Column(
            f"{name}_earliest",
            "int",
            f"earliest possible {name} when uncertain",
            "day",
            integer=True,
        ),
        Column(
            f"{name}_latest", "int", f"latest possible {name} when uncertain", "day", integer=True
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
        Column(
            "age_at_onset",
            "float",
            "age on day 0 (symptom onset unless index_event names another day 0)",
            "years",
            minimum=0,
            maximum=120,
        ),
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
        *_day("day", "days since the index date", required=True),
        Column(
            "ck",
            "lab",
            "creatine kinase: a number, a bound (<200, >=3000), ~N, or normal / elevated",
            "U/L",
            minimum=0,
        ),
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
        Column("lab", "text", "laboratory of the enzymes (matched in reference_ranges)"),
        SOURCE,
    ),
)

STRENGTH = TableSpec(
    "strength",
    "one row per muscle, side and assessment (manual muscle testing)",
    (
        Column("patient_id", "text", "patient", required=True),
        *_day("day", "days since the index date", required=True),
        Column("muscle", "muscle", "muscle group or limb region (vocabulary)", required=True),
        Column(
            "side",
            "enum",
            "side (both: each side has this grade); empty when the source does not say",
            allowed=SIDE,
        ),
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
        *_day("start_day", "first day of the course; empty when the source gives no date"),
        *_day("end_day", "last day of the course; empty means ongoing or unknown"),
        Column(
            "line",
            "int",
            "order of the course among the patient's courses, when days are unknown",
            integer=True,
            minimum=1,
        ),
        Column(
            "index_course",
            "enum",
            "yes on the patient's index treatment: the course every time-based criterion counts"
            " from for this patient (at most one per patient; empty = the criterion's own anchor)",
            allowed=("yes", "no"),
        ),
        Column(
            "dose",
            "float",
            "dose amount; may be written with its unit (1 mg/kg/day, 60 mg)",
            minimum=0,
        ),
        Column(
            "dose_unit",
            "unit",
            "unit of the dose as written (mg, g/kg, mg/kg/day, mg/m2 weekly, g/kg per course)",
            allowed=DOSE_UNIT,
        ),
        Column(
            "dose_per",
            "enum",
            "what the dose is per: administration, day, week, month or course (from dose_unit)",
            allowed=DOSE_PER,
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
        *_day("day", "day of the event; empty when the source gives none"),
        *_day("end_day", "last day of the event (e.g. discharge); empty when not given"),
        Column(
            "sequence",
            "int",
            "order among the patient's events, when days are unknown",
            integer=True,
            minimum=1,
        ),
        Column("kind", "enum", "kind of event", required=True, allowed=EVENT_KIND),
        Column(
            "relapse_type",
            "enum",
            "for a reported relapse: clinical (weakness), biochemical (CK only) or both",
            allowed=RELAPSE_TYPE,
        ),
        Column("term", "text", "event term (vocabulary, e.g. febrile_neutropenia, herpes_zoster)"),
        Column("grade", "int", "severity grade (CTCAE 1-5)", minimum=1, maximum=5, integer=True),
        Column("treatment", "drug", "drug the event is attributed to"),
        Column("note", "text", "free text (published cases only; never exported de-identified)"),
        SOURCE,
    ),
)

OBSERVATIONS = TableSpec(
    "observations",
    "what the other tables cannot hold: antibody tests, B cells, biopsy, MRI, functional tests",
    (
        Column("patient_id", "text", "patient", required=True),
        *_day("day", "day of the observation; empty when only its order is known"),
        Column("code", "code", "what was observed (observation vocabulary)", required=True),
        Column(
            "value",
            "text",
            "result as written: a number, positive/negative, a titre 1:640, present/absent",
            required=True,
        ),
        Column("unit", "text", "unit of a numeric value"),
        Column("assay", "text", "test or method (ELISA, line blot, immunofluorescence, ...)"),
        Column(
            "sequence",
            "int",
            "order among the patient's observations, when days are unknown",
            integer=True,
            minimum=1,
        ),
        Column("note", "text", "free text (published cases only; never exported de-identified)"),
        SOURCE,
    ),
)

TABLES: dict[str, TableSpec] = {
    t.name: t for t in (PATIENTS, VISITS, STRENGTH, TREATMENTS, EVENTS, OBSERVATIONS)
}
TABLE_NAMES: tuple[str, ...] = tuple(TABLES)

#: The optional table of laboratory reference ranges (a lab value without its ULN takes it
#: from here: the patient's site and the visit's lab, an empty site or lab matching any).
REFERENCE_RANGES = TableSpec(
    "reference_ranges",
    "upper limits of normal per site and laboratory",
    (
        Column("site", "text", "site the range applies to; empty = every site"),
        Column("lab", "text", "laboratory; empty = every laboratory of the site"),
        Column(
            "analyte",
            "enum",
            "enzyme",
            required=True,
            allowed=("ck", "ldh", "hbdh", "aldolase", "alt", "ast"),
        ),
        Column("uln", "float", "upper limit of normal", "U/L", required=True, minimum=1),
        Column("unit", "text", "unit of the limit as the laboratory reports it (U/L, IU/L)"),
        SOURCE,
    ),
)

#: The enzymes of the visits table, each with its ``_uln`` and two columns the reader adds:
#: ``<enzyme>_bound`` ('<', '<=', '>', '>=', '~' or '' for exact) and ``<enzyme>_state``
#: (normal, elevated or ''); :mod:`myotrack.measures.bounds` reads the three as one value.
ENZYMES: tuple[str, ...] = ("ck", "ldh", "hbdh", "aldolase", "alt", "ast")
