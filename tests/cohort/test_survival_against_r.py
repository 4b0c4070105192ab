"""Kaplan-Meier curves, numbers at risk, medians and the log-rank test against R 4.2.2
(survival 3.5-3).

The intervals are R's ``conf.type = "log-log"`` (R's default is "log"): myotrack, through
lifelines, gives Greenwood's variance on the log(-log) scale, and says so in a remark.

R code, cohort (the script run, /work/wt-notes/stats/survival.R in the development notes)::

    library(survival)
    # relapse-free days from the first immunotherapy; status 1 = relapse, 0 = censored
    d <- data.frame(
      time = c(60, 120, 120, 120, 200, 240, 300, 365, 400, 500,
               90, 180, 240, 240, 300, 420, 540, 600, 720),
      status = c(1, 1, 1, 0, 1, 0, 1, 0, 1, 0,
                 1, 0, 1, 1, 0, 1, 0, 0, 0),
      group = rep(c("SRP", "HMGCR"), c(10, 9))
    )
    fit <- survfit(Surv(time, status) ~ 1, data = d, conf.type = "log-log")
    print(summary(fit), digits = 7)
    print(fit, digits = 7)
    cat("n.risk at days 0, 180, 365, 540:", summary(fit, times = c(0, 180, 365, 540))$n.risk, "\\n")
    fitg <- survfit(Surv(time, status) ~ group, data = d, conf.type = "log-log")
    print(summary(fitg), digits = 7)
    print(fitg, digits = 7)
    s <- summary(fitg, times = c(0, 180, 365, 540), extend = TRUE)
    print(data.frame(strata = s$strata, time = s$time, n.risk = s$n.risk))
    lr <- survdiff(Surv(time, status) ~ group, data = d)
    print(lr)
    cat("chisq =", format(lr$chisq, digits = 10),
        " p =", format(pchisq(lr$chisq, 1, lower.tail = FALSE), digits = 10), "\\n")

R's output (the data frame and the Call lines left out)::

     time n.risk n.event  survival    std.err lower 95% CI upper 95% CI
       60     19       1 0.9473684 0.05122782    0.6811868    0.9924146
       90     18       1 0.8947368 0.07040590    0.6407944    0.9725854
      120     17       2 0.7894737 0.09352877    0.5319127    0.9152861
      200     13       1 0.7287449 0.10420121    0.4643055    0.8776477
      240     12       2 0.6072874 0.11699076    0.3453070    0.7914084
      300      9       1 0.5398111 0.12190758    0.2825201    0.7402821
      400      6       1 0.4498426 0.13063588    0.1961402    0.6758556
      420      5       1 0.3598740 0.13189972    0.1269423    0.6028759

          n events median 0.95LCL 0.95UCL
    [1,] 19     10    400     200      NA
    n.risk at days 0, 180, 365, 540: 19 14 7 3

                    group=HMGCR
     time n.risk n.event  survival   std.err lower 95% CI upper 95% CI
       90      9       1 0.8888889 0.1047566    0.4329651    0.9835640
      240      7       2 0.6349206 0.1692177    0.2382257    0.8660238
      420      4       1 0.4761905 0.1870920    0.1231075    0.7689014

                    group=SRP
     time n.risk n.event  survival    std.err lower 95% CI upper 95% CI
       60     10       1 0.9000000 0.09486833   0.47300927    0.9852814
      120      9       2 0.7000000 0.14491377   0.32871659    0.8919490
      200      6       1 0.5833333 0.16101530   0.22978652    0.8207395
      300      4       1 0.4375000 0.17473939   0.11871522    0.7256488
      400      2       1 0.2187500 0.17764922   0.01314906    0.5866750

                 n events median 0.95LCL 0.95UCL
    group=HMGCR  9      4    420      90      NA
    group=SRP   10      6    300      60      NA
           strata time n.risk
    1 group=HMGCR    0      9
    2 group=HMGCR  180      8
    3 group=HMGCR  365      4
    4 group=HMGCR  540      3
    5   group=SRP    0     10
    6   group=SRP  180      6
    7   group=SRP  365      3
    8   group=SRP  540      0

                 N Observed Expected (O-E)^2/E (O-E)^2/V
    group=HMGCR  9        4     5.64     0.478      1.18
    group=SRP   10        6     4.36     0.619      1.18

     Chisq= 1.2  on 1 degrees of freedom, p= 0.3
    chisq = 1.179721828  p = 0.2774126331

The data have tied relapses (day 120 twice in SRP, day 240 twice in HMGCR), a censoring on
the day of relapses (SRP day 120: the censored patient is still at risk that day) and ties
across groups (days 240 and 300).

R code, medians (/work/wt-notes/stats/survival_median.R)::

    show <- function(name, time, status) {
      fit <- survfit(Surv(time, status) ~ 1, conf.type = "log-log")
      print(summary(fit), digits = 7)
      print(fit, digits = 7)
    }
    show("exactly 0.5 from day 90 to day 120", c(30, 60, 90, 120, 150, 180), c(1, 1, 1, 1, 0, 1))
    show("exactly 0.5 to the end", c(10, 20, 30, 40), c(1, 1, 0, 0))
    show("interval closes", c(20, 40, 40, 60, 80, 100, 120, 140, 160, 180, 200, 220, 240, 260),
         c(1, 1, 1, 1, 1, 0, 1, 1, 1, 1, 1, 0, 1, 1))

R's output (``print(fit)`` lines; the curves are in survival_median.out)::

    == exactly 0.5 from day 90 to day 120
         n events median 0.95LCL 0.95UCL
    [1,] 6      5    105      30      NA
    == exactly 0.5 to the end
         n events median 0.95LCL 0.95UCL
    [1,] 4      2     20      10      NA
    == interval closes
          n events median 0.95LCL 0.95UCL
    [1,] 14     12    140      40     200

In the first, the curve is 0.5 from day 90 to the relapse on day 120 and R takes the middle,
105; lifelines' own median gives 120 (its S on day 90 is 0.5000000000000001) and an upper
limit of 180 (its interval is (0, 0) once S = 0, where R's is NA), which is why myotrack reads
the median off the curves itself (myotrack.cohort.survival.median_time).
"""

