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
when other muscles were not graded; a range that still allows 60 and less is not evaluable
(DOMAIN.md section 9).
"""

from __future__ import annotations

from collections.abc import Collection

import ibis
import ibis.expr.types as ir

from myotrack.criteria.base import NE, NO, YES, Context, Criterion, num, text
from myotrack.criteria.timepoints import nearest
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
            "Full strength (MRC sum 60) at the last assessment with an MRC sum",
            _CITE,
            {},
            "none",
            ("day", "mrc_sum"),
        ),
    ]
)


def _timepoint(
    j: ir.Table, cid: str, months: float, value: str, label: str, window: int
) -> dict[str, ir.Value]:
    """The columns of one time point criterion from the joined nearest assessments."""
    day, v = j[f"{cid}_day"], j[f"{cid}_value"]
    if value == "mrs":
        good, shown, undecided = favourable(v), v.cast("float64"), ibis.literal(False)
    else:
        # the three-valued 'MRC sum is 60'; the sum itself, or the highest the grades allow
        good, shown = v, ibis.coalesce(j[f"{cid}_mrc"], j[f"{cid}_mrc_high"])
        undecided = day.notnull() & v.isnull()
    found = day.notnull()
    return {
        cid: ibis.cases(
            (found & good, ibis.literal(YES)),
            (found & ~good, ibis.literal(NO)),
            else_=ibis.literal(NE),
        ),
        f"{cid}__day": day,
        f"{cid}__{'mrs' if value == 'mrs' else 'mrc_sum'}": (
            shown if value == "mrs" else j[f"{cid}_mrc"].cast("float64")
        ),
        f"{cid}__why": ibis.ifelse(
            found,
            ibis.literal("visits day ")
            + text(day)
            + f": {label} "
            + (
                num(shown)
                if value == "mrs"
                else ibis.ifelse(
                    j[f"{cid}_mrc"].notnull(), num(shown), ibis.literal("at most ") + num(shown)
                )
            )
            + " ("
            + text(day - j.anchor_day)
            + " days after "
            + j.anchor_drug
            + ")",
            ibis.null("string"),
        ),
        f"{cid}__reason": ibis.cases(
            (j.anchor_day.isnull(), ibis.literal("no immunotherapy with a start day")),
            (
                undecided,
                ibis.literal("the MRC grades on day ")
                + text(day)
                + " allow a sum of 60 and less (not every MRC-sum muscle graded)",
            ),
            (
                ~found,
                ibis.literal(f"no {label} within +/-{window} days of {int(months)} months after ")
                + j.anchor_drug,
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
    full = [cid for cid, (value, _) in points.items() if value == "mrc_full"]
    near = nearest(
        ctx,
        points,
        also={cid: ("mrc", "mrc_high") for cid in full},
        present={cid: "mrc_seen" for cid in full},
    )
    j = (
        ctx.patients.select("patient_id")
        .left_join(ctx.immuno_start, "patient_id")
        .select(~ibis.selectors.matches("_right$"))
    )
    j = j.left_join(near, "patient_id").select(~ibis.selectors.matches("_right$"))
    cols: dict[str, ir.Value] = {}
    w = ctx.params.window_days
    for cid, (value, months) in points.items():
        cols |= _timepoint(j, cid, months, value, "mRS" if value == "mrs" else "MRC sum", w)
    return j.select("patient_id", **cols)


def _last(ctx: Context) -> ir.Table:
    last = ctx.latest.filter(ctx.latest.mrc_day.notnull())
    last = last.select(
        "patient_id", day="mrc_day", mrc="last_mrc", full="last_mrc_full", high="last_mrc_high"
    )
    last = last.select(
        "patient_id",
        full_strength_last=ibis.cases(
            (last.full, ibis.literal(YES)),
            (~last.full, ibis.literal(NO)),
            else_=ibis.literal(NE),
        ),
        full_strength_last__day=last.day,
        full_strength_last__mrc_sum=last.mrc,
        full_strength_last__why=ibis.literal("visits day ")
        + text(last.day)
        + ibis.ifelse(
            last.mrc.notnull(),
            ibis.literal(": MRC sum ") + num(last.mrc),
            ibis.literal(": MRC sum at most ") + num(last.high),
        ),
        undecided=last.full.isnull(),
    )
    j = (
        ctx.patients.select("patient_id")
        .left_join(last, "patient_id")
        .select(~ibis.selectors.matches("_right$"))
    )
    j = j.mutate(
        full_strength_last=j.full_strength_last.fill_null(NE),
        full_strength_last__reason=ibis.cases(
            (
                j.full_strength_last.isnull(),
                ibis.literal("no MRC sum recorded (nor any MRC-sum muscle graded)"),
            ),
            (
                j.undecided,
                ibis.literal("the last MRC grades (day ")
                + text(j.full_strength_last__day)
                + ") allow a sum of 60 and less",
            ),
            else_=ibis.literal(""),
        ),
    )
    return j.drop("undecided")
