"""Relapse, by the definition of seed 004 (Termglinchan 2024), Methods 1.4.

'The relapse criteria were that the serum creatine kinase (CK) returned to above the patient's
baseline level, rose to more than three times the reference upper limit and over 1 point
MRC-sum score drop from previous assessment' (004, citing Zhao et al. 2020).

Every assessment after the start of immunotherapy with a CK or an MRC sum is judged; at that
one assessment all four conditions must hold, each true, false or unknown (DOMAIN.md section 9,
:mod:`myotrack.criteria.base`):

0. it lies after the anchor (days and the anchor are ranges: :func:`~myotrack.criteria.base.after3`);
1. CK above the patient's baseline. ``relapse_baseline='nadir'`` (default): the lowest CK
   measured from the day immunotherapy started (a CK drawn that day included) up to this
   assessment - the level the disease had been brought to; known only when a CK surely lies
   in that stretch, and compared as ranges ('<4200' is 0..4200, 'normal' 0..ULN);
   ``'pretreatment'``: the last CK at or before the start of immunotherapy. 004 does not say
   which; 'returned to above' reads as a return from a treated level, and a pre-treatment
   baseline (median 3,925 U/L in 004) would make relapse rarer than the 41% 004 reports.
2. CK > 3 x ULN (``relapse_ck_multiple``; a number needs its ULN, 'normal' needs none).
3. MRC sum lower than at the previous assessment with an MRC sum (before the anchor too) by
   more than 1 point (``relapse_mrc_drop``); sums known only as a range (``mrc_low`` ..
   ``mrc_high``) decide it when every sum they allow does. When day ranges overlap, every
   assessment that could be the previous one is compared: the drop is known when a previous
   one surely exists and every candidate gives the same answer.

Relapse is 'yes' when one assessment meets all four, 'no' when every assessment is known not
to (at least one surely after the anchor), 'not evaluable' otherwise, with the first open
assessment's missing fact as the reason. An assessment without a CK whose MRC sum did not drop
is a 'no' there; one with a CK not above 3x ULN too.

A relapse recorded as an event (``events.kind = relapse_reported``, e.g. 'clear clinical and
biochemical relapse' in a case report without numbers) counts too when
``accept_reported_relapse`` is on (default); ``relapse__basis`` says which. It counts only when
clinical (``relapse_type`` clinical, both or not stated): a purely biochemical relapse (CK only)
does not meet 004, which requires an MRC sum drop. A reported relapse without a day is still a
relapse during follow-up (DOMAIN.md section 9): relapse is 'yes' and its first day unknown; a
dated one counts when it surely lies after the anchor (unknown when it may not).
Details: first day, number of relapse episodes (consecutive qualifying assessments are one),
days from the anchor, basis, and the anchor's day (the time origin of relapse-free survival:
no relapse can be counted before it).

Computed in two steps: the MRC assessments that could be each one's previous
(:func:`~myotrack.criteria.base.previous_candidates`) give each its MRC sum drop
(:func:`rows`, :func:`compared`), which decides conditions 0, 2 and 3; only the candidates,
whose value these leave open or true, are then compared with their baseline, found by a join
with the CKs measured before them (:func:`judged`). A running minimum over every assessment
would cost more than the rest of the criterion together.
"""

from __future__ import annotations

import ibis
import ibis.expr.types as ir

from myotrack.criteria import portable
from myotrack.criteria.anchors import anchor_span
from myotrack.criteria.base import (
    NE,
    NO,
    YES,
    Context,
    Criterion,
    Params,
    Span,
    after3,
    agreed,
    agreed_one,
    all3,
    arg_min,
    ck_range,
    known,
    num,
    order_open,
    order_open_one,
    refuted,
    span,
    text,
    truth,
)
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


def _has_ck(t: ir.Table) -> ir.BooleanValue:
    """A CK was measured: a number, or only a word ('normal', 'elevated')."""
    return t.ck.notnull() | (t.ck_state.fill_null("") != "")


