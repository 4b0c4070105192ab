"""Complete clinical and biochemical remission, by seed 004 (Termglinchan 2024), Methods 1.4.

'The criteria for complete clinical and biochemical remission were an MRC-sum score of 60
(normal strength), CK below 1.5 times the upper limit normal, and no relapses during the
follow-up period.'

Evaluated at the last follow-up (DOMAIN.md section 9): strength at the last follow-up
assessment that says anything about the MRC sum (a recorded sum or MRC-sum muscle grades: one
muscle below 5 rules out 60), the last follow-up CK, and the ``relapse`` criterion over the
whole follow-up (a relapse makes it 'no'). An earlier MRC sum of 60 does not stand for a later,
weaker assessment. Follow-up is what comes after the start of the first immunotherapy (004 1.4:
'initial, 3-month, 6-month, 12-month, and final follow-up'): a CK or strength taken before it,
at presentation, says nothing about remission; one that may lie on either side of it may be
the last follow-up or not: it decides with the others when they agree, and one assessment must
lie surely after the start (:func:`~myotrack.criteria.timepoints.at_last_follow_up`). With day
ranges (contract: Timing) every assessment that could be the last one is read, and the
condition is known when all of them say the same (:func:`~myotrack.criteria.timepoints.at_last`).
yes: all three hold; no: any one fails; not evaluable: none fails and one is unknown
(:func:`~myotrack.criteria.base.all3`, :func:`~myotrack.criteria.base.verdict`).
"""

from __future__ import annotations

import ibis
import ibis.expr.types as ir

from myotrack.criteria.base import (
    NE,
    NO,
    YES,
    Context,
    Criterion,
    all3,
    num,
    text,
    truth,
    verdict,
)
from myotrack.criteria.portable import rounded
from myotrack.criteria.timepoints import (
    at_last_follow_up,
    ck_within,
    follow_up_cases,
    no_anchor_case,
)
from myotrack.measures.enzymes import ck_x_uln

CRITERIA = (
    Criterion(
        "complete_remission",
        "Complete clinical and biochemical remission (MRC sum 60, CK < 1.5x ULN, no relapse)",
        "004 (Termglinchan 2024) Methods 1.4",
        {
            "ck_multiple": "1.5",
            "relapse": "the relapse criterion",
            "follow-up": "after the first immunotherapy start (or --anchor)",
        },
        "last follow-up after the first immunotherapy",
        ("mrc_sum", "ck_x_uln"),
    ),
)


def build(ctx: Context, relapse: ir.Table) -> list[ir.Table]:
    p = ctx.params
    a = ctx.assess
    has_ck = a.ck.notnull() | (a.ck_state.fill_null("") != "")
    spans = ("patient_id", "day", "day_lo", "day_hi")
    mrcs = a.filter(a.mrc_seen).select(*spans, "mrc_full")
    mrc_last = at_last_follow_up(ctx, mrcs, "mrc_full", "mrc")
    # the last CK: a number needs its ULN; 'normal' (below 1 x ULN) needs none
    cks = a.filter(has_ck).select(*spans, "ck", "ck_uln", "ck_bound", "ck_state")
    cks = cks.mutate(
        below=ck_within(
            cks.ck,
            cks.ck_uln,
            cks.ck_bound,
            p.remission_ck_multiple,
            strict=True,
            state=cks.ck_state,
        )
    )
    ck_last = at_last_follow_up(ctx, cks, "below", "ck")
    j = ctx.patients.select("patient_id")
    anchor = ctx.immuno_start.select("patient_id", "anchor_day", "anchor_drug")
    for t in (ctx.latest, anchor, mrc_last, ck_last, relapse.select("patient_id", "relapse")):
        j = j.left_join(t, "patient_id").select(~ibis.selectors.matches("_right$"))
    no_relapse = truth(j.relapse == NO, j.relapse == YES)
    value = verdict(all3(j.mrc_ok, j.ck_ok, no_relapse))
    mrc_ok = j.mrc_ok
    missing = ibis.cases(
        (j.mrc_day.isnull(), ibis.literal("no MRC sum recorded (nor MRC-sum muscles graded)")),
        no_anchor_case(j),
        *follow_up_cases(j, "mrc", "no MRC sum (nor MRC-sum muscles graded)", "an MRC sum"),
        (
            mrc_ok.isnull() & (j.mrc_n > 1) & j.mrc_open,
            ibis.literal("the order of the last MRC sums (day ")
            + text(j.mrc_first)
            + " and day "
            + text(j.mrc_second)
            + ") is uncertain: their day ranges overlap",
        ),
        (
            mrc_ok.isnull(),
            ibis.literal("the last MRC grades (day ")
            + text(j.mrc_unknown)
            + ") allow a sum of 60 and less",
        ),
        (j.ck_day.isnull(), ibis.literal("no CK recorded")),
        *follow_up_cases(j, "ck", "no CK", "a CK"),
        (
            j.ck_ok.isnull() & (j.ck_n > 1) & j.ck_open,
            ibis.literal("the order of the last CKs (day ")
            + text(j.ck_first)
            + " and day "
            + text(j.ck_second)
            + ") is uncertain: their day ranges overlap",
        ),
        (
            j.ck_ok.isnull(),
            ibis.literal("the last CK (day ")
            + text(j.ck_unknown)
            + ") has no ULN (reference range), or its bound leaves it open",
        ),
        (j.relapse == NE, ibis.literal("relapse not evaluable")),
        else_=ibis.literal(""),
    )
    why = (
        ibis.literal("last MRC sum ")
        + ibis.ifelse(
            j.last_mrc.notnull(), num(j.last_mrc), ibis.literal("at most ") + num(j.last_mrc_high)
        )
        + " (day "
        + text(j.mrc_day)
        + "); last CK "
        + ibis.ifelse(
            j.last_state.fill_null("") != "",
            j.last_state,
            j.last_bound.fill_null("") + num(j.last_ck),
        )
        + " / ULN "
        + num(j.last_uln)
        + " (day "
        + text(j.ck_day)
        + "); relapse "
        + j.relapse.fill_null("?")
    )
    return [
        j.select(
            "patient_id",
            complete_remission=value,
            complete_remission__mrc_sum=j.last_mrc,
            complete_remission__ck_x_uln=rounded(ck_x_uln(j.last_ck, j.last_uln), 2),
            complete_remission__why=why,
            complete_remission__reason=ibis.ifelse(value == NE, missing, ibis.literal("")),
        )
    ]