from __future__ import annotations

import pandas as pd
import pytest

from myotrack.cohort.survival import kaplan_meier
from tests.cohort.r_printed import printed
from tests.cohort.test_survival import frame

TIMES = [
    60,
    120,
    120,
    120,
    200,
    240,
    300,
    365,
    400,
    500,
    90,
    180,
    240,
    240,
    300,
    420,
    540,
    600,
    720,
]
EVENTS = [1, 1, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 1, 0, 1, 0, 0, 0]
GROUPS = ["SRP"] * 10 + ["HMGCR"] * 9

# summary(fit): time, n.risk, survival, lower 95% CI, upper 95% CI
R_OVERALL = [
    (60, 19, "0.9473684", "0.6811868", "0.9924146"),
    (90, 18, "0.8947368", "0.6407944", "0.9725854"),
    (120, 17, "0.7894737", "0.5319127", "0.9152861"),
    (200, 13, "0.7287449", "0.4643055", "0.8776477"),
    (240, 12, "0.6072874", "0.3453070", "0.7914084"),
    (300, 9, "0.5398111", "0.2825201", "0.7402821"),
    (400, 6, "0.4498426", "0.1961402", "0.6758556"),
    (420, 5, "0.3598740", "0.1269423", "0.6028759"),
]
R_BY_GROUP = {
    "HMGCR": [
        (90, 9, "0.8888889", "0.4329651", "0.9835640"),
        (240, 7, "0.6349206", "0.2382257", "0.8660238"),
        (420, 4, "0.4761905", "0.1231075", "0.7689014"),
    ],
    "SRP": [
        (60, 10, "0.9000000", "0.47300927", "0.9852814"),
        (120, 9, "0.7000000", "0.32871659", "0.8919490"),
        (200, 6, "0.5833333", "0.22978652", "0.8207395"),
        (300, 4, "0.4375000", "0.11871522", "0.7256488"),
        (400, 2, "0.2187500", "0.01314906", "0.5866750"),
    ],
}