def rows(ctx: Context) -> ir.Table:
    """The assessments that may lie after the anchor with a CK or an MRC sum, each with the
    previous assessment's MRC sum range (``prev_low``, ``prev_high``, ``prev_day``; null when
    it has no MRC sum itself) and conditions 0, 2 and 3 (``c_after``, ``c_high``, ``c_drop``; ``c_open`` all three).

    The previous assessment is the previous one with an MRC sum, whether or not it had a CK and
    whether or not it was before the anchor; with day ranges, every one that could be it
    (:func:`_drops`).
    """
    p = ctx.params
    a = anchored(ctx)
    a = a.filter(_has_ck(a) | a.mrc_seen)
    # the assessments that may lie after the anchor, with what a candidate carries, before
    # the join: it then holds only those rows and columns (the filter reads the assessment's
    # columns alone, so it commutes with the left join)
    a = a.mutate(c_after=after3(Span(a.day_lo, a.day_hi), anchor_span(a)))
    a = a.filter(~refuted(a.c_after))
    a = a.select("patient_id", *(c for c in _CANDIDATE if c in a.columns))
    a = a.left_join(_drops(ctx), ["patient_id", "day"]).select(~ibis.selectors.matches("_right$"))
    high = compare_expr(
        a.ck, a.ck_bound, a.ck_state, a.ck_uln, "above", multiple=p.relapse_ck_multiple
    )
    return a.mutate(c_high=high, c_open=all3(a.c_after, high, a.c_drop))


def _drops(ctx: Context) -> ir.Table:
    """Per assessment with an MRC sum: condition 3 (``c_drop``) against every assessment with an
    MRC sum that could be the previous one (``ctx.mrc_previous``, stored once for relapse and
    refractory: :func:`~myotrack.criteria.base.previous_candidates`; before the anchor too).
    Known only when a previous one surely exists and every candidate gives the same answer;
    ``prev_low``, ``prev_high``, ``prev_day``: the candidate of the latest stored day (null:
    none), ``order_open`` / ``order_first`` / ``order_second``: the order leaves the drop open
    (:func:`~myotrack.criteria.base.order_open`)."""
    p = ctx.params

    def drop(pc: ir.Table) -> ir.BooleanValue:
        return truth(
            pc.prev_mrc_low - pc.mrc_high > p.relapse_mrc_drop,
            pc.prev_mrc_high - pc.mrc_low <= p.relapse_mrc_drop,
        )

    # an assessment whose only candidate row is its own (prev_only) needs no aggregation
    one = ctx.mrc_previous.filter(ctx.mrc_previous.prev_only)
    real = one.prev_in.notnull()
    none = ibis.null(one.prev_day.type())
    single = one.select(
        "patient_id",
        "day",
        c_drop=agreed_one(drop(one), one.prev_in, one.prev_sure),
        d_sure=one.prev_sure.fill_null(False),
        prev_low=ibis.ifelse(real, one.prev_mrc_low, ibis.null(one.prev_mrc_low.type())),
        prev_high=ibis.ifelse(real, one.prev_mrc_high, ibis.null(one.prev_mrc_high.type())),
        prev_day=ibis.ifelse(real, one.prev_day, none),
        **order_open_one(drop(one), one),
    )
    pc = ctx.mrc_previous.filter(~ctx.mrc_previous.prev_only)
    real = pc.prev_in.notnull()
    shown = portable.pick_fields(
        {"prev_low": pc.prev_mrc_low, "prev_high": pc.prev_mrc_high, "prev_day": pc.prev_day},
        pc.prev_day,
        where=real,
        largest=True,
    )
    grouped = pc.group_by(["patient_id", "day"]).aggregate(
        c_drop=agreed(drop(pc), pc.prev_in, pc.prev_sure),
        d_sure=pc.prev_sure.fill_null(False).ifelse(1, 0).max() == 1,
        **shown,
        **order_open(drop(pc), pc),
    )
    d = single.union(grouped.select(*single.columns))
    # an assessment that may be the first with an MRC sum has nothing sure to compare with:
    # its drop stays unknown
    return d.mutate(c_drop=ibis.ifelse(d.d_sure, d.c_drop, ibis.null("boolean"))).drop("d_sure")


#: What a candidate assessment carries to the second step.
_CANDIDATE = (
    "day",
    "day_lo",
    "day_hi",
    "ck",
    "ck_uln",
    "ck_bound",
    "ck_state",
    "mrc",
    "mrc_low",
    "mrc_high",
    "mrc_seen",
    "prev_low",
    "prev_high",
    "prev_day",
    "order_open",
    "order_first",
    "order_second",
    "c_after",
    "c_high",
    "c_drop",
    "c_open",
    "anchor_day",
    "anchor_lo",
    "anchor_hi",
    "anchor_drug",
)


