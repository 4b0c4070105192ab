"""Glucocorticoid doses as prednisone equivalents, and mg/kg/day.

Equivalent anti-inflammatory doses (Meikle AW, Tyler FH. Potency and duration of action of
glucocorticoids. Am J Med 1977;63:200-7; the same table is in the prednisolone US label:
"15 mg prednisolone = 75 mg cortisone = 60 mg hydrocortisone = 15 mg prednisone = 12 mg
methylprednisolone = 12 mg triamcinolone = 2.25 mg dexamethasone"). Betamethasone and
deflazacort, which that label does not list, are from the British National Formulary's table of
equivalent anti-inflammatory doses ("prednisolone 5 mg = betamethasone 750 micrograms =
deflazacort 6 mg = dexamethasone 750 micrograms = ..."; BNF, chapter 6, glucocorticoid therapy;
other tables give betamethasone 0.6 mg):

==================  ===================  =========================  ===========
drug                dose equal to 5 mg   prednisone mg per 1 mg     source
                    prednisone
==================  ===================  =========================  ===========
prednisone          5 mg                 1                          Meikle 1977
prednisolone        5 mg                 1                          Meikle 1977
methylprednisolone  4 mg                 1.25                       Meikle 1977
triamcinolone       4 mg                 1.25                       Meikle 1977
dexamethasone       0.75 mg              6.67 (exactly 5 / 0.75)    Meikle 1977
hydrocortisone      20 mg                0.25                       Meikle 1977
cortisone           25 mg                0.2                        Meikle 1977
betamethasone       0.75 mg              6.67 (exactly 5 / 0.75)    BNF
deflazacort         6 mg                 0.83 (exactly 5 / 6)       BNF
==================  ===================  =========================  ===========

**Unnamed glucocorticoids.** A record that gives a glucocorticoid dose without naming the drug
(``glucocorticoid``: 'corticosteroids 1 mg/kg/day', 'steroids 60 mg'; ``glucocorticoid_pulse``:
'IV steroid pulse 500 mg') is read as prednisone-equivalent at the stated dose: factor 1
(DOMAIN.md section 9, 'A glucocorticoid written without a drug name ... is read as
prednisone-equivalent at the stated dose'; myotrack contract v2, Doses): the thresholds it is
compared with are stated in prednisone equivalents (seed 001: "equivalent of prednisone
1.0 mg/kg/day"). It is a reading rule, not a pharmacological equivalence: an unnamed IV pulse
is usually methylprednisolone, whose 1,000 mg are 1,250 mg prednisone on the table above; when
the drug is known, record its name.

**Corticotropin** (ACTH gel) is a glucocorticoid in the drug vocabulary (it acts through the
patient's own cortisol) but is dosed in units of ACTH and has no fixed prednisone equivalent;
:func:`prednisone_equivalent` refuses it with that reason (:data:`NO_PREDNISONE_EQUIVALENT`)
rather than inventing a factor.

Why it matters here: seed 001 defines refractory disease by "equivalent of prednisone
1.0 mg/kg/day for at least 1 month"; seed 002 requires tapering "below 10 mg/d" for a definite
response; seed 004 tracks time to < 30 mg/day. An IV methylprednisolone pulse of 1,000 mg
(seed 003) is 1,250 mg prednisone-equivalent on this table.

Drug names here are the canonical names of :mod:`myotrack.tables.vocab` (and ``prednisolone``);
case, spaces and hyphens do not matter.
"""

from __future__ import annotations

import re
from fractions import Fraction

from myotrack.measures._numbers import exact, number
from myotrack.measures.errors import MeasureError

