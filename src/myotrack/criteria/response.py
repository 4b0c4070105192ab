"""Definite response to an escalation therapy, by seed 002 (Mecoli et al. 2017), Methods.

'Definite responders were defined as those who both (1) improved by at least 2 grades in either
the upper or lower extremities and (2) were able to taper their prednisone dose below
10 mg/d. Nonresponders were defined as patients who received therapy without improved muscle
strength or ability to taper prednisone.' 002 graded bilateral arm abductors (deltoids) and
hip flexors; Tables 2-3 give the weaker side before therapy and at the last visit.

- Anchor: the latest-starting escalation course with a start day (IVIg, rituximab, plasma
  exchange, cyclophosphamide, HiCy, autoHCT, belimumab ...), or the ``--anchor`` drug.
- Strength of a region at an assessment: the lowest whole MRC grade among its muscles and sides
  (upper: ``response_upper_muscles``, default shoulder abductors; lower:
  ``response_lower_muscles``, default hip flexors); whole grades follow
  ``myotrack.measures.grades`` (4+ -> 4, 4- -> 4, 3- -> 2); a grade without a side is the
  muscle's grade (contract, Strength). Before: the weakest grade over the assessments at or
  before the anchor day, no earlier than ``baseline_lookback_days`` (120) before it (002
  Table 2 'Deltoid strength, min', beside 'Peak CK' and 'Max prednisone dose'; a grade from
  years earlier is not the strength 'before therapy'); after: the last assessment with grades
  after it ('at last visit').
- Taper: the last prednisone-equivalent dose recorded after the anchor is below 10 mg/day. The
  taper is judged at follow-up (DOMAIN.md section 9): the dose counts only when it was
  recorded on or after the strength follow-up (the last graded assessment after the anchor);
  without a strength follow-up the taper is unknown, whatever dose was given a few days in.
- Three values: yes when both hold; no when either is known false; else not evaluable.
- Class (detail): definite_responder (yes); non_responder only when both conditions are known
  false (002: 'without improved muscle strength or ability to taper'); not_definite for a
  'no' with one condition unknown or true.
"""

from __future__ import annotations

import ibis
import ibis.expr.types as ir

from myotrack.criteria.anchors import anchor_span
from myotrack.criteria.base import (
    NE,
    NO,
    YES,
    Context,
    Criterion,
    Span,
    after3,
    all3,
    any3,
    arg_max,
    num,
    text,
    truth,
    unknown,
)
from myotrack.criteria.timepoints import escalation_anchor

CRITERIA = (
    Criterion(
        "definite_response",
        "Definite response to an escalation therapy (>= 2 grades and prednisone < 10 mg/day)",
        "002 (Mecoli 2017) Methods; Tables 2-3",
        {
            "anchor": "latest escalation therapy start (or --anchor)",
            "grades": "2",
            "prednisone_below": "10 mg/day",
            "upper": "shoulder_abductors",
            "lower": "hip_flexors",
        },
        "latest escalation therapy",
        ("anchor_drug", "upper_change", "lower_change", "prednisone_after", "class"),
    ),
)


