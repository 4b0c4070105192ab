"""A laboratory value as records give it: exact, bounded, approximate or only qualitative.

Laboratories and papers write a CK as ``4500``, ``<200``, ``>=3000``, ``~4000``, or only as
``normal`` / ``elevated``. Each is one concept here, an interval with its ends open or closed
and, for a qualitative result, its relation to the upper limit of normal (ULN); every
comparison a criterion makes goes through :func:`compare` (one value) or :func:`compare_expr`
(the same truth table as an Ibis expression, for the engine). A comparison is three-valued:
True or False when the value decides it, None (unknown) when the value allows both.

Forms (``bound`` as stored by the readers):

=======  ====================================================================
``''``   exact: the number itself
``>``    more than N (open); ``>=`` at least N (closed)
``<``    less than N (open), at least 0; ``<=`` at most N (closed)
``~``    about N: N +/- 10 % (:data:`APPROXIMATE`), both ends closed
state    ``normal``: at or below the ULN; ``elevated``: above the ULN
=======  ====================================================================

The +/- 10 % reading of '~' is a documented convention, not a measurement: a comparison whose
limit falls inside that band stays unknown.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

import ibis
import ibis.expr.types as ir

APPROXIMATE = 0.10
BOUNDS = ("", "<", "<=", ">", ">=", "~")
STATES = ("", "normal", "elevated")
Relation = Literal["above", "at_most", "below", "at_least"]


@dataclass(frozen=True)
class Interval:
    """Where a value lies: ``low``..``high`` (None = unbounded), each end open or closed."""

    low: float | None
    high: float | None
    low_open: bool = False
    high_open: bool = False


def interval(
    value: float | None, bound: str = "", state: str = "", uln: float | None = None
) -> Interval:
    """The interval a lab value as stored (number, bound, state) and its ULN allow."""
    if state == "normal":
        return Interval(0.0, uln)
    if state == "elevated":
        return Interval(uln, None, low_open=True)
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return Interval(None, None)
    v = float(value)
    if bound == ">":
        return Interval(v, None, low_open=True)
    if bound == ">=":
        return Interval(v, None)
    if bound == "<":
        return Interval(0.0, v, high_open=True)
    if bound == "<=":
        return Interval(0.0, v)
    if bound == "~":
        return Interval(v * (1 - APPROXIMATE), v * (1 + APPROXIMATE))
    return Interval(v, v)


def uln_interval(
    value: float | None, bound: str = "", state: str = "", uln: float | None = None
) -> Interval:
    """The same value in multiples of the ULN: a qualitative result needs no number for this
    ('normal' is 0..1 x ULN, 'elevated' above 1 x ULN); a number needs its ULN."""
    if state == "normal":
        return Interval(0.0, 1.0)
    if state == "elevated":
        return Interval(1.0, None, low_open=True)
    if uln is None or (isinstance(uln, float) and math.isnan(uln)) or uln <= 0:
        return Interval(None, None)
    i = interval(value, bound, state, uln)
    scale = float(uln)
    return Interval(
        None if i.low is None else i.low / scale,
        None if i.high is None else i.high / scale,
        i.low_open,
        i.high_open,
    )


def compare(value: Interval, relation: Relation, limit: float | None) -> bool | None:
    """Is the value ``above`` / ``at_most`` / ``below`` / ``at_least`` ``limit``? None = unknown."""
    if limit is None or (isinstance(limit, float) and math.isnan(limit)):
        return None
    low, high = value.low, value.high
    # certainly greater than limit / certainly at most limit, etc.
    surely_above = low is not None and (low > limit or (low == limit and value.low_open))
    surely_at_most = high is not None and high <= limit
    surely_below = high is not None and (high < limit or (high == limit and value.high_open))
    surely_at_least = low is not None and low >= limit
    if relation == "above":
        return True if surely_above else (False if surely_at_most else None)
    if relation == "at_most":
        return True if surely_at_most else (False if surely_above else None)
    if relation == "below":
        return True if surely_below else (False if surely_at_least else None)
    return True if surely_at_least else (False if surely_below else None)


def _known(value: bool | None) -> ir.BooleanValue:
    return ibis.null("boolean") if value is None else ibis.literal(value)


def compare_expr(
    value: ir.NumericValue,
    bound: ir.StringValue,
    state: ir.StringValue,
    uln: ir.NumericValue,
    relation: Relation,
    limit: ir.NumericValue | float | None = None,
    multiple: float | None = None,
) -> ir.BooleanValue:
    """:func:`compare` as an Ibis expression (null = unknown), against ``limit`` in U/L or
    against ``multiple`` x ULN.

    ``value``, ``bound`` and ``state`` are the columns the readers store (``ck``, ``ck_bound``,
    ``ck_state``); ``uln`` is the ULN column; ``limit`` a number or an expression. A number is
    compared in U/L (``multiple`` x ULN as the limit); a qualitative result against a multiple
    is decided by its state alone, with or without a known ULN (:func:`uln_interval`).
    """
    b = bound.fill_null("")
    s = state.fill_null("")
    v = value.cast("float64")
    if multiple is not None:
        lim: ir.Value = uln.cast("float64") * float(multiple)
        qualitative = {
            word: _known(compare(uln_interval(None, "", word, None), relation, float(multiple)))
            for word in ("normal", "elevated")
        }
    elif limit is not None:
        lim = limit if isinstance(limit, ir.Value) else ibis.literal(float(limit))
    else:
        raise ValueError("compare_expr needs a limit or a multiple")
    a = ibis.literal(APPROXIMATE)
    u = uln.cast("float64")
    low = ibis.cases(
        (s == "normal", ibis.literal(0.0)),
        (s == "elevated", u),
        (b.isin(["<", "<="]), ibis.literal(0.0)),
        (b == "~", v * (1 - a)),
        else_=v,
    )
    high = ibis.cases(
        (s == "normal", u),
        (s == "elevated", ibis.null("float64")),
        (b.isin([">", ">="]), ibis.null("float64")),
        (b == "~", v * (1 + a)),
        else_=v,
    )
    low_open = (s == "elevated") | ((s == "") & (b == ">"))
    high_open = (s == "") & (b == "<")
    surely_above = (low > lim) | ((low == lim) & low_open)
    surely_at_most = high <= lim
    surely_below = (high < lim) | ((high == lim) & high_open)
    surely_at_least = low >= lim
    yes, no = {
        "above": (surely_above, surely_at_most),
        "at_most": (surely_at_most, surely_above),
        "below": (surely_below, surely_at_least),
        "at_least": (surely_at_least, surely_below),
    }[relation]
    decided = ibis.cases(
        (yes.fill_null(False), True), (no.fill_null(False), False), else_=ibis.null("boolean")
    )
    if multiple is None:
        return decided
    return ibis.cases(
        (s == "normal", qualitative["normal"]),
        (s == "elevated", qualitative["elevated"]),
        else_=decided,
    )
