"""MRC grade grammar, whole grades and the Kendall 0-10 scale (myotrack.measures.grades)."""

from __future__ import annotations

import math

import pytest

from myotrack.measures import GradeError, MeasureError, MrcGrade, kendall, parse_grade, whole_grade

# Kendall 0-10 of the IMACS manual muscle testing form (Kendall's table: 2- = 1 ... 5 = 10).
IMACS_KENDALL = {
    "0": 0,
    "2-": 1,
    "2": 2,
    "2+": 3,
    "3-": 4,
    "3": 5,
    "3+": 6,
    "4-": 7,
    "4": 8,
    "4+": 9,
    "5": 10,
}


@pytest.mark.parametrize(("text", "expected"), sorted(IMACS_KENDALL.items()))
def test_kendall_follows_the_imacs_table(text: str, expected: int) -> None:
    assert kendall(text) == expected


@pytest.mark.parametrize("text", ["T", "t", "trace", "Trace", "1", "1+", "1-"])
def test_trace_and_grade_1_score_kendall_1(text: str) -> None:
    assert kendall(text) == 1


def test_5_minus_scores_like_4_plus() -> None:
    assert kendall("5-") == kendall("4+") == 9


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("5", 5),
        ("4+", 4),
        ("4", 4),
        ("4-", 4),  # MRC memorandum: 4-, 4 and 4+ are subdivisions of grade 4
        ("5-", 4),
        ("3+", 3),
        ("3-", 2),
        ("2+", 2),
        ("2-", 1),
        ("1", 1),
        ("1-", 0),
        ("T", 1),
        ("0", 0),
        ("1-2", 1),
        ("1–2/5", 1),
        ("3-4", 3),
    ],
)
def test_whole_grade_rule(text: str, expected: int) -> None:
    assert whole_grade(text) == expected


@pytest.mark.parametrize(
    ("text", "grade", "modifier", "upper"),
    [
        ("4+/5", 4, "+", None),
        (" 4 + ", 4, "+", None),
        ("3 –", 3, "-", None),  # seed 003 writes 3- as "3 –"
        ("3\u2212", 3, "-", None),  # Unicode minus
        ("4\u2014", 4, "-", None),  # em dash
        ("1–2/5", 1, "", 2),  # seed 002 Tables 2-3
        ("1 - 2", 1, "", 2),
        ("0/5", 0, "", None),
        ("5/5", 5, "", None),
        (5, 5, "", None),
        (4.0, 4, "", None),
    ],
)
def test_parse_forms_seen_in_papers(
    text: object, grade: int, modifier: str, upper: int | None
) -> None:
    g = parse_grade(text)
    assert (g.grade, g.modifier, g.upper) == (grade, modifier, upper)


def test_text_is_kept_as_written() -> None:
    assert parse_grade(" 4+/5 ").text == "4+/5"
    assert parse_grade("1–2").text == "1–2"


@pytest.mark.parametrize(
    "bad",
    [
        "6",
        "5+",
        "0+",
        "0-",
        "4++",
        "2-1",
        "3-3",
        "",
        "  ",
        "x",
        "41",
        "4.5",
        4.5,
        -1,
        6,
        True,
        None,
        math.nan,
        "4+/10",
    ],
)
def test_rejects_non_grades_with_the_rule(bad: object) -> None:
    with pytest.raises(GradeError) as err:
        parse_grade(bad)
    assert "MRC grade" in str(err.value)


def test_grade_error_is_a_measure_error_and_a_value_error() -> None:
    assert issubclass(GradeError, MeasureError)
    assert issubclass(GradeError, ValueError)


def test_value_places_modifiers_and_ranges_on_the_0_5_line() -> None:
    assert parse_grade("4-").value == pytest.approx(11 / 3)
    assert parse_grade("4+").value == pytest.approx(13 / 3)
    assert parse_grade("1-2").value == 1.5
    assert parse_grade("5").value == 5.0


def test_canonical_spelling() -> None:
    assert parse_grade(" 4 + /5").canonical == "4+"
    assert parse_grade("1–2/5").canonical == "1-2"
    assert parse_grade("T").canonical == "1"


def test_parse_accepts_a_parsed_grade() -> None:
    g = parse_grade("3+")
    assert parse_grade(g) is g
    assert isinstance(g, MrcGrade)


def test_grades_are_frozen() -> None:
    g = parse_grade("3")
    with pytest.raises(AttributeError):
        g.grade = 4  # type: ignore[misc]


# --- bounds of a grade ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "low", "high", "kendall_low", "kendall_high"),
    [
        ("4", 4, 4, 8, 8),
        ("4+", 4, 4, 9, 9),
        ("3-", 2, 2, 4, 4),
        ("T", 1, 1, 1, 1),
        ("4-5", 4, 5, 8, 10),  # 'all limbs 4-5/5'
        ("1–2", 1, 2, 1, 2),  # seed 002 Tables 2-3
        ("2-4", 2, 4, 2, 8),
    ],
)
def test_a_grade_bounds_both_scales(
    text: str, low: int, high: int, kendall_low: int, kendall_high: int
) -> None:
    g = parse_grade(text)
    assert (g.low, g.high, g.kendall_low, g.kendall_high) == (low, high, kendall_low, kendall_high)
    assert g.kendall_low == g.kendall  # the Kendall value of a range is its lower end's


def test_upper_bounds_parse_only_modified_grades_and_ranges() -> None:
    """upper_bounds reads the reader's whole, kendall and value columns; a missing grade is NaN."""
    from myotrack.measures.grades import upper_bounds

    texts = ["5", "4+", "1-2", "3-5", None, "4"]
    parsed = [parse_grade(t) if t else None for t in texts]
    whole = [g.whole if g else math.nan for g in parsed]
    ken = [g.kendall if g else math.nan for g in parsed]
    value = [g.value if g else math.nan for g in parsed]
    high, kendall_high = upper_bounds(texts, whole, ken, value)
    assert high[:4].tolist() == [5, 4, 2, 5] and high[5] == 4 and math.isnan(high[4])
    assert kendall_high[:4].tolist() == [10, 9, 2, 10] and math.isnan(kendall_high[4])
