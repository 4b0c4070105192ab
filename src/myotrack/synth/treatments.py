"""The treatments table of a synthetic cohort: one block of rows per kind of course."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from myotrack.synth.course import RELAPSE_HOLD, Course, Schedule, prednisone_stop
from myotrack.synth.frames import Block, block, stack
from myotrack.synth.patients import Baseline, BoolArray, FloatArray, IntArray

COLUMNS = (
    "patient_id",
    "drug",
    "start_day",
    "end_day",
    "dose",
    "dose_unit",
    "route",
    "schedule",
    "protocol",
    "stop_reason",
)
#: Steroid-sparing agents by index: the first two are PARAMETERS['steroid_sparing'] categories.
SPARING = ("azathioprine", "mycophenolate", "methotrexate")
NONE = 2  # index of 'none' in PARAMETERS['steroid_sparing']


@dataclass(frozen=True)
class Timeline:
    """Days (since the first treatment) the treatment and event tables need, per patient."""

    last_visit: FloatArray
    relapse_day: FloatArray  # n x 2, inf = none
    sparing_at_relapse: IntArray  # agent index in SPARING, NONE if none
    switch_to: IntArray  # agent started at the first relapse, -1 if none
    rituximab_day: FloatArray  # first rituximab course, inf = none
    third_day: FloatArray  # inf = none or after follow-up


def timeline(rng: np.random.Generator, course: Course, sched: Schedule) -> Timeline:
    n = len(course.t_fav)
    last = sched.t[sched.start + sched.n_visits - 1]
    relapse_day = np.full((n, 2), np.inf)
    for j in range(2):
        who = np.flatnonzero(course.relapse_k[:, j] >= 0)
        relapse_day[who, j] = sched.t[sched.start[who] + course.relapse_k[who, j]]
    current = np.where(course.sparing_ae, 0, course.sparing)  # mycophenolate -> azathioprine
    switch = course.relapsed & (course.relapse_switch | (current == NONE))
    # a different agent among the three: skip the current one
    pick = rng.integers(0, 2, n)
    other = np.where(
        current == NONE, rng.integers(0, 3, n), np.where(pick >= current, pick + 1, pick)
    )
    switch_to = np.where(switch, other, -1)
    second_rtx = course.second_agent & (course.esc_agent == 0)
    rtx_day = np.where(
        course.escalated & (course.esc_agent == 1),
        course.esc_day,
        np.where(second_rtx & (course.second_day <= last), course.second_day, np.inf),
    )
    third = np.where(course.third_line & (course.third_day <= last), course.third_day, np.inf)
    return Timeline(last, relapse_day, current, switch_to, rtx_day, third)


def _block(
    base: Baseline,
    mask: BoolArray,
    drug: str | NDArray[np.object_],
    start: FloatArray,
    end: FloatArray,
    dose: FloatArray | float,
    dose_unit: str,
    route: str,
    schedule: str,
    protocol: str = "",
    stop_reason: NDArray[np.object_] | str = "",
) -> Block:
    """Rows for the patients in ``mask``; days since the first treatment; end inf = ongoing."""
    idx = np.flatnonzero(mask)
    offset = base.delay.astype(np.float64)
    finite = np.isfinite(end)
    if isinstance(stop_reason, np.ndarray):
        stop_reason = np.where(finite, stop_reason, np.array(None, dtype=object))
    return block(
        idx,
        patient_id=base.ids,
        drug=drug,
        start_day=start + offset,
        end_day=np.where(finite, end + offset, np.nan),
        dose=dose,
        dose_unit=dose_unit,
        route=route,
        schedule=schedule,
        protocol=protocol,
        stop_reason=stop_reason,
    )


def _ended(end: FloatArray, last: FloatArray) -> FloatArray:
    """An end after the last visit is unknown at follow-up: ongoing."""
    return np.where(end <= last, end, np.inf)


def treatments_frame(base: Baseline, course: Course, line: Timeline) -> pd.DataFrame:
    n = base.n
    zero = np.zeros(n)
    last = line.last_visit
    blocks: list[Block] = []

    # prednisone: the first course, then one course per relapse (dose raised again)
    starts = [zero, line.relapse_day[:, 0] + 1, line.relapse_day[:, 1] + 1]
    doses = [course.pred0, course.relapse_pred[:, 0], course.relapse_pred[:, 1]]
    holds = [course.hold, np.full(n, RELAPSE_HOLD), np.full(n, RELAPSE_HOLD)]
    nexts = [line.relapse_day[:, 0], line.relapse_day[:, 1], np.full(n, np.inf)]
    for start, dose, hold, nxt in zip(starts, doses, holds, nexts, strict=True):
        has = np.isfinite(start)
        stop = np.where(
            course.pred_floor == 0,
            prednisone_stop(np.where(has, start, 0), dose, hold, course.taper_rate) - 1,
            np.inf,
        )
        end = _ended(np.minimum(stop, nxt), last)
        blocks.append(
            _block(base, has, "prednisone", start, end, dose, "mg", "oral", "daily, tapered")
        )

    blocks.append(
        _block(
            base, course.ivmp, "methylprednisolone", zero, zero + 2, 1000.0, "mg", "IV", "daily x3"
        )
    )

    # steroid-sparing agent; mycophenolate stopped for liver dysfunction -> azathioprine;
    # changed at the first relapse (or started then, if there was none)
    sparing = np.array(SPARING, dtype=object)
    sparing_dose = np.array([100.0, 1000.0, 15.0])
    sparing_schedule = np.array(["daily", "twice daily", "weekly"], dtype=object)
    switch_day = np.where(line.switch_to >= 0, line.relapse_day[:, 0], np.inf)
    first = course.sparing != NONE
    end1 = np.where(course.sparing_ae, course.sparing_ae_day, switch_day)
    reason1 = np.where(course.sparing_ae, "adverse_event", "inefficacy").astype(object)
    a1 = np.minimum(course.sparing, 2)
    for agent in range(2):
        m = first & (a1 == agent)
        blocks.append(
            _block(
                base,
                m,
                sparing[agent],
                zero,
                _ended(end1, last),
                sparing_dose[agent],
                "mg",
                "oral",
                sparing_schedule[agent],
                stop_reason=reason1,
            )
        )
    blocks.append(
        _block(
            base,
            course.sparing_ae,
            "azathioprine",
            course.sparing_ae_day,
            _ended(switch_day, last),
            100.0,
            "mg",
            "oral",
            "daily",
            stop_reason="inefficacy",
        )
    )
    for agent in range(3):
        m = line.switch_to == agent
        blocks.append(
            _block(
                base,
                m,
                sparing[agent],
                switch_day + 1,
                np.full(n, np.inf),
                sparing_dose[agent],
                "mg",
                "oral",
                sparing_schedule[agent],
            )
        )

    # escalation: IVIg (2 g/kg every 4 weeks) or rituximab (treatment A), sometimes both
    ivig_end = 28.0 * (course.ivig_courses - 1)
    ivig_first = course.escalated & (course.esc_agent == 0)
    blocks.append(
        _block(
            base,
            ivig_first,
            "ivig",
            course.esc_day,
            _ended(course.esc_day + ivig_end, last),
            2.0,
            "g/kg",
            "IV",
            "every 4 weeks",
            "ivig_induction",
        )
    )
    blocks.append(
        _block(
            base,
            np.isfinite(line.rituximab_day),
            "rituximab",
            line.rituximab_day,
            line.rituximab_day + 14,
            1000.0,
            "mg",
            "IV",
            "2 doses 2 weeks apart",
            "rtx_a",
        )
    )
    ivig_second = course.second_agent & (course.esc_agent == 1) & (course.second_day <= last)
    blocks.append(
        _block(
            base,
            ivig_second,
            "ivig",
            course.second_day,
            _ended(course.second_day + ivig_end, last),
            2.0,
            "g/kg",
            "IV",
            "every 4 weeks",
            "ivig_induction",
        )
    )

    third = np.isfinite(line.third_day)
    blocks.append(
        _block(
            base,
            third & (course.third_drug == 0),
            "plasma_exchange",
            line.third_day,
            _ended(line.third_day + 10, last),
            np.nan,
            "",
            "IV",
            "5 exchanges over 10 days",
        )
    )
    blocks.append(
        _block(
            base,
            third & (course.third_drug == 1),
            "hicy",
            line.third_day,
            line.third_day + 3,
            50.0,
            "mg/kg",
            "IV",
            "daily x4 (ideal body weight)",
            "hicy",
        )
    )

    return stack(blocks, COLUMNS, order="start_day")


__all__ = ["COLUMNS", "SPARING", "Timeline", "timeline", "treatments_frame"]
