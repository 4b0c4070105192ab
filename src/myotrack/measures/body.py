"""Body size and weight-based doses: Devine ideal body weight, Mosteller BSA, dose in mg.

- **Ideal body weight** (Devine BJ. Gentamicin therapy. Drug Intell Clin Pharm 1974;8:650-5):
  men 50 kg, women 45.5 kg, plus 2.3 kg for every inch over 5 feet (60 in; 1 in = 2.54 cm).
  Devine states the rule for heights over 60 in; below 60 in myotrack continues the same line
  (2.3 kg less per inch), as dosing calculators do, and refuses a height that would give no
  weight at all. Seed 002 (Methods) doses HiCy on it: "cyclophosphamide at a dose of 50 mg/kg
  of ideal body weight IV every day for 4 consecutive days".
- **Body-surface area** (Mosteller RD. Simplified calculation of body-surface area. N Engl J
  Med 1987;317:1098): BSA (m2) = sqrt(height cm x weight kg / 3600). Seed 001 (Table 3
  footnote): rituximab "Treatment B protocol: one dose of 375 mg/m2 weekly".
- :func:`dose_mg` turns a dose as written (mg, g, mg/kg, g/kg, mg/m2) into mg, e.g. IVIg
  2 g/kg per course (seed 003), belimumab 10 mg/kg (seed 001), rituximab 1,000 mg (seed 001
  treatment A). A per-kg dose needs the body weight (or, with ``use_ideal_weight``, the height
  and sex); a per-m2 dose needs weight and height. A missing one is an error that names it.
"""

from __future__ import annotations

import math

from myotrack.measures._numbers import number
from myotrack.measures.errors import MeasureError

CM_PER_INCH = 2.54
DEVINE_BASE_KG = {"M": 50.0, "F": 45.5}
DEVINE_KG_PER_INCH = 2.3
DEVINE_BASE_INCHES = 60.0

DOSE_UNITS: tuple[str, ...] = ("mg", "g", "mg/kg", "g/kg", "mg/m2")
_SEX = {"m": "M", "male": "M", "man": "M", "f": "F", "female": "F", "woman": "F"}


def _positive(value: object, name: str) -> float:
    out = number(value, name)
    if out <= 0:
        raise MeasureError(f"{name} must be above 0, not {value!r}")
    return out


def _sex(sex: object) -> str:
    key = str(sex).strip().lower() if sex is not None else ""
    if key not in _SEX:
        raise MeasureError(
            f"Devine ideal body weight needs sex 'F' or 'M'; got {sex!r} "
            "(give the dose weight directly when sex is other or unknown)"
        )
    return _SEX[key]


def ideal_body_weight(height_cm: float, sex: str) -> float:
    """Devine ideal body weight in kg (men 50, women 45.5, + 2.3 kg per inch over 60 in)."""
    inches = _positive(height_cm, "height_cm") / CM_PER_INCH
    kg = DEVINE_BASE_KG[_sex(sex)] + DEVINE_KG_PER_INCH * (inches - DEVINE_BASE_INCHES)
    if kg <= 0:
        raise MeasureError(f"height_cm {height_cm!r} is too small for the Devine formula")
    return kg


def body_surface_area(height_cm: float, weight_kg: float) -> float:
    """Mosteller body-surface area in m2: sqrt(height cm x weight kg / 3600)."""
    return math.sqrt(_positive(height_cm, "height_cm") * _positive(weight_kg, "weight_kg") / 3600)


def _unit(unit: str) -> str:
    key = str(unit).strip().lower().replace(" ", "").replace("\u00b2", "2").replace("^2", "2")
    if key not in DOSE_UNITS:
        raise MeasureError(f"unknown dose unit {unit!r}; use one of {', '.join(DOSE_UNITS)}")
    return key


def dose_mg(
    dose: float,
    unit: str,
    weight_kg: float | None = None,
    height_cm: float | None = None,
    sex: str | None = None,
    use_ideal_weight: bool = False,
) -> float:
    """A dose as written, in mg.

    ``dose_mg(50, 'mg/kg', height_cm=175, sex='M', use_ideal_weight=True)`` is the seed 002 HiCy
    daily dose on the Devine ideal body weight; ``dose_mg(375, 'mg/m2', weight_kg=70,
    height_cm=170)`` is one rituximab treatment-B infusion (seed 001).
    """
    amount = number(dose, "dose")
    if amount < 0:
        raise MeasureError(f"a dose cannot be negative ({dose!r})")
    kind = _unit(unit)
    if use_ideal_weight and not kind.endswith("/kg"):
        raise MeasureError(f"ideal body weight applies to per-kg doses, not to {unit!r}")
    if kind == "mg":
        return amount
    if kind == "g":
        return amount * 1000
    if kind == "mg/m2":
        if weight_kg is None or height_cm is None:
            need = " and ".join(
                n for n, v in (("weight_kg", weight_kg), ("height_cm", height_cm)) if v is None
            )
            raise MeasureError(f"a dose in mg/m2 needs the body-surface area: give {need}")
        return amount * body_surface_area(height_cm, weight_kg)
    if use_ideal_weight:
        if height_cm is None or sex is None:
            need = " and ".join(n for n, v in (("height_cm", height_cm), ("sex", sex)) if v is None)
            raise MeasureError(f"a dose in {kind} of ideal body weight needs {need}")
        weight = ideal_body_weight(height_cm, sex)
    else:
        if weight_kg is None:
            raise MeasureError(
                f"a dose in {kind} needs the body weight: give weight_kg "
                "(or height_cm and sex with use_ideal_weight=True)"
            )
        weight = _positive(weight_kg, "weight_kg")
    per_kg_mg = amount * (1000 if kind == "g/kg" else 1)
    return per_kg_mg * weight