#: mg of each named drug equal to 5 mg prednisone (Meikle and Tyler 1977; BNF for betamethasone
#: and deflazacort).
EQUIVALENT_TO_5MG_PREDNISONE: dict[str, float] = {
    "prednisone": 5.0,
    "prednisolone": 5.0,
    "methylprednisolone": 4.0,
    "triamcinolone": 4.0,
    "dexamethasone": 0.75,
    "hydrocortisone": 20.0,
    "cortisone": 25.0,
    "betamethasone": 0.75,
    "deflazacort": 6.0,
}
#: Where each equivalent dose comes from.
EQUIVALENCE_SOURCE: dict[str, str] = {
    **dict.fromkeys(
        (
            "prednisone",
            "prednisolone",
            "methylprednisolone",
            "triamcinolone",
            "dexamethasone",
            "hydrocortisone",
            "cortisone",
        ),
        "Meikle AW, Tyler FH. Am J Med 1977;63:200-7",
    ),
    **dict.fromkeys(
        ("betamethasone", "deflazacort"),
        "British National Formulary, equivalent anti-inflammatory doses of corticosteroids",
    ),
}
#: Glucocorticoids written without a drug name: read as prednisone at the stated dose
#: (DOMAIN.md section 9).
UNNAMED_GLUCOCORTICOIDS: tuple[str, ...] = ("glucocorticoid", "glucocorticoid_pulse")
#: Glucocorticoids of the vocabulary that have no prednisone equivalent, and why.
NO_PREDNISONE_EQUIVALENT: dict[str, str] = {
    "corticotropin": (
        "corticotropin (ACTH) is dosed in units and acts through the patient's own cortisol; "
        "it has no fixed prednisone equivalent"
    ),
}
#: mg prednisone equal to 1 mg of each drug (5 / the equivalent dose; 1 for unnamed ones).
PREDNISONE_PER_MG: dict[str, float] = {
    **{drug: float(5 / Fraction(str(mg))) for drug, mg in EQUIVALENT_TO_5MG_PREDNISONE.items()},
    **dict.fromkeys(UNNAMED_GLUCOCORTICOIDS, 1.0),
}


def _drug(drug: str) -> str:
    name = re.sub(r"[\s\-]+", "_", str(drug).strip().lower())
    if name in NO_PREDNISONE_EQUIVALENT:
        raise MeasureError(
            f"no prednisone equivalent for {drug!r}: {NO_PREDNISONE_EQUIVALENT[name]}"
        )
    if name not in PREDNISONE_PER_MG:
        known = ", ".join(PREDNISONE_PER_MG)
        raise MeasureError(
            f"no prednisone equivalent is known for {drug!r}; known glucocorticoids: {known}"
        )
    return name


def prednisone_per_mg(drug: str) -> float:
    """mg prednisone equal to 1 mg of ``drug`` (methylprednisolone 1.25; unnamed glucocorticoid 1)."""
    return PREDNISONE_PER_MG[_drug(drug)]


def prednisone_equivalent(dose_mg: float, drug: str) -> float:
    """A glucocorticoid dose in mg as mg of prednisone (e.g. 4 mg methylprednisolone -> 5.0).

    ``glucocorticoid`` and ``glucocorticoid_pulse`` (no drug named) give the stated dose.
    """
    amount = exact(dose_mg, "dose_mg")
    if amount < 0:
        raise MeasureError(f"a dose cannot be negative ({dose_mg!r})")
    name = _drug(drug)
    if name in UNNAMED_GLUCOCORTICOIDS:
        return float(amount)
    equivalent = Fraction(str(EQUIVALENT_TO_5MG_PREDNISONE[name]))
    return float(amount * 5 / equivalent)


def mg_per_kg_day(daily_mg: float, weight_kg: float) -> float:
    """A daily dose per kg of body weight (seed 001 refractory rule: >= 1.0 mg/kg/day)."""
    amount = number(daily_mg, "daily_mg")
    if amount < 0:
        raise MeasureError(f"a dose cannot be negative ({daily_mg!r})")
    weight = number(weight_kg, "weight_kg")
    if weight <= 0:
        raise MeasureError(f"weight_kg must be above 0, not {weight_kg!r}")
    return float(exact(amount, "daily_mg") / exact(weight, "weight_kg"))
