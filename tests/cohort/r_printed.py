"""Compare a number with R's printed output to the precision R printed."""

from __future__ import annotations

import math

import pytest


def printed(text: str) -> object:
    """``pytest.approx`` of R's printed number, within half a unit of its last printed digit.

    ``printed("0.1553")`` accepts 0.15525 to 0.15535: the value rounds to what R printed.
    ``"NA"`` (R's 'not reached' or undefined) matches NaN or infinity, as myotrack writes them.
    """
    if text == "NA":
        return _Missing()
    decimals = len(text.split(".")[1]) if "." in text else 0
    return pytest.approx(float(text), abs=0.5 * 10.0**-decimals * (1 + 1e-9))


class _Missing:
    def __eq__(self, other: object) -> bool:
        return isinstance(other, float | int) and (math.isnan(other) or math.isinf(other))

    def __repr__(self) -> str:
        return "NA (NaN or inf)"
