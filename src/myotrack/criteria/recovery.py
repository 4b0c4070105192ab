"""Favourable recovery and full strength at fixed times after starting immunotherapy.

Source: seed 004 (Termglinchan & Apiwattanakul, Neurological Institute of Thailand, 2024),
Methods 1.4 and Table 1: favourable recovery = modified Rankin Scale 0-1 at 6 and at 12 months
after immunotherapy; full strength = MRC sum 60 at 3, 6 and 12 months and at last follow-up.

Anchor: the first course of any immunotherapy with a start day (or the ``--anchor`` drug).
Time point: the assessment with the measure recorded nearest to anchor + N months
(1 month = 30.44 days) within +/- ``window_days`` (default 45: 004 saw patients monthly, then
every three months). No such assessment: not evaluable.
"""

from __future__ import annotations

import ibis
import ibis.expr.types as ir

from myotrack.criteria.base import NE, NO, YES, Context, Criterion, num, text
from myotrack.criteria.timepoints import last_with, nearest

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
    ctx: Context, cid: str, months: float, value: str, ok: ir.BooleanValue | None, label: str
) -> ir.Table:
    n = nearest(ctx, value, months)
    good = (n[value] <= 1) if value == "mrs" else (n[value] >= 60)
    n = n.mutate(
        **{
            cid: good.ifelse(ibis.literal("yes"), ibis.literal("no")),
            f"{cid}__day": n.day,
            f"{cid}__{'mrs' if value == 'mrs' else 'mrc_sum'}": n[value].cast("float64"),
            f"{cid}__why": ibis.literal("visits day ")
            + text(n.day)
            + f": {label} "
            + num(n[value])
            + " ("
            + text(n.day - n.anchor_day)
            + " days after "
            + n.anchor_drug
            + ")",
        }
    )
    base = (
        ctx.patients.select("patient_id")
        .left_join(ctx.immuno_start, "patient_id")
        .select("patient_id", "anchor_day", "anchor_drug")
    )
    j = base.left_join(n.drop("anchor_day", "anchor_drug"), "patient_id").select(
        ~ibis.selectors.matches("_right$")
    )
    target_text = f"{int(months)} months"
    reason = ibis.cases(
        (j.anchor_day.isnull(), ibis.literal("no immunotherapy with a start day")),
        (
            j[cid].isnull(),
            ibis.literal(
                f"no {label} within +/-{ctx.params.window_days} days of {target_text} after "
            )
            + j.anchor_drug,
        ),
        else_=ibis.literal(""),
    )
    return j.mutate(**{cid: j[cid].fill_null(NE), f"{cid}__reason": reason}).drop(
        "anchor_day", "anchor_drug", "day", value, "target"
    )


def build(ctx: Context) -> list[ir.Table]:
    out = [_timepoint(ctx, cid, m, "mrs", None, "mRS") for cid, m in RECOVERY.items()]
    out += [_timepoint(ctx, cid, m, "mrc", None, "MRC sum") for cid, m in FULL_STRENGTH.items()]
    last = last_with(ctx, "mrc")
    last = last.select(
        "patient_id",
        full_strength_last=(last.mrc >= 60).ifelse(ibis.literal(YES), ibis.literal(NO)),
        full_strength_last__day=last.day,
        full_strength_last__mrc_sum=last.mrc,
        full_strength_last__why=ibis.literal("visits day ")
        + text(last.day)
        + ": MRC sum "
        + num(last.mrc),
    )
    j = (
        ctx.patients.select("patient_id")
        .left_join(last, "patient_id")
        .select(~ibis.selectors.matches("_right$"))
    )
    j = j.mutate(
        full_strength_last=j.full_strength_last.fill_null(NE),
        full_strength_last__reason=j.full_strength_last.isnull().ifelse(
            ibis.literal("no MRC sum recorded (nor all twelve MRC-sum muscles graded on one day)"),
            ibis.literal(""),
        ),
    )
    out.append(j)
    return out
