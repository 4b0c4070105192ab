"""Modified Rankin Scale (mRS) 0-6 and seed 004's favourable recovery.

Labels: van Swieten JC, Koudstaal PJ, Visser MC, Schouten HJ, van Gijn J. Interobserver
agreement for the assessment of handicap in stroke patients. Stroke 1988;19:604-7.

Favourable recovery (seed 004, Methods): "Within the mRS classification, a score below 2 meant
favorable recovery, while exceeding 1 indicated unfavorable recovery" (Table 2: favourable
mRS 0-1, unfavourable mRS 2-6).

:func:`favourable` takes a grade (checked) or a column of grades (NumPy, or Ibis in the
criteria engine's SQL; not checked), the same rule for both.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, overload

from myotrack.measures._numbers import is_column, number
from myotrack.measures.errors import MeasureError

if TYPE_CHECKING:
    import ibis.expr.types as ir
    import numpy as np
    from numpy.typing import NDArray

MRS_LABELS: dict[int, str] = {
    0: "no symptoms at all",
    1: "no significant disability despite symptoms; able to carry out all usual duties and activities",
    2: "slight disability; unable to carry out all previous activities, but able to look after own affairs without assistance",
    3: "moderate disability; requiring some help, but able to walk without assistance",
    4: "moderately severe disability; unable to walk without assistance and unable to attend to own bodily needs without assistance",
    5: "severe disability; bedridden, incontinent and requiring constant nursing care and attention",
    6: "dead",
}
#: The highest mRS of a favourable recovery (seed 004).
FAVOURABLE_MAX = 1
MRS_RULE = "the modified Rankin Scale is a whole number from 0 (no symptoms) to 6 (dead)"


def check_mrs(mrs: object) -> int:
    """``mrs`` as an int 0-6, or MeasureError naming the rule."""
    value = number(mrs, "mRS")
    if not value.is_integer() or not 0 <= value <= 6:
        raise MeasureError(f"mRS {mrs!r}: {MRS_RULE}")
    return int(value)


def mrs_label(mrs: int) -> str:
    """The label of an mRS grade, e.g. 3 -> 'moderate disability; ...'."""
    return MRS_LABELS[check_mrs(mrs)]


@overload
def favourable(mrs: int) -> bool: ...
@overload
def favourable(mrs: NDArray[Any]) -> NDArray[np.bool_]: ...
@overload
def favourable(mrs: ir.NumericValue) -> ir.BooleanValue: ...


def favourable(mrs: Any) -> Any:
    """Favourable recovery (seed 004): mRS 0-1; mRS 2-6 is unfavourable (per row for a column)."""
    if is_column(mrs):
        return mrs <= FAVOURABLE_MAX
    return check_mrs(mrs) <= FAVOURABLE_MAX
