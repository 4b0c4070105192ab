"""Modified Rankin Scale and prednisone equivalents (myotrack.measures.mrs, .steroids)."""

from __future__ import annotations

import pytest

from myotrack.measures import MRS_LABELS, MeasureError, favourable, mg_per_kg_day, mrs_label
from myotrack.measures import prednisone_equivalent as pe
from myotrack.measures.steroids import PREDNISONE_PER_MG


def test_mrs_labels_cover_0_to_6() -> None:
    assert sorted(MRS_LABELS) == list(range(7))
    assert mrs_label(0) == "no symptoms at all"
    assert mrs_label(6) == "dead"
    assert "walk without assistance" in mrs_label(3)


def test_seed_004_favourable_recovery_is_mrs_0_or_1() -> None:
    """Seed 004 Table 2: "Favorable recovery (mRS:0-1) and unfavorable recovery (mRS:2-6)"."""
    assert [favourable(m) for m in range(7)] == [True, True, False, False, False, False, False]
    assert favourable(1.0)  # type: ignore[arg-type]


@pytest.mark.parametrize("bad", [-1, 7, 1.5, "2", None, True])
def test_mrs_outside_0_6_is_an_error(bad: object) -> None:
    with pytest.raises(MeasureError):
        favourable(bad)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("dose", "drug", "expected"),
    [
        (5, "prednisone", 5.0),
        (60, "Prednisolone", 60.0),
        (4, "methylprednisolone", 5.0),
        (1000, "methylprednisolone", 1250.0),  # seed 003: 1,000 mg IV pulse
        (0.75, "dexamethasone", 5.0),
        (4, "triamcinolone", 5.0),
        (20, "hydrocortisone", 5.0),
        (25, "cortisone", 5.0),
        (12, "methylprednisolone", 15.0),  # prednisolone label: 15 mg = 12 mg MP
        (2.25, "dexamethasone", 15.0),  # = 2.25 mg dexamethasone
    ],
)
def test_prednisone_equivalents(dose: float, drug: str, expected: float) -> None:
    assert pe(dose, drug) == pytest.approx(expected, rel=1e-12)


def test_factors_per_mg() -> None:
    assert PREDNISONE_PER_MG["prednisone"] == 1.0
    assert PREDNISONE_PER_MG["methylprednisolone"] == 1.25
    assert PREDNISONE_PER_MG["dexamethasone"] == pytest.approx(6.67, abs=0.005)


def test_unknown_glucocorticoid_is_an_error_listing_known_ones() -> None:
    with pytest.raises(MeasureError, match="known glucocorticoids: prednisone"):
        pe(10, "fluticasone")
    with pytest.raises(MeasureError, match="negative"):
        pe(-5, "prednisone")


def test_mg_per_kg_day_seed_001_refractory_threshold() -> None:
    """Seed 001, Methods: refractory after "equivalent of prednisone 1.0 mg/kg/day"; seed 001's
    case took prednisone 60 mg/day; at 60 kg that is exactly 1.0 mg/kg/day."""
    assert mg_per_kg_day(60, 60) == 1.0
    assert mg_per_kg_day(pe(48, "methylprednisolone"), 60) == 1.0
    with pytest.raises(MeasureError, match="weight_kg must be above 0"):
        mg_per_kg_day(60, 0)
