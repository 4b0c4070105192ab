"""Favourable recovery and full strength at fixed times after starting immunotherapy.

Source: seed 004 (Termglinchan & Apiwattanakul, Neurological Institute of Thailand, 2024),
Methods 1.4 and Table 1: favourable recovery = modified Rankin Scale 0-1 at 6 and at 12 months
after immunotherapy; full strength = MRC sum 60 at 3, 6 and 12 months and at last follow-up.

Anchor: the first course of any immunotherapy with a start day (or the ``--anchor`` drug).
Time point: the assessment with the measure recorded nearest to anchor + N months
(1 month = 30.44 days) within +/- ``window_days`` (default 45: 004 saw patients monthly, then
every three months). No such assessment: not evaluable.

Full strength reads every assessment that says something about the MRC sum: a recorded sum,
or grades of the MRC-sum muscles. One muscle graded below 5 rules out a sum of 60 ('no') even
when other muscles were not graded; a range that still allows 60 and less is not evaluable,
and the reason names that range (DOMAIN.md section 9). A recorded mRS always decides 0-1.
At the last follow-up (after the start of the first immunotherapy: an assessment at
presentation is no follow-up), with day ranges, every assessment that could be the last one is
read (contract: Timing), as for complete remission.
"""

from __future__ import annotations

from collections.abc import Collection

import ibis
import ibis.expr.types as ir

from myotrack.criteria.base import NE, NO, YES, Context, Criterion, num, text, truth, verdict
from myotrack.criteria.timepoints import (
    ROW_FIELDS,
    at_last_follow_up,
    closest,
    follow_up_cases,
    no_anchor_case,
)
from myotrack.measures.mrs import favourable

_CITE = "004 (Termglinchan 2024) Methods 1.4, Table 1"

RECOVERY = {
    "favourable_recovery_6m": 6.0,
    "favourable_recovery_12m": 12.0,
}
FULL_STRENGTH = {
    "full_strength_3m": 3.0,
    "full_strength_6m": 6.0,
    "full_strength_12m": 12.0,
}

CRITERIA = tuple(
    [
        Criterion(
            cid,
            f"Favourable recovery (mRS 0-1) at {int(m)} months",
            _CITE,
            {"anchor": "first immunotherapy start", "window_days": "45", "favourable": "mRS 0-1"},
            "first immunotherapy",
            ("day", "mrs"),
        )
        for cid, m in RECOVERY.items()
    ]
    + [
        Criterion(
            cid,
            f"Full strength (MRC sum 60) at {int(m)} months",
            _CITE,
            {"anchor": "first immunotherapy start", "window_days": "45"},
            "first immunotherapy",
            ("day", "mrc_sum"),
        )
        for cid, m in FULL_STRENGTH.items()
    ]
    + [
        Criterion(
            "full_strength_last",
            "Full strength (MRC sum 60) at the last follow-up assessment with an MRC sum",
            _CITE,
            {"follow-up": "after the first immunotherapy start (or --anchor)"},
            "last follow-up after the first immunotherapy",
            ("day", "mrc_sum"),
        ),
    ]
)


def _timepoint(
    j: ir.Table, cid: str, months: float, value: str, label: str, window: int, month: float
) -> dict[str, ir.Value]:
    """The columns of one time point criterion from its candidate assessments (:func:`closest`)."""
    n, sure, possible = j[f"{cid}_n"], j[f"{cid}_sure"], j[f"{cid}_possible"]
    n_true, n_false = j[f"{cid}_true"], j[f"{cid}_false"]
    row = {k: j[f"{cid}_row_{k}"] for k in ROW_FIELDS}
    decided = sure.fill_null(0) > 0
    condition = truth(decided & (n_true == n), decided & (n_false == n))
    one = decided & (n == 1)
    day = ibis.ifelse(one, row["day"], ibis.null("int64"))
    if value == "mrs":
        shown, shown_text = row["mrs"].cast("float64"), num(row["mrs"])
    else:
        shown = row["mrc"].cast("float64")
        shown_text = ibis.ifelse(
            row["mrc"].notnull(),
            num(row["mrc"]),
            num(row["mrc_low"]) + ".." + num(row["mrc_high"]),
        )
    where = f"{int(months)} months ({months * month:.0f} +/- {window} days) after "
    when = ibis.ifelse(
        row["lo"] == row["hi"],
        text(row["day"]),
        text(row["day"]) + " (" + text(row["lo"]) + ".." + text(row["hi"]) + ")",
    )
    anchor = (
        j.anchor_drug.fill_null("?")
        + " day "
        + text(j.anchor_day)
        + ibis.ifelse(
            j.anchor_lo.isnull() | j.anchor_hi.isnull() | (j.anchor_lo != j.anchor_hi),
            " (" + text(j.anchor_lo) + ".." + text(j.anchor_hi) + ")",
            ibis.literal(""),
        )
    )
    return {
        cid: verdict(condition),
        f"{cid}__day": day,
        f"{cid}__{'mrs' if value == 'mrs' else 'mrc_sum'}": ibis.ifelse(
            one, shown, ibis.null("float64")
        ),
        f"{cid}__why": ibis.ifelse(
            condition.notnull(),
            ibis.literal("day ") + when + f": {label} " + shown_text + " (anchor " + anchor + ")",
            ibis.null("string"),
        ),
        f"{cid}__reason": ibis.cases(
            (
                j.anchor_drug.isnull(),
                ibis.literal("needs an immunotherapy course with a start day"),
            ),
            (
                possible.fill_null(0) == 0,
                ibis.literal(f"needs an {label} at {where}") + anchor,
            ),
            (
                ~decided,
                ibis.literal(f"needs an {label} surely at {where}")
                + anchor
                + ": the one on day "
                + text(j[f"{cid}_first"])
                + " may fall outside (its day or the anchor's is a range)",
            ),
            (
                condition.isnull() & (n > 1),
                ibis.literal("needs to know which of ")
                + n.cast("string")
                + f" assessments is the closest to {where}"
                + anchor
                + f" (their days are ranges and their {label}s differ)",
            ),
            # one assessment that leaves it open: only grades do (a recorded mRS decides)
            *(
                []
                if value == "mrs"
                else [
                    (
                        condition.isnull(),
                        ibis.literal(f"needs the {label} on day ")
                        + when
                        + ": the grades allow "
                        + num(row["mrc_low"])
                        + ".."
                        + num(row["mrc_high"])
                        + " (not every MRC-sum muscle graded, or a range)",
                    )
                ]
            ),
            else_=ibis.literal(""),
        ),
    }


