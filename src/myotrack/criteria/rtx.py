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

from myotrack.criteria.base import NE, NO, YES, Context, Criterion, arg_max, arg_min, num, text
from myotrack.criteria.timepoints import first_course
from myotrack.measures.enzymes import fold_decrease

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


def build(ctx: Context) -> list[ir.Table]:
    p = ctx.params
    anc = first_course(ctx, "rituximab")
    a = ctx.assess.inner_join(anc, "patient_id")
    a = a.filter(
        (a.day >= a.anchor_day - p.baseline_lookback_days)
        & (a.day <= a.anchor_day + p.rtx_window_days)
    )
    # per patient in one pass: the last value of each measure at or before the anchor (within
    # the lookback) and the best one after it (within the window)
    before, after = a.day <= a.anchor_day, a.day > a.anchor_day

    def last_before(value: str) -> ir.Value:
        return arg_max(a[value], a.day, where=before & a[value].notnull())

    per = a.group_by("patient_id").aggregate(
        b_ck=last_before("ck"),
        b_ck_day=a.day.max(where=before & a.ck.notnull()),
        b_mrc=last_before("mrc"),
        b_up=last_before("upper_min"),
        b_lo=last_before("lower_min"),
        min_ck=a.ck.min(where=after),
        # of equal lowest CKs, the first
        min_ck_day=arg_min(
            a.day, ibis.struct({"ck": a.ck, "day": a.day}), where=after & a.ck.notnull()
        ),
        max_mrc=a.mrc.max(where=after),
        max_up=a.upper_min.max(where=after),
        max_lo=a.lower_min.max(where=after),
    )
    j = (
        ctx.patients.select("patient_id")
        .left_join(anc, "patient_id")
        .select(~ibis.selectors.matches("_right$"))
    )
    j = j.left_join(per, "patient_id").select(~ibis.selectors.matches("_right$"))
    fold = fold_decrease(j.b_ck, j.min_ck)
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
