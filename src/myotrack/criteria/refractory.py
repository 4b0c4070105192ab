"""Refractory disease, by the definition of seed 001 (anti-SRP anti-B-cell review), Methods.

'Refractory was defined as disease worsening after treatment with high-dose glucocorticoids
(equivalent of prednisone 1.0 mg/kg/day for at least 1 month) and at least one
immunosuppressant (including methotrexate, azathioprine, and mycophenolate mofetil) or
intravenous immunoglobulin.'

Three conditions over the courses of the treatment table (the complete list of what was given)
and the worsenings, each true, false or unknown (:mod:`myotrack.criteria.base`):

- **High-dose glucocorticoid**: a glucocorticoid course (prednisone, methylprednisolone,
  dexamethasone ... as prednisone equivalents; a glucocorticoid written without a drug name,
  'corticosteroids 1 mg/kg/day', at the stated dose) of >= ``refractory_gc_mg_per_kg`` (1.0)
  mg/kg/day that lasted >= ``refractory_gc_days`` (28) days (``end_day`` - ``start_day`` + 1:
  the end day is the course's last day). A dose per kg is per kg; a dose in mg is divided by
  the patient's weight (``patients.weight_kg``, else the range of the visit weights). Daily:
  ``dose_per`` day (week and month divided down); per administration or not stated, the
  schedule decides (daily: once a day; 'twice daily': twice; no schedule: the daily dose is
  not known, '1 mg/kg' alone may be per day or per pulse). An empty end day
  means 'ongoing or unknown': the duration is unknown.
  A prednisone dose recorded at a visit (``visits.prednisone_mg_day``) is the dose of that
  day: two visits a month apart at >= 1 mg/kg/day do not show the dose between them (it may
  have been tapered and raised again), so visit doses never make the month; the course does.
  A visit's prednisone dose with no glucocorticoid course in the treatment table shows a course
  that was given but not recorded (started on or before that visit, dose and length unknown):
  the treatment table is then not the complete list, and 'no glucocorticoid course' is not a
  fact of the record. A course of a drug the vocabulary does not know does not stand for that
  course: it may be a second agent.
  A course of a drug the vocabulary does not know ('immunotherapy', a name kept with a warning)
  may be either: it counts as a glucocorticoid and as a second agent whose dose and kind are
  unknown, so it never makes 'yes' and never lets 'no glucocorticoid course' stand.
- **Second agent**: a course of a drug in ``Params.refractory_second_agents`` (default 001's
  list: methotrexate, azathioprine, mycophenolate, IVIg).
- **Worsening after both**: an MRC sum lower by >= ``refractory_mrc_drop`` (1) than the
  previous one (the recorded sum, else the range the grades allow; with day ranges every
  assessment that could be the previous one, a drop known only when all show it and a
  previous one surely exists, :func:`~myotrack.criteria.base.previous_candidates`), a ``worsening`` event, or a
  reported relapse that is not only biochemical (001 requires clinical worsening; 'no
  improvement' is not worsening), on a day >= the glucocorticoid course's start +
  ``refractory_gc_days`` and strictly after the second agent's start. Days are ranges
  (contract: Timing); an undated reported worsening has an unknown day.

yes: some glucocorticoid course, second agent and worsening make all three true; no: no
glucocorticoid course, no second agent, every glucocorticoid course known short of the rule,
or every combination known false with an MRC sum surely after both; not evaluable otherwise,
with the missing fact named.
"""

from __future__ import annotations

import ibis
import ibis.expr.types as ir

from myotrack.criteria.base import (
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
    known,
    offset,
    order_open,
    order_open_one,
    refuted,
    span,
    text,
    truth,
    unknown,
    verdict,
    votes,
)
from myotrack.criteria.portable import pick_fields
from myotrack.measures.steroids import PREDNISONE_PER_MG
from myotrack.tables.vocab import DRUG_BY_NAME, GLUCOCORTICOIDS

#: The glucocorticoid a visit's prednisone dose shows when no course of it is recorded.
UNRECORDED = "glucocorticoid at visits, course not recorded"
_DAILY = ("daily", "a day", "per day", "every day", "qd", "od", "q24h")
#: Schedules read as one or two administrations a day (lower case, trimmed).
ONCE_DAILY = (*_DAILY, *(f"once {s}" for s in _DAILY))
TWICE_DAILY = ("twice daily", "twice a day", "bid", "b.i.d.", "q12h", "2x daily")

