"""Building blocks shared by the criteria: anchors, the assessment nearest a time point, the last one."""

from __future__ import annotations

import ibis
import ibis.expr.types as ir

from myotrack.criteria.base import ESCALATION, Context, arg_max, arg_min, earliest
from myotrack.criteria.portable import pick_fields
from myotrack.measures.bounds import compare_expr


def pick(
    t: ir.Table, key: ir.Value, columns: list[str] | tuple[str, ...], largest: bool = False
) -> ir.Table:
    """Per patient, the row with the smallest (or largest) ``key``: one aggregation, no window.

    ``key`` must be unique within a patient (e.g. ``day``, or ``dist + day * 1e-7`` to break
    ties by the earlier day).
    """
    cols = [c for c in columns if c != "patient_id"]
    # the row's columns picked together (:func:`myotrack.criteria.portable.pick_fields`)
    agg = pick_fields({c: t[c] for c in cols}, key, largest=largest)
    return t.group_by("patient_id").aggregate(**agg)


def anchored(ctx: Context) -> ir.Table:
    """Assessments joined to their patient's first immunotherapy (``anchor_day``, ``anchor_drug``)."""
    return ctx.assess.inner_join(ctx.immuno_start, "patient_id")


def nearest(
    ctx: Context,
    points: dict[str, tuple[str, float]],
    also: dict[str, tuple[str, ...]] | None = None,
    present: dict[str, str] | None = None,
) -> ir.Table:
    """Per patient, for each time point, the assessment with its value nearest to anchor + months.

    ``points``: name -> (value column, months). Only assessments with the value recorded within
    +/- ``window_days`` of the target count; on a tie the earlier wins. One aggregation for all
    points. Columns: patient_id, and per point ``<name>_day`` and ``<name>_value`` (null when
    no assessment qualifies). ``also``: per point, further columns of the same assessment
    (``<name>_<column>``); ``present``: per point, the boolean column that makes an assessment
    count (default: the value is not null).
    """
    p = ctx.params
    a = anchored(ctx)
    offsets = {name: round(months * p.month_days) for name, (_, months) in points.items()}
    lo = min(offsets.values()) - p.window_days
    hi = max(offsets.values()) + p.window_days
    a = a.filter((a.day >= a.anchor_day + lo) & (a.day <= a.anchor_day + hi))
    aggs = {}
    for name, (value, _) in points.items():
        dist = (a.day - (a.anchor_day + offsets[name])).abs()
        has = a[present[name]] if present and name in present else a[value].notnull()
        ok = has & (dist <= p.window_days)
        key = dist + a.day * 1e-7  # unique within a patient: the earlier day wins a tie
        aggs[f"{name}_day"] = arg_min(a.day, key, where=ok)
        aggs[f"{name}_value"] = arg_min(a[value], key, where=ok)
        for col in (also or {}).get(name, ()):
            aggs[f"{name}_{col}"] = arg_min(a[col], key, where=ok)
    return a.group_by("patient_id").aggregate(**aggs)


def escalation_anchor(ctx: Context) -> ir.Table:
    """Per patient, the escalation drug started last (its first course), or the --anchor drug's first.

    Each escalation drug counts from its first course, so a re-dose of rituximab (or a
    maintenance course) never becomes the anchor: 'after the therapy' means after it began.
    """
    if ctx.params.anchor:
        return ctx.immuno_start
    t = ctx.treatments
    t = t.filter(t.drug.isin(ESCALATION) & t.start_day.notnull())
    firsts = t.group_by(["patient_id", "drug"]).aggregate(
        first_day=t.start_day.min(), entry=arg_min(t.entry, earliest(t))
    )
    return firsts.group_by("patient_id").aggregate(
        anchor_day=firsts.first_day.max(),
        # the latest start; of drugs started that day, the first entered
        anchor_drug=arg_max(
            firsts.drug, ibis.struct({"start_day": firsts.first_day, "later": -firsts.entry})
        ),
    )


def first_course(ctx: Context, drug: str) -> ir.Table:
    """Per patient, the first course of ``drug`` (or the --anchor drug's first)."""
    if ctx.params.anchor:
        return ctx.immuno_start
    t = ctx.treatments
    t = t.filter((t.drug == drug) & t.start_day.notnull())
    return t.group_by("patient_id").aggregate(
        anchor_day=t.start_day.min(), anchor_drug=arg_min(t.drug, earliest(t))
    )


def ck_within(
    ck: ir.NumericValue,
    uln: ir.NumericValue,
    bound: ir.StringValue,
    multiple: float = 1.0,
    strict: bool = False,
    state: ir.StringValue | None = None,
) -> ir.BooleanValue:
    """CK at or below (``strict``: below) ``multiple`` x ULN, honouring a written bound or a
    qualitative state ('<200' is within a limit of 200 or more, '>5000' is not within a limit up
    to 5000; a bound that leaves it open, '<250' at a limit of 200, is unknown: null). One rule
    for every lab comparison: :func:`myotrack.measures.bounds.compare_expr`."""
    return compare_expr(
        ck,
        bound,
        ibis.literal("") if state is None else state,
        uln,
        "below" if strict else "at_most",
        multiple=multiple,
    )
