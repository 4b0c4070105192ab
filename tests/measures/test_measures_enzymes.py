"""CK against the lab's ULN and the change helpers (myotrack.measures.enzymes)."""

from __future__ import annotations

import math

import pytest

from myotrack.measures import (
    MeasureError,
    ck_x_uln,
    fold_decrease,
    is_normal,
    most_abnormal,
    percent_change,
    percent_of_range,
)


def test_ck_x_uln_with_each_seed_lab() -> None:
    """ULNs: seed 002 Tables 2-3 footnote (170 IU/L), seed 000 ("normal < 200"), seed 001
    Table 1 footnote (226 IU/L)."""
    assert ck_x_uln(9000, 170) == pytest.approx(52.94, abs=0.01)  # 002 patient 1, peak CK
    assert ck_x_uln(10000, 200) == 50.0  # 000: CK > 10,000 at presentation
    assert ck_x_uln(1529, 226) == pytest.approx(6.765, abs=0.001)  # 001 Table 1, first visit


def test_is_normal_includes_the_uln() -> None:
    assert is_normal(170, 170)
    assert not is_normal(171, 170)
    assert is_normal(100, 170)  # 002 patient 2, most recent CK
    assert not is_normal(494, 170)  # 002 patient 1, most recent CK


def test_seed_001_ck_normal_after_belimumab() -> None:
    """Seed 001 Table 1: CK 131 and 119 IU/L at 23 and 28 weeks (ULN 226): "the CK level of the
    patient decreased to normal"."""
    assert is_normal(131, 226) and is_normal(119, 226)
    assert not is_normal(545, 226)


def test_percent_change_is_exact_on_decimal_inputs() -> None:
    assert percent_change(1000, 950) == -5.0
    assert percent_change(7.3, 6.935) == -5.0
    assert percent_change(4, 5) == 25.0
    assert percent_of_range(7.3, 6.8, 10) == -5.0  # float arithmetic would give -5.000000000000004
    assert percent_of_range(40, 41.6, 80) == 2.0


def test_fold_decrease_seed_001_literal_response() -> None:
    """Seed 001 Table 4 footnote b: response is "CK levels declined by 10-fold"."""
    assert fold_decrease(2000, 200) == 10.0
    assert fold_decrease(4850, 545) < 10  # 001 Table 1, second flare to 13 weeks


def test_most_abnormal_seed_001_table_1() -> None:
    """Seed 001 Table 1, first column: CK 1,529 (ULN 226), LDH 395 (ULN 250), HBDH 316 (ULN
    182): CK is the most abnormal (6.8x vs 1.6x and 1.7x)."""
    assert most_abnormal({"ldh": (395, 250), "hbdh": (316, 182), "ck": (1529, 226)}) == "ck"
    assert most_abnormal({"ldh": (229, 250), "hbdh": (190, 182)}) == "hbdh"


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: ck_x_uln(100, 0), "above 0"),
        (lambda: ck_x_uln(-1, 170), "negative"),
        (lambda: ck_x_uln(math.nan, 170), "finite"),
        (lambda: ck_x_uln("1000", 170), "number"),  # type: ignore[arg-type]
        (lambda: ck_x_uln(True, 170), "number"),  # type: ignore[arg-type]
        (lambda: percent_change(0, 10), "baseline above 0"),
        (lambda: percent_of_range(1, 2, 0), "above 0"),
        (lambda: fold_decrease(100, 0), "above 0"),
        (lambda: most_abnormal({}), "at least one"),
    ],
)
def test_errors_name_the_rule(call: object, message: str) -> None:
    with pytest.raises(MeasureError, match=message):
        call()  # type: ignore[operator]
