"""Days as records write them: exact, a range, approximate, a time with a unit, an age.

Every day column of the contract (``visits.day``, ``treatments.start_day``, ``events.end_day``,
...) holds whole days since the patient's index date. Published cases and clinic charts often
give less: 'about 6 years', 'within 2 weeks', 'at age 37'. :func:`parse_day` is the one rule
that turns such a text into a :class:`DayValue`: the day, and its earliest and latest possible
value when the text leaves it uncertain. It never narrows what the text says.

The rule, form by form (``N`` a number; case and spaces do not matter):

=====================  ===============================================================
``120``, ``-3``        exact day
``120..150``           a range: earliest 120, latest 150 (also ``120 to 150``)
``~120``               an approximate day: +/- 10 % of N, at least +/- 1 day
                       (also ``about``, ``approx.``, ``approximately``, ``c.``, ``ca.``)
``6 months``           a time with a unit: N units, +/- half the last digit written (a unit
                       coarser than a day is a rounding: ``6 months`` = 167..198,
                       ``1.5 years`` = 1.45..1.55 years)
``~6 years``           approximate time with a unit: +/- one of the last digit written
``6-8 weeks``          a range with a unit: N to M units (also ``6 to 8 weeks``)
``within 2 weeks``     0 to N units after the index date
``at age 37``          the patient's age at the time: a whole age spans its year, so the
                       day lies between (37 - onset) and (38 - onset) years, and a whole
                       onset age widens that by a year (needs ``patients.age_at_onset``)
=====================  ===============================================================

Units: day (d), week (wk, w), month (mo), year (yr, y); a month is 365.25 / 12 days and a
year 365.25 days. The day of an uncertain value is the middle of its range (rounded down):
approximate, and marked so by its range. A day's range is kept in the ``<column>_earliest``
and ``<column>_latest`` columns; an exact day leaves both empty.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

YEAR_DAYS = 365.25
MONTH_DAYS = YEAR_DAYS / 12
UNIT_DAYS: dict[str, float] = {
    "day": 1.0,
    "week": 7.0,
    "month": MONTH_DAYS,
    "year": YEAR_DAYS,
}
_UNIT_WORDS = {
    "d": "day",
    "day": "day",
    "days": "day",
    "w": "week",
    "wk": "week",
    "wks": "week",
    "week": "week",
    "weeks": "week",
    "mo": "month",
    "mos": "month",
    "month": "month",
    "months": "month",
    "y": "year",
    "yr": "year",
    "yrs": "year",
    "year": "year",
    "years": "year",
}
#: An approximate day without a unit spans this share of its value (at least one day).
APPROXIMATE = 0.10

DAY_RULE = (
    "a day is a whole number of days since the index date (e.g. 120 or -3), a range 120..150, "
    "an approximate ~120, a time with a unit (6 months, ~6 years, 6-8 weeks, within 2 weeks) "
    "or an age (at age 37)"
)

_NUM = r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)"
_APPROX = r"(?:~|about|approx\.?|approximately|around|c\.|ca\.?|circa)"
_UNIT = r"([a-z]+)\.?"
_EXACT = re.compile(rf"^({_NUM})$")
_RANGE = re.compile(rf"^({_NUM})\s*(?:\.\.|to)\s*({_NUM})$")
_APPROX_DAY = re.compile(rf"^{_APPROX}\s*({_NUM})$")
_WITH_UNIT = re.compile(rf"^({_APPROX}\s*)?({_NUM})\s*{_UNIT}$")
_RANGE_UNIT = re.compile(rf"^({_NUM})\s*(?:-|–|\.\.|to)\s*({_NUM})\s*{_UNIT}$")
_WITHIN = re.compile(rf"^within\s*({_NUM})\s*{_UNIT}$")
_AGE = re.compile(rf"^(?:at\s+)?age\s*({_NUM})(?:\s*(?:years?|y|yrs?))?$")


class DayError(ValueError):
    """A text that is not a day by :func:`parse_day`'s rule; the message names the rule."""


