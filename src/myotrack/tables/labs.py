"""Laboratory values as written: a number, a bound, an approximate value or a word.

``visits.ck`` (and every other enzyme column) may hold ``4500``, ``4,500``, ``<200``,
``<=200``, ``>10000``, ``>=3000``, ``~4000`` (also ``about 4000``), a unit after the number
(``4500 U/L``, ``IU/L``), or a qualitative result: ``normal``, ``normalised`` /
``normalized``, ``within normal limits``, ``WNL`` (at or below the laboratory's upper limit of
normal), ``elevated``, ``raised``, ``high``, ``increased``, ``abnormal`` (above it), each
possibly with a degree word before it (``mildly``, ``markedly``, ``persistently`` ...). The
reader keeps the number in the column, the bound in ``<enzyme>_bound`` and the word in
``<enzyme>_state``; :mod:`myotrack.measures.bounds` reads the three as one value. A comma
between digit groups of three is a thousands separator (``10,000``); any other comma is an
error, since ``1,5`` could be one and a half or fifteen.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

LAB_RULE = (
    "a laboratory value is a number (4500), a bound (<200, <=200, >10000, >=3000), an "
    "approximate value (~4000) or a word: normal / normalised, elevated / raised"
)
NORMAL_WORDS = frozenset({"normal", "normalised", "normalized", "within normal limits", "wnl"})
ELEVATED_WORDS = frozenset({"elevated", "raised", "high", "increased", "abnormal"})
_DEGREE = re.compile(
    r"^(?:(?:mildly|slightly|moderately|markedly|very|highly|severely|persistently|still|"
    r"remained|became|returned to|back to)\s+)+"
)
_VALUE = re.compile(
    r"^(<=|>=|≤|≥|<|>|~|about|approx\.?|approximately|around)?\s*"
    r"(\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d*)?|\.\d+)\s*(?:(?:i?u|ui)/l)?$"
)
_BOUNDS = {"≤": "<=", "≥": ">=", "about": "~", "approx": "~", "approx.": "~"}
_BOUNDS.update({"approximately": "~", "around": "~"})


class LabError(ValueError):
    """A text that is not a laboratory value by :data:`LAB_RULE`."""


@dataclass(frozen=True)
class LabValue:
    value: float | None
    bound: str = ""  # '', '<', '<=', '>', '>=', '~'
    state: str = ""  # '', 'normal', 'elevated'


def parse_lab(text: str) -> LabValue:
    """The value a lab cell says; raise :class:`LabError` naming the rule when it says none."""
    raw = str(text).strip()
    s = re.sub(r"\s+", " ", raw.lower())
    word = _DEGREE.sub("", s)
    if word in NORMAL_WORDS:
        return LabValue(None, "", "normal")
    if word in ELEVATED_WORDS:
        return LabValue(None, "", "elevated")
    m = _VALUE.match(s)
    if not m:
        raise LabError(f"{raw!r} is not a laboratory value; {LAB_RULE}")
    bound = m.group(1) or ""
    return LabValue(float(m.group(2).replace(",", "")), _BOUNDS.get(bound, bound))
