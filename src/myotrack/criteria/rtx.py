"""Response to rituximab as the literature review of seed 001 counts it (Table 4, footnote b).

'Response is defined as strength increased 2 points or CK levels declined by 10-fold within
6 months.'

- Anchor: the first rituximab course with a start day (or the ``--anchor`` drug).
- Baseline: the last assessment at or before the anchor, no earlier than
  ``baseline_lookback_days`` (120) before it, with CK (for the CK part) and with an MRC sum
  (for the strength part). Days are ranges (contract: Timing): every assessment that could be
  the last one is a candidate, and a comparison must hold against each.
- Within (anchor, anchor + ``rtx_window_days`` (183)]: every assessment that may lie there;
  the part holds when one surely there holds, fails when all fail and one surely lies there.
- Strength is the MRC sum (0-60) as the range an assessment allows (``mrc_low`` ..
  ``mrc_high``: the recorded sum, else what the grades allow): a rise of 2 points holds when
  even the lowest sum after exceeds the highest before by 2, fails when even the highest
  after does not.
- CK bounds (``ck_bound``, ``ck_state``; :func:`myotrack.measures.bounds.compare_expr`): the
  baseline is an interval (``>10000`` is at least 10,000, ``~4000`` is 3,600..4,400, 'elevated'
  is above the ULN); the CK part holds when some CK in the window is surely at most the
  baseline's lowest value / 10, fails when every CK in the window is surely above the
  baseline's highest value / 10, and is unknown otherwise ('>999' after 10,000 may or may not
  be a 10-fold fall; after '>10000', 1001 is undecided).
yes: either part holds; no: both parts evaluable and neither holds; else not evaluable.
"""

from __future__ import annotations

from collections.abc import Callable

import ibis
import ibis.expr.types as ir

from myotrack.criteria.anchors import anchor_span
from myotrack.criteria.base import (
    NE,
    Context,
    Criterion,
    Span,
    after3,
    all3,
    any3,
    arg_max,
    arg_min,
    ck_range,
    known,
    num,
    offset,
    refuted,
    text,
    truth,
    unknown,
    verdict,
    votes,
)
from myotrack.criteria.portable import rounded
from myotrack.criteria.timepoints import first_course
from myotrack.measures.enzymes import fold_decrease

CRITERIA = (
    Criterion(
        "rtx_response",
        "Response to rituximab (strength +2 points or CK down 10-fold within 6 months)",
        "001 (anti-SRP anti-B-cell review) Table 4, footnote b",
        {
            "anchor": "first rituximab start (or --anchor)",
            "window_days": "183",
            "ck_fold": "10",
            "strength_points": "2",
            "baseline_lookback_days": "120",
        },
        "first rituximab",
        ("anchor_drug", "ck_fold", "strength_change"),
    ),
)


def _measure(
    ctx: Context,
    anc: ir.Table,
    name: str,
    has: ir.BooleanValue,
    test: Callable[[ir.Table], ir.BooleanValue],
) -> ir.Table:
    """One part of the response (MRC sum or CK), three-valued, per patient.

    Baseline: the last assessment with the measure on or before the anchor within the
    lookback; when days are ranges, every assessment that could be the last one is a
    candidate and the comparison must hold against all of them. Follow-up: every assessment
    that may lie in (anchor, anchor + window]; the part holds when one surely there holds,
    fails when every one fails and one surely lies there.
    """
    p = ctx.params
    a = ctx.assess.filter(has).inner_join(anc, "patient_id")
    x, anchor = Span(a.day_lo, a.day_hi), anchor_span(a)
    post = after3(x, anchor)
    look = truth(
        a.day_lo >= a.anchor_hi - p.baseline_lookback_days,
        a.day_hi < a.anchor_lo - p.baseline_lookback_days,
    )
    in_base = all3(~post, look)
    since = offset(x, anchor)
    in_window = all3(post, truth(since.hi <= p.rtx_window_days, since.lo > p.rtx_window_days))
    a = a.mutate(in_base=in_base, in_window=in_window)
    sure = a.group_by("patient_id").aggregate(
        n_sure=known(a.in_base).ifelse(1, 0).sum(),
        last_lo=a.day_lo.max(where=known(a.in_base)),
    )
    b = a.inner_join(sure.filter(sure.n_sure > 0), "patient_id")
    b = b.filter(~refuted(b.in_base) & (b.day_hi.isnull() | (b.day_hi >= b.last_lo)))
    base = b.group_by("patient_id").aggregate(**_base_aggs(b, name))
    f = a.filter(~refuted(a.in_window)).inner_join(base, "patient_id")
    vote = all3(f.in_window, test(f))
    per = f.group_by("patient_id").aggregate(
        **votes(vote), n_follow_sure=known(f.in_window).ifelse(1, 0).sum()
    )
    j = base.left_join(per, "patient_id").select(~ibis.selectors.matches("_right$"))
    cond = ibis.cases(
        (j.n_true.fill_null(0) > 0, ibis.literal(True)),
        (
            (j.n_unknown.fill_null(0) == 0)
            & (j.n_false.fill_null(0) > 0)
            & (j.n_follow_sure.fill_null(0) > 0),
            ibis.literal(False),
        ),
        else_=ibis.null("boolean"),
    )
    return j.select(
        "patient_id",
        **{
            f"{name}_ok": cond,
            f"{name}_follow": j.n_true.fill_null(0)
            + j.n_false.fill_null(0)
            + j.n_unknown.fill_null(0),
        },
        **{c: j[c] for c in j.columns if c.startswith(f"{name}_b")},
    )