@dataclass(frozen=True)
class DayValue:
    """A day and, when the record leaves it uncertain, its earliest and latest value."""

    day: int
    earliest: int | None = None
    latest: int | None = None

    @property
    def exact(self) -> bool:
        return self.earliest is None and self.latest is None

    @classmethod
    def between(cls, earliest: float, latest: float) -> DayValue:
        low, high = math.floor(earliest + 0.5), math.floor(latest + 0.5)
        if low > high:
            low, high = high, low
        if low == high:
            return cls(low)
        return cls((low + high) // 2, low, high)


def _unit(word: str, text: str) -> float:
    unit = _UNIT_WORDS.get(word)
    if unit is None:
        raise DayError(f"{text!r}: unknown unit of time {word!r}; {DAY_RULE}")
    return UNIT_DAYS[unit]


def _decimals(number: str) -> int:
    return len(number.split(".", 1)[1]) if "." in number else 0


def _whole(x: float) -> bool:
    return float(x).is_integer()


def parse_day(text: object, age_at_onset: float | None = None) -> DayValue:
    """The day a cell of a day column says; raise :class:`DayError` naming the rule if none."""
    if isinstance(text, bool) or text is None:
        raise DayError(DAY_RULE)
    if isinstance(text, int | float):
        if not math.isfinite(text) or not _whole(text):
            raise DayError(f"{text!r}: {DAY_RULE}")
        return DayValue(int(text))
    raw = str(text).strip()
    s = re.sub(r"\s+", " ", raw.lower().replace("\u2212", "-"))
    if m := _EXACT.match(s):
        value = float(m.group(1))
        if not _whole(value):
            raise DayError(f"{raw!r}: a day without a unit is a whole number; {DAY_RULE}")
        return DayValue(int(value))
    if m := _RANGE.match(s):
        a, b = float(m.group(1)), float(m.group(2))
        if a > b:
            raise DayError(f"{raw!r}: a range goes from the earlier to the later day")
        return DayValue.between(a, b)
    if m := _APPROX_DAY.match(s):
        n = float(m.group(1))
        half = max(1.0, abs(n) * APPROXIMATE)
        return DayValue.between(n - half, n + half)
    if m := _WITHIN.match(s):
        n, unit = float(m.group(1)), _unit(m.group(2), raw)
        return DayValue.between(0, n * unit)
    if m := _RANGE_UNIT.match(s):
        a, b, unit = float(m.group(1)), float(m.group(2)), _unit(m.group(3), raw)
        if a > b:
            raise DayError(f"{raw!r}: a range goes from the earlier to the later time")
        return DayValue.between(a * unit, b * unit)
    if m := _WITH_UNIT.match(s):
        approx, n, unit = bool(m.group(1)), float(m.group(2)), _unit(m.group(3), raw)
        if unit == 1.0 and not approx:
            if not _whole(n):
                raise DayError(f"{raw!r}: days are whole; {DAY_RULE}")
            return DayValue(int(n))
        step = unit * 10.0 ** -_decimals(m.group(2))  # the unit of the last digit written
        half = step if approx else step / 2
        return DayValue.between(n * unit - half, n * unit + half)
    if m := _AGE.match(s):
        if age_at_onset is None or (isinstance(age_at_onset, float) and math.isnan(age_at_onset)):
            raise DayError(f"{raw!r}: a day written as an age needs the patient's age_at_onset")
        age = float(m.group(1))
        age_high = age + 1 if _whole(age) else age
        onset_low = float(age_at_onset)
        onset_high = onset_low + 1 if _whole(onset_low) else onset_low
        return DayValue.between((age - onset_high) * YEAR_DAYS, (age_high - onset_low) * YEAR_DAYS)
    raise DayError(f"{raw!r} is not a day; {DAY_RULE}")
