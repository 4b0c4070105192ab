"""Number checks and exact decimal arithmetic shared by the scores.

Band edges matter: a physician global activity that improves by exactly 5% scores 0 points in
the 2016 ACR/EULAR criteria and by 5.0000001% scores 7.5. Binary floating point turns
``(7.3 - 6.8) / 10 * 100`` into ``5.000000000000004``; the scores therefore compute changes on
the decimal values as written (``Fraction(str(float(x)))``) and round only the final result.
"""

from __future__ import annotations

import math
import sys
from fractions import Fraction
from typing import Any, SupportsFloat

from myotrack.measures.errors import MeasureError


def number(value: object, name: str) -> float:
    """``value`` as a finite float, or MeasureError naming ``name``."""
    if isinstance(value, bool) or not isinstance(value, SupportsFloat):
        raise MeasureError(f"{name} must be a number, not {value!r}")
    out = float(value)  # int, float, numpy scalars, Decimal
    if not math.isfinite(out):
        raise MeasureError(f"{name} must be a finite number, not {value!r}")
    return out


def exact(value: object, name: str) -> Fraction:
    """The decimal value as written (7.3 -> 73/10), as an exact fraction."""
    return Fraction(str(number(value, name)))


def is_ibis(value: Any) -> bool:
    """True for an Ibis value (a column of an expression); Ibis is not imported to find out."""
    types = sys.modules.get("ibis.expr.types")
    return types is not None and isinstance(value, types.Value)
