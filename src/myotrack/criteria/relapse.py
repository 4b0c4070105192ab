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
import ibis.expr.datatypes as dt
import ibis.expr.types as ir

from myotrack.criteria.base import NE, NO, YES, Context, Criterion, Params, arg_min, num, text
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


#: The one window pass over the assessments after the anchor, as SQL: Ibis cannot say
#: ``LAG(... IGNORE NULLS)``, and without it the previous MRC sum and the nadir take a window
#: each plus a join (three times the time on large cohorts). The engine puts it in front of the
#: relapse query as ``relapse_rows``: the assessments with CK, ULN and MRC sum, each with the
#: previous assessment's MRC sum and day, the nadir before it and the previous such
#: assessment's day.
ROWS_SQL = """
SELECT patient_id, day, ck, ck_uln, ck_bound, mrc, prev_mrc, prev_day, nadir, prev_full_day
FROM (
    SELECT a.patient_id, a.day, a.ck, a.ck_uln, a.ck_bound, a.mrc,
           LAG(a.mrc IGNORE NULLS) OVER w AS prev_mrc,
           LAG(CASE WHEN a.mrc IS NOT NULL THEN a.day END IGNORE NULLS) OVER w AS prev_day,
           MIN(CASE WHEN a.ck_uln IS NOT NULL THEN a.ck END)
               OVER (w ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS nadir,
           LAG(CASE WHEN a.mrc IS NOT NULL AND a.ck IS NOT NULL AND a.ck_uln IS NOT NULL
                    THEN a.day END IGNORE NULLS) OVER w AS prev_full_day
    FROM "assess" AS a
    JOIN "immuno" AS i ON a.patient_id = i.patient_id
    WHERE a.day > i.anchor_day
    WINDOW w AS (PARTITION BY a.patient_id ORDER BY a.day)
)
WHERE mrc IS NOT NULL AND ck IS NOT NULL AND ck_uln IS NOT NULL
"""

ROWS_SCHEMA = ibis.schema(
    {
        "patient_id": "int64",
        "day": "int64",
        "ck": "float64",
        "ck_uln": "float64",
        "ck_bound": "string",
        "mrc": "float64",
        "prev_mrc": "float64",
        "prev_day": "int64",
        "nadir": "float64",
        "prev_full_day": "int64",
    }
)


def measured(ctx: Context) -> ir.Table:
    """Every assessment after the anchor with CK, ULN and MRC sum, the three conditions evaluated.

    The previous assessment is the previous one with an MRC sum (whether or not it had a CK);
    the nadir is the lowest CK measured after the anchor before this assessment (whether or not
    an MRC sum was recorded with it). Episodes: :func:`episodes`.
    """
    p = ctx.params
    post = ibis.table(ROWS_SCHEMA, name="relapse_rows")
    if p.relapse_baseline == "nadir":
        baseline = post.nadir
    else:
        a = anchored(ctx)
        pre = a.filter((a.day <= a.anchor_day) & a.ck.notnull())
        pre = pick(pre, pre.day, ["ck"], largest=True).rename(pre_ck="ck")
        post = post.left_join(pre, "patient_id").select(~ibis.selectors.matches("_right$"))
        baseline = post.pre_ck
    post = post.mutate(
        baseline=baseline,
        hit=_meets(p, post.ck, post.ck_bound, post.ck_uln, baseline, post.prev_mrc, post.mrc),
        evaluable=post.prev_mrc.notnull() & baseline.notnull(),
    )
    return post


#: The first qualifying assessment's values named in the explanation.
_FIRST = ("ck", "baseline", "ck_uln", "mrc", "prev_mrc", "prev_day")


def _intersect(a, b):  # type: ignore[no-untyped-def]  # the signature is given below
    """DuckDB's ``list_intersect`` (Ibis's ``intersect`` compiles to a lambda DuckDB deprecates)."""


_INT_LIST = dt.Array(dt.int64)
_list_intersect = ibis.udf.scalar.builtin(
    _intersect, name="list_intersect", signature=((_INT_LIST, _INT_LIST), _INT_LIST)
)


def per_patient(m: ir.Table) -> ir.Table:
    """Per patient, in one pass over :func:`measured`: assessments compared, episodes, first hit.

    An episode starts at a hit whose previous comparable assessment (``prev_full_day``) was no
    hit: the hits minus those whose previous comparable day is itself a hit day (each such day
    is distinct, so the count is the size of the two lists' intersection).
    """
    hit = m.hit
    n_hits = hit.ifelse(1, 0).sum()
    repeated = _list_intersect(
        m.day.collect(where=hit), m.prev_full_day.collect(where=hit)
    ).length()
    first = {c: arg_min(m[c], m.day, where=hit) for c in _FIRST}
    return m.group_by("patient_id").aggregate(
        n_eval=m.evaluable.ifelse(1, 0).sum(),
        n_episodes=n_hits - repeated.fill_null(0),
        m_first_day=m.day.min(where=hit),
        **{f"first_{c}": v for c, v in first.items()},
    )


def build(ctx: Context) -> list[ir.Table]:
    p = ctx.params
    per = per_patient(measured(ctx))
    per = per.select(
        "patient_id",
        "n_eval",
        "n_episodes",
        "m_first_day",
        m_why=ibis.literal("visits day ")
        + text(per.m_first_day)
        + ": CK "
        + num(per.first_ck)
        + " > baseline "
        + num(per.first_baseline)
        + " and > "
        + num(per.first_ck_uln * p.relapse_ck_multiple)
        + f" ({p.relapse_ck_multiple:g}x ULN); MRC sum "
        + num(per.first_mrc)
        + " vs "
        + num(per.first_prev_mrc)
        + " on day "
        + text(per.first_prev_day),
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
    for t in (per, rep):
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
