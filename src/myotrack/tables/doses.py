"""Dose units as written: the amount's unit and what the amount is per.

``treatments.dose_unit`` may be written as clinicians and papers write it: ``mg``,
``mg/kg/day``, ``mg/day``, ``mg per day``, ``g/kg``, ``g/kg per course``, ``g/kg/month``,
``mg/m2 weekly``, ``mg/m²``, ``1 g/kg monthly``. :func:`parse_unit` splits it into the amount's
unit (``mg``, ``g``, ``mg/kg``, ``g/kg``, ``mg/m2``, ``mL``, ``other``) and what the amount is
per (``administration``, ``day``, ``week``, ``month``, ``course``, or '' when the text does not
say). ``treatments.dose`` may hold the amount with its unit (``1 mg/kg/day``, ``60 mg``): the
reader splits it the same way. Nothing is converted: a dose per kilogram stays per kilogram.
"""

from __future__ import annotations

import re

from myotrack.tables.schema import DOSE_UNIT

UNIT_RULE = (
    "a dose unit is mg, g, mg/kg, g/kg, mg/m2, mL or other, optionally per day, week, month, "
    "course or administration (e.g. mg/kg/day, g/kg per course, mg/m2 weekly)"
)
_AMOUNT = {u.lower(): u for u in DOSE_UNIT} | {"mg/m²": "mg/m2", "ml": "mL"}
_PER = {
    "day": "day",
    "d": "day",
    "daily": "day",
    "week": "week",
    "wk": "week",
    "weekly": "week",
    "month": "month",
    "monthly": "month",
    "course": "course",
    "cycle": "course",
    "dose": "administration",
    "infusion": "administration",
    "administration": "administration",
}
_SPLIT = re.compile(r"^(.*?)(?:\s*(?:/|\bper\b|\bevery\b|\beach\b|\s)\s*([a-z]+))?$")
_AMOUNT_AND_UNIT = re.compile(r"^\s*(\d+(?:\.\d*)?|\.\d+)\s*([^\d\s].*)$")


class UnitError(ValueError):
    """A text that is not a dose unit by :data:`UNIT_RULE`."""


def parse_unit(text: str) -> tuple[str, str]:
    """``(unit, per)`` for a written dose unit; raise :class:`UnitError` naming the rule."""
    raw = str(text).strip()
    s = re.sub(r"\s+", " ", raw.lower().replace("²", "2"))
    if s in _AMOUNT:
        return _AMOUNT[s], ""
    m = _SPLIT.match(s)
    if m and m.group(2) in _PER:
        amount = m.group(1).strip()
        if amount in _AMOUNT:
            return _AMOUNT[amount], _PER[m.group(2)]
    raise UnitError(f"{raw!r} is not a dose unit; {UNIT_RULE}")


def split_amount(text: str) -> tuple[str, str] | None:
    """``('1', 'mg/kg/day')`` for a dose written with its unit, None for a plain number."""
    m = _AMOUNT_AND_UNIT.match(str(text))
    return (m.group(1), m.group(2).strip()) if m else None
