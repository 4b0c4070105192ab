"""The possible reasons of every criterion, read from its expressions
(:mod:`myotrack.criteria.reasons`): every reason the engine gives matches one of them."""

from __future__ import annotations

from pathlib import Path

import ibis
import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from myotrack.criteria import ORDER, Params, evaluate
from myotrack.criteria.base import arg_min
from myotrack.criteria.coreset import (
    REASONS,
    TIS_BELOW,
    TIS_OPEN_MISSING,
    _fill,
    reason_parameters,
)
from myotrack.criteria.reasons import (
    HOLE,
    Template,
    expression_templates,
    from_format,
    possible_reasons,
    template_of,
)
from myotrack.errors import UnknownCriterion
from myotrack.evidence import load_evidence
from myotrack.tables import Dataset, read_source
from tests.reference import cohorts

PUBLISHED = Path(__file__).parent.parent / "data" / "published"


def test_branches_of_cases_concatenations_and_if_else() -> None:
    t = ibis.table({"n": "int64", "drug": "string", "lo": "int64"}, name="t")
    reason = ibis.cases(
        (t.n.isnull(), ibis.literal("no course")),
        (
            t.n == 0,
            ibis.literal("needs a CK after ")
            + t.drug
            + ibis.ifelse(t.lo.isnull(), ibis.literal(" (no day)"), ibis.literal("")),
        ),
        else_=ibis.literal(""),
    )
    assert [str(x) for x in expression_templates(reason)] == [
        "no course",
        "needs a CK after {} (no day)",
        "needs a CK after {}",
    ]


def test_a_column_is_followed_to_the_expression_that_made_it() -> None:
    t = ibis.table({"n": "int64"}, name="t")
    made = t.select(why=ibis.ifelse(t.n > 0, ibis.literal("some"), ibis.literal("none")))
    later = made.filter(made.why != "")
    stored = ibis.table(later.schema(), name="stored")
    assert [str(x) for x in expression_templates(stored.why, {"stored": later})] == [
        "some",
        "none",
    ]
    # without the stored table's expression the column is a value like any other
    assert expression_templates(stored.why) == [Template((HOLE,))]


def test_one_rows_text_picked_by_a_reduction_keeps_its_forms() -> None:
    t = ibis.table({"g": "int64", "day": "int64", "n": "int64"}, name="t")
    rows = t.mutate(
        why=ibis.ifelse(
            t.n > 0, ibis.literal("CK on day ") + t.day.cast("string"), ibis.literal("no CK")
        )
    )
    first = rows.group_by("g").aggregate(
        picked=arg_min(rows.why, rows.day), joined=rows.why.group_concat(",")
    )
    assert [str(x) for x in expression_templates(first.picked)] == ["CK on day {}", "no CK"]
    assert expression_templates(first.joined) == [Template((HOLE,))]


def test_templates_match_in_full_the_most_specific_first() -> None:
    general = from_format("needs an mRS after {drug} day {day}")
    ranged = from_format("needs an mRS after {drug} day {day} ({lo}..{hi})")
    assert general.parts == ("needs an mRS after ", HOLE, " day ", HOLE)
    assert str(from_format("in the {days} days ({n:g})", {"n": 2.0})) == "in the {} days (2)"
    assert template_of("needs an mRS after IVIG day 3 (1..5)", [general, ranged]) == ranged
    assert template_of("needs an mRS after IVIG day 3", [general, ranged]) == general
    assert template_of("needs an mRS after IVIG", [general, ranged]) is None
    assert not from_format("no CK").matches("no CK recorded")


def test_every_criterion_has_its_reasons() -> None:
    for cid in ORDER:
        found = possible_reasons(cid)
        assert found, cid
        assert all(t.parts and any(p is not HOLE for p in t.parts) for t in found), cid
    assert "no immunotherapy with a start day" in {str(t) for t in possible_reasons("relapse")}
    with pytest.raises(UnknownCriterion):
        possible_reasons("remision")


def test_parameters_are_part_of_the_text() -> None:
    texts = {str(t) for t in possible_reasons("rtx_response", Params(rtx_window_days=90))}
    assert any("within 90 days after" in x for x in texts)
    assert not any("within 183 days after" in x for x in texts)


def test_core_set_reasons_are_the_format_strings_the_scoring_fills() -> None:
    known = reason_parameters(Params())
    assert [str(t) for t in possible_reasons("tis")] == [
        str(from_format(x, known)) for x in REASONS["tis"]
    ]
    texts = {str(t) for t in possible_reasons("imacs_doi", Params(baseline_lookback_days=90))}
    assert "no core set assessment surely in the 90 days up to the anchor" in texts
    assert "TIS {} < 30" in {
        str(t) for t in possible_reasons("tis", Params(tis_population="juvenile"))
    }
    totals = np.asarray(["12..30", "5"], dtype=object)
    missing = np.asarray(["haq", "mmt8, haq"], dtype=object)
    filled = _fill(TIS_OPEN_MISSING, total=totals, minimal=20.0, missing=missing)
    assert list(filled) == [
        "TIS 12..30 could be below or above 20, missing at baseline or follow-up: haq",
        "TIS 5 could be below or above 20, missing at baseline or follow-up: mmt8, haq",
    ]
    assert _fill(TIS_BELOW, total="5", minimal=20.0) == TIS_BELOW.format(total="5", minimal=20.0)


def unmatched(ds: Dataset) -> dict[str, list[str]]:
    """Per criterion, the reasons the engine gave on ``ds`` that match none of its templates."""
    frame = evaluate(ds).frame
    out: dict[str, list[str]] = {}
    for cid in ORDER:
        templates = possible_reasons(cid)
        given = pd.unique(frame[f"{cid}__reason"].dropna())
        bad = [str(r) for r in given if r != "" and template_of(str(r), templates) is None]
        if bad:
            out[cid] = bad[:5]
    return out


def test_every_reason_on_the_published_patients_is_possible() -> None:
    folders = sorted(p for p in PUBLISHED.iterdir() if p.is_dir())
    outside = Dataset.concat([read_source(p) for p in folders], name="outside cases")
    assert unmatched(load_evidence()) == {}
    assert unmatched(outside) == {}


def _generated(n_examples: int, per_example: int) -> list[cohorts.Rows]:
    examples: list[list[cohorts.Rows]] = []

    @settings(
        max_examples=n_examples,
        derandomize=True,
        database=None,
        deadline=None,
        phases=[Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(st.lists(cohorts.patient_rows("x"), min_size=per_example, max_size=per_example))
    def collect(rows: list[cohorts.Rows]) -> None:
        examples.append(rows)

    collect()
    return [p for rows in examples for p in rows]


def test_every_reason_on_generated_patients_is_possible() -> None:
    rows = _generated(12, 50)
    batch = [
        {t: [{**r, "patient_id": f"G{i:04d}"} for r in rs] for t, rs in p.items()}
        for i, p in enumerate(rows)
    ]
    assert unmatched(cohorts.to_dataset(batch)) == {}