def compared(ctx: Context, r: ir.Table | None = None) -> ir.Table:
    """Per patient, in one pass over :func:`rows` (or ``r``, the same rows stored): the
    assessments judged and the candidates.

    A candidate is an assessment that conditions 0, 2 and 3 do not rule out; only a candidate
    can be a relapse or leave relapse open, and candidates are few, so the baseline
    (condition 1) is found for them alone: :func:`judged`. Columns: ``n_rows`` (assessments
    judged), ``n_followup`` (surely after the anchor), ``anchor_day``, and where a table can
    hold lists of structs (:func:`myotrack.criteria.portable.row_lists`) ``candidates``.
    """
    r = rows(ctx) if r is None else r
    aggs = {
        "n_rows": r.count(),
        "n_followup": known(r.c_after).ifelse(1, 0).sum(),
        "anchor_day": r.anchor_day.max(),
    }
    if portable.row_lists():
        row = ibis.struct({c: r[c] for c in _CANDIDATE})
        aggs["candidates"] = row.collect(where=_candidate(r))
    return r.group_by("patient_id").aggregate(**aggs)


def _candidate(r: ir.Table) -> ir.BooleanValue:
    return ~refuted(r.c_open)


def candidates(ctx: Context, per: ir.Table, r: ir.Table | None = None) -> ir.Table:
    """The candidate assessments: unnested from ``per``, or filtered from the rows ``r``."""
    if portable.row_lists():
        return per.select("patient_id", c=per.candidates).unnest("c").unpack("c")
    r = rows(ctx) if r is None else r
    return r.filter(_candidate(r)).select("patient_id", *_CANDIDATE)


def judged(ctx: Context, per: ir.Table, r: ir.Table | None = None) -> ir.Table:
    """Every candidate of :func:`compared` with its baseline, condition 1 (``above``) and its
    value (``hit``: true, false or unknown).

    ``nadir``: the CKs that may lie from the anchor to the candidate, whether or not an MRC sum
    was recorded with them: their lowest possible value (``nadir_low``) and the lowest highest
    value among those surely there (``nadir_high``, ``n_sure``); ``prev_full_day``: the
    previous assessment with a CK and an MRC sum (for counting episodes).
    """
    p = ctx.params
    c = candidates(ctx, per, r)
    j = _cks_before(ctx, c)
    sure = known(j.e_hi < j.day_lo) & known(j.e_lo >= j.anchor_hi)
    before = j.group_by(["patient_id", "day"]).aggregate(
        nadir_low=j.e_low.min(),
        nadir_high=j.e_high.min(where=sure),
        n_sure=sure.ifelse(1, 0).sum(),
        prev_full_day=j.e_day.max(where=j.e_full & (j.e_day < j.day)),
    )
    c = c.left_join(before, ["patient_id", "day"]).select(~ibis.selectors.matches("_right$"))
    if p.relapse_baseline == "nadir":
        has_base = c.n_sure.fill_null(0) > 0
        base_low, base_high = c.nadir_low, c.nadir_high
    else:
        c = c.left_join(_pretreatment(ctx), "patient_id").select(~ibis.selectors.matches("_right$"))
        has_base = c.pre_ck.notnull() | (c.pre_state.fill_null("") != "")
        base_low, base_high, _ = ck_range(c.pre_ck, c.pre_bound, c.pre_state, c.pre_uln)
    low, high, low_open = ck_range(c.ck, c.ck_bound, c.ck_state, c.ck_uln)
    above = truth(
        has_base & ((low > base_high) | ((low == base_high) & low_open)),
        has_base & (high <= base_low),
    )
    return c.mutate(baseline=base_high, above=above, hit=all3(c.c_open, above))


def _pretreatment(ctx: Context) -> ir.Table:
    """Per patient, the last CK at or before the start of immunotherapy (``pre_ck`` with its
    bound, state and ULN)."""
    a = anchored(ctx)
    pre = a.filter((a.day <= a.anchor_day) & _has_ck(a))
    cols = ["ck", "ck_bound", "ck_state", "ck_uln"]
    return pick(pre, pre.day, cols, largest=True).rename(
        pre_ck="ck", pre_bound="ck_bound", pre_state="ck_state", pre_uln="ck_uln"
    )


