"""Number checks, columns, and the rounding that keeps decimal results decimal.

Band edges matter: a physician global activity that improves by exactly 5% scores 0 points in
the 2016 ACR/EULAR criteria and by 5.0000001% scores 7.5. Binary floating point turns
``(7.3 - 6.8) / 10 * 100`` into ``5.000000000000004``. The changes are therefore rounded to
:data:`DECIMALS` decimals (:func:`rounded`), on arrays for a whole cohort as for one pair: values
recorded with a few decimals give their decimal result, and a change that truly differs from an
edge differs from it long before the ninth decimal. :func:`exact` (decimal arithmetic on the
values as written) serves the dose conversions.
"""

from __future__ import annotations

import math
import sys
from fractions import Fraction
from typing import Any, SupportsFloat

import numpy as np
from numpy.typing import ArrayLike, NDArray

from myotrack.measures.errors import MeasureError

#: Decimals a change in percent is rounded to.
DECIMALS = 9


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


def rounded(values: ArrayLike) -> NDArray[np.float64]:
    """``values`` rounded to :data:`DECIMALS` decimals (NaN and infinity kept)."""
    return np.round(np.asarray(values, dtype=np.float64), DECIMALS).astype(np.float64, copy=False)


def is_ibis(value: Any) -> bool:
    """True for an Ibis value (a column of an expression); Ibis is not imported to find out."""
    types = sys.modules.get("ibis.expr.types")
    return types is not None and isinstance(value, types.Value)


def is_column(value: Any) -> bool:
    """True for a column (a NumPy array, a pandas Series, an Ibis value), False for a number."""
    if isinstance(value, np.ndarray) or is_ibis(value):
        return True
    pandas = sys.modules.get("pandas")
    return pandas is not None and isinstance(value, pandas.Series)
