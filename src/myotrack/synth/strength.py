"""Per-muscle grades of a synthetic cohort: deltoids and hip flexors around an escalation.

002 graded both arm abductors (deltoids) and hip flexors before and after an escalation
therapy (Tables 2-3), and its 'definite response' rule reads those grades. The generator
writes them for escalated patients at the last visit at or before the escalation and at the
last visit, as whole MRC grades consistent with the visit's MRC sum: the weakness of the MRC
sum (60 - sum) is shared with hip flexors weaker than arm abductors (004 Table 1: lower limb
predominant in 8 of 17, upper in 1), each side varying a little.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from myotrack.measures.grades import parse_grade
from myotrack.synth.course import Course, Schedule
from myotrack.synth.frames import Block, block, stack
from myotrack.synth.patients import Baseline, FloatArray

COLUMNS = ("patient_id", "day", "muscle", "side", "grade")
#: Share of the MRC-sum weakness carried by each graded muscle on one side (assumption:
#: proximal and lower-limb predominant weakness; 004 Table 1).
SHARE = {"shoulder_abductors": 0.10, "hip_flexors": 0.15}
SIDES = ("left", "right")
#: How many visits (from the first) may precede an escalation: escalation day <= 120 + 14.
_SEARCH = 6


def _grade_text() -> NDArray[np.object_]:
    return np.array([str(g) for g in range(6)], dtype=object)


def strength_frame(
    rng: np.random.Generator,
    base: Baseline,
    course: Course,
    sched: Schedule,
    mrc_sum: FloatArray,
) -> pd.DataFrame:
    who = np.flatnonzero(course.escalated)
    ks = np.arange(_SEARCH)
    days = sched.t[sched.start[who, None] + ks[None, :]]
    k_pre = (days <= course.esc_day[who, None]).sum(axis=1) - 1  # >= 0: visit 0 is day 0
    k_last = sched.n_visits[who] - 1
    texts = _grade_text()
    n = base.n
    blocks: list[Block] = []
    factors = {(m, s): rng.uniform(0.9, 1.1, n) for m in SHARE for s in SIDES}
    for k in (k_pre, k_last):
        rows = sched.start[who] + k
        weakness = np.zeros(n)
        weakness[who] = 60.0 - mrc_sum[rows]
        day = np.zeros(n)
        day[who] = sched.t[rows] + base.delay[who]
        for muscle, share in SHARE.items():
            for side in SIDES:
                loss = np.round(share * weakness * factors[(muscle, side)])
                grade = np.clip(5 - loss, 0, 5).astype(np.int64)
                blocks.append(
                    block(
                        who,
                        patient_id=base.ids,
                        day=day,
                        muscle=muscle,
                        side=side,
                        grade=texts[grade],
                    )
                )
    return stack(blocks, COLUMNS, order="day")


def derived_grades(grades: pd.Series) -> dict[str, NDArray[np.generic] | pd.arrays.IntegerArray]:
    """The derived grade columns of whole-grade texts, as the reader adds them."""
    parsed = {g: parse_grade(g) for g in pd.unique(grades)}
    text = grades.to_numpy(dtype=object)
    n = len(text)

    def column(attr: str) -> NDArray[np.float64]:
        lookup = {g: float(getattr(v, attr)) for g, v in parsed.items()}
        return np.array([lookup[g] for g in text], dtype=np.float64) if n else np.zeros(0)

    def integers(attr: str) -> pd.arrays.IntegerArray:
        return pd.arrays.IntegerArray(column(attr).astype(np.int64), np.zeros(n, dtype=bool))

    return {
        "grade_whole": integers("whole"),
        "grade_kendall": integers("kendall"),
        "grade_value": column("value"),
        "grade_low": integers("low"),
        "grade_high": integers("high"),
    }
