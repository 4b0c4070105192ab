"""Relapse-free survival: Kaplan-Meier curves, medians, at-risk table and log-rank test.

Time origin: the start of the first immunotherapy (``first_treatment_day``; the default anchor
of the relapse criterion of seed 004), or the first visit with ``origin='first_visit'``.
Event: the first relapse (``relapse = yes`` at ``relapse__first_day``). Censoring: the last
visit (``relapse = no``). Patients not evaluable for relapse, with a relapse of unknown day, or
without an origin are left out and counted in a remark. Estimation by lifelines'
``KaplanMeierFitter`` (Greenwood variance, log(-log) 95% intervals) and
``multivariate_logrank_test``.

Hand check (the test suite runs it): times 2, 3, 3+, 5, 8+ ('+' censored). At day 2, 1 of 5
at risk relapses: S = 4/5 = 0.8; day 3, 1 of 4: S = 0.8 x 3/4 = 0.6 (the patient censored on
day 3 is still at risk that day); day 5, 1 of 2: S = 0.6 x 1/2 = 0.3. Median: the first time
with S <= 0.5, day 5.
Log-rank, group A = {1, 3}, group B = {2, 4+}: at day 1, 4 at risk (2 A), 1 event in A:
E_A = 2/4, V = 2 x 2 x 1 x 3 / (16 x 3) = 1/4; day 2, 3 at risk (1 A), event in B: E_A = 1/3,
V = 1 x 2 x 1 x 2 / (9 x 2) = 2/9; day 3, 2 at risk (1 A), event in A: E_A = 1/2, V = 1/4.
O_A - E_A = 2 - 4/3 = 2/3; V = 13/18; chi² = (4/9) / (13/18) = 8/13 = 0.6154; p = 0.4328 (1 df).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd
from lifelines import KaplanMeierFitter
from lifelines.statistics import multivariate_logrank_test
from lifelines.utils import median_survival_times

from myotrack.cohort.groups import NOT_EVALUABLE, as_text, require_columns
from myotrack.cohort.table import CohortTable
from myotrack.cohort.variables import label, patient_frame
from myotrack.tables import Dataset

Origin = Literal["first_treatment", "first_visit"]
MONTH_DAYS = 30.44
ALL = "all patients"


@dataclass(frozen=True, eq=False)
class Survival:
    """Kaplan-Meier estimates of one cohort, overall or by group.

    ``data``: one row per analysed patient (patient_id, group, time_days, event);
    ``curves``: per group the step function (time_days, survival, ci_lower, ci_upper);
    ``medians``: per group n, events, median and its 95% interval (days; NaN = not reached);
    ``at_risk``: patients at risk per group at ``at_risk_days``;
    ``logrank_p`` / ``logrank_statistic``: None with a single group.
    """

    data: pd.DataFrame
    curves: pd.DataFrame
    medians: pd.DataFrame
    at_risk: pd.DataFrame
    logrank_statistic: float | None
    logrank_p: float | None
    group_by: str | None
    remarks: tuple[str, ...]

    @property
    def groups(self) -> list[str]:
        return [str(g) for g in self.medians["group"]]

    def median_table(self) -> CohortTable:
        def days(x: float) -> str:
            return (
                "not reached"
                if pd.isna(x) or math.isinf(x)
                else f"{x:.0f} d ({x / MONTH_DAYS:.1f} mo)"
            )

        shown = pd.DataFrame(
            {
                "Group": self.medians["group"],
                "n": self.medians["n"],
                "Relapses": self.medians["events"],
                "Median relapse-free time": [days(x) for x in self.medians["median_days"]],
                "95% CI": [
                    f"{days(lo)} to {days(hi)}"
                    for lo, hi in zip(
                        self.medians["ci_lower"], self.medians["ci_upper"], strict=True
                    )
                ],
            }
        )
        title = "Relapse-free survival (Kaplan-Meier)"
        if self.logrank_p is not None:
            title += f"; log-rank p = {self.logrank_p:.3f}"
        return CohortTable(title, shown, self.remarks, self.medians)

    def at_risk_table(self) -> CohortTable:
        frame = self.at_risk.copy()
        frame.columns = ["Group", *[f"day {int(c)}" for c in frame.columns[1:]]]
        return CohortTable("Number at risk", frame, ())


def relapse_times(
    frame: pd.DataFrame, origin: Origin = "first_treatment"
) -> tuple[pd.DataFrame, list[str]]:
    """Per patient: time from the origin to the first relapse or the last visit, and the event.

    ``frame`` is a patient frame with the relapse outcome joined. Returns the analysable rows
    and remarks about the patients left out.
    """
    require_columns(frame, ["relapse", "relapse__first_day", "last_visit_day"])
    origin_col = "first_treatment_day" if origin == "first_treatment" else "first_visit_day"
    status = as_text(frame["relapse"])
    start = pd.to_numeric(frame[origin_col], errors="coerce")
    first = pd.to_numeric(frame["relapse__first_day"], errors="coerce")
    last = pd.to_numeric(frame["last_visit_day"], errors="coerce")
    event = status == "yes"
    end = pd.Series(np.where(event, first, last), index=frame.index, dtype=float)
    time = end - start
    notes: list[str] = []
    left = {
        "not evaluable for relapse": (status == NOT_EVALUABLE) | status.isna(),
        "a relapse without a day": event & first.isna(),
        "no "
        + (
            "dated immunotherapy" if origin == "first_treatment" else "visit with a day"
        ): start.isna() & status.isin(["yes", "no"]),
        "no visit with a day after the origin": status.eq("no")
        & start.notna()
        & (last.isna() | (time < 0)),
        "a relapse before the origin": event & first.notna() & start.notna() & (time < 0),
    }
    keep = pd.Series(True, index=frame.index)
    for why, mask in left.items():
        mask = mask & keep
        if mask.any():
            notes.append(
                f"{int(mask.sum())} patient{'s' if mask.sum() != 1 else ''} left out: {why}."
            )
        keep &= ~mask
    data = pd.DataFrame(
        {
            "patient_id": frame["patient_id"],
            "time_days": time,
            "event": event.astype(int),
        }
    )[keep.to_numpy()]
    return data.reset_index(drop=True), notes


def kaplan_meier(
    frame: pd.DataFrame,
    group_by: str | None = None,
    origin: Origin = "first_treatment",
    at_risk_days: Sequence[int] | None = None,
) -> Survival:
    """Relapse-free survival of a patient frame (with outcomes joined), overall or by group."""
    data, remarks = relapse_times(frame, origin)
    if group_by:
        require_columns(frame, [group_by])
        groups = (
            as_text(frame.set_index("patient_id")[group_by]).reindex(data["patient_id"]).to_numpy()
        )
        data = data.assign(group=groups)
        no_group = data["group"].isna() | (data["group"] == NOT_EVALUABLE)
        if no_group.any():
            remarks.append(
                f"{int(no_group.sum())} patient(s) without a value of '{label(group_by)}' left out."
            )
        data = data[~no_group].reset_index(drop=True)
    else:
        data = data.assign(group=ALL)
    if at_risk_days is None:
        horizon = float(data["time_days"].max()) if len(data) else 0.0
        step = 365 if horizon > 3 * 365 else (180 if horizon > 365 else 90)
        at_risk_days = list(range(0, int(horizon) + 1, step)) or [0]

    curves: list[pd.DataFrame] = []
    medians: list[dict[str, object]] = []
    at_risk: list[dict[str, object]] = []
    for g in sorted(str(x) for x in pd.unique(data["group"])):
        sub = data[data["group"] == g]
        kmf = KaplanMeierFitter()
        kmf.fit(sub["time_days"].astype(float), sub["event"], label=g)
        sf = kmf.survival_function_[g]
        ci = kmf.confidence_interval_
        curves.append(
            pd.DataFrame(
                {
                    "group": g,
                    "time_days": sf.index.to_numpy(dtype=float),
                    "survival": sf.to_numpy(dtype=float),
                    "ci_lower": ci.iloc[:, 0].to_numpy(dtype=float),
                    "ci_upper": ci.iloc[:, 1].to_numpy(dtype=float),
                }
            )
        )
        med_ci = median_survival_times(ci)
        medians.append(
            {
                "group": g,
                "n": len(sub),
                "events": int(sub["event"].sum()),
                "median_days": float(kmf.median_survival_time_),
                "ci_lower": float(med_ci.iloc[0, 0]),
                "ci_upper": float(med_ci.iloc[0, 1]),
            }
        )
        times = sub["time_days"].to_numpy(dtype=float)
        at_risk.append({"group": g, **{str(d): int((times >= d).sum()) for d in at_risk_days}})

    stat = p = None
    if len(medians) >= 2:
        res = multivariate_logrank_test(
            data["time_days"].astype(float), data["group"], data["event"]
        )
        stat, p = float(res.test_statistic), float(res.p_value)
    if len(data) and len(data) < 20:
        remarks.append(
            f"{len(data)} patients: the curve and especially its tail rest on very few patients."
        )
    remarks.append(
        "Time from "
        + (
            "the start of the first immunotherapy"
            if origin == "first_treatment"
            else "the first visit"
        )
        + " to the first relapse (004 definition, or a reported relapse), censored at the last visit; "
        "95% intervals by Greenwood's formula on the log(-log) scale."
    )
    return Survival(
        data,
        pd.concat(curves, ignore_index=True)
        if curves
        else pd.DataFrame(columns=["group", "time_days", "survival", "ci_lower", "ci_upper"]),
        pd.DataFrame(
            medians, columns=["group", "n", "events", "median_days", "ci_lower", "ci_upper"]
        ),
        pd.DataFrame(at_risk),
        stat,
        p,
        group_by,
        tuple(remarks),
    )


def relapse_free_survival(
    ds: Dataset,
    group_by: str | None = None,
    outcomes: pd.DataFrame | None = None,
    origin: Origin = "first_treatment",
) -> Survival:
    """Relapse-free survival of a source (its outcomes evaluated if not given)."""
    if outcomes is None:
        from myotrack.criteria import evaluate

        outcomes = evaluate(ds, criteria=["relapse"]).frame
    return kaplan_meier(patient_frame(ds, outcomes), group_by, origin)
