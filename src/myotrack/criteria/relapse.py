"""Relapse, by the definition of seed 004 (Termglinchan 2024), Methods 1.4.

'The relapse criteria were that the serum creatine kinase (CK) returned to above the patient's
baseline level, rose to more than three times the reference upper limit and over 1 point
MRC-sum score drop from previous assessment' (004, citing Zhao et al. 2020).

At each assessment after the start of immunotherapy that has CK, its ULN and an MRC sum, all
three must hold, against the previous assessment with an MRC sum:
1. CK above the patient's baseline. ``relapse_baseline='nadir'`` (default): the lowest CK of
   the earlier assessments (with CK, ULN and MRC sum) since immunotherapy started - the level
   the disease had been brought to;
   ``'pretreatment'``: the last CK at or before the start of immunotherapy. 004 does not say
   which; 'returned to above' reads as a return from a treated level, and a pre-treatment
   baseline (median 3,925 U/L in 004) would make relapse rarer than the 41% 004 reports.
2. CK > 3 x ULN (``relapse_ck_multiple``).
3. MRC sum lower than at the previous assessment by more than 1 point (``relapse_mrc_drop``).

A relapse recorded as an event (``events.kind = relapse_reported``, e.g. 'clear clinical and
biochemical relapse' in a case report without numbers) counts too when
``accept_reported_relapse`` is on (default); ``relapse__basis`` says which.
Details: first day, number of relapse episodes (consecutive qualifying assessments are one),
days from the anchor, basis.
"""

from __future__ import annotations

import ibis
import ibis.expr.types as ir

from myotrack.criteria.base import NE, NO, YES, Context, Criterion, Params, num, text
from myotrack.criteria.timepoints import anchored, pick

CRITERIA = (
    Criterion(
        "relapse",
        "Relapse (CK above baseline and > 3x ULN with MRC sum drop > 1)",
        "004 (Termglinchan 2024) Methods 1.4",
        {
            "anchor": "first immunotherapy start",
            "ck_multiple": "3",
            "mrc_drop": "> 1 point",
            "baseline": "nadir since immunotherapy (or pretreatment)",
            "accept_reported_relapse": "yes",
        },
        "first immunotherapy",
        ("first_day", "count", "days_from_anchor", "basis"),
    ),
)


def _meets(
    p: Params,
    ck: ir.Value,
    bound: ir.Value,
    uln: ir.Value,
    baseline: ir.Value,
    prev_mrc: ir.Value,
    mrc: ir.Value,
) -> ir.BooleanValue:
    """The three 004 conditions at one assessment (null-safe: unknown is not met)."""
    exact_high = (bound == "") | (bound == ">")
    cond = (
        exact_high
        & (ck > baseline)
        & (ck > p.relapse_ck_multiple * uln)
        & ((prev_mrc - mrc) > p.relapse_mrc_drop)
    )
    return cond.fill_null(False)


def measured(ctx: Context) -> ir.Table:
    """Every assessment after the anchor with CK, ULN and MRC sum, the three conditions evaluated.

    One window pass (one sort): the nadir is the lowest CK of the earlier such assessments, and
    whether the previous assessment met the rule is computed from lagged values, so consecutive
    qualifying assessments count as one episode.
    """
    p = ctx.params
    a = anchored(ctx)
    post = a.filter((a.day > a.anchor_day) & a.mrc.notnull() & a.ck.notnull() & a.ck_uln.notnull())
    w = ibis.window(group_by="patient_id", order_by=post.day)
    before1 = ibis.window(group_by="patient_id", order_by=post.day, rows=(None, -1))
    before2 = ibis.window(group_by="patient_id", order_by=post.day, rows=(None, -2))
    post = post.mutate(
        prev_mrc=post.mrc.lag().over(w),
        prev2_mrc=post.mrc.lag(2).over(w),
        prev_day=post.day.lag().over(w),
        prev_ck=post.ck.lag().over(w),
        prev_uln=post.ck_uln.lag().over(w),
        prev_bound=post.ck_bound.lag().over(w),
        nadir=post.ck.min().over(before1),
        prev_nadir=post.ck.min().over(before2),
    )
    if p.relapse_baseline == "nadir":
        baseline, prev_baseline = post.nadir, post.prev_nadir
    else:
        pre = a.filter((a.day <= a.anchor_day) & a.ck.notnull())
        pre = pick(pre, pre.day, ["ck"], largest=True).rename(pre_ck="ck")
        post = post.left_join(pre, "patient_id").select(~ibis.selectors.matches("_right$"))
        baseline = prev_baseline = post.pre_ck
    hit = _meets(p, post.ck, post.ck_bound, post.ck_uln, baseline, post.prev_mrc, post.mrc)
    prev_hit = _meets(
        p,
        post.prev_ck,
        post.prev_bound,
        post.prev_uln,
        prev_baseline,
        post.prev2_mrc,
        post.prev_mrc,
    )
    return post.mutate(
        baseline=baseline,
        hit=hit,
        evaluable=post.prev_mrc.notnull() & baseline.notnull(),
        episode_start=hit & ~prev_hit,
    )


