"""CK normalisation: the first assessment after the anchor with CK at or below the lab's ULN.

Source: seed 004 (Termglinchan 2024) 1.6.2, 'the median time taken for CK levels to return to
normal was approximately 6.5 months' (13 patients); seed 001 (belimumab case, Table 1):
'Twenty-three weeks later, the CK level of the patient decreased to normal' (ULN 226 U/L).

Anchor: the first course of any immunotherapy with a start day, or the ``--anchor`` drug.
A CK written with a bound counts when the bound decides it ('<200' at ULN 200 is normal); a CK
written only 'normal' (``ck_state``, DOMAIN.md section 9) is normal on its day, without a number
or a ULN; 'elevated' is above the ULN.
yes: a normal CK after the anchor (detail: its day and days from the anchor); no: every CK
after the anchor known above the ULN; not evaluable: no CK after the anchor, or one that could
be normal (a bound that leaves it open, a number without its ULN).
"""

from __future__ import annotations

import ibis
import ibis.expr.types as ir

from myotrack.criteria.anchors import anchor_span
from myotrack.criteria.base import (
    Context,
    Criterion,
    Span,
    after3,
    all3,
    arg_min,
    known,
    num,
    refuted,
    text,
    truth,
    unknown,
    verdict,
)
from myotrack.criteria.timepoints import anchored, ck_within

CRITERIA = (
    Criterion(
        "ck_normalisation",
        "CK normalisation (CK <= ULN) after the anchor treatment",
        "004 (Termglinchan 2024) 1.6.2; 001 Table 1 (belimumab case)",
        {
            "anchor": "first immunotherapy start (or --anchor)",
            "normal": "CK <= the laboratory's ULN",
        },
        "first immunotherapy",
        ("day", "days_from_anchor", "ck", "ck_uln"),
    ),
)


def build(ctx: Context) -> list[ir.Table]:
    a = anchored(ctx)
    post = after3(Span(a.day_lo, a.day_hi), anchor_span(a))
    # a CK that may be after the anchor (its day or the anchor's is a range) still counts: it
    # decides 'no' only when above the ULN whichever side of the anchor it lies
    a = a.filter((a.ck.notnull() | (a.ck_state != "")) & ~refuted(post))
    normal = ck_within(a.ck, a.ck_uln, a.ck_bound, state=a.ck_state)
    a = a.mutate(post=post, vote=all3(post, normal))
    # a CK whose written bound leaves it open ('<250' at ULN 200) decides nothing; per patient
    # in one pass: CKs that decide, and the first normal one
    normal = known(a.vote)
    per = a.group_by("patient_id").aggregate(
        n_ck=refuted(a.vote).ifelse(1, 0).sum(),
        n_open=unknown(a.vote).ifelse(1, 0).sum(),
        n_after=known(a.post).ifelse(1, 0).sum(),
        n_uncertain_day=(unknown(a.post) & ~refuted(a.vote)).ifelse(1, 0).sum(),
        ck_normalisation__day=a.day.min(where=normal),
        ck_normalisation__ck=arg_min(a.ck, a.day, where=normal),
        ck_normalisation__ck_uln=arg_min(a.ck_uln, a.day, where=normal),
        first_bound=arg_min(
            ibis.ifelse(a.ck_state != "", a.ck_state, a.ck_bound), a.day, where=normal
        ),
    )
    j = (
        ctx.patients.select("patient_id")
        .left_join(ctx.immuno_start, "patient_id")
        .select(~ibis.selectors.matches("_right$"))
    )
    j = j.left_join(per, "patient_id").select(~ibis.selectors.matches("_right$"))
    day = j.ck_normalisation__day
    why = (
        ibis.literal("visits day ")
        + text(day)
        + ": CK "
        + j.first_bound
        + num(j.ck_normalisation__ck)
        + " <= ULN "
        + num(j.ck_normalisation__ck_uln)
        + " ("
        + text(day - j.anchor_day)
        + " days after "
        + j.anchor_drug
        + ")"
    )
    j = j.mutate(
        ck_normalisation__days_from_anchor=day - j.anchor_day,
        ck_normalisation__why=ibis.ifelse(day.notnull(), why, ibis.null("string")),
    )
    # normalised: some CK surely after the anchor and surely normal; not: every CK that may
    # be after it surely above the ULN, one of them surely after
    condition = truth(
        j.ck_normalisation__day.notnull(),
        (j.n_ck.fill_null(0) > 0) & (j.n_open.fill_null(0) == 0) & (j.n_after.fill_null(0) > 0),
    )
    value = verdict(condition)
    reason = ibis.cases(
        (j.anchor_day.isnull(), ibis.literal("needs an immunotherapy course with a start day")),
        (
            j.ck_normalisation__day.isnull() & (j.n_uncertain_day.fill_null(0) > 0),
            ibis.literal(
                "needs the day of a CK that could be normal: it may be before the start of "
            )
            + j.anchor_drug,
        ),
        (
            j.n_after.fill_null(0) == 0,
            ibis.literal("needs a CK surely after the start of ") + j.anchor_drug,
        ),
        (
            j.ck_normalisation__day.isnull() & (j.n_open.fill_null(0) > 0),
            ibis.literal("a CK after the start of ")
            + j.anchor_drug
            + " could be normal: needs its ULN (reference range) or an exact value",
        ),
        (
            j.ck_normalisation__day.isnull(),
            ibis.literal("CK above ULN at every one of ")
            + text(j.n_ck)
            + " measurements after "
            + j.anchor_drug,
        ),
        else_=ibis.literal(""),
    )
    return [
        j.mutate(ck_normalisation=value, ck_normalisation__reason=reason).drop(
            "anchor_day",
            "anchor_drug",
            "anchor_lo",
            "anchor_hi",
            "n_ck",
            "n_open",
            "n_after",
            "n_uncertain_day",
            "first_bound",
        )
    ]
