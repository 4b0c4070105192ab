"""Response to rituximab as the literature review of seed 001 counts it (Table 4, footnote b).

'Response is defined as strength increased 2 points or CK levels declined by 10-fold within
6 months.'

- Anchor: the first rituximab course with a start day (or the ``--anchor`` drug).
- Baseline: the last assessment at or before the anchor, no earlier than
  ``baseline_lookback_days`` (120) before it, with CK (for the CK part) and with strength (for
  the strength part).
- Within (anchor, anchor + ``rtx_window_days`` (183)]: the lowest CK and the best strength.
- Strength is the MRC sum when recorded at both; otherwise the weakest whole grade of the
  upper or lower region (the same regions as the 002 rule). '2 points' = 2 MRC-sum points or
  2 whole grades.
yes: either part holds; no: both parts evaluable and neither holds; else not evaluable.
"""

from __future__ import annotations

import ibis
import ibis.expr.types as ir

from myotrack.criteria.base import NE, NO, YES, Context, Criterion, arg_min, num, text
from myotrack.criteria.timepoints import first_course, pick

CRITERIA = (
    Criterion(
        "rtx_response",
        "Response to rituximab (strength +2 points or CK down 10-fold within 6 months)",
        "001 (anti-SRP anti-B-cell review) Table 4, footnote b",
        {
            "anchor": "first rituximab start (or --anchor)",
            "window_days": "183",
            "ck_fold": "10",
            "strength_points": "2",
            "baseline_lookback_days": "120",
        },
        "first rituximab",
        ("anchor_drug", "ck_fold", "strength_change"),
    ),
)


def _last_before(a: ir.Table, value: str, lookback: int) -> ir.Table:
    b = a.filter(a[value].notnull() & (a.day <= a.anchor_day) & (a.day >= a.anchor_day - lookback))
    return pick(b, b.day, ["day", value], largest=True)


def build(ctx: Context) -> list[ir.Table]:
    p = ctx.params
    anc = first_course(ctx, "rituximab")
    a = ctx.assess.inner_join(anc, "patient_id")
    win = a.filter((a.day > a.anchor_day) & (a.day <= a.anchor_day + p.rtx_window_days))
    b_ck = _last_before(a, "ck", p.baseline_lookback_days).select(
        "patient_id", b_ck="ck", b_ck_day="day"
    )
    b_mrc = _last_before(a, "mrc", p.baseline_lookback_days).select("patient_id", b_mrc="mrc")
    b_up = _last_before(a, "upper_min", p.baseline_lookback_days).select(
        "patient_id", b_up="upper_min"
    )
    b_lo = _last_before(a, "lower_min", p.baseline_lookback_days).select(
        "patient_id", b_lo="lower_min"
    )
    after = win.group_by("patient_id").aggregate(
        min_ck=win.ck.min(),
        min_ck_day=arg_min(win.day, win.ck),
        max_mrc=win.mrc.max(),
        max_up=win.upper_min.max(),
        max_lo=win.lower_min.max(),
    )
    j = (
        ctx.patients.select("patient_id")
        .left_join(anc, "patient_id")
        .select(~ibis.selectors.matches("_right$"))
    )
    for t in (b_ck, b_mrc, b_up, b_lo, after):
        j = j.left_join(t, "patient_id").select(~ibis.selectors.matches("_right$"))
    fold = j.b_ck / j.min_ck
    ck_ok = fold >= p.rtx_ck_fold
    mrc_change = j.max_mrc - j.b_mrc
    up_change = (j.max_up - j.b_up).cast("float64")
    lo_change = (j.max_lo - j.b_lo).cast("float64")
    change = ibis.coalesce(mrc_change, ibis.greatest(up_change, lo_change), up_change, lo_change)
    st_ok = change >= p.rtx_strength_points
    value = ibis.cases(
        (ck_ok.fill_null(False) | st_ok.fill_null(False), ibis.literal(YES)),
        (ck_ok.notnull() & st_ok.notnull(), ibis.literal(NO)),
        else_=ibis.literal(NE),
    )
    reason = ibis.cases(
        (j.anchor_day.isnull(), ibis.literal("no rituximab course with a start day")),
        (
            ck_ok.isnull() & st_ok.isnull(),
            ibis.literal("no CK or strength both before and within 6 months after ")
            + j.anchor_drug,
        ),
        (
            ck_ok.isnull(),
            ibis.literal(
                "strength did not improve by 2 and CK was not measured both before and after"
            ),
        ),
        (
            st_ok.isnull(),
            ibis.literal(
                "CK fell less than 10-fold and strength was not assessed both before and after"
            ),
        ),
        else_=ibis.literal(""),
    )
    why = (
        ibis.literal("CK ")
        + num(j.b_ck)
        + " (day "
        + text(j.b_ck_day)
        + ") -> lowest "
        + num(j.min_ck)
        + " (day "
        + text(j.min_ck_day)
        + "); strength change "
        + num(change)
        + " (anchor "
        + j.anchor_drug.fill_null("?")
        + " day "
        + text(j.anchor_day)
        + ")"
    )
    return [
        j.select(
            "patient_id",
            rtx_response=value,
            rtx_response__anchor_drug=j.anchor_drug,
            rtx_response__ck_fold=fold.round(2),
            rtx_response__strength_change=change,
            rtx_response__why=why,
            rtx_response__reason=ibis.ifelse(value == NE, reason, ibis.literal("")),
        )
    ]
