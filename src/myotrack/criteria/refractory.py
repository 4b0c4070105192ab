"""Refractory disease, by the definition of seed 001 (anti-SRP anti-B-cell review), Methods.

'Refractory was defined as disease worsening after treatment with high-dose glucocorticoids
(equivalent of prednisone 1.0 mg/kg/day for at least 1 month) and at least one
immunosuppressant (including methotrexate, azathioprine, and mycophenolate mofetil) or
intravenous immunoglobulin.'

- High-dose glucocorticoid: visits recording a prednisone-equivalent dose >= 1.0 mg/kg/day
  (``refractory_gc_mg_per_kg``; body weight of the visit, else of the patient) on days that
  span at least ``refractory_gc_days`` (28) without a lower dose recorded in between; or an
  glucocorticoid course in the treatment table (prednisone, methylprednisolone,
  dexamethasone, as prednisone equivalents; a glucocorticoid written without a drug name,
  'corticosteroids 1 mg/kg/day', is read as prednisone-equivalent at the stated dose) with such
  a daily dose lasting at least 28 days (``end_day`` - ``start_day`` + 1: the end day is the
  course's last day). An empty end day means 'ongoing or unknown' (schema): the time on the
  high dose is unknown, so such a course makes the answer not evaluable rather than 'yes'. A dose per kg is already per kg; a
  dose in mg is divided by the patient's weight. Daily: ``dose_per`` day (week and month are
  divided down); per administration or not stated, the schedule decides (empty, or a schedule
  that says daily, e.g. 'daily (1 mg/kg/day)': once a day; 'twice daily': twice); another
  schedule or a dose per course is not read as a daily dose.
- Second agent: a course of a drug in ``Params.refractory_second_agents`` (default 001's list:
  methotrexate, azathioprine, mycophenolate, IVIg) that started before the worsening.
- Exposed from: the later of (start of high dose + 28 days) and the second agent's start.
- Worsening: an assessment after that day with an MRC sum lower by at least
  ``refractory_mrc_drop`` (1) than the last MRC sum at or before it, or a reported relapse.
yes: worsening after exposure; no: never exposed - no glucocorticoid at all (no course, no
dose recorded at a visit) or no course of a second agent at all (the treatment table is the
complete list of what was given), or doses and weight known and never high - or exposed with
later MRC sums and no worsening; not evaluable otherwise (e.g. a second agent without a start
day).
"""

from __future__ import annotations

import ibis
import ibis.expr.types as ir

from myotrack.criteria.base import NE, NO, YES, Context, Criterion, arg_min, earliest, num, text
from myotrack.criteria.timepoints import pick
from myotrack.measures.steroids import PREDNISONE_PER_MG
from myotrack.tables.vocab import GLUCOCORTICOIDS

_DAILY = ("daily", "a day", "per day", "every day", "qd", "od", "q24h")
#: Schedules read as one or two administrations a day (lower case, trimmed; empty = daily).
ONCE_DAILY = ("", *_DAILY, *(f"once {s}" for s in _DAILY))
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


