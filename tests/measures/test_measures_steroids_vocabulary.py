"""Prednisone equivalents for every glucocorticoid of the drug vocabulary, and the rule for
glucocorticoids written without a drug name (myotrack.measures.steroids)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from myotrack.measures import MeasureError, mg_per_kg_day
from myotrack.measures import prednisone_equivalent as pe
from myotrack.measures.steroids import (
    EQUIVALENCE_SOURCE,
    EQUIVALENT_TO_5MG_PREDNISONE,
    NO_PREDNISONE_EQUIVALENT,
    PREDNISONE_PER_MG,
    UNNAMED_GLUCOCORTICOIDS,
    prednisone_per_mg,
)
from myotrack.tables import vocab


def test_every_glucocorticoid_of_the_vocabulary_has_a_prednisone_rule() -> None:
    """Each glucocorticoid is converted by the table, read at its stated dose (unnamed), or
    refused with its reason (corticotropin) - none is left to an error without a reason."""
    for drug in vocab.GLUCOCORTICOIDS:
        assert (drug in PREDNISONE_PER_MG) != (drug in NO_PREDNISONE_EQUIVALENT), drug
    # and the table speaks only of glucocorticoids the vocabulary knows
    for drug in (*PREDNISONE_PER_MG, *NO_PREDNISONE_EQUIVALENT):
        assert vocab.drug_class(drug) == "glucocorticoid", drug
    assert set(EQUIVALENCE_SOURCE) == set(EQUIVALENT_TO_5MG_PREDNISONE)


@pytest.mark.parametrize("drug", UNNAMED_GLUCOCORTICOIDS)
def test_unnamed_glucocorticoids_are_prednisone_at_the_stated_dose(drug: str) -> None:
    """DOMAIN.md section 9: 'A glucocorticoid written without a drug name ('corticosteroids
    1 mg/kg/day') is read as prednisone-equivalent at the stated dose'."""
    assert pe(60, drug) == 60.0
    assert pe(1000, drug) == 1000.0
    assert pe(0, drug) == 0.0
    assert prednisone_per_mg(drug) == 1.0
    assert PREDNISONE_PER_MG[drug] == 1.0
    # seed 001 refractory threshold: 'corticosteroids 60 mg/day' at 60 kg is 1.0 mg/kg/day
    assert mg_per_kg_day(pe(60, drug), 60) == 1.0


def test_names_are_matched_without_case_spaces_or_hyphens() -> None:
    assert pe(10, "Glucocorticoid pulse") == pe(10, "glucocorticoid-pulse") == 10.0
    assert pe(4, " Methylprednisolone ") == 5.0


@pytest.mark.parametrize(
    ("dose", "drug", "expected"),
    [
        (0.75, "betamethasone", 5.0),  # BNF: betamethasone 750 micrograms = prednisolone 5 mg
        (6, "deflazacort", 5.0),  # BNF: deflazacort 6 mg = prednisolone 5 mg
        (30, "deflazacort", 25.0),
        (1000, "methylprednisolone", 1250.0),  # seed 003 pulse; an unnamed pulse reads 1000
    ],
)
def test_equivalents_added_from_the_bnf(dose: float, drug: str, expected: float) -> None:
    assert pe(dose, drug) == pytest.approx(expected, rel=1e-12)


def test_corticotropin_is_refused_with_its_reason() -> None:
    with pytest.raises(MeasureError, match="dosed in units"):
        pe(80, "corticotropin")
    with pytest.raises(MeasureError, match="dosed in units"):
        prednisone_per_mg("corticotropin")


@given(st.sampled_from(sorted(PREDNISONE_PER_MG)), st.floats(0, 2000), st.floats(0, 2000))
def test_more_drug_is_never_less_prednisone(drug: str, a: float, b: float) -> None:
    low, high = sorted((a, b))
    assert pe(low, drug) <= pe(high, drug)
    assert pe(high, drug) == pytest.approx(high * PREDNISONE_PER_MG[drug], rel=1e-9)
