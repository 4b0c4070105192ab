"""Manual muscle testing grades as papers write them: ``5``, ``4+``, ``3-``, ``1-2``, ``T``.

Grammar: a whole grade 0-5, optionally followed by ``+`` or ``-`` (also the Unicode minus, the
en dash and the em dash, as in seed 003's "3 –"), or a range of two whole grades ``a-b``
(``1-2``, ``1–2`` as in seed 002 Tables 2-3), or ``T``/``trace``. A trailing ``/5`` is accepted
(``4+/5``). ``0+``, ``0-`` and ``5+`` do not exist and are rejected.

Sources: the MRC scale 0-5 (Medical Research Council, *Aids to the examination of the
peripheral nervous system*, Memorandum 45, 1976: 0 no contraction, 1 flicker or trace of
contraction, 2 active movement with gravity eliminated, 3 against gravity, 4 against gravity
and resistance, 5 normal power; "grades 4-, 4 and 4+ may be used to indicate movement against
slight, moderate and strong resistance"), and the Kendall 0-10 scale of the IMACS manual muscle
testing form (Kendall FP et al., *Muscles: testing and function*; IMACS Form 04).

Scores derived from a grade:

- ``whole``: the whole MRC grade used by whole-grade scores (MRC sum, Kleyweg et al., Muscle
  Nerve 1991; "grades improved", seed 002). A modified grade counts as the whole grade whose
  MRC definition it still meets:

  * ``+`` is dropped (4+ -> 4, 3+ -> 3): a plus grade meets its own grade's definition.
  * ``4-`` is 4: the MRC memorandum defines 4-, 4 and 4+ as subdivisions of grade 4
    (movement against slight, moderate and strong resistance).
  * any other ``-`` drops to the grade below, because the grade's definition is not met:
    5- is weaker than normal (4), 3- moves against gravity through part of the range only (2),
    2- moves through part of the range with gravity eliminated (1), 1- is less than a flicker
    (0).

  So a single grade's ``whole`` is never above the number written and never below the whole
  part of its ``value``. A range counts as its lower bound (1-2 -> 1): the stronger grade was
  not established.
- ``kendall``: the Kendall 0-10 value of the IMACS form: 0 -> 0, 2- -> 1, 2 -> 2, 2+ -> 3,
  3- -> 4, 3 -> 5, 3+ -> 6, 4- -> 7, 4 -> 8, 4+ -> 9, 5 -> 10. Kendall writes trace (MRC 1) as
  'T' without a number; myotrack scores T, 1, 1+ and 1- as 1 (a contraction was seen, which is
  more than none and not more than movement through part of the range, Kendall 1). ``5-``
  scores 9 like 4+ (both mean 'slightly below normal'). A range scores its lower bound.
- ``value``: a number on a finer 0-5 line for plotting (4- = 3.67, 4+ = 4.33, 1-2 = 1.5).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

from myotrack.measures.errors import MeasureError

_KENDALL = {
    (0, ""): 0,
    (1, ""): 1,
    (1, "+"): 1,
    (1, "-"): 1,
    (2, "-"): 1,
    (2, ""): 2,
    (2, "+"): 3,
    (3, "-"): 4,
    (3, ""): 5,
    (3, "+"): 6,
    (4, "-"): 7,
    (4, ""): 8,
    (4, "+"): 9,
    (5, "-"): 9,
    (5, ""): 10,
}
#: Grades whose minus form still meets the whole grade's MRC definition (4-: slight resistance).
_MINUS_KEEPS_GRADE = frozenset({4})
_DASHES = "\u2212\u2013\u2014"
_SINGLE = re.compile(r"^([0-5])\s*([+-]?)$")
_RANGE = re.compile(r"^([0-5])\s*-\s*([0-5])$")


class GradeError(MeasureError):
    """A text that is not an MRC grade; the message says what is allowed."""


@dataclass(frozen=True)
class MrcGrade:
    """One parsed grade. ``text`` is kept as written."""

    text: str
    grade: int
    modifier: str  # '', '+', '-'
    upper: int | None = None  # the upper bound of a range such as 1-2

    @property
    def whole(self) -> int:
        """Whole MRC grade 0-5 (see the module docstring for the rule)."""
        if self.modifier == "-" and self.grade not in _MINUS_KEEPS_GRADE:
            return max(self.grade - 1, 0)
        return self.grade

    @property
    def low(self) -> int:
        """Lowest whole grade the text allows: the whole grade, or a range's lower end."""
        return self.whole

    @property
    def high(self) -> int:
        """Highest whole grade the text allows: the whole grade, or a range's upper end."""
        return self.upper if self.upper is not None else self.whole

    @property
    def kendall(self) -> int:
        """Kendall 0-10 value (IMACS manual muscle testing form)."""
        return _KENDALL[(self.grade, self.modifier)]

    @property
    def kendall_low(self) -> int:
        """Lowest Kendall value the text allows: :attr:`kendall` (a range's lower end)."""
        return self.kendall

    @property
    def kendall_high(self) -> int:
        """Highest Kendall value the text allows: :attr:`kendall`, or a range's upper end."""
        return _KENDALL[(self.upper, "")] if self.upper is not None else self.kendall

    @property
    def value(self) -> float:
        """A number on the 0-5 line for plotting: 4- = 3.67, 4+ = 4.33, 1-2 = 1.5."""
        if self.upper is not None:
            return (self.grade + self.upper) / 2
        return self.grade + {"": 0.0, "+": 1 / 3, "-": -1 / 3}[self.modifier]

    @property
    def canonical(self) -> str:
        """The grade written the standard way: ``4+``, ``3-``, ``1-2``, ``5``."""
        if self.upper is not None:
            return f"{self.grade}-{self.upper}"
        return f"{self.grade}{self.modifier}"


