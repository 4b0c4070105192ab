"""Relapse-free survival: Kaplan-Meier curves, medians, at-risk table and log-rank test.

Time origin: the relapse criterion's anchor (``relapse__anchor_day``: the start of the first
immunotherapy by default, the first course of the ``Params(anchor=...)`` drug when one is
given; before it no relapse can be counted, so earlier days would be immortal time), else the
start of the first immunotherapy (``first_treatment_day``), or the first visit with
``origin='first_visit'``.
Event: the first relapse (``relapse = yes`` at ``relapse__first_day``). Censoring: the last
visit (``relapse = no``). Patients not evaluable for relapse, with a relapse of unknown day, or
without an origin are left out and counted in a remark.

Estimation by lifelines: ``KaplanMeierFitter`` for the curve (Greenwood variance, 95% intervals
on the log(-log) scale: R's ``survfit(..., conf.type = "log-log")``; R's default is "log") and
``multivariate_logrank_test`` for the log-rank test (R's ``survdiff``). The median and its
interval are read off those curves here (:func:`median_time`) by the rule R's ``print.survfit``
uses: the first time the curve is at or below 0.5, or, where it is exactly 0.5 until a later
drop, the middle of the two times; the limits are the same reading of the lower and upper
interval curves, where the interval is undefined once the curve is 0. lifelines' own median
(``median_survival_time_``, ``median_survival_times``) takes the first time with S <= 0.5
after computing S as ``exp(sum(log(1 - d/n)))``, so a curve that is 0.5 on paper can be
0.5000000000000001 and its median jumps to the next event (relapses on days 30, 60, 90, 120
and 180, a censoring on day 150: R's median is 105, lifelines' 120), and it gives the interval
a limit where the curve has reached 0 (180 there, where R has none). The tests in
tests/cohort/test_survival_against_r.py check curves, numbers at risk, medians and the log-rank
test against R.

Hand check (the test suite runs it): times 2, 3, 3+, 5, 8+ ('+' censored). At day 2, 1 of 5
at risk relapses: S = 4/5 = 0.8; day 3, 1 of 4: S = 0.8 x 3/4 = 0.6 (the patient censored on
day 3 is still at risk that day); day 5, 1 of 2: S = 0.6 x 1/2 = 0.3. Median: the first time
with S < 0.5, day 5.
Log-rank, group A = {1, 3}, group B = {2, 4+}: at day 1, 4 at risk (2 A), 1 event in A:
E_A = 2/4, V = 2 x 2 x 1 x 3 / (16 x 3) = 1/4; day 2, 3 at risk (1 A), event in B: E_A = 1/3,
V = 1 x 2 x 1 x 2 / (9 x 2) = 2/9; day 3, 2 at risk (1 A), event in A: E_A = 1/2, V = 1/4.
O_A - E_A = 2 - 4/3 = 2/3; V = 13/18; chi² = (4/9) / (13/18) = 8/13 = 0.6154; p = 0.4328 (1 df).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

import numpy as np
import pandas as pd
from lifelines import KaplanMeierFitter
from lifelines.statistics import multivariate_logrank_test

from myotrack.cohort.groups import NOT_EVALUABLE, as_text, require_columns

if TYPE_CHECKING:
    from myotrack.criteria import Params
from myotrack.cohort.table import CohortTable
from myotrack.cohort.variables import label, patient_frame
from myotrack.tables import Dataset

Origin = Literal["first_treatment", "first_visit"]
#: Tolerance of an 'exactly 0.5' survival (R's survmean: sqrt(.Machine$double.eps)).
MEDIAN_TOLERANCE = float(np.sqrt(np.finfo(float).eps))
MONTH_DAYS = 30.44
ALL = "all patients"


@dataclass(frozen=True, eq=False)
class Survival:
    """Kaplan-Meier estimates of one cohort, overall or by group.

    ``data``: one row per analysed patient (patient_id, group, time_days, event);
    ``curves``: per group the step function (time_days, survival, ci_lower, ci_upper);
    ``medians``: per group n, events, median and its 95% interval (days; NaN = not reached
    or undefined); the curves keep lifelines' interval (0, 0) where the curve has reached 0,
    which the median's interval reads as undefined, as R does;
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


def median_time(time: np.ndarray, surv: np.ndarray, tol: float = MEDIAN_TOLERANCE) -> float:
    """The median of a step curve ``surv`` at ``time`` (increasing): where it reaches 0.5.

    The rule of R's ``print.survfit`` (``survival:::survmean``, survival 3.5), ported: the
    first time with ``surv <= 0.5`` (within ``tol``); when the curve is 0.5 there and drops
    lower later, the middle of that time and the first lower one. NaN when the curve never
    reaches 0.5 (not reached); NaN values (an interval limit where it is undefined) are
    skipped. (R's ``quantile.survfit`` differs in one case: a curve that stays at 0.5 to its
    last time gets the middle of the first and the last time there.)
    """
    t = np.asarray(time, dtype=float)
    y = np.asarray(surv, dtype=float)
    keep = ~np.isnan(y) & (y < 0.5 + tol)
    if not keep.any():
        return math.nan
    t, y = t[keep], y[keep]
    lower = np.flatnonzero(y < y[0])
    if abs(y[0] - 0.5) < tol and lower.size:
        return float((t[0] + t[lower[0]]) / 2)
    return float(t[0])


def relapse_times(
    frame: pd.DataFrame, origin: Origin = "first_treatment"
) -> tuple[pd.DataFrame, list[str]]:
    """Per patient: time from the origin to the first relapse or the last visit, and the event.

    ``frame`` is a patient frame with the relapse outcome joined. Returns the analysable rows
    and remarks about the patients left out.
    """
    require_columns(frame, ["relapse", "relapse__first_day", "last_visit_day"])
    origin_col = "first_treatment_day" if origin == "first_treatment" else "first_visit_day"
    if origin == "first_treatment" and "relapse__anchor_day" in frame.columns:
        origin_col = "relapse__anchor_day"  # the criterion's own anchor (Params.anchor)
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
        grid = sf.index.to_numpy(dtype=float)
        surv = sf.to_numpy(dtype=float)
        undefined = surv <= 0  # log(-log(S)) has no interval once S is 0
        lower = np.where(undefined, np.nan, ci.iloc[:, 0].to_numpy(dtype=float))
        upper = np.where(undefined, np.nan, ci.iloc[:, 1].to_numpy(dtype=float))
        medians.append(
            {
                "group": g,
                "n": len(sub),
                "events": int(sub["event"].sum()),
                "median_days": median_time(grid, surv),
                "ci_lower": median_time(grid, lower),
                "ci_upper": median_time(grid, upper),
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
            "the start of the relapse criterion's anchor treatment"
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
    params: Params | None = None,
) -> Survival:
    """Relapse-free survival of a source (its outcomes evaluated if not given, with ``params``:
    ``Params(anchor='rituximab')`` starts the time at the first rituximab course)."""
    if outcomes is None:
        from myotrack.criteria import evaluate

        outcomes = evaluate(ds, criteria=["relapse"], params=params).frame
    return kaplan_meier(patient_frame(ds, outcomes), group_by, origin)