def _check_curve(curves: pd.DataFrame, group: str, rows: list[tuple]) -> None:
    curve = curves[curves["group"] == group].set_index("time_days")
    for time, _, surv, lower, upper in rows:
        got = curve.loc[float(time)]
        assert (got["survival"], got["ci_lower"], got["ci_upper"]) == (
            printed(surv),
            printed(lower),
            printed(upper),
        ), f"{group} day {time}"


def _check_at_risk(at_risk: pd.DataFrame, group: str, expected: dict[int, int]) -> None:
    row = at_risk.set_index("group").loc[group]
    assert {d: int(row[str(d)]) for d in expected} == expected


def test_kaplan_meier_overall_against_r() -> None:
    s = kaplan_meier(frame(TIMES, EVENTS))
    _check_curve(s.curves, "all patients", R_OVERALL)
    med = s.medians.iloc[0]
    assert (med["n"], med["events"]) == (19, 10)
    assert (med["median_days"], med["ci_lower"], med["ci_upper"]) == (
        printed("400"),
        printed("200"),
        printed("NA"),
    )
    assert any("log(-log)" in r for r in s.remarks)
    # R's n.risk, at the event times and at chosen days (summary(fit, times = ...))
    event_days = {t: n for t, n, *_ in R_OVERALL}
    at = kaplan_meier(frame(TIMES, EVENTS), at_risk_days=sorted(event_days)).at_risk
    _check_at_risk(at, "all patients", event_days)
    at = kaplan_meier(frame(TIMES, EVENTS), at_risk_days=[0, 180, 365, 540]).at_risk
    _check_at_risk(at, "all patients", {0: 19, 180: 14, 365: 7, 540: 3})


def test_kaplan_meier_by_group_and_log_rank_against_r() -> None:
    s = kaplan_meier(
        frame(TIMES, EVENTS, GROUPS), group_by="group", at_risk_days=[0, 180, 365, 540]
    )
    for group, rows in R_BY_GROUP.items():
        _check_curve(s.curves, group, rows)
    medians = s.medians.set_index("group")
    assert medians.loc["HMGCR", ["n", "events"]].tolist() == [9, 4]
    assert medians.loc["SRP", ["n", "events"]].tolist() == [10, 6]
    for group, (median, lower, upper) in {
        "HMGCR": ("420", "90", "NA"),
        "SRP": ("300", "60", "NA"),
    }.items():
        got = medians.loc[group, ["median_days", "ci_lower", "ci_upper"]].tolist()
        assert got == [printed(median), printed(lower), printed(upper)]
    _check_at_risk(s.at_risk, "HMGCR", {0: 9, 180: 8, 365: 4, 540: 3})
    _check_at_risk(s.at_risk, "SRP", {0: 10, 180: 6, 365: 3, 540: 0})
    assert s.logrank_statistic == printed("1.179721828")
    assert s.logrank_p == printed("0.2774126331")


@pytest.mark.parametrize(
    ("times", "events", "r_median", "r_lower", "r_upper"),
    [
        ([30, 60, 90, 120, 150, 180], [1, 1, 1, 1, 0, 1], "105", "30", "NA"),
        ([10, 20, 30, 40], [1, 1, 0, 0], "20", "10", "NA"),
        (
            [20, 40, 40, 60, 80, 100, 120, 140, 160, 180, 200, 220, 240, 260],
            [1, 1, 1, 1, 1, 0, 1, 1, 1, 1, 1, 0, 1, 1],
            "140",
            "40",
            "200",
        ),
    ],
)
def test_median_and_interval_against_r(
    times: list[int], events: list[int], r_median: str, r_lower: str, r_upper: str
) -> None:
    med = kaplan_meier(frame(times, events)).medians.iloc[0]
    assert (med["median_days"], med["ci_lower"], med["ci_upper"]) == (
        printed(r_median),
        printed(r_lower),
        printed(r_upper),
    )
