"""Glucocorticoid doses as prednisone equivalents, and mg/kg/day.

Equivalent anti-inflammatory doses (Meikle AW, Tyler FH. Potency and duration of action of
glucocorticoids. Am J Med 1977;63:200-7; the same table is in the prednisolone US label:
"15 mg prednisolone = 75 mg cortisone = 60 mg hydrocortisone = 15 mg prednisone = 12 mg
methylprednisolone = 12 mg triamcinolone = 2.25 mg dexamethasone"):

==================  ===================  =========================
drug                dose equal to 5 mg   prednisone mg per 1 mg
                    prednisone
==================  ===================  =========================
prednisone          5 mg                 1
prednisolone        5 mg                 1
methylprednisolone  4 mg                 1.25
triamcinolone       4 mg                 1.25
dexamethasone       0.75 mg              6.67 (exactly 5 / 0.75)
hydrocortisone      20 mg                0.25
cortisone           25 mg                0.2
==================  ===================  =========================

Why it matters here: seed 001 defines refractory disease by "equivalent of prednisone
1.0 mg/kg/day for at least 1 month"; seed 002 requires tapering "below 10 mg/d" for a definite
response; seed 004 tracks time to < 30 mg/day. An IV methylprednisolone pulse of 1,000 mg
(seed 003) is 1,250 mg prednisone-equivalent on this table.
"""

from __future__ import annotations

from fractions import Fraction

from myotrack.measures._numbers import exact, number
from myotrack.measures.errors import MeasureError

#: mg of each drug equal to 5 mg prednisone (Meikle and Tyler 1977).
EQUIVALENT_TO_5MG_PREDNISONE: dict[str, float] = {
    "prednisone": 5.0,
    "prednisolone": 5.0,
    "methylprednisolone": 4.0,
    "triamcinolone": 4.0,
    "dexamethasone": 0.75,
    "hydrocortisone": 20.0,
    "cortisone": 25.0,
}
#: mg prednisone equal to 1 mg of each drug (5 / the equivalent dose).
PREDNISONE_PER_MG: dict[str, float] = {
    drug: float(5 / Fraction(str(mg))) for drug, mg in EQUIVALENT_TO_5MG_PREDNISONE.items()
}


def _drug(drug: str) -> str:
    key = str(drug).strip().lower()
    if key not in EQUIVALENT_TO_5MG_PREDNISONE:
        known = ", ".join(EQUIVALENT_TO_5MG_PREDNISONE)
        raise MeasureError(
            f"no prednisone equivalent is known for {drug!r}; known glucocorticoids: {known}"
        )
    return key


def prednisone_equivalent(dose_mg: float, drug: str) -> float:
    """A glucocorticoid dose in mg as mg of prednisone (e.g. 4 mg methylprednisolone -> 5.0)."""
    amount = exact(dose_mg, "dose_mg")
    if amount < 0:
        raise MeasureError(f"a dose cannot be negative ({dose_mg!r})")
    equivalent = Fraction(str(EQUIVALENT_TO_5MG_PREDNISONE[_drug(drug)]))
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
