"""Building blocks shared by the criteria: anchors, the assessment nearest a time point, the last one."""

from __future__ import annotations

from collections.abc import Callable

import ibis
import ibis.expr.types as ir

from myotrack.criteria import anchors
from myotrack.criteria.anchors import anchor_span
from myotrack.criteria.base import (
    Context,
    Span,
    after3,
    agreed,
    distance,
    known,
    last_candidates,
    offset,
    refuted,
    text,
    within3,
)
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


def anchored(ctx: Context, assess: ir.Table | None = None) -> ir.Table:
    """Assessments (``assess``: some of ``ctx.assess``; default all) joined to their patient's
    first immunotherapy (``anchor_day``, ``anchor_drug``)."""
    return (ctx.assess if assess is None else assess).inner_join(ctx.immuno_start, "patient_id")


def closest(
    ctx: Context,
    name: str,
    present: Callable[[ir.Table], ir.BooleanValue],
    condition: Callable[[ir.Table], ir.BooleanValue],
    months: float,
) -> ir.Table:
    """Per patient, the assessments that could be the one closest to anchor + ``months``
    within +/- ``window_days``, and what they say.

    ``present``: what makes an assessment count; ``condition``: the three-valued condition
    judged at the time point (both of the assessment table). Days and the anchor are ranges (contract:
    Timing): an assessment is surely in the window when every day of its offset from the
    anchor is; it could be the closest one unless one surely in the window is surely closer.
    The time point is decided when an assessment surely lies in the window and every one that
    could be the closest says the same (DOMAIN.md section 9, 'Timing').

    Columns: ``<name>_possible`` (assessments that may lie in the window), ``<name>_sure``
    (that surely do), ``<name>_first`` (the first day that may), ``<name>_n`` (candidates for the closest), ``<name>_true`` /
    ``<name>_false`` (candidates for which the condition is known true / false) and
    ``<name>_row_<field>`` (the first candidate: day, its range, mRS and MRC sum; ROW_FIELDS).
    """
    p = ctx.params
    w = float(p.window_days)
    target = months * p.month_days
    # the assessments that count, then their anchors (not the other way round): each kind of
    # assessment is joined apart, only its own rows
    b = anchored(ctx, ctx.assess.filter(present(ctx.assess).fill_null(False)))
    o = offset(Span(b.day_lo, b.day_hi), anchor_span(b))
    # the offsets (whole days) as doubles: compared with and subtracted from the target (a
    # double) in floating point, not as decimals (DuckDB reads 182.64 as a DECIMAL and casts
    # every offset to one: several times slower)
    o = Span(o.lo.cast("float64"), o.hi.cast("float64"))
    inside = within3(o, target - w, target + w)
    dmin, dmax = distance(o, target)
    b = b.mutate(_inside=inside, _dmin=dmin, _dmax=dmax)
    per = b.group_by("patient_id").aggregate(
        possible=(~refuted(b._inside)).ifelse(1, 0).sum(),
        sure=known(b._inside).ifelse(1, 0).sum(),
        bound=b._dmax.min(where=known(b._inside)),
        first=b.day.min(where=~refuted(b._inside)),
    )
    c = b.inner_join(per.select("patient_id", "bound"), "patient_id")
    c = c.filter(~refuted(c._inside) & c.bound.notnull() & (c._dmin <= c.bound))
    cond = condition(c)
    # the first candidate's columns (an assessment's day is unique within its patient)
    row = pick_fields({"day": c.day, "lo": c.day_lo, "hi": c.day_hi, **_ROW(c)}, c.day)
    cand = c.group_by("patient_id").aggregate(
        n=c.count(),
        n_true=known(cond).ifelse(1, 0).sum(),
        n_false=refuted(cond).ifelse(1, 0).sum(),
        **{f"row_{k}": v for k, v in row.items()},
    )
    out = per.left_join(cand, "patient_id").select(~ibis.selectors.matches("_right$"))
    return out.select(
        "patient_id",
        **{
            f"{name}_possible": out.possible,
            f"{name}_sure": out.sure,
            f"{name}_first": out.first,
            f"{name}_n": out.n.fill_null(0),
            f"{name}_true": out.n_true.fill_null(0),
            f"{name}_false": out.n_false.fill_null(0),
            **{f"{name}_row_{k}": out[f"row_{k}"] for k in ROW_FIELDS},
        },
    )


