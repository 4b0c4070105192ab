"""Anchors: the treatment start a time-based criterion counts from, as a range of days.

A course's start is a range (``start_day_earliest`` .. ``start_day_latest``; an exact day is
a range of one day). A course without a start day may have started before every dated one,
so 'the first course' is then unbounded below, unless ``treatments.line`` (the order of the
courses) puts it after a dated course; in the same way 'the latest' is unbounded above. A drug
outside the vocabulary (class unknown) may or may not be of the kind: it can only widen the
range, never be the anchor. Without a dated course of the kind there is no anchor.

Each anchor table has one row per patient with an anchor: ``anchor_day`` (the start day of the
course named, as stored), ``anchor_lo`` / ``anchor_hi`` (the range the anchor lies in; null =
unbounded), ``anchor_drug``.

A patient's index treatment (``treatments.index_course`` = yes) is that patient's anchor for
every anchored criterion; ``Params.anchor`` (``--anchor``) names one drug for the whole source
and wins over both.
"""

from __future__ import annotations

import ibis
import ibis.expr.types as ir

from myotrack.criteria.base import Params, Span, arg_max, arg_min, span
from myotrack.errors import MyotrackError
from myotrack.tables.vocab import DRUGS, UNKNOWN_CLASS, canonical_drug

#: Vocabulary classes that are not immunotherapy (statins): never a 'first immunotherapy'.
NOT_IMMUNOTHERAPY_CLASSES = frozenset({"other"})
#: Classes of the first rung of the ladder (DOMAIN.md section 1: corticosteroids and a
#: steroid-sparing agent), with antimalarials, cancer chemotherapy and statins: every other
#: class is an escalation therapy (002 'escalation therapy').
FIRST_LINE_CLASSES = frozenset(
    {"glucocorticoid", "steroid_sparing", "antimalarial", "chemotherapy", "other"}
)
KNOWN_DRUGS: tuple[str, ...] = tuple(d.name for d in DRUGS)
IMMUNOTHERAPY: tuple[str, ...] = tuple(
    d.name for d in DRUGS if d.drug_class not in NOT_IMMUNOTHERAPY_CLASSES
)
ESCALATION: tuple[str, ...] = tuple(
    d.name for d in DRUGS if d.drug_class not in FIRST_LINE_CLASSES | {UNKNOWN_CLASS}
)


def unknown_drug(t: ir.Table) -> ir.BooleanValue:
    """A course of a drug outside the vocabulary (kept as written, class unknown)."""
    return t.drug.notnull() & ~t.drug.isin(KNOWN_DRUGS)


def _rows(t: ir.Table, sure: ir.BooleanValue, maybe: ir.BooleanValue) -> ir.Table:
    s = span(t, "start_day")
    t = t.mutate(_lo=s.lo, _hi=s.hi, _sure=sure, _maybe=maybe & ~sure)
    t = t.filter(t._sure | t._maybe)
    return t.mutate(_dated=t._lo.notnull() & t._hi.notnull())


def first_start(
    t: ir.Table, sure: ir.BooleanValue, maybe: ir.BooleanValue | None = None
) -> ir.Table:
    """Per patient, the start of the first course among ``sure`` (``maybe`` only widens it)."""
    t = _rows(t, sure, ibis.literal(False) if maybe is None else maybe)
    sure_dated = t._sure & t._dated
    key = ibis.struct({"lo": t._lo, "entry": t.entry})
    per = t.group_by("patient_id").aggregate(
        n_dated=sure_dated.ifelse(1, 0).sum(),
        lo_sure=t._lo.min(where=sure_dated),
        lo_maybe=t._lo.min(where=t._maybe & t._dated),
        anchor_hi=t._hi.min(where=sure_dated),
        first_line=t.line.min(where=sure_dated),
        anchor_day=arg_min(t.start_day, key, where=sure_dated),
        anchor_drug=arg_min(t.drug, key, where=sure_dated),
    )
    per = per.filter(per.n_dated > 0)
    # an undated course widens the range below unless a dated course has a lower line
    u = t.filter(~t._dated).inner_join(per.select("patient_id", "first_line"), "patient_id")
    excluded = u._sure & u.line.notnull() & u.first_line.notnull() & (u.first_line < u.line)
    u = u.filter(~excluded)
    open_ = u.group_by("patient_id").aggregate(n_open=u.count())
    j = per.left_join(open_, "patient_id").select(~ibis.selectors.matches("_right$"))
    lo = ibis.cases(
        (j.n_open.fill_null(0) > 0, ibis.null("int64")),
        (j.lo_maybe.notnull() & (j.lo_maybe < j.lo_sure), j.lo_maybe),
        else_=j.lo_sure,
    )
    return j.select("patient_id", "anchor_day", "anchor_drug", "anchor_hi", anchor_lo=lo)


