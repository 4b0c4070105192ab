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
- CK bounds (``ck_bound``, ``ck_state``; :func:`myotrack.measures.bounds.compare_expr`): the
  baseline is an interval (``>10000`` is at least 10,000, ``~4000`` is 3,600..4,400, 'elevated'
  is above the ULN); the CK part holds when some CK in the window is surely at most the
  baseline's lowest value / 10, fails when every CK in the window is surely above the
  baseline's highest value / 10, and is unknown otherwise ('>999' after 10,000 may or may not
  be a 10-fold fall; after '>10000', 1001 is undecided).
yes: either part holds; no: both parts evaluable and neither holds; else not evaluable.
"""

from __future__ import annotations

import ibis
import ibis.expr.types as ir

from myotrack.criteria.base import NE, NO, YES, Context, Criterion, arg_max, arg_min, num, text
from myotrack.criteria.portable import pick_fields, rounded
from myotrack.criteria.timepoints import first_course
from myotrack.measures.bounds import APPROXIMATE, compare_expr
from myotrack.measures.enzymes import fold_decrease


def _ends(
    ck: ir.NumericValue, bound: ir.StringValue, state: ir.StringValue, uln: ir.NumericValue
) -> tuple[ir.NumericValue, ir.NumericValue]:
    """The lowest and highest value a CK as written allows (null high = unbounded)."""
    b, s, v, u = bound.fill_null(""), state.fill_null(""), ck.cast("float64"), uln.cast("float64")
    low = ibis.cases(
        (s == "normal", ibis.literal(0.0)),
        (s == "elevated", u),
        (b.isin(["<", "<="]), ibis.literal(0.0)),
        (b == "~", v * (1 - APPROXIMATE)),
        else_=v,
    )
    high = ibis.cases(
        (s == "normal", u),
        (s == "elevated", ibis.null("float64")),
        (b.isin([">", ">="]), ibis.null("float64")),
        (b == "~", v * (1 + APPROXIMATE)),
        else_=v,
    )
    return low, high


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

    has_ck = a.ck.notnull() | (a.ck_state != "")
    ck_row = {"ck": a.ck, "bound": a.ck_bound, "state": a.ck_state, "uln": a.ck_uln, "day": a.day}
    base_ck = pick_fields(ck_row, a.day, where=before & has_ck, largest=True)
    per = a.group_by("patient_id").aggregate(
        b_ck=base_ck["ck"],
        b_bound=base_ck["bound"],
        b_state=base_ck["state"],
        b_uln=base_ck["uln"],
        b_ck_day=base_ck["day"],
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
    # the CK part, three-valued: each CK in the window against the baseline's interval
    b_low, b_high = _ends(j.b_ck, j.b_bound, j.b_state, j.b_uln)
    base = j.select("patient_id", b_low=b_low, b_high=b_high, b_has=j.b_ck_day.notnull())
    base = base.filter(base.b_has).drop("b_has")
    w = a.filter(after & has_ck).inner_join(base, "patient_id")
    fold_limit = float(p.rtx_ck_fold)
    sure_fall = compare_expr(
        w.ck,
        w.ck_bound,
        w.ck_state,
        w.ck_uln,
        "at_most",
        limit=ibis.ifelse(w.b_low > 0, w.b_low / fold_limit, ibis.null("float64")),
    )
    no_fall = compare_expr(
        w.ck, w.ck_bound, w.ck_state, w.ck_uln, "above", limit=w.b_high / fold_limit
    )
    ck_votes = w.group_by("patient_id").aggregate(
        n_follow=w.count(),
        n_fall=sure_fall.fill_null(False).ifelse(1, 0).sum(),
        n_no=no_fall.fill_null(False).ifelse(1, 0).sum(),
    )
    j = j.left_join(ck_votes, "patient_id").select(~ibis.selectors.matches("_right$"))
    fold = fold_decrease(j.b_ck, j.min_ck)
    ck_ok = ibis.cases(
        (j.n_fall.fill_null(0) > 0, True),
        ((j.n_follow.fill_null(0) > 0) & (j.n_no == j.n_follow), False),
        else_=ibis.null("boolean"),
    )
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
                " (or its written bounds leave a 10-fold fall open)"
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
            rtx_response__ck_fold=rounded(fold, 2),
            rtx_response__strength_change=change,
            rtx_response__why=why,
            rtx_response__reason=ibis.ifelse(value == NE, reason, ibis.literal("")),
        )
    ]