def build(ctx: Context) -> list[ir.Table]:
    p = ctx.params
    anc = escalation_anchor(ctx)
    a = ctx.assess.filter(ctx.assess.upper_min.notnull() | ctx.assess.lower_min.notnull())
    a = a.inner_join(anc, "patient_id")
    # per patient in one pass over the graded assessments: the last grades at or before the
    # anchor and the last after it
    before = (a.day <= a.anchor_day) & (a.day >= a.anchor_day - p.baseline_lookback_days)
    after = a.day > a.anchor_day
    # with a range of days (the assessment's or the anchor's), a graded assessment may be on
    # either side of the start: which grades are 'before' and 'after' is then unknown
    x = Span(a.day_lo, a.day_hi)
    post = after3(x, anchor_span(a))
    look = truth(
        a.day_lo >= a.anchor_hi - p.baseline_lookback_days,
        a.day_hi < a.anchor_lo - p.baseline_lookback_days,
    )
    side = any3(post, all3(~post, look))
    per = a.group_by("patient_id").aggregate(
        n_uncertain=unknown(side).ifelse(1, 0).sum(),
        b_day=a.day.max(where=before),
        # 002 Table 2 'Deltoid strength, min' beside 'Peak CK' and 'Max prednisone dose': the
        # weakest grade over the assessments before therapy
        b_up=a.upper_min.min(where=before),
        b_lo=a.lower_min.min(where=before),
        a_day=a.day.max(where=after),
        a_up=arg_max(a.upper_min, a.day, where=after),
        a_lo=arg_max(a.lower_min, a.day, where=after),
    )

    j = (
        ctx.patients.select("patient_id")
        .left_join(anc, "patient_id")
        .select(~ibis.selectors.matches("_right$"))
    )
    j = j.left_join(per, "patient_id").select(~ibis.selectors.matches("_right$"))
    # the last dose after the anchor is the patient's last dose, when that came after it
    last = ctx.latest.select("patient_id", "prednisone_day", "last_prednisone")
    j = j.left_join(last, "patient_id").select(~ibis.selectors.matches("_right$"))
    # the taper is judged at follow-up: a dose after the anchor, on or after the strength
    # follow-up (the last graded assessment after the anchor)
    dosed_after = (j.prednisone_day > j.anchor_day) & (j.prednisone_day >= j.a_day)
    j = j.mutate(
        p_day=ibis.ifelse(dosed_after, j.prednisone_day, ibis.null("int64")),
        pred=ibis.ifelse(dosed_after, j.last_prednisone, ibis.null("float64")),
    )
    up = j.a_up - j.b_up
    lo = j.a_lo - j.b_lo
    k = p.response_grades
    strength_ok = (up >= k).fill_null(False) | (lo >= k).fill_null(False)
    strength_known = (
        strength_ok
        | (up.notnull() & lo.notnull())
        | (up.notnull() & j.b_lo.isnull() & j.a_lo.isnull())
        | (lo.notnull() & j.b_up.isnull() & j.a_up.isnull())
    )
    taper_ok = j.pred < p.response_prednisone_below
    strength_no = strength_known & ~strength_ok
    taper_no = taper_ok.notnull() & ~taper_ok.fill_null(True)
    uncertain = j.n_uncertain.fill_null(0) > 0
    value = ibis.cases(
        (uncertain, ibis.literal(NE)),
        (strength_ok & taper_ok.fill_null(False), ibis.literal(YES)),
        (strength_no | taper_no, ibis.literal(NO)),
        else_=ibis.literal(NE),
    )
    reason = ibis.cases(
        (j.anchor_day.isnull(), ibis.literal("no escalation therapy with a start day")),
        (
            uncertain,
            ibis.literal("needs the days of the grades and of the start of ")
            + j.anchor_drug
            + ": a graded assessment may lie before or after it",
        ),
        (
            j.b_day.isnull(),
            ibis.literal(
                f"no muscle grades in the {p.baseline_lookback_days} days up to the start of "
            )
            + j.anchor_drug,
        ),
        (j.a_day.isnull(), ibis.literal("no muscle grades after the start of ") + j.anchor_drug),
        (
            j.pred.isnull() & strength_ok,
            ibis.literal("no prednisone dose recorded at or after the strength follow-up after ")
            + j.anchor_drug,
        ),
        (~strength_known, ibis.literal("the same region was not graded before and after")),
        else_=ibis.literal(""),
    )
    why = (
        ibis.literal("grades day ")
        + text(j.b_day)
        + " -> day "
        + text(j.a_day)
        + ": upper "
        + num(j.b_up)
        + " -> "
        + num(j.a_up)
        + ", lower "
        + num(j.b_lo)
        + " -> "
        + num(j.a_lo)
        + "; prednisone "
        + num(j.pred)
        + " mg/day on day "
        + text(j.p_day)
        + " (anchor "
        + j.anchor_drug.fill_null("?")
        + " day "
        + text(j.anchor_day)
        + ")"
    )
    return [
        j.select(
            "patient_id",
            definite_response=value,
            definite_response__anchor_drug=j.anchor_drug,
            definite_response__upper_change=up,
            definite_response__lower_change=lo,
            definite_response__prednisone_after=j.pred,
            definite_response__class=ibis.cases(
                (value == YES, ibis.literal("definite_responder")),
                (strength_no & taper_no, ibis.literal("non_responder")),
                (value == NO, ibis.literal("not_definite")),
                else_=ibis.null("string"),
            ),
            definite_response__why=why,
            definite_response__reason=ibis.ifelse(value == NE, reason, ibis.literal("")),
        )
    ]
