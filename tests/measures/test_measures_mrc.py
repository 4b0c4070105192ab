"""MRC sum, MMT-8 and the Kendall 0-40 score (myotrack.measures.mrc), with seed cases."""

from __future__ import annotations

import copy
import math

import pytest

from myotrack.measures import (
    MMT8_MUSCLES,
    MRC_SUM_MUSCLES,
    MeasureError,
    kendall40,
    mmt8,
    mmt8_bilateral,
    mrc_sum,
    mrc_sum_partial,
    parse_grade,
    whole_grade,
)
from myotrack.measures.mrc import KENDALL40_MUSCLES
from myotrack.tables import vocab


def both(muscle: str, grade: object) -> dict[tuple[str, str], object]:
    return {(muscle, "left"): grade, (muscle, "right"): grade}


def full_mrc(grade: object = "5") -> dict[tuple[str, str], object]:
    out: dict[tuple[str, str], object] = {}
    for m in MRC_SUM_MUSCLES:
        out.update(both(m, grade))
    return out


def full_mmt8(grade: object = "5") -> dict[tuple[str, str], object]:
    out: dict[tuple[str, str], object] = {("neck_flexors", "axial"): grade}
    for m in MMT8_MUSCLES[1:]:
        out.update(both(m, grade))
    return out


def test_muscle_tuples_equal_the_vocabulary() -> None:
    assert MRC_SUM_MUSCLES == vocab.MRC_SUM_MUSCLES
    assert MMT8_MUSCLES == vocab.MMT8_MUSCLES
    assert set(KENDALL40_MUSCLES) <= set(vocab.MUSCLES)


# --- seed 000 ----------------------------------------------------------------------------


def test_seed_000_mrc_sum_at_age_37() -> None:
    """Seed 000 (Perera et al., Can J Neurol Sci 2025;52:331), case paragraph 4, at age 37 on
    plasma exchange: "4+ bilateral shoulder abduction, 4+ right and 5 left elbow flexion and
    2 hip flexion (unchanged), with normal strength in other muscle groups".

    Whole grades (4+ -> 4): shoulders 4 + 4, elbows 4 + 5, wrists 5 + 5, hips 2 + 2,
    knees 5 + 5, ankles 5 + 5 = 51.
    """
    grades = full_mrc("5")  # "normal strength in other muscle groups"
    grades.update(both("shoulder_abductors", "4+"))
    grades[("elbow_flexors", "right")] = "4+"
    grades[("elbow_flexors", "left")] = "5"
    grades.update(both("hip_flexors", "2"))
    grades[("neck_flexors", "axial")] = "4+"  # reported, not part of the MRC sum
    assert mrc_sum(grades) == 51
    assert mrc_sum_partial(grades) == (51, 12)


def test_seed_000_three_months_after_transplant_is_not_a_full_sum() -> None:
    """Seed 000, paragraph 5: at 3 months "4- neck flexion, 4- shoulder abduction, 4- elbow
    flexion and 4 elbow extension"; wrist, hip, knee and ankle grades are not given, so the MRC
    sum is unknown, not guessed."""
    grades = {("neck_flexors", "axial"): "4-", ("elbow_extensors", "left"): "4"}
    grades.update(both("shoulder_abductors", "4-"))
    grades.update(both("elbow_flexors", "4-"))
    assert mrc_sum(grades) is None
    assert mrc_sum_partial(grades) == (16, 4)  # 4- counts as grade 4


# --- seed 002 ----------------------------------------------------------------------------

#: The seed's OCR renders the journal's '+' as '1' and '-' as '2' after a grade ("41/5" is 4+,
#: "42/5" is 4-, "31/5" is 3+); '1–2/5' is a range.
OCR = {"41/5": "4+/5", "42/5": "4-/5", "31/5": "3+/5"}

#: Seed 002 (Mecoli et al., Neurol Neuroimmunol Neuroinflamm 2017;4:e381), Table 2 ("before
#: therapy") and Table 3 ("at last visit"): deltoid and hip flexor strength (the weaker side),
#: as printed in the seed text.
SEED_002 = {
    1: {"before": ("3/5", "3/5"), "after": ("41/5", "5/5")},
    2: {"before": ("42/5", "2/5"), "after": ("41/5", "41/5")},
    3: {"before": ("31/5", "2/5"), "after": ("42/5", "2/5")},
    4: {"before": ("41/5", "2/5"), "after": ("5/5", "3/5")},
    5: {"before": ("1–2/5", "1–2/5"), "after": ("1–2/5", "1–2/5")},
}