CRITERIA = (
    Criterion(
        "refractory",
        "Refractory (worse despite prednisone >= 1 mg/kg/day for >= 1 month and MTX/AZA/MMF or IVIg)",
        "001 (anti-SRP anti-B-cell review) Methods",
        {
            "gc_mg_per_kg": "1.0",
            "gc_days": "28",
            "second_agents": "methotrexate, azathioprine, mycophenolate, ivig",
            "worsening": "MRC sum drop >= 1 or reported relapse",
        },
        "high-dose glucocorticoid + second agent",
        ("exposed_day", "worsening_day"),
    ),
)


def _per_kg_day(t: ir.Table, p: Params) -> tuple[ir.NumericValue, ir.NumericValue]:
    """A glucocorticoid course's prednisone-equivalent mg/kg/day as a range (null: unknown)."""
    factor = t.drug.cases(*PREDNISONE_PER_MG.items(), else_=ibis.null("float64"))
    sched = t.schedule.lower().strip()
    twice = sched.isin(TWICE_DAILY) | sched.startswith("twice daily") | sched.startswith("bid ")
    # a dose without 'per day' and without a schedule is not read as daily: unknown
    once = (
        sched.isin(ONCE_DAILY)
        | sched.startswith("daily")
        | sched.startswith("once daily")
        | sched.startswith("every day")
    )
    per = t.dose_per.fill_null("administration")
    per_day = ibis.cases(
        (per == "day", 1.0),
        (per == "week", 1.0 / 7),
        (per == "month", 1.0 / p.month_days),
        (per != "administration", ibis.null("float64")),
        (twice, 2.0),
        (once, 1.0),
        else_=ibis.null("float64"),
    )
    amount = t.dose * factor * per_day
    grams = t.dose_unit.isin(["g", "g/kg"]).ifelse(1000.0, 1.0)
    per_kg = t.dose_unit.isin(["mg/kg", "g/kg"])
    by_weight = t.dose_unit.isin(["mg", "g"])
    lo = ibis.cases(
        (per_kg, amount * grams), (by_weight, amount * grams / t.w_hi), else_=ibis.null("float64")
    )
    hi = ibis.cases(
        (per_kg, amount * grams), (by_weight, amount * grams / t.w_lo), else_=ibis.null("float64")
    )
    return lo, hi