def build(ctx: Context) -> list[ir.Table]:
    p = ctx.params
    m = measured(ctx)
    hits = m.filter(m.hit)
    first = pick(hits, hits.day, hits.columns)
    first = first.select(
        "patient_id",
        m_first_day=first.day,
        m_why=ibis.literal("visits day ")
        + text(first.day)
        + ": CK "
        + num(first.ck)
        + " > baseline "
        + num(first.baseline)
        + " and > "
        + num(first.ck_uln * p.relapse_ck_multiple)
        + f" ({p.relapse_ck_multiple:g}x ULN); MRC sum "
        + num(first.mrc)
        + " vs "
        + num(first.prev_mrc)
        + " on day "
        + text(first.prev_day),
    )
    summary = m.group_by("patient_id").aggregate(
        n_eval=m.evaluable.ifelse(1, 0).sum(), n_episodes=m.episode_start.ifelse(1, 0).sum()
    )
    ev = ctx.events
    rep = ev.filter((ev.kind == "relapse_reported") & ev.day.notnull())
    rep = rep.inner_join(ctx.immuno_start, "patient_id")
    rep = rep.filter(rep.day > rep.anchor_day)
    rep = rep.group_by("patient_id").aggregate(r_first_day=rep.day.min(), r_n=rep.count())

    j = (
        ctx.patients.select("patient_id")
        .left_join(ctx.immuno_start, "patient_id")
        .select(~ibis.selectors.matches("_right$"))
    )
    for t in (summary, first, rep):
        j = j.left_join(t, "patient_id").select(~ibis.selectors.matches("_right$"))
    use_rep = ibis.literal(p.accept_reported_relapse)
    measured_yes = j.m_first_day.notnull()
    reported_yes = use_rep & j.r_first_day.notnull()
    value = ibis.cases(
        (measured_yes | reported_yes, ibis.literal(YES)),
        (j.n_eval.fill_null(0) > 0, ibis.literal(NO)),
        else_=ibis.literal(NE),
    )
    first_day = ibis.cases(
        (measured_yes & reported_yes, ibis.least(j.m_first_day, j.r_first_day)),
        (measured_yes, j.m_first_day),
        (reported_yes, j.r_first_day),
        else_=ibis.null("int64"),
    )
    basis = ibis.cases(
        (measured_yes & reported_yes, ibis.literal("measured+reported")),
        (measured_yes, ibis.literal("measured")),
        (reported_yes, ibis.literal("reported")),
        else_=ibis.null("string"),
    )
    why = ibis.cases(
        (measured_yes, j.m_why),
        (reported_yes, ibis.literal("events day ") + text(j.r_first_day) + ": relapse_reported"),
        else_=ibis.literal(""),
    )
    reason = ibis.cases(
        (j.anchor_day.isnull(), ibis.literal("no immunotherapy with a start day")),
        (
            value == NE,
            ibis.literal(
                "no two assessments after the start of immunotherapy with CK, ULN and MRC sum"
            ),
        ),
        (
            value == NO,
            ibis.literal("no assessment met all three conditions (")
            + text(j.n_eval)
            + " compared)",
        ),
        else_=ibis.literal(""),
    )
    count = j.n_episodes.cast("int64").fill_null(0) + ibis.ifelse(
        measured_yes, 0, ibis.ifelse(reported_yes, j.r_n.cast("int64").fill_null(0), 0)
    )
    out = j.select(
        "patient_id",
        relapse=value,
        relapse__first_day=first_day,
        relapse__count=ibis.ifelse(value == NE, ibis.null("int64"), count.cast("int64")),
        relapse__days_from_anchor=first_day - j.anchor_day,
        relapse__basis=basis,
        relapse__why=why,
        relapse__reason=reason,
    )
    return [out]
