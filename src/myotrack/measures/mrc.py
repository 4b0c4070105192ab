"""Strength sums from per-muscle grades: MRC sum (0-60), MMT-8 (0-80 / 0-150), Kendall 0-40.

Input everywhere: a mapping ``{(muscle, side): grade}`` where muscle is a vocabulary name
(``shoulder_abductors``, ``hip_flexors``, ...) or a limb region of :data:`REGIONS`, side is
``left``, ``right``, ``axial``, ``both`` (each side has the grade) or ``''`` / ``None`` (the
source does not say which side), and the grade is the text as written (``4+``, ``3-``, ``1-2``),
an int 0-5 or a parsed :class:`~myotrack.measures.grades.MrcGrade`. Keys are matched without
regard to case or surrounding spaces; keys of other muscles are ignored (a visit's whole
strength table can be passed). A grade of ``None``, ``''`` or NaN is missing. A sum is ``None``
when any muscle side it needs is missing: a sum is never completed by guessing. The exact sums
read only the grades that name the muscle and its side (``left``, ``right``, ``axial``).

Ranges: :func:`mrc_range`, :func:`mmt8_range` and :func:`kendall40_range` give the lowest and
highest value the grades allow (an ungraded muscle side 0..5, i.e. 0..10 on the Kendall scale),
reading every grade: regions, ``both``, unstated sides and ranges such as ``4-5``. The rules
(several grades for one muscle side, an unstated side) are those of
:mod:`myotrack.measures.strength`.

One implementation: the functions below check and parse the grades and score them with
:func:`myotrack.measures.strength.one_assessment`, the rules that
:func:`~myotrack.measures.strength.strength_scores` gives the criteria engine as an Ibis
expression over a whole cohort (:mod:`myotrack.measures.strength`).

Sources:

- **MRC sum** (Kleyweg RP, van der Meche FGA, Schmitz PIM. Interobserver agreement in the
  assessment of muscle strength and functional abilities in Guillain-Barre syndrome. Muscle
  Nerve 1991;14:1103-9): shoulder abductors, elbow flexors, wrist extensors, hip flexors, knee
  extensors and ankle dorsiflexors, both sides, whole MRC grades 0-5, sum 0-60. Whole grades
  follow :mod:`myotrack.measures.grades` (4+ -> 4, 4- -> 4, 3- -> 2, 1-2 -> 1). Seed 004
  (MRC sum for recovery, relapse and remission) uses this score.
- **MMT-8** (Rider LG et al. Validation of manual muscle testing and a subset of eight muscles
  for adult and juvenile idiopathic inflammatory myopathies. Arthritis Care Res 2010;62:465-72;
  IMACS Form 04, Manual Muscle Testing Scoring Sheet): neck flexors, deltoid (middle),
  biceps brachii, gluteus maximus, gluteus medius, quadriceps, wrist extensors and ankle
  dorsiflexors on the Kendall 0-10 scale. The MMT-8 (0-80) is "tested unilaterally, generally
  on right side (unless cannot be tested on right, then use left side)" (IMACS Form 04):
  :func:`mmt8` takes each muscle from the chosen side (right by default) and from the other side
  only when that muscle has no grade on the chosen side. The bilateral MMT-8 (0-150) counts the
  axial neck flexors once and the seven other muscles on both sides.
- **Kendall 0-40** (seed 002, Mecoli et al., Neurol Neuroimmunol Neuroinflamm 2017;4:e381,
  Methods and Figure legend): "Bilateral arm abductor and hip flexor muscle strength was graded
  using a 0-5 modified Medical Research Council scale and subsequently transformed to the
  10-point Kendall scale and summed together for a score range of 0-40".

Vocabulary names of the MMT-8 muscles: deltoid is ``shoulder_abductors``, biceps is
``elbow_flexors`` and quadriceps is ``knee_extensors``. Neck flexors are graded on the
``axial`` side; a neck flexor grade recorded as right or left is used when no axial grade is
given.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal, overload

from myotrack.measures._numbers import is_column, number
from myotrack.measures.errors import MeasureError
from myotrack.measures.grades import MrcGrade, parse_grade

if TYPE_CHECKING:
    import ibis.expr.types as ir
    import numpy as np
    from numpy.typing import NDArray

#: The six MRC-sum muscle groups (each on both sides).
MRC_SUM_MUSCLES: tuple[str, ...] = (
    "shoulder_abductors",
    "elbow_flexors",
    "wrist_extensors",
    "hip_flexors",
    "knee_extensors",
    "ankle_dorsiflexors",
)
#: The eight MMT-8 muscle groups (IMACS), by vocabulary name.
MMT8_MUSCLES: tuple[str, ...] = (
    "neck_flexors",
    "shoulder_abductors",
    "elbow_flexors",
    "gluteus_maximus",
    "gluteus_medius",
    "knee_extensors",
    "wrist_extensors",
    "ankle_dorsiflexors",
)
#: The two muscle groups of the seed 002 Kendall 0-40 score (each on both sides).
KENDALL40_MUSCLES: tuple[str, ...] = ("shoulder_abductors", "hip_flexors")

#: Limb regions as clinicians grade them ('proximal upper limb 4/5'), each with the muscles it
#: covers. A regional grade bounds each member muscle (each lies in the written grade's range);
#: it never stands for a per-muscle value. Proximal upper limb = shoulder abductors and elbow
#: flexors, proximal lower limb = hip flexors, extensors, abductors and knee extensors, as the
#: MRC-sum and MMT-8 groups are usually assigned; wider regions are unions of these.
_PROXIMAL_UPPER = ("shoulder_abductors", "elbow_flexors", "elbow_extensors")
_DISTAL_UPPER = ("wrist_extensors", "wrist_flexors", "finger_flexors")
_PROXIMAL_LOWER = (
    "hip_flexors",
    "hip_extensors",
    "hip_abductors",
    "hip_adductors",
    "gluteus_maximus",
    "gluteus_medius",
    "knee_extensors",
    "knee_flexors",
)
_DISTAL_LOWER = ("ankle_dorsiflexors", "ankle_plantarflexors")
REGIONS: dict[str, tuple[str, ...]] = {
    "proximal_upper_limb": _PROXIMAL_UPPER,
    "distal_upper_limb": _DISTAL_UPPER,
    "proximal_lower_limb": _PROXIMAL_LOWER,
    "distal_lower_limb": _DISTAL_LOWER,
    "upper_limbs": _PROXIMAL_UPPER + _DISTAL_UPPER,
    "lower_limbs": _PROXIMAL_LOWER + _DISTAL_LOWER,
    "proximal_limbs": _PROXIMAL_UPPER + _PROXIMAL_LOWER,
    "distal_limbs": _DISTAL_UPPER + _DISTAL_LOWER,
    "all_limbs": _PROXIMAL_UPPER + _DISTAL_UPPER + _PROXIMAL_LOWER + _DISTAL_LOWER,
}

SIDES: tuple[str, ...] = ("left", "right")
AXIAL = "axial"

MRC_SUM_MAX = 60
MMT8_MAX = 80
MMT8_BILATERAL_MAX = 150
KENDALL40_MAX = 40

GradeInput = str | int | float | MrcGrade | None
Grades = Mapping[tuple[str, str], GradeInput]


def _missing(value: object) -> bool:
    if value is None:
        return True
    if isinstance(value, str) and not value.strip():
        return True
    return isinstance(value, float) and math.isnan(value)


def _index(grades: Grades) -> dict[tuple[str, str], MrcGrade]:
    """Normalised keys -> parsed grades, for the keys that hold a grade (side '' = unstated)."""
    out: dict[tuple[str, str], MrcGrade] = {}
    for key, value in grades.items():
        try:
            muscle, side = key
        except (TypeError, ValueError) as err:
            raise MeasureError(
                f"grades are keyed by (muscle, side), e.g. ('hip_flexors', 'left'); got {key!r}"
            ) from err
        if _missing(value):
            continue
        norm = (str(muscle).strip().lower(), "" if side is None else str(side).strip().lower())
        grade = parse_grade(value)
        if norm in out and out[norm].canonical != grade.canonical:
            raise MeasureError(
                f"two different grades for {norm[0]} ({norm[1] or 'side not stated'}): "
                f"{out[norm].text!r} and {grade.text!r}; keep one grade per muscle and side"
            )
        out[norm] = grade
    return out


def _scores(grades: Grades, side: str = "right") -> dict[str, int | None]:
    """Every score of one assessment, by :func:`myotrack.measures.strength.one_assessment`."""
    from myotrack.measures.strength import grade_rows, one_assessment  # it imports this module

    return one_assessment(grade_rows(_index(grades)), mmt8_side=side)


@dataclass(frozen=True)
class ScoreRange:
    """The lowest and highest value of a score that the grades allow (both included)."""

    low: int
    high: int

    @property
    def exact(self) -> bool:
        """True when the grades decide the score: low == high."""
        return self.low == self.high

    def __contains__(self, value: object) -> bool:
        return isinstance(value, int | float) and self.low <= value <= self.high

    def summary(self) -> str:
        """'51' when exact, else '48-53'."""
        return str(self.low) if self.exact else f"{self.low}-{self.high}"


def _range(scores: Mapping[str, int | None], name: str) -> ScoreRange:
    low, high = scores[f"{name}_low"], scores[f"{name}_high"]
    assert low is not None and high is not None  # ranges are never null
    return ScoreRange(low, high)


def mrc_sum_partial(grades: Grades) -> tuple[int, int]:
    """(sum of whole grades, number graded) over the 12 MRC-sum muscle sides that have a grade.

    For explaining a missing MRC sum: ``(47, 11)`` means 11 of the 12 were graded.
    """
    s = _scores(grades)
    total, graded = s["mrc_partial"], s["mrc_graded"]
    assert total is not None and graded is not None
    return total, graded


def mrc_sum(grades: Grades) -> int | None:
    """MRC sum score 0-60 (Kleyweg 1991); ``None`` when any of the 12 muscle sides is missing."""
    return _scores(grades)["mrc_sum"]


def mmt8(grades: Grades, side: Literal["right", "left"] = "right") -> int | None:
    """MMT-8 0-80 on the Kendall scale, one side (IMACS: right unless it cannot be tested).

    Each limb muscle is taken from ``side``, or from the other side when it has no grade there;
    ``None`` when a muscle has no grade on either side.
    """
    return _scores(grades, side)["mmt8"]


def mmt8_bilateral(grades: Grades) -> int | None:
    """Bilateral MMT-8 0-150: neck flexors once, the seven limb muscles on both sides."""
    return _scores(grades)["mmt8_bilateral"]


def kendall40(grades: Grades) -> int | None:
    """Seed 002 score 0-40: both deltoids and both hip flexors on the Kendall 0-10 scale."""
    return _scores(grades)["kendall40"]


def mrc_range(grades: Grades) -> ScoreRange:
    """Lowest and highest MRC sum (0-60) the grades allow; exact sums give low == high."""
    return _range(_scores(grades), "mrc")


def mmt8_range(grades: Grades, side: Literal["right", "left"] = "right") -> ScoreRange:
    """Lowest and highest MMT-8 (0-80) the grades allow, each muscle read as :func:`mmt8` does
    (the chosen side, else the other, else a grade whose side is not stated)."""
    return _range(_scores(grades, side), "mmt8")


def kendall40_range(grades: Grades) -> ScoreRange:
    """Lowest and highest seed 002 Kendall 0-40 score the grades allow."""
    return _range(_scores(grades), "kendall40")


@overload
def full_strength(mrc: float) -> bool: ...
@overload
def full_strength(mrc: NDArray[Any]) -> NDArray[np.bool_]: ...
@overload
def full_strength(mrc: ir.NumericValue) -> ir.BooleanValue: ...


def full_strength(mrc: Any) -> Any:
    """Normal strength: an MRC sum of 60 (seed 004: full strength, and a condition of complete
    remission). A sum (checked, 0-60) or a column of sums (NumPy, or Ibis in the criteria
    engine's SQL; not checked, per row)."""
    if is_column(mrc):
        return mrc >= MRC_SUM_MAX
    value = number(mrc, "the MRC sum")
    if not 0 <= value <= MRC_SUM_MAX:
        raise MeasureError(f"an MRC sum is 0-{MRC_SUM_MAX}, not {mrc!r}")
    return value >= MRC_SUM_MAX
