"""Building blocks shared by the criteria: anchors, the assessment nearest a time point, the last one."""

from __future__ import annotations

import ibis
import ibis.expr.types as ir

from myotrack.criteria.base import ESCALATION, Context


def pick(
    t: ir.Table, key: ir.Value, columns: list[str] | tuple[str, ...], largest: bool = False
) -> ir.Table:
    """Per patient, the row with the smallest (or largest) ``key``: one aggregation, no window.

    ``key`` must be unique within a patient (e.g. ``day``, or ``dist + day * 1e-7`` to break
    ties by the earlier day).
    """
    agg = {
        c: (t[c].argmax(key) if largest else t[c].argmin(key)) for c in columns if c != "patient_id"
    }
    return t.group_by("patient_id").aggregate(**agg)


def anchored(ctx: Context, anchor: ir.Table | None = None) -> ir.Table:
    """Assessments joined to their patient's anchor (``anchor_day``, ``anchor_drug``)."""
    anc = ctx.immuno_start if anchor is None else anchor
    return ctx.assess.inner_join(anc, "patient_id")


def nearest(ctx: Context, value: str, months: float, anchor: ir.Table | None = None) -> ir.Table:
    """Per patient, the assessment with ``value`` recorded nearest to anchor + months.

    Only assessments within +/- ``window_days`` of the target count; on a tie the earlier wins.
    Columns: patient_id, day, the value, target, anchor_day, anchor_drug.
    """
    p = ctx.params
    a = anchored(ctx, anchor)
    target = a.anchor_day + round(months * p.month_days)
    a = a.filter(a[value].notnull()).mutate(target=target, dist=(a.day - target).abs())
    a = a.filter(a.dist <= p.window_days)
    picked = pick(a, a.dist + a.day * 1e-7, a.columns)
    return picked.select("patient_id", "day", value, "target", "anchor_day", "anchor_drug")


def last_with(ctx: Context, value: str, after_anchor: bool = False) -> ir.Table:
    """Per patient, the last assessment with ``value`` recorded (optionally after the anchor)."""
    a = anchored(ctx) if after_anchor else ctx.assess
    a = a.filter(a[value].notnull())
    if after_anchor:
        a = a.filter(a.day > a.anchor_day)
    return pick(a, a.day, a.columns, largest=True)


def escalation_anchor(ctx: Context) -> ir.Table:
    """Per patient, the escalation drug started last (its first course), or the --anchor drug's first.

    Each escalation drug counts from its first course, so a re-dose of rituximab (or a
    maintenance course) never becomes the anchor: 'after the therapy' means after it began.
    """
    if ctx.params.anchor:
        return ctx.immuno_start
    t = ctx.treatments
    t = t.filter(t.drug.isin(ESCALATION) & t.start_day.notnull())
    firsts = t.group_by(["patient_id", "drug"]).aggregate(first_day=t.start_day.min())
    return firsts.group_by("patient_id").aggregate(
        anchor_day=firsts.first_day.max(), anchor_drug=firsts.drug.argmax(firsts.first_day)
    )


def first_course(ctx: Context, drug: str) -> ir.Table:
    """Per patient, the first course of ``drug`` (or the --anchor drug's first)."""
    if ctx.params.anchor:
        return ctx.immuno_start
    t = ctx.treatments
    t = t.filter((t.drug == drug) & t.start_day.notnull())
    return t.group_by("patient_id").aggregate(
        anchor_day=t.start_day.min(), anchor_drug=t.drug.argmin(t.start_day)
    )


def ck_normal(a: ir.Table, multiple: float = 1.0) -> ir.BooleanValue:
    """CK at or below ``multiple`` x ULN, honouring a written bound ('<200' is normal at ULN 200)."""
    limit = a.uln_limit if "uln_limit" in a.columns else a.ck_uln * multiple
    return ibis.cases(
        ((a.ck_bound == ">") & (a.ck >= limit), False),
        ((a.ck_bound == "<") & (a.ck <= limit), True),
        (a.ck_bound == "", a.ck <= limit),
        else_=ibis.null("boolean"),
    )


def ck_below(a: ir.Table, multiple: float) -> ir.BooleanValue:
    """CK strictly below ``multiple`` x ULN, honouring a written bound."""
    limit = a.ck_uln * multiple
    return ibis.cases(
        ((a.ck_bound == ">") & (a.ck >= limit), False),
        ((a.ck_bound == "<") & (a.ck <= limit), True),
        (a.ck_bound == "", a.ck < limit),
        else_=ibis.null("boolean"),
    )