def seed_002_grades(patient: int, when: str) -> dict[tuple[str, str], object]:
    deltoid, hip = (OCR.get(t, t) for t in SEED_002[patient][when])
    return {**both("shoulder_abductors", deltoid), **both("hip_flexors", hip)}


@pytest.mark.parametrize(
    ("patient", "deltoid_before", "deltoid_after", "hip_before", "hip_after"),
    [
        (1, 5, 9, 5, 10),  # 3 -> 4+, 3 -> 5
        (2, 7, 9, 2, 9),  # 4- -> 4+, 2 -> 4+
        (3, 6, 7, 2, 2),  # 3+ -> 4-, 2 -> 2
        (4, 9, 10, 2, 5),  # 4+ -> 5, 2 -> 3
        (5, 1, 1, 1, 1),  # 1-2 -> 1-2 (lower bound 1, Kendall 1)
    ],
)
def test_seed_002_kendall_values(
    patient: int, deltoid_before: int, deltoid_after: int, hip_before: int, hip_after: int
) -> None:
    """Seed 002, Methods: grades "transformed to the 10-point Kendall scale and summed together
    for a score range of 0-40" (Figure legend: deltoids and hip flexors, 4 muscles). The tables
    give the weaker side, so the 0-40 score here uses it for both sides."""
    for when, deltoid, hip in (
        ("before", deltoid_before, hip_before),
        ("after", deltoid_after, hip_after),
    ):
        g = seed_002_grades(patient, when)
        assert parse_grade(g[("shoulder_abductors", "left")]).kendall == deltoid
        assert parse_grade(g[("hip_flexors", "left")]).kendall == hip
        assert kendall40(g) == 2 * deltoid + 2 * hip


def test_seed_002_patient_1_kendall40_rises_from_20_to_38() -> None:
    """Seed 002 patient 1: deltoid 3 -> 4+ (Kendall 5 -> 9), hip flexors 3 -> 5 (5 -> 10)."""
    assert kendall40(seed_002_grades(1, "before")) == 20
    assert kendall40(seed_002_grades(1, "after")) == 38


def test_seed_002_two_grade_gain_separates_definite_responders() -> None:
    """Seed 002, Methods: a definite responder "improved by at least 2 grades in either the upper
    or lower extremities" (and tapered prednisone below 10 mg/d). Whole-grade gains from Tables
    2-3: patients 1 and 2 (definite responders) gain 2 grades at the hip; patients 3-5
    (nonresponders) gain at most 1 anywhere."""

    def gain(patient: int, column: int) -> int:
        before = OCR.get(SEED_002[patient]["before"][column], SEED_002[patient]["before"][column])
        after = OCR.get(SEED_002[patient]["after"][column], SEED_002[patient]["after"][column])
        return whole_grade(after) - whole_grade(before)

    best = {p: max(gain(p, 0), gain(p, 1)) for p in SEED_002}
    assert best == {1: 2, 2: 2, 3: 1, 4: 1, 5: 0}


# --- MRC sum -----------------------------------------------------------------------------


def test_mrc_sum_full_strength_is_60_and_none_is_0() -> None:
    assert mrc_sum(full_mrc("5")) == 60
    assert mrc_sum(full_mrc("0")) == 0


@pytest.mark.parametrize("missing", [None, "", "  ", math.nan])
def test_mrc_sum_is_none_when_one_side_is_missing(missing: object) -> None:
    grades = full_mrc("4")
    grades[("ankle_dorsiflexors", "left")] = missing
    assert mrc_sum(grades) is None
    assert mrc_sum_partial(grades) == (44, 11)
    del grades[("ankle_dorsiflexors", "left")]
    assert mrc_sum(grades) is None


def test_mrc_sum_ignores_other_muscles_and_accepts_parsed_grades_and_ints() -> None:
    grades: dict[tuple[str, str], object] = full_mrc(5)
    grades[("hip_flexors", "left")] = parse_grade("3+")
    grades[("neck_flexors", "axial")] = "2"
    grades[("gluteus_medius", "right")] = "1"
    assert mrc_sum(grades) == 58


def test_mrc_sum_keys_ignore_case_and_spaces() -> None:
    grades = {(m.upper(), f" {s.title()} "): g for (m, s), g in full_mrc("4").items()}
    assert mrc_sum(grades) == 48


def test_mrc_sum_uses_whole_grades_and_range_lower_bounds() -> None:
    grades = full_mrc("5")
    grades.update(both("hip_flexors", "1-2"))  # 1 + 1
    grades.update(both("knee_extensors", "3-"))  # 2 + 2
    grades.update(both("shoulder_abductors", "4-"))  # 4 + 4
    assert mrc_sum(grades) == 60 - 8 - 6 - 2