def _base_aggs(b: ir.Table, name: str) -> dict[str, ir.Value]:
    """The baseline candidates, reduced to what the comparison needs."""
    if name == "mrc":
        return {
            "mrc_b_low": b.mrc_low.min(),
            "mrc_b_high": b.mrc_high.max(),
            "mrc_b_day": b.day.max(),
        }
    low, high, _ = ck_range(b.ck, b.ck_bound, b.ck_state, b.ck_uln)
    return {
        "ck_b_low": low.min(),
        "ck_b_high": high.max(),
        "ck_b_open": high.isnull().ifelse(1, 0).sum(),
        "ck_b_lt": (b.ck_bound == "<").ifelse(1, 0).sum(),
        "ck_b_value": arg_max(b.ck, b.day),
        "ck_b_day": b.day.max(),
    }


def build(ctx: Context) -> list[ir.Table]:
    p = ctx.params
    anc = first_course(ctx, "rituximab")
    points = float(p.rtx_strength_points)
    fold = float(p.rtx_ck_fold)

    def mrc_test(f: ir.Table) -> ir.BooleanValue:
        return truth(f.mrc_low - f.mrc_b_high >= points, f.mrc_high - f.mrc_b_low < points)

    def ck_test(f: ir.Table) -> ir.BooleanValue:
        low, high, _ = ck_range(f.ck, f.ck_bound, f.ck_state, f.ck_uln)
        now_low = low.fill_null(0.0)
        b_high = ibis.ifelse(f.ck_b_open > 0, ibis.null("float64"), f.ck_b_high)
        # '>1000' after 10,000 is more than a tenth: not a 10-fold fall
        open_edge = (
            (now_low * fold == b_high) & (now_low > 0) & ((f.ck_bound == ">") | (f.ck_b_lt > 0))
        )
        return truth(
            (f.ck_b_low > 0) & high.notnull() & (f.ck_b_low >= high * fold),
            b_high.notnull() & ((now_low * fold > b_high) | open_edge),
        )

    has_ck = ctx.assess.ck.notnull() | (ctx.assess.ck_state != "")
    mrc = _measure(ctx, anc, "mrc", ctx.assess.mrc_seen, mrc_test)
    ck = _measure(ctx, anc, "ck", has_ck, ck_test)
    # the detail columns: the lowest CK and the best MRC sum surely in the window
    a = ctx.assess.inner_join(anc, "patient_id")
    since = offset(Span(a.day_lo, a.day_hi), anchor_span(a))
    surely = known(
        all3(
            after3(Span(a.day_lo, a.day_hi), anchor_span(a)),
            truth(since.hi <= p.rtx_window_days, since.lo > p.rtx_window_days),
        )
    )
    best = a.group_by("patient_id").aggregate(
        min_ck=a.ck.min(where=surely),
        # of equal lowest CKs, the first
        min_ck_day=arg_min(a.day, a.ck + a.day * 1e-9, where=surely & a.ck.notnull()),
        max_mrc=a.mrc.max(where=surely),
    )
    j = (
        ctx.patients.select("patient_id")
        .left_join(anc, "patient_id")
        .select(~ibis.selectors.matches("_right$"))
    )
    for t in (mrc, ck, best):
        j = j.left_join(t, "patient_id").select(~ibis.selectors.matches("_right$"))
    st_ok, ck_ok = j.mrc_ok, j.ck_ok
    condition = any3(st_ok, ck_ok)
    value = verdict(condition)
    fold_v = fold_decrease(j.ck_b_value, j.min_ck)
    change = j.max_mrc - j.mrc_b_high
    window = p.rtx_window_days
    lookback = p.baseline_lookback_days
    drug = j.anchor_drug.fill_null("rituximab")

    def missing(part: str, b_day: ir.Value, follow: ir.Value) -> ir.StringValue:
        return ibis.cases(
            (
                b_day.isnull(),
                ibis.literal(f"needs {part} in the {lookback} days up to the start of ") + drug,
            ),
            (
                follow.fill_null(0) == 0,
                ibis.literal(f"needs {part} within {window} days after the start of ") + drug,
            ),
            else_=ibis.literal(f"needs {part} on exact days or as exact values after ") + drug,
        )

    reason = ibis.cases(
        (j.anchor_day.isnull(), ibis.literal("needs a rituximab course with a start day")),
        (
            unknown(st_ok) & unknown(ck_ok),
            missing("an MRC sum", j.mrc_b_day, j.mrc_follow)
            + "; and "
            + missing("a CK", j.ck_b_day, j.ck_follow),
        ),
        (
            unknown(ck_ok),
            ibis.literal("MRC sum did not rise by 2; ") + missing("a CK", j.ck_b_day, j.ck_follow),
        ),
        (
            unknown(st_ok),
            ibis.literal("CK did not fall 10-fold; ")
            + missing("an MRC sum", j.mrc_b_day, j.mrc_follow),
        ),
        else_=ibis.literal(""),
    )
    why = (
        ibis.literal("CK ")
        + num(j.ck_b_value)
        + " (day "
        + text(j.ck_b_day)
        + ") -> lowest "
        + num(j.min_ck)
        + " (day "
        + text(j.min_ck_day)
        + "); MRC sum "
        + num(j.mrc_b_high)
        + " (day "
        + text(j.mrc_b_day)
        + ") -> best "
        + num(j.max_mrc)
        + " (anchor "
        + j.anchor_drug.fill_null("?")
        + " day "
        + text(j.anchor_day)
        + ")"
    )
    return [
        j.select(
            "patient_id",
            rtx_response=value,
            rtx_response__anchor_drug=j.anchor_drug,
            rtx_response__ck_fold=rounded(fold_v, 2),
            rtx_response__strength_change=change,
            rtx_response__why=why,
            rtx_response__reason=ibis.ifelse(value == NE, reason, ibis.literal("")),
        )
    ]
