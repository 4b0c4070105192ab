"""The six IMACS core set activity measures, as input to the myositis response criteria.

IMACS disease activity core set (Miller FW et al., Rheumatology 2001;40:1262-73; IMACS
'Disease Activity Core Set Measures'): physician global activity, patient global activity,
manual muscle testing (MMT), physical function (HAQ), muscle enzymes, extramuscular activity.
The 2016 ACR/EULAR response criteria (:mod:`myotrack.measures.tis`) and the IMACS 2004
definition of improvement (:mod:`myotrack.measures.imacs`) both read a baseline and a
follow-up :class:`CoreSet`.

Units follow the five-table contract: the three global activities on a 0-10 cm VAS, HAQ 0-3,
MMT-8 0-80 (or the bilateral 0-150), and for ``enzyme`` the value (U/L) of the most abnormal
muscle enzyme at baseline (:func:`myotrack.measures.enzymes.most_abnormal`), the same enzyme
at both visits. ``None`` (or NaN) is a measure that was not assessed.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, fields

from myotrack.measures._numbers import number
from myotrack.measures.errors import MeasureError

#: Measure names in the order of the 2016 criteria's Table 3.
MEASURES: tuple[str, ...] = (
    "physician_global",
    "patient_global",
    "mmt8",
    "haq",
    "enzyme",
    "extramuscular_global",
)
#: Measures where a higher value is better (all others: lower is better).
HIGHER_IS_BETTER: frozenset[str] = frozenset({"mmt8"})


@dataclass(frozen=True)
class CoreSet:
    """One assessment of the six core set measures; ``None`` = not assessed."""

    physician_global: float | None = None
    patient_global: float | None = None
    mmt8: float | None = None
    haq: float | None = None
    enzyme: float | None = None
    extramuscular_global: float | None = None

    def get(self, measure: str) -> float | None:
        """The value of one measure as a float, ``None`` when missing (None or NaN)."""
        value = getattr(self, measure)
        if value is None or (isinstance(value, float) and math.isnan(value)):
            return None
        out = number(value, measure)
        if out < 0:
            raise MeasureError(f"{measure} cannot be negative ({value!r})")
        return out


@dataclass(frozen=True)
class CoreSetScales:
    """Maximum of each bounded scale (the minimum is 0 for all).

    Defaults: 10 cm VAS for the three global activities, MMT-8 0-80 (use 150 for the bilateral
    MMT-8), HAQ 0-3. The enzyme has no upper bound.
    """

    physician_global: float = 10.0
    patient_global: float = 10.0
    mmt8: float = 80.0
    haq: float = 3.0
    extramuscular_global: float = 10.0

    def __post_init__(self) -> None:
        for f in fields(self):
            value = number(getattr(self, f.name), f"the {f.name} scale maximum")
            if value <= 0:
                raise MeasureError(f"the {f.name} scale maximum must be above 0, not {value!r}")

    def maximum(self, measure: str) -> float:
        return float(getattr(self, measure))


def check_in_scale(measure: str, value: float, scales: CoreSetScales) -> None:
    """MeasureError when a bounded measure lies above its scale's maximum."""
    if measure == "enzyme":
        return
    top = scales.maximum(measure)
    if value > top:
        raise MeasureError(
            f"{measure} {value:g} is above its scale maximum {top:g}; "
            f"set CoreSetScales({measure}=...) if this score uses another scale"
        )
