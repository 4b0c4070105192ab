"""Property tests: bounds, monotonicity and round trips of the scores (synthetic data)."""

from __future__ import annotations

import ast
import dataclasses
import itertools
import math
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

import myotrack.measures as measures
from myotrack.measures import (
    MEASURES,
    MMT8_MUSCLES,
    MRC_SUM_MUSCLES,
    CoreSet,
    imacs_doi,
    kendall,
    kendall40,
    mmt8,
    mmt8_bilateral,
    mrc_sum,
    parse_grade,
    total_improvement_score,
)
from myotrack.measures.mrc import KENDALL40_MUSCLES

#: Derandomized so a run is repeatable; no deadline (the machine is shared).
PROPERTY = settings(derandomize=True, max_examples=200, deadline=None)

#: Grades without ranges, weakest first (by their place on the 0-5 line).
ORDERED = ["0", "1-", "1", "1+", "2-", "2", "2+", "3-", "3", "3+", "4-", "4", "4+", "5-", "5"]
RANGES = [f"{a}-{b}" for a in range(6) for b in range(a + 1, 6)]

KEYS = sorted(
    {
        (m, s)
        for m in (*MRC_SUM_MUSCLES, *MMT8_MUSCLES[1:], *KENDALL40_MUSCLES)
        for s in ("left", "right")
    }
    | {("neck_flexors", "axial")}
)

grade_index = st.integers(min_value=0, max_value=len(ORDERED) - 1)
full_grades = st.fixed_dictionaries({k: grade_index for k in KEYS})


def as_text(indexes: dict[tuple[str, str], int]) -> dict[tuple[str, str], str]:
    return {k: ORDERED[i] for k, i in indexes.items()}


def test_ordered_grades_rise_on_every_scale() -> None:
    parsed = [parse_grade(g) for g in ORDERED]
    assert [g.value for g in parsed] == sorted(g.value for g in parsed)
    for low, high in itertools.pairwise(parsed):
        assert low.whole <= high.whole
        assert low.kendall <= high.kendall


@PROPERTY
@given(st.sampled_from(ORDERED + RANGES + ["T", "trace"]))
def test_single_grade_bounds(text: str) -> None:
    g = parse_grade(text)
    assert 0 <= g.kendall <= 10
    assert 0 <= g.whole <= 5
    assert 0 <= g.value <= 5
    if g.upper is None:  # never above the grade written, never below the grade of its value
        assert math.floor(g.value) <= g.whole <= g.grade
    else:  # a range counts as its lower bound
        assert g.whole == g.grade


@PROPERTY
@given(
    st.sampled_from(ORDERED + RANGES),
    st.sampled_from(["", " ", "  "]),
    st.sampled_from(["", "/5", " /5"]),
    st.sampled_from(["-", "\u2212", "\u2013", "\u2014"]),
)
def test_parse_round_trip(text: str, pad: str, suffix: str, dash: str) -> None:
    """Any way a paper writes a grade parses to the grade its canonical spelling parses to."""
    g = parse_grade(text)
    written = pad + text.replace("-", dash) + suffix + pad
    again = parse_grade(written)
    assert (again.grade, again.modifier, again.upper) == (g.grade, g.modifier, g.upper)
    assert parse_grade(again.canonical).canonical == again.canonical == g.canonical
    assert again.text == written.strip()


@PROPERTY
@given(full_grades)
def test_sum_bounds(indexes: dict[tuple[str, str], int]) -> None:
    grades = as_text(indexes)
    for score, top in ((mrc_sum, 60), (mmt8, 80), (mmt8_bilateral, 150), (kendall40, 40)):
        value = score(grades)
        assert value is not None
        assert 0 <= value <= top


@PROPERTY
@given(full_grades, st.sampled_from(KEYS), st.integers(min_value=0, max_value=len(ORDERED) - 1))
def test_raising_a_grade_never_lowers_a_sum(
    indexes: dict[tuple[str, str], int], key: tuple[str, str], step: int
) -> None:
    before = as_text(indexes)
    raised = dict(indexes)
    raised[key] = min(indexes[key] + step, len(ORDERED) - 1)
    after = as_text(raised)
    for score in (mrc_sum, mmt8, mmt8_bilateral, kendall40):
        assert score(after) >= score(before)  # type: ignore[operator]
    assert kendall(after[key]) >= kendall(before[key])


vas = st.decimals(min_value=0, max_value=10, places=2).map(float)
core_sets = st.builds(
    CoreSet,
    physician_global=vas,
    patient_global=vas,
    mmt8=st.decimals(min_value=0, max_value=80, places=1).map(float),
    haq=st.decimals(min_value=0, max_value=3, places=3).map(float),
    enzyme=st.decimals(min_value=1, max_value=50000, places=0).map(float),
    extramuscular_global=vas,
)


@PROPERTY
@given(core_sets, core_sets)
def test_tis_bounds(baseline: CoreSet, follow_up: CoreSet) -> None:
    result = total_improvement_score(baseline, follow_up)
    assert result.score is not None
    assert 0 <= result.score <= 100
    assert result.score == sum(result.points_by_measure.values())


def better(measure: str, value: float, amount: float) -> float:
    """A follow-up value ``amount`` (0-1 of the room left) better than ``value``."""
    if measure == "mmt8":
        return value + (80 - value) * amount
    if measure == "enzyme":
        return max(value * (1 - amount), 0.0)
    return value * (1 - amount)


@PROPERTY
@given(core_sets, core_sets, st.sampled_from(MEASURES), st.floats(min_value=0, max_value=1))
def test_more_improvement_never_lowers_tis(
    baseline: CoreSet, follow_up: CoreSet, measure: str, amount: float
) -> None:
    value = getattr(follow_up, measure)
    improved = dataclasses.replace(follow_up, **{measure: better(measure, value, amount)})
    before = total_improvement_score(baseline, follow_up).score
    after = total_improvement_score(baseline, improved).score
    assert after is not None and before is not None
    assert after >= before


@PROPERTY
@given(core_sets, core_sets, st.sampled_from(MEASURES), st.floats(min_value=0, max_value=1))
def test_more_improvement_never_undoes_imacs_doi(
    baseline: CoreSet, follow_up: CoreSet, measure: str, amount: float
) -> None:
    value = getattr(follow_up, measure)
    improved = dataclasses.replace(follow_up, **{measure: better(measure, value, amount)})
    if imacs_doi(baseline, follow_up).met:
        assert imacs_doi(baseline, improved).met


def test_measures_imports_nothing_else_of_myotrack() -> None:
    """ARCHITECTURE.md: measures depends on nothing of ours."""
    package = Path(measures.__file__).parent
    for path in package.glob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            names: list[str] = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            for name in names:
                if name.split(".")[0] == "myotrack":
                    assert name.startswith("myotrack.measures"), f"{path.name} imports {name}"