def build(ctx: Context) -> list[ir.Table]:
    p = ctx.params
    days = p.refractory_gc_days
    vw = ctx.visits.filter(ctx.visits.weight_kg.notnull())
    vw = vw.group_by("patient_id").aggregate(vw_lo=vw.weight_kg.min(), vw_hi=vw.weight_kg.max())
    pts = ctx.patients.select("patient_id", pt_weight="weight_kg").left_join(vw, "patient_id")
    pts = pts.select(
        "patient_id",
        w_lo=ibis.coalesce(pts.pt_weight, pts.vw_lo),
        w_hi=ibis.coalesce(pts.pt_weight, pts.vw_hi),
    )
    tr = ctx.treatments
    gc = tr.filter(tr.drug.isin(GLUCOCORTICOIDS)).inner_join(pts, "patient_id")
    lo, hi = _per_kg_day(gc, p)
    start, end = span(gc, "start_day"), span(gc, "end_day")
    dose_ok = truth(lo >= p.refractory_gc_mg_per_kg, hi < p.refractory_gc_mg_per_kg)
    lasted = offset(end, start)
    dur_ok = truth(lasted.lo + 1 >= days, lasted.hi + 1 < days)
    gc = gc.select(
        "patient_id",
        c_drug=gc.drug,
        c_entry=gc.entry,
        c_day=gc.start_day,
        c_lo=start.lo,
        c_hi=start.hi,
        dose_ok=dose_ok,
        dur_ok=dur_ok,
        gc_ok=all3(dose_ok, dur_ok),
        unrecorded=ibis.literal(False),
        unnamed=ibis.literal(False),
    )
    # a drug the vocabulary does not know ('immunotherapy', a name kept with a warning) may be
    # a glucocorticoid or a second agent: it is each, with its dose and kind unknown
    un = tr.filter(tr.drug.notnull() & ~tr.drug.isin(tuple(DRUG_BY_NAME)))
    u_span = span(un, "start_day")
    gc = gc.union(
        un.select(
            "patient_id",
            c_drug=un.drug,
            c_entry=un.entry.cast(gc.c_entry.type()),
            c_day=un.start_day.cast(gc.c_day.type()),
            c_lo=u_span.lo.cast(gc.c_lo.type()),
            c_hi=u_span.hi.cast(gc.c_hi.type()),
            dose_ok=ibis.null("boolean"),
            dur_ok=ibis.null("boolean"),
            gc_ok=ibis.null("boolean"),
            unrecorded=ibis.literal(False),
            unnamed=ibis.literal(True),
        )
    )
    # a prednisone dose at a visit of a patient with no glucocorticoid course: a course was
    # given but not recorded, started on or before that visit, its dose and length unknown (a
    # drug the vocabulary does not know may be a second agent: it does not stand for it)
    a = ctx.assess.filter(ctx.assess.prednisone_mg_day > 0)
    a = a.anti_join(gc.filter(~gc.unnamed), "patient_id")
    dosed = a.group_by("patient_id").aggregate(c_hi=a.day_hi.min())
    gc = gc.union(
        dosed.select(
            "patient_id",
            c_drug=ibis.literal(UNRECORDED),
            c_entry=ibis.literal(-1, "int64").cast(gc.c_entry.type()),
            c_day=ibis.null(gc.c_day.type()),
            c_lo=ibis.null(gc.c_lo.type()),
            c_hi=dosed.c_hi.cast(gc.c_hi.type()),
            dose_ok=ibis.null("boolean"),
            dur_ok=ibis.null("boolean"),
            gc_ok=ibis.null("boolean"),
            unrecorded=ibis.literal(True),
            unnamed=ibis.literal(False),
        )
    )
    sa = tr.filter(
        tr.drug.isin(tuple(p.refractory_second_agents))
        | (tr.drug.notnull() & ~tr.drug.isin(tuple(DRUG_BY_NAME)))
    )
    s_span = span(sa, "start_day")
    sa = sa.select(
        "patient_id",
        s_drug=sa.drug,
        s_entry=sa.entry,
        s_day=sa.start_day,
        s_lo=s_span.lo,
        s_hi=s_span.hi,
        s_ok=truth(sa.drug.isin(tuple(p.refractory_second_agents))),
    )
    pairs = gc.inner_join(sa, "patient_id")

    # worsenings: every MRC assessment against the previous one, and reported worsenings
    # (the previous one: every MRC assessment that could be it, base.candidate_rows, stored
    # once for relapse and refractory)
    def drop(pc: ir.Table) -> ir.BooleanValue:
        return truth(
            pc.prev_mrc_low - pc.mrc_high >= p.refractory_mrc_drop,
            pc.prev_mrc_high - pc.mrc_low < p.refractory_mrc_drop,
        )

    # an assessment whose only candidate row is its own (prev_only) needs no aggregation
    one = ctx.mrc_previous.filter(ctx.mrc_previous.prev_only)
    single = one.select(
        "patient_id",
        "day",
        w_lo=one.day_lo,
        w_hi=one.day_hi,
        w_value=agreed_one(drop(one), one.prev_in, one.prev_sure),
        compared=one.prev_in.notnull(),
        **order_open_one(drop(one), one),
    )
    pc = ctx.mrc_previous.filter(~ctx.mrc_previous.prev_only)
    grouped = pc.group_by(["patient_id", "day"]).aggregate(
        w_lo=pc.day_lo.max(),
        w_hi=pc.day_hi.max(),
        w_value=agreed(drop(pc), pc.prev_in, pc.prev_sure),
        compared=pc.prev_in.notnull().ifelse(1, 0).sum() > 0,
        **order_open(drop(pc), pc),
    )
    m = single.union(grouped.select(*single.columns))
    mw = m.select(
        "patient_id",
        w_day=m.day,
        w_lo=m.w_lo,
        w_hi=m.w_hi,
        w_value=m.w_value,
        compared=m.compared,
        reported=ibis.literal(False),
        w_order=m.order_open & m.w_value.isnull(),
        w_first=m.order_first,
        w_second=m.order_second,
    )
    ev = ctx.events
    ev = ev.filter(
        (ev.kind == "worsening")
        | ((ev.kind == "relapse_reported") & (ev.relapse_type.fill_null("") != "biochemical"))
    )
    e_span = span(ev, "day")
    ew = ev.select(
        "patient_id",
        w_day=ev.day,
        w_lo=e_span.lo,
        w_hi=e_span.hi,
        w_value=ibis.literal(True),
        compared=ibis.literal(True),
        reported=ibis.literal(True),
        w_order=ibis.literal(False),
        w_first=ibis.null(mw.w_first.type()),
        w_second=ibis.null(mw.w_second.type()),
    )
    w = mw.union(ew)

    def timing(
        w: Span, c_lo: ir.IntegerValue, c_hi: ir.IntegerValue, second: Span
    ) -> tuple[ir.BooleanValue, ir.BooleanValue]:
        """A worsening ``days`` after the glucocorticoid start and after the second agent's,
        for every day of each (an undated worsening: unknown)."""
        return truth(w.lo >= c_hi + days, w.hi < c_lo + days), after3(w, second)

    # each pair with each worsening that may be one (compared, its drop not refuted): a
    # refuted one makes every pair's vote false, which no count below reads (the unrecorded
    # course's day, one per patient, is read only where an unknown vote of its pairs is)
    wv = w.filter(w.compared & ~refuted(w.w_value))
    xv = pairs.inner_join(wv, "patient_id")
    gc_timing, s_timing = timing(Span(xv.w_lo, xv.w_hi), xv.c_lo, xv.c_hi, Span(xv.s_lo, xv.s_hi))
    vote = all3(xv.gc_ok, gc_timing, s_timing, xv.s_ok, xv.w_value)
    xv = xv.mutate(vote=vote, exposed=ibis.greatest(xv.c_day + days, xv.s_day))
    # the deciding pair: the earliest worsening, then the first glucocorticoid course and second
    # agent in the record (a unique key, so every backend picks the same row)
    first = ibis.struct({"w": xv.w_day.fill_null(xv.w_lo), "c": xv.c_entry, "s": xv.s_entry})
    deciding = pick_fields(
        {"exposed_day": xv.exposed, "why_gc": xv.c_drug, "why_second": xv.s_drug},
        first,
        where=known(xv.vote),
    )
    agg = xv.group_by("patient_id").aggregate(
        **votes(xv.vote),
        worsening_day=xv.w_day.min(where=known(xv.vote)),
        **deciding,
        u_dose=(unknown(xv.vote) & unknown(xv.dose_ok)).ifelse(1, 0).sum(),
        u_dur=(unknown(xv.vote) & ~unknown(xv.dose_ok) & unknown(xv.dur_ok)).ifelse(1, 0).sum(),
        u_start=(unknown(xv.vote) & (xv.c_lo.isnull() | xv.s_lo.isnull())).ifelse(1, 0).sum(),
        u_undated=(unknown(xv.vote) & xv.w_lo.isnull()).ifelse(1, 0).sum(),
        u_value=(unknown(xv.vote) & unknown(xv.w_value)).ifelse(1, 0).sum(),
        u_order=(unknown(xv.vote) & xv.w_order).ifelse(1, 0).sum(),
        order_first=arg_min(xv.w_first, xv.w_lo, where=unknown(xv.vote) & xv.w_order),
        order_second=arg_min(xv.w_second, xv.w_lo, where=unknown(xv.vote) & xv.w_order),
        u_unrecorded=(unknown(xv.vote) & xv.unrecorded).ifelse(1, 0).sum(),
        unrecorded_by=xv.c_hi.max(where=xv.unrecorded),
        u_unnamed_gc=arg_min(xv.c_drug, xv.c_entry, where=unknown(xv.vote) & xv.unnamed),
        u_unnamed_second=arg_min(xv.s_drug, xv.s_entry, where=unknown(xv.vote) & unknown(xv.s_ok)),
        u_drug=arg_min(xv.c_drug, xv.c_entry, where=unknown(xv.vote) & unknown(xv.gc_ok)),
    )
    # follow-up: a pair with an MRC assessment (a drop or not) known to lie after both starts;
    # only whether there is one counts, so the pairs are semi-joined, not joined with each
    pr = pairs.select("patient_id", "c_lo", "c_hi", "s_lo", "s_hi")
    wf = w.filter(~w.reported).select(f_patient="patient_id", f_lo="w_lo", f_hi="w_hi")
    f_gc, f_second = timing(Span(wf.f_lo, wf.f_hi), pr.c_lo, pr.c_hi, Span(pr.s_lo, pr.s_hi))
    timed = pr.semi_join(wf, [pr.patient_id == wf.f_patient, known(f_gc) & known(f_second)])
    fu = timed.select("patient_id").distinct().mutate(n_followup=ibis.literal(1, "int64"))
    g = gc.group_by("patient_id").aggregate(
        n_gc=gc.count(), n_gc_false=refuted(gc.gc_ok).ifelse(1, 0).sum()
    )
    sc = sa.group_by("patient_id").aggregate(
        n_second=sa.count(),
        n_second_dated=sa.s_lo.notnull().ifelse(1, 0).sum(),
        first_second=arg_min(sa.s_drug, sa.s_entry),
    )
    j = ctx.patients.select("patient_id")
    for tb in (agg, fu, g, sc):
        j = j.left_join(tb, "patient_id").select(~ibis.selectors.matches("_right$"))
    n_true, n_unknown = j.n_true.fill_null(0), j.n_unknown.fill_null(0)
    no_gc, no_second = j.n_gc.fill_null(0) == 0, j.n_second.fill_null(0) == 0
    never_high = j.n_gc_false.fill_null(0) == j.n_gc.fill_null(0)
    worse = ibis.cases(
        (n_true > 0, ibis.literal(True)),
        (n_unknown > 0, ibis.null("boolean")),
        else_=ibis.literal(False),
    )
    no_followup = j.n_followup.fill_null(0) == 0
    condition = ibis.cases(
        (no_gc | no_second, ibis.literal(False)),
        (known(worse), ibis.literal(True)),
        (unknown(worse), ibis.null("boolean")),
        (never_high, ibis.literal(False)),
        (no_followup, ibis.null("boolean")),
        else_=ibis.literal(False),
    )
    value = verdict(condition)
    agents = ", ".join(p.refractory_second_agents)
    rule = f">= {p.refractory_gc_mg_per_kg:g} mg/kg/day for >= {days} days"
    reason = ibis.cases(
        (no_gc, ibis.literal("no glucocorticoid course")),
        (no_second, ibis.literal(f"no course of {agents}")),
        (
            unknown(worse) & (j.u_unrecorded.fill_null(0) > 0),
            ibis.literal("needs the glucocorticoid course (its daily dose and how long it was")
            + " given): visits record prednisone by day "
            + text(j.unrecorded_by)
            + ", the treatment table no glucocorticoid",
        ),
        (
            unknown(worse) & (j.u_unnamed_gc.notnull() | j.u_unnamed_second.notnull()),
            ibis.literal("needs what '")
            + ibis.coalesce(j.u_unnamed_gc, j.u_unnamed_second)
            + "' was (a drug the vocabulary does not know: it may be a glucocorticoid or a"
            + f" second agent, {agents})",
        ),
        (
            unknown(worse) & (j.u_dose.fill_null(0) > 0),
            ibis.literal("needs the daily dose of ")
            + j.u_drug.fill_null("?")
            + f" in mg/kg (a dose per day and, for a dose in mg, a body weight) to tell {rule}",
        ),
        (
            unknown(worse) & (j.u_dur.fill_null(0) > 0),
            ibis.literal("needs the end day of ")
            + j.u_drug.fill_null("?")
            + f" (how long it was given) to tell {rule}",
        ),
        (
            unknown(worse) & (j.u_start.fill_null(0) > 0),
            ibis.literal("needs the start day of the glucocorticoid or of the second agent"),
        ),
        (
            unknown(worse) & (j.u_undated.fill_null(0) > 0),
            ibis.literal("needs the day of the reported worsening"),
        ),
        (
            unknown(worse) & (j.u_order.fill_null(0) > 0) & (j.u_order == j.u_value),
            ibis.literal("needs the order of the MRC sums on day ")
            + text(j.order_first)
            + " and day "
            + text(j.order_second)
            + " (their day ranges overlap): a drop from the previous one is open",
        ),
        (
            unknown(worse) & (j.u_value.fill_null(0) > 0),
            ibis.literal("needs the MRC sums exactly: the grades leave a drop open"),
        ),
        (
            unknown(worse),
            ibis.literal(
                f"needs the days: a worsening may or may not lie {days} days after the"
                " glucocorticoid start and after the second agent's start"
            ),
        ),
        (never_high, ibis.literal(f"no glucocorticoid course of {rule}")),
        (
            no_followup & (j.n_second_dated.fill_null(0) == 0),
            ibis.literal("needs the start day of ") + j.first_second.fill_null("?"),
        ),
        (
            no_followup,
            ibis.literal(f"needs an MRC sum after {days} days of glucocorticoid and the start of ")
            + j.first_second.fill_null("?"),
        ),
        else_=ibis.literal("no worsening after high-dose glucocorticoid and a second agent"),
    )
    why = (
        ibis.literal("worse on day ")
        + text(j.worsening_day)
        + " after "
        + j.why_gc.fill_null("?")
        + " and "
        + j.why_second.fill_null("?")
        + " (exposed from day "
        + text(j.exposed_day)
        + ")"
    )
    return [
        j.select(
            "patient_id",
            refractory=value,
            refractory__exposed_day=ibis.ifelse(value == YES, j.exposed_day, ibis.null("int64")),
            refractory__worsening_day=ibis.ifelse(
                value == YES, j.worsening_day, ibis.null("int64")
            ),
            refractory__why=ibis.ifelse(value == YES, why, ibis.null("string")),
            refractory__reason=ibis.ifelse(value == YES, ibis.literal(""), reason),
        )
    ]