def build(ctx: Context) -> list[ir.Table]:
    p = ctx.params
    pts = ctx.patients.select("patient_id", pt_weight="weight_kg")
    v = ctx.visits.filter(ctx.visits.prednisone_mg_day.notnull()).left_join(pts, "patient_id")
    v = v.select(~ibis.selectors.matches("_right$"))
    weight = ibis.coalesce(v.weight_kg, v.pt_weight)
    v = v.mutate(per_kg=v.prednisone_mg_day / weight)
    unweighed_v = v.group_by("patient_id").aggregate(
        n_unweighed_v=v.per_kg.isnull().ifelse(1, 0).sum()
    )
    v = v.filter(v.per_kg.notnull())
    v = v.mutate(high=v.per_kg >= p.refractory_gc_mg_per_kg)
    # per patient in one pass: visits with a dose per kg, first and last high dose. Only the
    # visits between those two can split a run of high doses, and only a patient whose high
    # doses span the required days can have such a run.
    doses = v.group_by("patient_id").aggregate(
        n_dose=v.count(),
        first_high=v.day.min(where=v.high),
        last_high=v.day.max(where=v.high),
    )
    known_dose = doses.select("patient_id", "n_dose")
    span = doses.filter(doses.last_high - doses.first_high >= p.refractory_gc_days)
    span = span.select("patient_id", "first_high", "last_high")
    v = v.inner_join(span, "patient_id")
    v = v.filter((v.day >= v.first_high) & (v.day <= v.last_high))
    # a run of high doses: the high-dose visits with the same number of lower doses before them
    # (one window pass: consecutive high doses share that count, a lower dose raises it)
    v = v.mutate(
        run=v.high.ifelse(0, 1)
        .sum()
        .over(ibis.window(group_by="patient_id", order_by=v.day, preceding=None, following=0))
    )
    runs = (
        v.filter(v.high)
        .group_by(["patient_id", "run"])
        .aggregate(r_start=v.day.min(), r_end=v.day.max())
    )
    runs = runs.filter(runs.r_end - runs.r_start >= p.refractory_gc_days)
    hd_visits = runs.group_by("patient_id").aggregate(hd_start=runs.r_start.min())

    t = ctx.treatments.filter(
        ctx.treatments.drug.isin(tuple(PREDNISONE_PER_MG)) & ctx.treatments.start_day.notnull()
    ).left_join(pts, "patient_id")
    t = t.select(~ibis.selectors.matches("_right$"))
    factor = t.drug.cases(*PREDNISONE_PER_MG.items(), else_=ibis.null("float64"))
    per_kg = ibis.cases(
        (t.dose_unit == "mg/kg", t.dose * factor),
        (t.dose_unit == "mg", t.dose * factor / t.pt_weight),
        else_=ibis.null("float64"),
    )
    # 'dose' per day, week or month as stated; per administration (or not stated) a daily
    # dose needs a daily schedule (empty = daily)
    sched = t.schedule.lower().strip()
    twice = sched.isin(TWICE_DAILY) | sched.startswith("twice daily") | sched.startswith("bid ")
    once = (
        t.schedule.isnull()
        | sched.isin(ONCE_DAILY)
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
    per_kg = per_kg * per_day
    # end_day is the course's last day (inclusive); an empty end day means ongoing *or unknown*,
    # so the time on the high dose is unknown: such a course may be high-dose, never surely
    days_on = t.end_day - t.start_day + 1
    long_enough = t.end_day.notnull() & (days_on >= p.refractory_gc_days)
    maybe = (per_kg.isnull() | (per_kg >= p.refractory_gc_mg_per_kg)) & (
        t.end_day.isnull() | (days_on >= p.refractory_gc_days)
    )
    # a dose in mg without a weight: the only course whose dose per kg is missing for want of
    # a weight (a dose per kg needs none)
    t = t.mutate(
        unweighed=((t.dose_unit == "mg") & t.pt_weight.isnull() & t.dose.notnull()).ifelse(1, 0)
    )
    unweighed = t.group_by("patient_id").aggregate(
        n_unweighed_t=t.unweighed.sum(), n_maybe_t=maybe.ifelse(1, 0).sum()
    )
    t = t.filter((per_kg >= p.refractory_gc_mg_per_kg) & long_enough)
    hd_courses = t.group_by("patient_id").aggregate(hd_start_t=t.start_day.min())

    # which patients had any glucocorticoid course or any second-agent course, dated or not
    tt = ctx.treatments
    given = tt.group_by("patient_id").aggregate(
        n_gc=tt.drug.isin(GLUCOCORTICOIDS).ifelse(1, 0).sum(),
        # an undated glucocorticoid course may have been the high-dose month
        n_gc_undated=(tt.drug.isin(GLUCOCORTICOIDS) & tt.start_day.isnull()).ifelse(1, 0).sum(),
        n_second_any=tt.drug.isin(tuple(p.refractory_second_agents)).ifelse(1, 0).sum(),
    )
    s = ctx.treatments.filter(
        ctx.treatments.drug.isin(tuple(p.refractory_second_agents))
        & ctx.treatments.start_day.notnull()
    )
    second = s.group_by("patient_id").aggregate(
        second_start=s.start_day.min(), second_drug=arg_min(s.drug, earliest(s))
    )

    j = ctx.patients.select("patient_id", "weight_kg")
    for tb in (hd_visits, hd_courses, second, known_dose, unweighed, unweighed_v, given):
        j = j.left_join(tb, "patient_id").select(~ibis.selectors.matches("_right$"))
    hd = ibis.least(j.hd_start, j.hd_start_t)
    hd = ibis.coalesce(hd, j.hd_start, j.hd_start_t)
    # DuckDB's greatest() skips NULLs: without a high-dose start there is no exposure day
    exposed = ibis.ifelse(
        hd.isnull() | j.second_start.isnull(),
        ibis.null("int64"),
        ibis.greatest(hd + p.refractory_gc_days, j.second_start),
    )
    j = j.mutate(exposed_day=exposed)

    a = ctx.assess.filter(ctx.assess.mrc.notnull()).inner_join(
        j.select("patient_id", "exposed_day"), "patient_id"
    )
    a = a.filter(a.exposed_day.notnull())
    ref = a.filter(a.day <= a.exposed_day)
    ref = pick(ref, ref.day, ["mrc", "day"], largest=True)
    ref = ref.select("patient_id", ref_mrc="mrc", ref_day="day")
    later = a.filter(a.day > a.exposed_day).inner_join(ref, "patient_id")
    later = later.mutate(worse=(later.ref_mrc - later.mrc) >= p.refractory_mrc_drop)
    lw = later.group_by("patient_id").aggregate(
        n_later=later.count(),
        worse_day=later.worse.ifelse(later.day, ibis.null("int64")).min(),
        worse_mrc=arg_min(later.mrc, later.worse.ifelse(later.day, 10**9)),
    )
    ev = ctx.events.filter((ctx.events.kind == "relapse_reported") & ctx.events.day.notnull())
    ev = ev.inner_join(j.select("patient_id", "exposed_day"), "patient_id")
    ev = ev.filter(ev.day > ev.exposed_day).group_by("patient_id").aggregate(rep_day=ev.day.min())
    for tb in (ref, lw, ev):
        j = j.left_join(tb, "patient_id").select(~ibis.selectors.matches("_right$"))
    # any worsening at all after the second agent started (each MRC sum against the previous
    # one, or a reported clinical relapse): without one, exposure does not matter
    m = ctx.assess.filter(ctx.assess.mrc.notnull()).inner_join(
        j.select("patient_id", "second_start").filter(j.second_start.notnull()), "patient_id"
    )
    m = m.mutate(prev=m.mrc.lag().over(ibis.window(group_by="patient_id", order_by=m.day)))
    m = m.filter(m.day > m.second_start)
    drops = m.group_by("patient_id").aggregate(
        n_after_second=m.count(),
        n_drop=((m.prev - m.mrc) >= p.refractory_mrc_drop).fill_null(False).ifelse(1, 0).sum(),
    )
    e2 = ctx.events.filter(
        (ctx.events.kind.isin(["relapse_reported", "worsening"]))
        & (ctx.events.relapse_type.fill_null("") != "biochemical")
    )
    e2 = e2.inner_join(j.select("patient_id", "second_start"), "patient_id")
    e2 = e2.filter(e2.day.isnull() | (e2.day > e2.second_start))
    e2 = e2.group_by("patient_id").aggregate(n_rep_after=e2.count())
    for tb in (drops, e2):
        j = j.left_join(tb, "patient_id").select(~ibis.selectors.matches("_right$"))
    never_worse = (
        j.second_start.notnull()
        & (j.n_after_second.fill_null(0) > 0)
        & (j.n_drop.fill_null(0) == 0)
        & (j.n_rep_after.fill_null(0) == 0)
    )
    maybe_hd = (j.n_maybe_t.fill_null(0) + j.n_gc_undated.fill_null(0)) > 0
    worsening_day = ibis.coalesce(ibis.least(j.worse_day, j.rep_day), j.worse_day, j.rep_day)
    never_exposed = j.n_dose.fill_null(0) > 0
    unweighed_dose = (j.n_unweighed_t.fill_null(0) + j.n_unweighed_v.fill_null(0)) > 0
    agents = ", ".join(p.refractory_second_agents)
    no_gc = (
        (j.n_gc.fill_null(0) == 0)
        & (j.n_dose.fill_null(0) == 0)
        & (j.n_unweighed_v.fill_null(0) == 0)
    )
    no_second = j.n_second_any.fill_null(0) == 0
    value = ibis.cases(
        (j.exposed_day.notnull() & worsening_day.notnull(), ibis.literal(YES)),
        (no_gc | no_second, ibis.literal(NO)),
        (j.exposed_day.notnull() & (j.n_later.fill_null(0) > 0), ibis.literal(NO)),
        (
            # never high: every course's dose and duration known and short of the rule, every
            # visit dose readable per kg
            hd.isnull()
            & j.second_start.notnull()
            & ~maybe_hd
            & (j.n_unweighed_v.fill_null(0) == 0),
            ibis.literal(NO),
        ),
        (never_worse, ibis.literal(NO)),
        else_=ibis.literal(NE),
    )
    reason = ibis.cases(
        (no_gc, ibis.literal("no glucocorticoid course or dose")),
        (no_second, ibis.literal(f"no course of {agents}")),
        (
            never_worse & j.exposed_day.isnull(),
            ibis.literal("no worsening after the start of ") + j.second_drug.fill_null("?"),
        ),
        (
            j.second_start.isnull(),
            ibis.literal(f"no course of {agents} with a start day"),
        ),
        (
            hd.isnull() & unweighed_dose,
            ibis.literal("no body weight to express the prednisone dose in mg per kg"),
        ),
        (
            hd.isnull() & ~never_exposed,
            ibis.literal(
                "no glucocorticoid dose read as >= 1.0 mg/kg/day (daily, with a start day)"
                " for 28 days"
            ),
        ),
        (
            hd.isnull() & maybe_hd,
            ibis.literal(
                "a glucocorticoid course may have been >= 1.0 mg/kg/day for 28 days: its end day"
                " (or its daily dose) is not given"
            ),
        ),
        (hd.isnull(), ibis.literal("never on prednisone >= 1.0 mg/kg/day for 28 days")),
        (j.n_later.fill_null(0) == 0, ibis.literal("no MRC sum after the exposure day")),
        else_=ibis.literal(""),
    )
    why = (
        ibis.literal("high-dose prednisone from day ")
        + text(hd)
        + ", "
        + j.second_drug.fill_null("?")
        + " from day "
        + text(j.second_start)
        + "; MRC sum "
        + num(j.ref_mrc)
        + " on day "
        + text(j.ref_day)
        + ", worse on day "
        + text(worsening_day)
    )
    return [
        j.select(
            "patient_id",
            refractory=value,
            refractory__exposed_day=j.exposed_day,
            refractory__worsening_day=worsening_day,
            refractory__why=why,
            refractory__reason=ibis.ifelse(value == YES, ibis.literal(""), reason),
        )
    ]