GRADE_RULE = (
    "an MRC grade is 0-5 with an optional + or - (e.g. 4+, 3-), a range like 1-2, or T for trace"
)


def parse_grade(text: object) -> MrcGrade:
    """Parse a grade as written; raise GradeError naming the rule when it is not one."""
    if isinstance(text, MrcGrade):
        return text
    if isinstance(text, bool) or text is None:
        raise GradeError(GRADE_RULE)
    if isinstance(text, int | float):
        if float(text).is_integer() and 0 <= text <= 5:
            return MrcGrade(str(int(text)), int(text), "")
        raise GradeError(f"{text!r} is not a grade; {GRADE_RULE}")
    raw = str(text)
    s = raw.strip()
    for d in _DASHES:
        s = s.replace(d, "-")
    if s.endswith("/5"):
        s = s[:-2].strip()
    if s.lower() in ("t", "trace"):
        return MrcGrade(raw.strip(), 1, "")
    m = _RANGE.match(s)
    if m:
        low, high = int(m.group(1)), int(m.group(2))
        if low >= high:
            raise GradeError(
                f"{raw.strip()!r}: a grade range goes from the lower to the higher grade "
                f"(e.g. 1-2); {GRADE_RULE}"
            )
        return MrcGrade(raw.strip(), low, "", upper=high)
    m = _SINGLE.match(s)
    if m:
        g, mod = int(m.group(1)), m.group(2)
        if (g, mod) not in _KENDALL:
            raise GradeError(f"grade {g}{mod} does not exist; {GRADE_RULE}")
        return MrcGrade(raw.strip(), g, mod)
    raise GradeError(f"{raw.strip()!r} is not a grade; {GRADE_RULE}")


def kendall(text: object) -> int:
    """Kendall 0-10 value of an MRC grade as written."""
    return parse_grade(text).kendall


def whole_grade(text: object) -> int:
    """Whole MRC grade (see the module docstring) of a grade as written."""
    return parse_grade(text).whole


def upper_bounds(
    text: Sequence[object] | NDArray[np.object_],
    whole: ArrayLike,
    kendall: ArrayLike,
    value: ArrayLike,
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Per row, the highest whole grade and Kendall value its text allows (:attr:`MrcGrade.high`,
    :attr:`MrcGrade.kendall_high`), as float arrays, NaN where ``whole`` is missing.

    For tables whose rows already carry ``whole``, ``kendall`` and ``value`` of their grade (the
    reader adds them): a text whose ``value`` equals its ``whole`` grade is a grade without a
    modifier, and its highs are ``whole`` and ``kendall``; only the other texts (a modifier or a
    range, ``value`` between two whole numbers) are parsed, each distinct text once. A text that
    is not a grade gets NaN.
    """
    low = np.asarray(whole, dtype=np.float64)
    high = low.copy()
    kendall_high = np.asarray(kendall, dtype=np.float64).copy()
    with np.errstate(invalid="ignore"):
        rows = np.flatnonzero(~np.isnan(low) & (np.asarray(value, dtype=np.float64) != low))
    if rows.size:
        texts = np.asarray(text, dtype=object)[rows]
        bounds: dict[object, tuple[float, float]] = {}
        for t in set(texts.tolist()):
            try:
                g = parse_grade(t)
                bounds[t] = (float(g.high), float(g.kendall_high))
            except MeasureError:
                bounds[t] = (np.nan, np.nan)
        high[rows] = [bounds[t][0] for t in texts]
        kendall_high[rows] = [bounds[t][1] for t in texts]
    return high, kendall_high
