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
- The weakest grade is a range: a grade range (4-5) reads 4..5, and a muscle graded on one
  stated side only may be weaker on the other (0..the grade); a region ('proximal upper limb')
  grades its muscles (DOMAIN.md section 9).
- Uncertain days (contract: Timing): every assessment that may lie in the lookback counts
  towards the weakest grade before (one that surely does must exist), every one that could be
  the last after the anchor towards the grade after (one surely after must exist); +2 grades is
  known when it holds for every reading.
- Taper: the last prednisone-equivalent dose recorded after the anchor is below 10 mg/day. The
  taper is judged at follow-up (DOMAIN.md section 9): the dose counts only when it was
  recorded on or after the strength follow-up (every assessment that could be the last graded
  one after the anchor; the follow-up's own dose is at it); without a strength follow-up the
  taper is unknown, whatever dose was given a few days in.
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
    known,
    num,
    refuted,
    text,
    truth,
    unknown,
    verdict,
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


def _region(g: ir.Table, low: str, high: str, name: str) -> ir.Table:
    """Per patient, one extremity's weakest grade before therapy and at the last assessment
    after it, as ranges over every assessment that could be the one (uncertain days)."""
    graded = g[low].notnull()
    per = g.group_by("patient_id").aggregate(
        **{
            f"{name}_b_sure": (known(g._base) & graded).ifelse(1, 0).sum(),
            f"{name}_b_low": g[low].min(where=~refuted(g._base) & graded),
            f"{name}_b_high": g[high].min(where=known(g._base) & graded),
            f"{name}_b_day": g.day.max(where=known(g._base) & graded),
            # the latest first day of an assessment surely after the anchor: one surely
            # before it is not the last
            f"{name}_s_lo": g.day_lo.max(where=known(g._post) & graded),
        }
    )
    return per


def build(ctx: Context) -> list[ir.Table]:
    p = ctx.params
    k = p.response_grades
    lookback = p.baseline_lookback_days
    anc = escalation_anchor(ctx)
    a = ctx.assess.inner_join(anc, "patient_id")
    x = Span(a.day_lo, a.day_hi)
    post = after3(x, anchor_span(a))
    look = truth(a.day_lo >= a.anchor_hi - lookback, a.day_hi < a.anchor_lo - lookback)
    a = a.mutate(_post=post, _base=all3(~post, look))
    g = a.filter(a.upper_min.notnull() | a.lower_min.notnull())
    regions = {"up": ("upper_min", "upper_min_high"), "lo": ("lower_min", "lower_min_high")}
    per = g.group_by("patient_id").aggregate(n=g.count())
    for name, (low, high) in regions.items():
        r = _region(g, low, high, name)
        per = per.left_join(r, "patient_id").select(~ibis.selectors.matches("_right$"))
    # the candidates for the last graded assessment after the anchor, per extremity
    c = g.inner_join(per, "patient_id").select(~ibis.selectors.matches("_right$"))
    cand = {
        name: c[low].notnull()
        & ~refuted(c._post)
        & c[f"{name}_s_lo"].notnull()
        & (c.day_hi >= c[f"{name}_s_lo"])
        for name, (low, _) in regions.items()
    }
    follow = cand["up"] | cand["lo"]
    after_ = c.group_by("patient_id").aggregate(
        **{
            agg: v
            for name, (low, high) in regions.items()
            for agg, v in (
                (f"{name}_a_low", c[low].min(where=cand[name])),
                (f"{name}_a_high", c[high].max(where=cand[name])),
                (f"{name}_a_day", c.day.max(where=cand[name])),
            )
        },
        f_n=follow.ifelse(1, 0).sum(),
    )
    # the strength follow-ups: every candidate of either extremity
    fu = c.filter(follow).select("patient_id", f_day="day", f_hi="day_hi")
    # the taper: the last prednisone dose after the anchor (every candidate), each at or after
    # every strength follow-up (the follow-up's own dose is at it)
    d = a.filter(a.prednisone_mg_day.notnull())
    d_per = d.group_by("patient_id").aggregate(d_s_lo=d.day_lo.max(where=known(d._post)))
    d = d.inner_join(d_per, "patient_id")
    d = d.filter(~refuted(d._post) & d.d_s_lo.notnull() & (d.day_hi >= d.d_s_lo))
    dj = d.select("patient_id", "day", "day_lo", "prednisone_mg_day").left_join(fu, "patient_id")
    early = dj.f_day.notnull() & (dj.f_day != dj.day) & (dj.day_lo < dj.f_hi)
    taper_rows = dj.group_by("patient_id").aggregate(
        n_dose=dj.day.nunique(),
        n_early=early.ifelse(1, 0).sum(),
        n_below=(dj.prednisone_mg_day < p.response_prednisone_below).ifelse(1, 0).sum(),
        n_rows=dj.count(),
        pred=dj.prednisone_mg_day.max(),
        pred_low=dj.prednisone_mg_day.min(),
        p_day=dj.day.max(),
    )
    j = (
        ctx.patients.select("patient_id")
        .left_join(anc, "patient_id")
        .select(~ibis.selectors.matches("_right$"))
    )
    for t in (per, after_, taper_rows):
        j = j.left_join(t, "patient_id").select(~ibis.selectors.matches("_right$"))

    def up_by(name: str) -> ir.BooleanValue:
        b_sure = j[f"{name}_b_sure"].fill_null(0) > 0
        a_sure = j[f"{name}_s_lo"].notnull()
        gain = truth(
            j[f"{name}_a_low"] - j[f"{name}_b_high"] >= k,
            j[f"{name}_a_high"] - j[f"{name}_b_low"] < k,
        )
        return ibis.ifelse(b_sure & a_sure, gain, ibis.null("boolean"))

    strength = any3(up_by("up"), up_by("lo"))
    follow_sure = j.up_s_lo.notnull() | j.lo_s_lo.notnull()
    dose_known = j.n_dose.notnull() & (j.n_early.fill_null(0) == 0)
    taper = ibis.ifelse(
        follow_sure & dose_known,
        truth(j.pred < p.response_prednisone_below, j.pred_low >= p.response_prednisone_below),
        ibis.null("boolean"),
    )
    value = verdict(all3(strength, taper))
    exact = {
        name: (j[f"{name}_a_low"] == j[f"{name}_a_high"])
        & (j[f"{name}_b_low"] == j[f"{name}_b_high"])
        for name in regions
    }
    change = {
        name: ibis.ifelse(exact[name], j[f"{name}_a_low"] - j[f"{name}_b_low"], ibis.null("int64"))
        for name in regions
    }
    drug = j.anchor_drug.fill_null("?")
    no_base = (j.up_b_sure.fill_null(0) == 0) & (j.lo_b_sure.fill_null(0) == 0)
    no_after = ~follow_sure
    reason = ibis.cases(
        (j.anchor_day.isnull(), ibis.literal("no escalation therapy with a start day")),
        (
            unknown(strength) & no_base,
            ibis.literal(f"no muscle grades surely in the {lookback} days up to the start of ")
            + drug,
        ),
        (
            unknown(strength) & no_after,
            ibis.literal("no muscle grades surely after the start of ") + drug,
        ),
        (
            unknown(strength),
            ibis.literal("the grades do not decide +")
            + ibis.literal(str(k))
            + ": upper "
            + num(j.up_b_low)
            + ".."
            + num(j.up_b_high)
            + " -> "
            + num(j.up_a_low)
            + ".."
            + num(j.up_a_high)
            + ", lower "
            + num(j.lo_b_low)
            + ".."
            + num(j.lo_b_high)
            + " -> "
            + num(j.lo_a_low)
            + ".."
            + num(j.lo_a_high),
        ),
        (
            j.n_dose.isnull(),
            ibis.literal("no prednisone dose recorded surely after the start of ") + drug,
        ),
        (
            j.n_early.fill_null(0) > 0,
            ibis.literal("no prednisone dose surely at or after the strength follow-up after ")
            + drug,
        ),
        else_=ibis.literal("the last prednisone doses do not decide the taper"),
    )
    a_day = ibis.greatest(j.up_a_day, j.lo_a_day)
    why = (
        ibis.literal("grades day ")
        + text(ibis.greatest(j.up_b_day, j.lo_b_day))
        + " -> day "
        + text(a_day)
        + ": upper "
        + num(j.up_b_low)
        + " -> "
        + num(j.up_a_low)
        + ", lower "
        + num(j.lo_b_low)
        + " -> "
        + num(j.lo_a_low)
        + "; prednisone "
        + num(j.pred)
        + " mg/day on day "
        + text(j.p_day)
        + " (anchor "
        + drug
        + " day "
        + text(j.anchor_day)
        + ")"
    )
    strength_no = refuted(strength)
    taper_no = refuted(taper)
    pred = ibis.ifelse(dose_known, j.pred, ibis.null("float64"))
    return [
        j.select(
            "patient_id",
            definite_response=value,
            definite_response__anchor_drug=j.anchor_drug,
            definite_response__upper_change=change["up"],
            definite_response__lower_change=change["lo"],
            definite_response__prednisone_after=pred,
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
