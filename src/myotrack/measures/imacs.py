"""IMACS 2004 preliminary definition of improvement (DOI) in adult and juvenile myositis.

Source: Rider LG, Giannini EH, Brunner HI, et al. International consensus on preliminary
definitions of improvement in adult and juvenile myositis. Arthritis Rheum 2004;50:2281-90.
Abstract: "The definition of improvement ... that ranked highest was 3 of any 6 of the core set
measures improved by >= 20%, with no more than 2 worse by >= 25% (which could not include
manual muscle testing to assess strength)."

The six core set measures are those of :class:`~myotrack.measures.coreset.CoreSet`
(physician global activity, patient global activity, MMT, HAQ, muscle enzyme, extramuscular
activity). Percent change is relative to the baseline value, the change from baseline as a
percentage of baseline (the later 2016 ACR/EULAR criteria replaced it by the change over the
scale's width): a fall for the global activities, HAQ and the enzyme, a rise for MMT. Both
edges belong to the band they name: exactly 20% better is improved, exactly 25% worse is worse.
A measure at 0 at baseline cannot improve by a percentage of 0: it is unchanged when it stays
0 and worse (by more than any percentage) when a lower-is-better measure rises from 0; MMT
rising from 0 is improved.

Missing measures: the definition counts "any" of the six, so a measure that was not assessed
at both visits can neither count as improved nor as worse. myotrack gives the verdict only when
it is the same whatever the missing measures would have shown: ``met`` is ``True`` or ``False``
when the assessed measures decide it (e.g. three improved and nothing worse with MMT assessed;
or three assessed measures worse), and ``None`` otherwise, with ``missing`` listing them.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

from myotrack.measures.coreset import HIGHER_IS_BETTER, MEASURES, CoreSet
from myotrack.measures.enzymes import percent_change

IMPROVED_PERCENT = 20.0
WORSENED_PERCENT = 25.0
MIN_IMPROVED = 3
MAX_WORSENED = 2
MUST_NOT_WORSEN = "mmt8"


@dataclass(frozen=True)
class ImacsDoiResult:
    """The IMACS 2004 definition of improvement for one baseline / follow-up pair.

    ``percent_change_by_measure``: improvement in percent of baseline (positive = better,
    negative = worse; +/-inf when the baseline was 0).
    """

    met: bool | None
    improved: tuple[str, ...]
    worsened: tuple[str, ...]
    percent_change_by_measure: Mapping[str, float]
    missing: tuple[str, ...]

    def summary(self) -> str:
        """One line, e.g. 'IMACS DOI met: 3 improved (...), 0 worse'."""
        verdict = {True: "met", False: "not met", None: "not evaluable"}[self.met]
        text = (
            f"IMACS DOI {verdict}: {len(self.improved)} improved"
            f"{' (' + ', '.join(self.improved) + ')' if self.improved else ''}, "
            f"{len(self.worsened)} worse{' (' + ', '.join(self.worsened) + ')' if self.worsened else ''}"
        )
        if self.missing:
            text += f"; missing {', '.join(self.missing)}"
        return text


def relative_improvement(measure: str, baseline: float, follow_up: float) -> float:
    """Improvement in percent of baseline (positive = better) for one core set measure."""
    if baseline == 0:
        if follow_up == 0:
            return 0.0
        return math.inf if measure in HIGHER_IS_BETTER else -math.inf
    change = percent_change(baseline, follow_up)
    return change if measure in HIGHER_IS_BETTER else -change


def _met(improved: int, worsened: int, mmt_worse: bool) -> bool:
    return improved >= MIN_IMPROVED and worsened <= MAX_WORSENED and not mmt_worse


def imacs_doi(baseline: CoreSet, follow_up: CoreSet) -> ImacsDoiResult:
    """Whether the follow-up meets the IMACS 2004 definition of improvement."""
    pct: dict[str, float] = {}
    improved: list[str] = []
    worsened: list[str] = []
    missing: list[str] = []
    for measure in MEASURES:
        before, after = baseline.get(measure), follow_up.get(measure)
        if before is None or after is None:
            missing.append(measure)
            continue
        pct[measure] = relative_improvement(measure, before, after)
        if pct[measure] >= IMPROVED_PERCENT:
            improved.append(measure)
        elif pct[measure] <= -WORSENED_PERCENT:
            worsened.append(measure)
    mmt_worse = MUST_NOT_WORSEN in worsened
    best = _met(len(improved) + len(missing), len(worsened), mmt_worse)
    worst = _met(
        len(improved), len(worsened) + len(missing), mmt_worse or MUST_NOT_WORSEN in missing
    )
    return ImacsDoiResult(
        met=best if best == worst else None,
        improved=tuple(improved),
        worsened=tuple(worsened),
        percent_change_by_measure=MappingProxyType(pct),
        missing=tuple(missing),
    )
