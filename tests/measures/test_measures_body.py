"""Devine ideal body weight, Mosteller BSA and doses in mg (myotrack.measures.body)."""

from __future__ import annotations

import math

import pytest

from myotrack.measures import MeasureError, body_surface_area, dose_mg, ideal_body_weight

INCH = 2.54


@pytest.mark.parametrize(
    ("height_in", "sex", "expected"),
    [(60, "M", 50.0), (60, "F", 45.5), (72, "M", 77.6), (72, "F", 73.1), (65, "female", 57.0)],
)
def test_devine(height_in: float, sex: str, expected: float) -> None:
    """Devine 1974: men 50 kg, women 45.5 kg, + 2.3 kg per inch over 60 in."""
    assert ideal_body_weight(height_in * INCH, sex) == pytest.approx(expected)


def test_devine_below_60_inches_continues_the_line() -> None:
    assert ideal_body_weight(58 * INCH, "F") == pytest.approx(45.5 - 2 * 2.3)


def test_devine_needs_male_or_female() -> None:
    for sex in ("unknown", "other", "", None):
        with pytest.raises(MeasureError, match="sex 'F' or 'M'"):
            ideal_body_weight(170, sex)  # type: ignore[arg-type]
    with pytest.raises(MeasureError, match="too small"):
        ideal_body_weight(30, "F")


def test_mosteller() -> None:
    """Mosteller 1987: sqrt(cm x kg / 3600); 180 cm and 80 kg give exactly 2.0 m2."""
    assert body_surface_area(180, 80) == 2.0
    assert body_surface_area(170, 70) == pytest.approx(math.sqrt(170 * 70 / 3600))


def test_seed_002_hicy_on_ideal_body_weight() -> None:
    """Seed 002, Methods: "cyclophosphamide at a dose of 50 mg/kg of ideal body weight IV every
    day for 4 consecutive days". A synthetic man of 72 in (IBW 77.6 kg) weighing 110 kg gets
    3,880 mg a day (15,520 mg per course), not 5,500 mg on his actual weight."""
    daily = dose_mg(50, "mg/kg", weight_kg=110, height_cm=72 * INCH, sex="M", use_ideal_weight=True)
    assert daily == pytest.approx(3880.0)
    assert 4 * daily == pytest.approx(15520.0)
    assert dose_mg(50, "mg/kg", weight_kg=110) == 5500.0
    # a woman of 60 in: IBW 45.5 kg -> 2,275 mg a day
    assert dose_mg(
        50, "mg/kg", height_cm=60 * INCH, sex="F", use_ideal_weight=True
    ) == pytest.approx(2275.0)


def test_seed_003_ivig_2_g_per_kg_per_course() -> None:
    """Seed 003: IVIg 2 g/kg per course (and 1 g/kg monthly maintenance); synthetic 60 kg."""
    assert dose_mg(2, "g/kg", weight_kg=60) == 120_000.0
    assert dose_mg(1, "g/kg", weight_kg=60) == 60_000.0


def test_seed_001_rituximab_treatment_b_375_mg_per_m2() -> None:
    """Seed 001 Table 3 footnote: "Treatment B protocol: one dose of 375 mg/m2 weekly";
    synthetic 180 cm, 80 kg (BSA 2.0 m2) -> 750 mg per infusion."""
    assert dose_mg(375, "mg/m2", weight_kg=80, height_cm=180) == 750.0
    assert dose_mg(375, "mg/m²", weight_kg=80, height_cm=180) == 750.0


def test_seed_001_belimumab_and_rituximab_treatment_a() -> None:
    """Seed 001: belimumab "10 mg/kg once every 2 weeks"; treatment A "two doses of 1,000 mg"."""
    assert dose_mg(10, "mg/kg", weight_kg=60) == 600.0
    assert dose_mg(1000, "mg") == 1000.0
    assert dose_mg(1, "g") == 1000.0
    assert dose_mg(2, " G ") == 2000.0  # seed 000: "Rituximab 2 g"


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"dose": 10, "unit": "mg/kg"}, "needs the body weight: give weight_kg"),
        ({"dose": 2, "unit": "g/kg", "height_cm": 170}, "give weight_kg"),
        ({"dose": 375, "unit": "mg/m2", "weight_kg": 70}, "give height_cm"),
        ({"dose": 375, "unit": "mg/m2"}, "give weight_kg and height_cm"),
        ({"dose": 50, "unit": "mg/kg", "height_cm": 170, "use_ideal_weight": True}, "needs sex"),
        ({"dose": 50, "unit": "mg/kg", "sex": "F", "use_ideal_weight": True}, "needs height_cm"),
        (
            {
                "dose": 375,
                "unit": "mg/m2",
                "weight_kg": 70,
                "height_cm": 170,
                "use_ideal_weight": True,
            },
            "per-kg",
        ),
        ({"dose": 5, "unit": "mL"}, "unknown dose unit 'mL'"),
        ({"dose": -1, "unit": "mg"}, "negative"),
        ({"dose": 10, "unit": "mg/kg", "weight_kg": 0}, "weight_kg must be above 0"),
    ],
)
def test_dose_errors_name_what_is_missing(kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(MeasureError, match=message):
        dose_mg(**kwargs)  # type: ignore[arg-type]