#: The first relapse's values named in the explanation.
_FIRST = ("ck", "baseline", "ck_uln", "mrc", "mrc_high", "prev_low", "prev_day")


def _reason(p: Params, c: ir.Table) -> ir.StringValue:
    """The missing fact of an open candidate: its first unknown condition."""
    on = ibis.literal(" on day ") + text(c.day)
    start = ibis.literal("the start of ") + c.anchor_drug.fill_null("immunotherapy")
    return ibis.cases(
        (
            c.c_after.isnull(),
            ibis.literal("day ") + text(c.day) + " may be on or before " + start,
        ),
        (c.c_high.isnull() & c.ck.isnull() & (c.ck_state.fill_null("") == ""), "no CK" + on),
        (c.c_high.isnull() & c.ck_uln.isnull(), "no ULN (reference range) for the CK" + on),
        (
            c.c_high.isnull(),
            "the CK" + on + f" may or may not be > {p.relapse_ck_multiple:g}x ULN (its bound)",
        ),
        (c.c_drop.isnull() & ~c.mrc_seen, "no MRC sum" + on),
        (c.c_drop.isnull() & c.prev_day.isnull(), "no MRC sum before day " + text(c.day)),
        (
            c.c_drop.isnull() & c.order_open.fill_null(False),
            "the order of the MRC sums on day "
            + text(c.order_first)
            + " and day "
            + text(c.order_second)
            + " is uncertain (their day ranges overlap): the drop from the previous one is open",
        ),
        (
            c.c_drop.isnull(),
            "the MRC sum drop to day "
            + text(c.day)
            + " is not known (MRC sum "
            + num(c.mrc_low)
            + ".."
            + num(c.mrc_high)
            + ")",
        ),
        (
            c.n_sure.fill_null(0) == 0,
            "no CK between " + start + " and day " + text(c.day) + " (no baseline)",
        ),
        else_="the CK" + on + " may or may not be above the baseline",
    )


def _hits(p: Params, c: ir.Table) -> ir.Table:
    """Per patient: episodes and the first relapse, from the judged candidates, and the first
    open one (its day range and missing fact).

    An episode starts at a relapse whose previous comparable assessment (``prev_full_day``) was
    not one: the relapses minus those whose previous comparable day is itself a relapse day
    (each such day is distinct, so the count is the size of the two lists' intersection).
    """
    c = c.mutate(reason=_reason(p, c))
    hit = known(c.hit)
    open_ = c.hit.isnull()
    per = c.group_by("patient_id").aggregate(
        n_hits=hit.ifelse(1, 0).sum(),
        n_open=open_.ifelse(1, 0).sum(),
        m_first_day=c.day.min(where=hit),
        open_lo=c.day_lo.min(where=open_),
        open_reason=arg_min(c.reason, c.day, where=open_),
        **{f"first_{col}": arg_min(c[col], c.day, where=hit) for col in _FIRST},
    )
    h = c.filter(hit)
    rep = portable.repeated(h, "day", "prev_full_day")
    j = per.left_join(rep, "patient_id").select(~ibis.selectors.matches("_right$"))
    return j.select(~ibis.selectors.cols("repeated"), n_episodes=j.n_hits - j.repeated.fill_null(0))


def _cks_before(ctx: Context, t: ir.Table) -> ir.Table:
    """``t`` (candidates with their day range and the anchor's) joined to every other CK that
    may lie from the anchor (its day included) to before ``t``: ``e_day``, its range
    ``e_lo`` .. ``e_hi``, ``e_low`` .. ``e_high`` (U/L) and ``e_full`` (with an MRC sum)."""
    a = ctx.assess
    low, high, _ = ck_range(a.ck, a.ck_bound, a.ck_state, a.ck_uln)
    ck = a.filter(_has_ck(a)).select(
        e_patient="patient_id",
        e_day="day",
        e_lo="day_lo",
        e_hi="day_hi",
        e_low=low,
        e_high=high,
        e_full=a.mrc_seen,
    )
    return t.inner_join(
        ck,
        [
            t.patient_id == ck.e_patient,
            ck.e_day != t.day,
            ck.e_lo < t.day_hi,
            t.anchor_lo.isnull() | (ck.e_hi >= t.anchor_lo),
        ],
    )