def latest_first_start(
    t: ir.Table, sure: ir.BooleanValue, maybe: ir.BooleanValue | None = None
) -> ir.Table:
    """Per patient, the start of the drug started last, each drug counted from its first
    course (a re-dose or a maintenance course of a drug never becomes the anchor: 'after the
    therapy' means after it began)."""
    t = _rows(t, sure, ibis.literal(False) if maybe is None else maybe)
    t = t.mutate(_undated_line=ibis.ifelse(t._dated, ibis.null("int64"), t.line))
    key = ibis.struct({"lo": t._lo, "entry": t.entry})
    drugs = t.group_by(["patient_id", "drug"]).aggregate(
        sure=t._sure.max(),
        dated=t._dated.max(),
        lo=t._lo.min(where=t._dated),
        hi=t._hi.min(where=t._dated),
        first_dated_line=t.line.min(where=t._dated),
        # an undated course of the drug may be its first unless a dated one comes before it
        n_undated=(~t._dated).ifelse(1, 0).sum(),
        n_undated_unlined=(~t._dated & t.line.isnull()).ifelse(1, 0).sum(),
        first_undated_line=t._undated_line.min(),
        first_line=t.line.min(),
        last_dated_line=t.line.max(where=t._dated),
        day=arg_min(t.start_day, key, where=t._dated),
        entry=arg_min(t.entry, key, where=t._dated),
    )
    # the first course of the drug is dated when no undated course can precede its dated ones
    d_lo = ibis.ifelse(
        (drugs.n_undated == 0)
        | (
            (drugs.n_undated_unlined == 0)
            & drugs.first_dated_line.notnull()
            & (drugs.first_dated_line < drugs.first_undated_line)
        ),
        drugs.lo,
        ibis.null("int64"),
    )
    drugs = drugs.mutate(d_lo=d_lo)
    dated = drugs.sure & drugs.dated
    per = drugs.group_by("patient_id").aggregate(
        n_dated=dated.ifelse(1, 0).sum(),
        anchor_lo=drugs.d_lo.max(where=dated),
        hi_sure=drugs.hi.max(where=dated),
        hi_maybe=drugs.hi.max(where=~drugs.sure & drugs.dated),
        last_line=drugs.last_dated_line.max(where=dated),
        anchor_day=arg_max(
            drugs.day, ibis.struct({"lo": drugs.lo, "later": -drugs.entry}), where=dated
        ),
        anchor_drug=arg_max(
            drugs.drug, ibis.struct({"lo": drugs.lo, "later": -drugs.entry}), where=dated
        ),
    )
    per = per.filter(per.n_dated > 0)
    # a drug with no dated course may have started last, unless a dated course of another
    # drug comes after its first course
    u = drugs.filter(~drugs.dated).inner_join(per.select("patient_id", "last_line"), "patient_id")
    excluded = (
        u.sure
        & (u.n_undated_unlined == 0)
        & u.first_line.notnull()
        & u.last_line.notnull()
        & (u.first_line < u.last_line)
    )
    u = u.filter(~excluded)
    open_ = u.group_by("patient_id").aggregate(n_open=u.count())
    j = per.left_join(open_, "patient_id").select(~ibis.selectors.matches("_right$"))
    hi = ibis.cases(
        (j.n_open.fill_null(0) > 0, ibis.null("int64")),
        (j.hi_maybe.notnull() & (j.hi_maybe > j.hi_sure), j.hi_maybe),
        else_=j.hi_sure,
    )
    return j.select("patient_id", "anchor_day", "anchor_drug", "anchor_lo", anchor_hi=hi)


def index_course(t: ir.Table) -> ir.Table:
    """Per patient, the course the record marks as the index treatment (``index_course``)."""
    marked = t.index_course.fill_null("") == "yes"
    return first_start(t, marked)


def with_index(default: ir.Table, index: ir.Table) -> ir.Table:
    """The default anchors, replaced by the patient's index treatment where the record has one."""
    cols = ("anchor_day", "anchor_drug", "anchor_lo", "anchor_hi")
    rest = default.anti_join(index, "patient_id").select("patient_id", *cols)
    return index.select("patient_id", *cols).union(rest)


def anchor_span(t: ir.Table) -> Span:
    """The anchor's range of an anchor table (or a table joined to one)."""
    return Span(t.anchor_lo, t.anchor_hi)


def _named(t: ir.Table, params: Params) -> ir.Table | None:
    """``Params.anchor``: the named drug's first course, for every patient of the source."""
    if not params.anchor:
        return None
    drug = canonical_drug(params.anchor)
    if drug is None:
        raise MyotrackError(
            f"--anchor {params.anchor!r} is not a known drug; see 'myotrack template' for the list"
        )
    return first_start(t, t.drug == drug)


def immunotherapy(t: ir.Table, params: Params) -> ir.Table:
    """The first immunotherapy: the first course of any drug but a statin."""
    named = _named(t, params)
    if named is not None:
        return named
    default = first_start(t, t.drug.isin(IMMUNOTHERAPY), unknown_drug(t))
    return with_index(default, index_course(t))


def first_of(t: ir.Table, params: Params, drug: str) -> ir.Table:
    """The first course of ``drug``."""
    named = _named(t, params)
    if named is not None:
        return named
    return with_index(first_start(t, t.drug == drug), index_course(t))


def escalation(t: ir.Table, params: Params) -> ir.Table:
    """The escalation therapy started last (:func:`latest_first_start`)."""
    named = _named(t, params)
    if named is not None:
        return named
    default = latest_first_start(t, t.drug.isin(ESCALATION), unknown_drug(t))
    return with_index(default, index_course(t))
