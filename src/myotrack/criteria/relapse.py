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
``accept_reported_relapse`` is on (default); ``relapse__basis`` says which. It counts only when
clinical (``relapse_type`` clinical, both or not stated): a purely biochemical relapse (CK only)
does not meet 004, which requires an MRC sum drop. A reported relapse without a day is still a
relapse during follow-up (DOMAIN.md section 9): relapse is 'yes' and its first day unknown.
Details: first day, number of relapse episodes (consecutive qualifying assessments are one),
days from the anchor, basis, and the anchor's day (the time origin of relapse-free survival:
no relapse can be counted before it).

Computed in two steps: one window over the assessments with an MRC sum gives each its previous
one (:func:`rows`, :func:`compared`); only the candidates, which meet conditions 2 and 3, are
then compared with their baseline, found by a join with the CKs measured before them
(:func:`judged`). A running minimum over every assessment would cost more than the rest of
the criterion together.
"""

from __future__ import annotations

import ibis
import ibis.expr.types as ir

from myotrack.criteria import portable
from myotrack.criteria.base import NE, NO, YES, Context, Criterion, Params, arg_min, num, text
from myotrack.criteria.timepoints import anchored, pick
from myotrack.measures.bounds import compare_expr

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
        ("first_day", "count", "days_from_anchor", "basis", "anchor_day"),
    ),
)


def _raised(
    p: Params,
    ck: ir.Value,
    bound: ir.Value,
    uln: ir.Value,
    prev_mrc: ir.Value,
    mrc: ir.Value,
    state: ir.Value | None = None,
) -> ir.BooleanValue:
    """Conditions 2 and 3 at one assessment (null-safe: unknown is not met).

    A CK written '>N' is at least N: it is above a limit when N >= the limit. A CK written '<N'
    can never be shown to be above anything.
    """
    st = ibis.literal("") if state is None else state
    high = compare_expr(ck, bound, st, uln, "above", multiple=p.relapse_ck_multiple)
    return (high & ((prev_mrc - mrc) > p.relapse_mrc_drop)).fill_null(False)


def _above(ck: ir.Value, bound: ir.Value, uln: ir.Value, baseline: ir.Value) -> ir.BooleanValue:
    """Condition 1: CK above the baseline (a bound read as in :func:`_raised`)."""
    return compare_expr(ck, bound, ibis.literal(""), uln, "above", limit=baseline).fill_null(False)


def rows(ctx: Context) -> ir.Table:
    """The assessments after the anchor with CK, ULN and MRC sum, each with the previous MRC sum.

    A CK written only 'normal' (``ck_state``) needs no ULN: it is compared too (never above
    3x ULN, so never a relapse). The previous assessment is the previous one with an MRC sum (whether or not it had a CK):
    one window over the assessments with an MRC sum, two plain ``LAG``s.
    """
    a = anchored(ctx)
    a = a.filter((a.day > a.anchor_day) & a.mrc.notnull())
    w = ibis.window(group_by="patient_id", order_by="day")
    a = a.mutate(prev_mrc=a.mrc.lag().over(w), prev_day=a.day.lag().over(w))
    return a.filter((a.ck.notnull() & a.ck_uln.notnull()) | (a.ck_state == "normal"))


#: What a candidate assessment carries to the second step.
_CANDIDATE = ("day", "ck", "ck_uln", "ck_bound", "mrc", "prev_mrc", "prev_day", "anchor_day")


def compared(ctx: Context, r: ir.Table | None = None) -> ir.Table:
    """Per patient, in one pass over :func:`rows` (or ``r``, the same rows stored): the
    comparisons and the candidates.

    A candidate meets conditions 2 and 3 (CK > 3x ULN, MRC sum drop); only a candidate can be
    a relapse, and candidates are few (about 1 assessment in 75 in the synthetic cohorts), so
    the baseline (condition 1) is found for them alone: :func:`judged`. Columns: ``n_prev``
    (assessments with a previous MRC sum), ``first_day`` and ``first_prev`` (the first
    assessment's day and previous MRC sum), ``anchor_day``, and where a table can hold lists of
    structs (:func:`myotrack.criteria.portable.row_lists`) ``candidates``.
    """
    r = rows(ctx) if r is None else r
    aggs = {
        "n_prev": r.prev_mrc.notnull().ifelse(1, 0).sum(),
        "first_day": r.day.min(),
        "first_prev": arg_min(r.prev_mrc, r.day),
        "anchor_day": r.anchor_day.max(),
    }
    if portable.row_lists():
        row = ibis.struct({c: r[c] for c in _CANDIDATE})
        aggs["candidates"] = row.collect(where=_candidate(ctx, r))
    return r.group_by("patient_id").aggregate(**aggs)


def _candidate(ctx: Context, r: ir.Table) -> ir.BooleanValue:
    return _raised(ctx.params, r.ck, r.ck_bound, r.ck_uln, r.prev_mrc, r.mrc, r.ck_state)


def candidates(ctx: Context, per: ir.Table, r: ir.Table | None = None) -> ir.Table:
    """The candidate assessments: unnested from ``per``, or filtered from the rows ``r``."""
    if portable.row_lists():
        return per.select("patient_id", c=per.candidates).unnest("c").unpack("c")
    r = rows(ctx) if r is None else r
    return r.filter(_candidate(ctx, r)).select("patient_id", *_CANDIDATE)


def judged(ctx: Context, per: ir.Table, r: ir.Table | None = None) -> ir.Table:
    """Every candidate of :func:`compared` with its baseline and whether it is a relapse (``hit``).

    ``nadir``: the lowest CK (with its ULN) measured after the anchor before the candidate,
    whether or not an MRC sum was recorded with it; ``prev_full_day``: the previous assessment
    with CK, ULN and MRC sum (for counting episodes).
    """
    p = ctx.params
    c = candidates(ctx, per, r)
    j = _cks_before(ctx, c, "day")
    before = j.group_by(["patient_id", "day"]).aggregate(
        nadir=j.e_ck.min(), prev_full_day=j.e_day.max(where=j.e_full)
    )
    c = c.left_join(before, ["patient_id", "day"]).select(~ibis.selectors.matches("_right$"))
    if p.relapse_baseline == "nadir":
        baseline = c.nadir
    else:
        c = c.left_join(_pretreatment(ctx), "patient_id").select(~ibis.selectors.matches("_right$"))
        baseline = c.pre_ck
    return c.mutate(baseline=baseline, hit=_above(c.ck, c.ck_bound, c.ck_uln, baseline))


def _pretreatment(ctx: Context) -> ir.Table:
    """Per patient, the last CK at or before the start of immunotherapy (``pre_ck``)."""
    a = anchored(ctx)
    pre = a.filter((a.day <= a.anchor_day) & a.ck.notnull())
    return pick(pre, pre.day, ["ck"], largest=True).rename(pre_ck="ck")


#: The first relapse's values named in the explanation.
_FIRST = ("ck", "baseline", "ck_uln", "mrc", "prev_mrc", "prev_day")


def _hits(c: ir.Table) -> ir.Table:
    """Per patient: episodes and the first relapse, from the judged candidates.

    An episode starts at a relapse whose previous comparable assessment (``prev_full_day``) was
    not one: the relapses minus those whose previous comparable day is itself a relapse day
    (each such day is distinct, so the count is the size of the two lists' intersection).
    """
    h = c.filter(c.hit)
    per = h.group_by("patient_id").aggregate(
        n_hits=h.count(),
        m_first_day=h.day.min(),
        **{f"first_{col}": arg_min(h[col], h.day) for col in _FIRST},
    )
    rep = portable.repeated(h, "day", "prev_full_day")
    j = per.inner_join(rep, "patient_id")
    return j.select(~ibis.selectors.cols("n_hits", "repeated"), n_episodes=j.n_hits - j.repeated)


def _cks_before(ctx: Context, t: ir.Table, day: str) -> ir.Table:
    """``t`` (with ``patient_id`` and ``anchor_day``) joined to every CK with its ULN measured
    after the anchor and before ``t[day]``: ``e_day``, ``e_ck``, ``e_full`` (with an MRC sum)."""
    a = ctx.assess
    ck = a.filter(a.ck.notnull() & a.ck_uln.notnull()).select(
        e_patient="patient_id", e_day="day", e_ck="ck", e_full=a.mrc.notnull()
    )
    return t.inner_join(
        ck, [t.patient_id == ck.e_patient, ck.e_day < t[day], ck.e_day > t.anchor_day]
    )


def _evaluable(ctx: Context, per: ir.Table) -> ir.Table:
    """Per patient, the assessments compared: with a previous MRC sum and a baseline.

    With the nadir, every assessment but the first has a CK before it; the first has one only
    when a CK without an MRC sum came earlier (looked up for the patients whose first
    assessment has a previous MRC sum, i.e. an MRC sum without CK came earlier).
    """
    if ctx.params.relapse_baseline == "nadir":
        j = _cks_before(ctx, per.filter(per.first_prev.notnull()), "first_day")
        with_ck = j.select("patient_id").distinct().mutate(ck_before=True)
        e = per.left_join(with_ck, "patient_id").select(~ibis.selectors.matches("_right$"))
        alone = e.first_prev.notnull() & e.ck_before.isnull()
        return e.select("patient_id", n_eval=e.n_prev - alone.ifelse(1, 0))
    pre = _pretreatment(ctx)
    e = per.left_join(pre, "patient_id").select(~ibis.selectors.matches("_right$"))
    return e.select("patient_id", n_eval=e.pre_ck.notnull().ifelse(e.n_prev, 0))


def build(ctx: Context, per: ir.Table, r: ir.Table | None = None) -> list[ir.Table]:
    """The relapse criterion from :func:`compared` (``per``, stored by the engine first, as may
    be the rows ``r`` it was computed from)."""
    p = ctx.params
    hits = _hits(judged(ctx, per, r))
    hits = hits.select(
        "patient_id",
        "n_episodes",
        "m_first_day",
        m_why=ibis.literal("visits day ")
        + text(hits.m_first_day)
        + ": CK "
        + num(hits.first_ck)
        + " > baseline "
        + num(hits.first_baseline)
        + " and > "
        + num(hits.first_ck_uln * p.relapse_ck_multiple)
        + f" ({p.relapse_ck_multiple:g}x ULN); MRC sum "
        + num(hits.first_mrc)
        + " vs "
        + num(hits.first_prev_mrc)
        + " on day "
        + text(hits.first_prev_day),
    )
    ev = ctx.events
    clinical = ev.filter(
        (ev.kind == "relapse_reported") & (ev.relapse_type.fill_null("") != "biochemical")
    )
    rep = clinical.filter(clinical.day.notnull())
    rep = rep.inner_join(ctx.immuno_start, "patient_id")
    rep = rep.filter(rep.day > rep.anchor_day)
    rep = rep.group_by("patient_id").aggregate(r_first_day=rep.day.min(), r_n=rep.count())
    undated = clinical.filter(clinical.day.isnull())
    undated = undated.group_by("patient_id").aggregate(u_n=undated.count())

    j = (
        ctx.patients.select("patient_id")
        .left_join(ctx.immuno_start, "patient_id")
        .select(~ibis.selectors.matches("_right$"))
    )
    for t in (_evaluable(ctx, per), hits, rep, undated):
        j = j.left_join(t, "patient_id").select(~ibis.selectors.matches("_right$"))
    use_rep = ibis.literal(p.accept_reported_relapse)
    measured_yes = j.m_first_day.notnull()
    reported_yes = use_rep & j.r_first_day.notnull()
    undated_yes = use_rep & (j.u_n.fill_null(0) > 0)
    value = ibis.cases(
        (measured_yes | reported_yes | undated_yes, ibis.literal(YES)),
        (j.n_eval.fill_null(0) > 0, ibis.literal(NO)),
        else_=ibis.literal(NE),
    )
    first_day = ibis.cases(
        (undated_yes, ibis.null("int64")),  # an undated relapse may have come first
        (measured_yes & reported_yes, ibis.least(j.m_first_day, j.r_first_day)),
        (measured_yes, j.m_first_day),
        (reported_yes, j.r_first_day),
        else_=ibis.null("int64"),
    )
    basis = ibis.cases(
        (measured_yes & reported_yes, ibis.literal("measured+reported")),
        (measured_yes, ibis.literal("measured")),
        (reported_yes | undated_yes, ibis.literal("reported")),
        else_=ibis.null("string"),
    )
    why = ibis.cases(
        (measured_yes, j.m_why),
        (reported_yes, ibis.literal("events day ") + text(j.r_first_day) + ": relapse_reported"),
        (undated_yes, ibis.literal("events: relapse_reported (no day given)")),
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
    count = (
        j.n_episodes.cast("int64").fill_null(0)
        + ibis.ifelse(
            measured_yes, 0, ibis.ifelse(reported_yes, j.r_n.cast("int64").fill_null(0), 0)
        )
        + ibis.ifelse(undated_yes, j.u_n.cast("int64").fill_null(0), 0)
    )
    out = j.select(
        "patient_id",
        relapse=value,
        relapse__first_day=first_day,
        relapse__count=ibis.ifelse(value == NE, ibis.null("int64"), count.cast("int64")),
        relapse__days_from_anchor=first_day - j.anchor_day,
        relapse__basis=basis,
        relapse__anchor_day=j.anchor_day,
        relapse__why=why,
        relapse__reason=reason,
    )
    return [out]