def build(ctx: Context, wanted: Collection[str] | None = None) -> list[ir.Table]:
    """The time point criteria as one part, full strength at the last visit as another.

    ``wanted``: the criterion ids to build (default all).
    """
    points = {cid: ("mrs", m) for cid, m in RECOVERY.items()}
    points |= {cid: ("mrc_full", m) for cid, m in FULL_STRENGTH.items()}
    points = {k: v for k, v in points.items() if wanted is None or k in wanted}
    out: list[ir.Table] = []
    if points:
        out.append(_timepoints(ctx, points))
    if wanted is None or "full_strength_last" in wanted:
        out.append(_last(ctx))
    return out


def _timepoints(ctx: Context, points: dict[str, tuple[str, float]]) -> ir.Table:
    j = (
        ctx.patients.select("patient_id")
        .left_join(ctx.immuno_start, "patient_id")
        .select(~ibis.selectors.matches("_right$"))
    )
    for cid, (value, months) in points.items():
        if value == "mrs":
            part = closest(ctx, cid, lambda t: t.mrs.notnull(), lambda t: favourable(t.mrs), months)
        else:
            part = closest(ctx, cid, lambda t: t.mrc_seen, lambda t: t.mrc_full, months)
        j = j.left_join(part, "patient_id").select(~ibis.selectors.matches("_right$"))
    cols: dict[str, ir.Value] = {}
    w = ctx.params.window_days
    for cid, (value, months) in points.items():
        label = "mRS" if value == "mrs" else "MRC sum"
        cols |= _timepoint(j, cid, months, value, label, w, ctx.params.month_days)
    return j.select("patient_id", **cols)


def _last(ctx: Context) -> ir.Table:
    """Full strength at the last follow-up assessment that says something about the MRC sum:
    after the start of the first immunotherapy, and with day ranges (contract: Timing) at every
    one that could be the last (:func:`at_last_follow_up`)."""
    a = ctx.assess.filter(ctx.assess.mrc_seen)
    a = a.select("patient_id", "day", "day_lo", "day_hi", "mrc_full")
    full = at_last_follow_up(ctx, a, "mrc_full", "m")
    anchor = ctx.immuno_start.select("patient_id", "anchor_day", "anchor_drug")
    j = ctx.patients.select("patient_id")
    for t in (ctx.latest, anchor, full):
        j = j.left_join(t, "patient_id").select(~ibis.selectors.matches("_right$"))
    why = (
        ibis.literal("visits day ")
        + text(j.mrc_day)
        + ibis.ifelse(
            j.last_mrc.notnull(),
            ibis.literal(": MRC sum ") + num(j.last_mrc),
            ibis.literal(": MRC sum at most ") + num(j.last_mrc_high),
        )
    )
    undecided = j.m_ok.isnull()
    return j.select(
        "patient_id",
        full_strength_last=ibis.cases(
            (j.m_ok, ibis.literal(YES)),
            (~j.m_ok, ibis.literal(NO)),
            else_=ibis.literal(NE),
        ),
        full_strength_last__day=j.mrc_day,
        full_strength_last__mrc_sum=j.last_mrc,
        full_strength_last__why=ibis.ifelse(j.mrc_day.notnull(), why, ibis.null("string")),
        full_strength_last__reason=ibis.cases(
            (
                j.mrc_day.isnull(),
                ibis.literal("no MRC sum recorded (nor any MRC-sum muscle graded)"),
            ),
            no_anchor_case(j),
            *follow_up_cases(j, "m", "no MRC sum (nor any MRC-sum muscle graded)", "an MRC sum"),
            (
                undecided & (j.m_n > 1) & j.m_open,
                ibis.literal("the order of the last MRC sums (day ")
                + text(j.m_first)
                + " and day "
                + text(j.m_second)
                + ") is uncertain: their day ranges overlap",
            ),
            (
                undecided,
                ibis.literal("the last MRC grades (day ")
                + text(j.m_unknown)
                + ") allow a sum of 60 and less",
            ),
            else_=ibis.literal(""),
        ),
    )