def at_last(t: ir.Table, condition: ir.BooleanValue, name: str) -> ir.Table:
    """Per patient with a row in ``t``: ``condition`` (a column of ``t``) at the last row, known
    when every row that could be the last one (:func:`~myotrack.criteria.base.last_candidates`)
    says the same; ``<name>_n``: how many could be, ``<name>_open``: none of them leaves the
    condition unknown (only their order does), ``<name>_first`` / ``<name>_second``: the first
    and last day among them, ``<name>_unknown``: the last day among those that leave it unknown."""
    c = last_candidates(t.mutate(cond=condition))
    return c.group_by("patient_id").aggregate(**_last_columns(c, name, agreed(c.cond)))


def _last_columns(c: ir.Table, name: str, ok: ir.BooleanValue) -> dict[str, ir.Value]:
    return {
        f"{name}_ok": ok,
        f"{name}_n": c.count(),
        f"{name}_open": (c.cond.isnull().ifelse(1, 0).sum() == 0),
        f"{name}_first": c.day.min(),
        f"{name}_second": c.day.max(),
        f"{name}_unknown": c.day.max(where=c.cond.isnull()),
    }


def at_last_follow_up(ctx: Context, t: ir.Table, column: str, name: str) -> ir.Table:
    """:func:`at_last` over the follow-up: the rows of ``t`` (``patient_id``, ``day``,
    ``day_lo``, ``day_hi``, ``column``) after the start of the patient's first immunotherapy
    (``Context.immuno_start``; seed 004 1.4: 'initial, 3-month, 6-month, 12-month, and final
    follow-up'). An assessment surely on or before that start is no follow-up and is left out.
    One that may lie on either side (its day or the start is a range) may be the last
    follow-up, or not: the condition is known when one assessment is surely follow-up and every
    one that could be the last says the same. ``<name>_early``: the last day among the
    candidates that may lie on or before the start. Patients without a dated first
    immunotherapy have no row."""
    a = t.inner_join(ctx.immuno_start, "patient_id")
    post = after3(Span(a.day_lo, a.day_hi), anchor_span(a))
    a = a.filter(~refuted(post))
    a = a.select("patient_id", "day", "day_lo", "day_hi", cond=a[column], early=~known(post))
    c = last_candidates(a)
    sure = (~c.early).ifelse(1, 0).max() == 1
    ok = ibis.ifelse(sure, agreed(c.cond), ibis.null("boolean"))
    return c.group_by("patient_id").aggregate(
        **_last_columns(c, name, ok), **{f"{name}_early": c.day.max(where=c.early)}
    )


def no_anchor_case(j: ir.Table) -> tuple[ir.BooleanValue, ir.StringValue]:
    """The reason of a last-follow-up criterion for a patient without a dated first
    immunotherapy (``j`` has ``anchor_day``)."""
    return (
        j.anchor_day.isnull(),
        ibis.literal("needs an immunotherapy course with a start day (the follow-up is after it)"),
    )


def follow_up_cases(
    j: ir.Table, name: str, none: str, some: str
) -> list[tuple[ir.BooleanValue, ir.StringValue]]:
    """The reasons :func:`at_last_follow_up`'s columns ``<name>_*`` give (``j`` also has
    ``anchor_drug``): no assessment (``none``, e.g. 'no CK') after the start, or the last
    ones undecided while one may lie on or before it (``some``, e.g. 'a CK')."""
    after = ibis.literal(" after the start of ") + j.anchor_drug
    return [
        (j[f"{name}_n"].isnull(), ibis.literal(none) + after),
        (
            j[f"{name}_ok"].isnull() & j[f"{name}_early"].notnull(),
            ibis.literal(f"needs {some} surely")
            + after
            + ": the one on day "
            + text(j[f"{name}_early"])
            + " may be on or before it",
        ),
    ]


#: The first candidate's columns ``<name>_row_<field>``: its day and day range, and :func:`_ROW`.
ROW_FIELDS = ("day", "lo", "hi", "mrs", "mrc", "mrc_low", "mrc_high")


def _ROW(t: ir.Table) -> dict[str, ir.Value]:
    """The assessment columns a time point shows (its 'why')."""
    return {"mrs": t.mrs, "mrc": t.mrc, "mrc_low": t.mrc_low, "mrc_high": t.mrc_high}


def escalation_anchor(ctx: Context) -> ir.Table:
    """Per patient, the escalation drug started last, each from its first course (or the
    --anchor drug's first, or the patient's index treatment): :mod:`myotrack.criteria.anchors`."""
    return anchors.escalation(ctx.treatments, ctx.params)


def first_course(ctx: Context, drug: str) -> ir.Table:
    """Per patient, the first course of ``drug`` (or the --anchor drug's first, or the
    patient's index treatment)."""
    return anchors.first_of(ctx.treatments, ctx.params, drug)


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
