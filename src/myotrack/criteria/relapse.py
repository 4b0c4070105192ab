"""Relapse, by the definition of seed 004 (Termglinchan 2024), Methods 1.4.

'The relapse criteria were that the serum creatine kinase (CK) returned to above the patient's
baseline level, rose to more than three times the reference upper limit and over 1 point
MRC-sum score drop from previous assessment' (004, citing Zhao et al. 2020).

At each assessment after the start of immunotherapy that has CK, its ULN and an MRC sum, all
three must hold, against the previous assessment with an MRC sum:
1. CK above the patient's baseline. ``relapse_baseline='nadir'`` (default): the lowest CK
   measured since immunotherapy started, before this assessment - the level the disease had
   been brought to;
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
    """The three 004 conditions at one assessment (null-safe: unknown is not met).

    A CK written '>N' is at least N: it is above a limit when N >= the limit. A CK written '<N'
    can never be shown to be above anything.
    """
    high = ibis.cases(
        (bound == "", (ck > baseline) & (ck > p.relapse_ck_multiple * uln)),
        (bound == ">", (ck >= baseline) & (ck >= p.relapse_ck_multiple * uln)),
        else_=False,
    )
    return (high & ((prev_mrc - mrc) > p.relapse_mrc_drop)).fill_null(False)


def measured(ctx: Context) -> ir.Table:
    """Every assessment after the anchor with CK, ULN and MRC sum, the three conditions evaluated.

    The previous assessment is the previous one with an MRC sum (whether or not it had a CK);
    the nadir is the lowest CK measured after the anchor before this assessment (whether or not
    an MRC sum was recorded with it). Consecutive qualifying assessments are one episode.
    """
    p = ctx.params
    a = anchored(ctx)
    after = a.filter(a.day > a.anchor_day)
    m = after.filter(after.mrc.notnull())
    wm = ibis.window(group_by="patient_id", order_by=m.day)
    m = m.select("patient_id", "day", prev_mrc=m.mrc.lag().over(wm), prev_day=m.day.lag().over(wm))
    c = after.filter(after.ck.notnull() & after.ck_uln.notnull())
    earlier = ibis.window(group_by="patient_id", order_by=c.day, rows=(None, -1))
    c = c.select("patient_id", "day", nadir=c.ck.min().over(earlier))
    post = after.filter(after.mrc.notnull() & after.ck.notnull() & after.ck_uln.notnull())
    post = post.inner_join(m, ["patient_id", "day"]).inner_join(c, ["patient_id", "day"])
    post = post.select(~ibis.selectors.matches("_right$"))
    if p.relapse_baseline == "nadir":
        baseline = post.nadir
    else:
        pre = a.filter((a.day <= a.anchor_day) & a.ck.notnull())
        pre = pick(pre, pre.day, ["ck"], largest=True).rename(pre_ck="ck")
        post = post.left_join(pre, "patient_id").select(~ibis.selectors.matches("_right$"))
        baseline = post.pre_ck
    post = post.mutate(
        baseline=baseline,
        hit=_meets(p, post.ck, post.ck_bound, post.ck_uln, baseline, post.prev_mrc, post.mrc),
        evaluable=post.prev_mrc.notnull() & baseline.notnull(),
    )
    w = ibis.window(group_by="patient_id", order_by=post.day)
    post = post.mutate(prev_hit=post.hit.lag().over(w).fill_null(False))
    return post.mutate(episode_start=post.hit & ~post.prev_hit)


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