def build(ctx: Context, per: ir.Table, r: ir.Table | None = None) -> list[ir.Table]:
    """The relapse criterion from :func:`compared` (``per``, stored by the engine first, as may
    be the rows ``r`` it was computed from)."""
    p = ctx.params
    hits = _hits(p, judged(ctx, per, r))
    hits = hits.select(
        "patient_id",
        "n_episodes",
        "n_open",
        "open_lo",
        "open_reason",
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
        + ibis.ifelse(
            hits.first_mrc.notnull(),
            num(hits.first_mrc),
            ibis.literal("at most ") + num(hits.first_mrc_high),
        )
        + " vs "
        + num(hits.first_prev_low)
        + " on day "
        + text(hits.first_prev_day),
    )
    ev = ctx.events
    clinical = ev.filter(
        (ev.kind == "relapse_reported") & (ev.relapse_type.fill_null("") != "biochemical")
    )
    dated = clinical.filter(clinical.day.notnull())
    s = span(dated, "day")
    dated = dated.mutate(e_lo=s.lo, e_hi=s.hi)
    rep = dated.left_join(ctx.immuno_start, "patient_id").select(~ibis.selectors.matches("_right$"))
    rep_after = after3(Span(rep.e_lo, rep.e_hi), anchor_span(rep))
    rep = rep.mutate(rep_after=rep_after)
    rep = rep.group_by("patient_id").aggregate(
        r_first_day=rep.day.min(where=known(rep.rep_after)),
        r_n=known(rep.rep_after).ifelse(1, 0).sum(),
        r_open_lo=rep.e_lo.min(where=rep.rep_after.isnull()),
        r_open_day=arg_min(rep.day, rep.e_lo, where=rep.rep_after.isnull()),
        r_open=rep.rep_after.isnull().ifelse(1, 0).sum(),
    )
    undated = clinical.filter(clinical.day.isnull())
    undated = undated.group_by("patient_id").aggregate(u_n=undated.count())

    j = (
        ctx.patients.select("patient_id")
        .left_join(ctx.immuno_start, "patient_id")
        .select(~ibis.selectors.matches("_right$"))
    )
    judged_per = per.select("patient_id", "n_rows", "n_followup")
    for t in (judged_per, hits, rep, undated):
        j = j.left_join(t, "patient_id").select(~ibis.selectors.matches("_right$"))
    use_rep = ibis.literal(p.accept_reported_relapse)
    measured_yes = j.m_first_day.notnull()
    reported_yes = use_rep & j.r_first_day.notnull()
    undated_yes = use_rep & (j.u_n.fill_null(0) > 0)
    measured_open = j.n_open.fill_null(0) > 0
    reported_open = use_rep & (j.r_open.fill_null(0) > 0)
    value = ibis.cases(
        (measured_yes | reported_yes | undated_yes, ibis.literal(YES)),
        (measured_open | reported_open, ibis.literal(NE)),
        (j.n_followup.fill_null(0) > 0, ibis.literal(NO)),
        else_=ibis.literal(NE),
    )
    # the first relapse's day is known when no open assessment or reported relapse may
    # have come before it
    m_first = ibis.ifelse(
        measured_open & (j.open_lo.fill_null(-(10**9)) < j.m_first_day),
        ibis.null("int64"),
        j.m_first_day,
    )
    r_first = ibis.ifelse(
        measured_open & (j.open_lo.fill_null(-(10**9)) < j.r_first_day),
        ibis.null("int64"),
        j.r_first_day,
    )
    first_day = ibis.cases(
        (undated_yes, ibis.null("int64")),  # an undated relapse may have come first
        (
            reported_open
            & (j.r_open_lo.fill_null(-(10**9)) < ibis.least(j.m_first_day, j.r_first_day)),
            ibis.null("int64"),
        ),
        (measured_yes & reported_yes, ibis.least(m_first, r_first)),
        (measured_yes, m_first),
        (reported_yes, r_first),
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
            (value == NE) & measured_open & (~reported_open | (j.open_lo <= j.r_open_lo)),
            j.open_reason,
        ),
        (
            (value == NE) & reported_open,
            ibis.literal("the reported relapse on day ")
            + text(j.r_open_day)
            + " may be on or before the start of "
            + j.anchor_drug,
        ),
        (
            value == NE,
            ibis.literal("no CK or MRC sum after the start of ") + j.anchor_drug,
        ),
        (
            value == NO,
            ibis.literal("no assessment met all three conditions (")
            + text(j.n_rows)
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