def test_conflicting_duplicate_grades_are_an_error() -> None:
    grades: dict[tuple[str, str], object] = full_mrc("5")
    grades[("HIP_FLEXORS", "left")] = "4"
    with pytest.raises(MeasureError, match="two different grades for hip_flexors"):
        mrc_sum(grades)
    grades[("HIP_FLEXORS", "left")] = "5/5"  # the same grade written twice is fine
    assert mrc_sum(grades) == 60


def test_bad_grade_or_key_is_an_error() -> None:
    grades: dict[object, object] = dict(full_mrc("5"))
    grades[("hip_flexors", "left")] = "6"
    with pytest.raises(MeasureError):
        mrc_sum(grades)  # type: ignore[arg-type]
    with pytest.raises(MeasureError, match=r"\(muscle, side\)"):
        mrc_sum({"hip_flexors": "5"})  # type: ignore[dict-item]


def test_inputs_are_not_mutated() -> None:
    grades = full_mmt8("4+")
    grades.update(full_mrc("3-"))
    before = copy.deepcopy(grades)
    mrc_sum(grades)
    mrc_sum_partial(grades)
    mmt8(grades)
    mmt8_bilateral(grades)
    kendall40(grades)
    assert grades == before


# --- MMT-8 -------------------------------------------------------------------------------


def test_mmt8_full_strength_is_80_and_bilateral_150() -> None:
    assert mmt8(full_mmt8("5")) == 80
    assert mmt8_bilateral(full_mmt8("5")) == 150
    assert mmt8(full_mmt8("0")) == 0


def test_mmt8_uses_the_right_side_by_default() -> None:
    grades = full_mmt8("5")
    grades[("knee_extensors", "left")] = "3"  # Kendall 5
    grades[("elbow_flexors", "right")] = "4"  # Kendall 8
    assert mmt8(grades) == 78
    assert mmt8(grades, side="left") == 75
    assert mmt8_bilateral(grades) == 150 - 5 - 2


def test_mmt8_falls_back_to_the_other_side_for_a_muscle_not_tested() -> None:
    """IMACS Form 04: "generally on right side (unless cannot be tested on right, then use left
    side)"."""
    grades = full_mmt8("5")
    del grades[("gluteus_medius", "right")]
    grades[("gluteus_medius", "left")] = "3+"  # Kendall 6
    assert mmt8(grades) == 76
    assert mmt8_bilateral(grades) is None
    del grades[("gluteus_medius", "left")]
    assert mmt8(grades) is None


def test_mmt8_neck_flexors_are_axial_and_counted_once() -> None:
    grades = full_mmt8("5")
    del grades[("neck_flexors", "axial")]
    assert mmt8(grades) is None
    assert mmt8_bilateral(grades) is None
    grades[("neck_flexors", "right")] = "4"  # a neck grade recorded on a side is used
    assert mmt8(grades) == 78
    assert mmt8_bilateral(grades) == 148


def test_mmt8_side_must_be_right_or_left() -> None:
    with pytest.raises(MeasureError, match="'right' or 'left'"):
        mmt8(full_mmt8(), side="axial")  # type: ignore[arg-type]


def test_seed_003_grades_on_the_kendall_scale() -> None:
    """Seed 003 (Pinheiro et al., Reumatologia 2022), case paragraph: "3 – in neck flexors,
    deltoid, and biceps, 3 – in wrist extensors ..., 2 – in iliopsoas, and 3 – in quadriceps"
    (3 – is 3-, Kendall 4; 2 – is 2-, Kendall 1). Gluteal and ankle grades are not given, so
    the MMT-8 is unknown."""
    grades = {("neck_flexors", "axial"): "3 –"}
    for m in ("shoulder_abductors", "elbow_flexors", "wrist_extensors", "knee_extensors"):
        grades.update(both(m, "3 –"))
    grades.update(both("hip_flexors", "2 –"))
    assert {parse_grade(g).kendall for g in grades.values()} == {4, 1}
    assert mmt8(grades) is None
    assert kendall40(grades) == 4 + 4 + 1 + 1


# --- Kendall 0-40 ------------------------------------------------------------------------


def test_kendall40_bounds_and_missing() -> None:
    full = {**both("shoulder_abductors", "5"), **both("hip_flexors", "5")}
    assert kendall40(full) == 40
    assert kendall40({k: "0" for k in full}) == 0
    del full[("hip_flexors", "right")]
    assert kendall40(full) is None
