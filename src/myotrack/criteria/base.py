"""What every criterion shares: its metadata, the parameters, the result values, the context.

A criterion is an Ibis expression over the contract tables (executed by an Ibis backend) that
returns one row per patient with:

- ``<id>``: ``yes``, ``no`` or ``not_evaluable``;
- ``<id>__reason``: why not evaluable (or why no), in words;
- ``<id>__why``: the rows that decided it (table, day and values);
- further ``<id>__<detail>`` columns.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import ibis
import ibis.expr.types as ir

from myotrack.criteria import portable
from myotrack.errors import MyotrackError
from myotrack.measures.bounds import APPROXIMATE
from myotrack.tables.vocab import REFRACTORY_SECOND_AGENTS

#: Calcineurin inhibitors: an optional addition to the refractory second agents (DOMAIN.md 9).
CALCINEURIN_INHIBITORS: tuple[str, ...] = ("cyclosporine", "tacrolimus")

YES, NO, NE = "yes", "no", "not_evaluable"

#: Drugs that are not immunotherapy (never an anchor for 'start of immunotherapy').
NOT_IMMUNOTHERAPY = ("statin",)

#: Escalation therapies (002 'escalation therapy'; DOMAIN.md section 1 ladder beyond first line).
ESCALATION = (
    "ivig",
    "scig",
    "rituximab",
    "ofatumumab",
    "plasma_exchange",
    "cyclophosphamide",
    "hicy",
    "autohct",
    "belimumab",
    "r_chop",
)


@dataclass(frozen=True)
class Params:
    """Parameters of the criteria, with the defaults each criterion documents.

    ``anchor``: a drug (any synonym) whose first course anchors every time-based criterion
    instead of each criterion's default anchor.

    ``refractory_second_agents``: the drugs that count as 001's 'at least one immunosuppressant
    (including methotrexate, azathioprine, and mycophenolate mofetil) or intravenous
    immunoglobulin'. 001 writes 'including': the list is examples, so it is a parameter whose
    default is 001's list; calcineurin inhibitors are an option
    (``REFRACTORY_SECOND_AGENTS + CALCINEURIN_INHIBITORS``).
    """

    anchor: str | None = None
    month_days: float = 30.44
    window_days: int = 45
    relapse_ck_multiple: float = 3.0
    relapse_mrc_drop: float = 1.0
    relapse_baseline: str = "nadir"  # or "pretreatment"
    accept_reported_relapse: bool = True
    remission_ck_multiple: float = 1.5
    response_grades: int = 2
    response_prednisone_below: float = 10.0
    response_upper_muscles: tuple[str, ...] = ("shoulder_abductors",)
    response_lower_muscles: tuple[str, ...] = ("hip_flexors",)
    rtx_window_days: int = 183
    rtx_ck_fold: float = 10.0
    rtx_strength_points: float = 2.0
    baseline_lookback_days: int = 120
    refractory_gc_mg_per_kg: float = 1.0
    refractory_gc_days: int = 28
    refractory_mrc_drop: float = 1.0
    refractory_second_agents: tuple[str, ...] = REFRACTORY_SECOND_AGENTS
    tis_population: str = "adult"
    tis_mmt_max: float = 80.0
    tis_months: float = 6.0

    def __post_init__(self) -> None:
        if self.relapse_baseline not in ("nadir", "pretreatment"):
            raise MyotrackError(
                f"relapse_baseline is 'nadir' or 'pretreatment', not {self.relapse_baseline!r}"
            )
        if self.tis_population not in ("adult", "juvenile"):
            raise MyotrackError(
                f"tis_population is 'adult' or 'juvenile', not {self.tis_population!r}"
            )
        if isinstance(self.refractory_second_agents, str):
            raise MyotrackError("refractory_second_agents is a tuple of drug names, not one string")
        if self.window_days < 0 or self.month_days <= 0:
            raise MyotrackError("window_days must be >= 0 and month_days > 0")


@dataclass(frozen=True)
class Criterion:
    id: str
    title: str
    citation: str
    parameters: dict[str, str]
    anchor: str
    details: tuple[str, ...] = ()


@dataclass(frozen=True)
class Context:
    """The five tables as Ibis tables, the derived assessment table and the anchors."""

    patients: ir.Table
    visits: ir.Table
    strength: ir.Table
    treatments: ir.Table
    events: ir.Table
    assess: ir.Table
    immuno_start: ir.Table  # patient_id, anchor_day, anchor_drug: first immunotherapy (or --anchor)
    # patient_id, mrc_day, last_mrc, ck_day, last_ck, last_uln, last_bound, prednisone_day,
    # last_prednisone
    latest: ir.Table
    # the assessments with an MRC sum, each with every one that could be its previous
    # (previous_candidates of prepare.mrc_assessments)
    mrc_previous: ir.Table
    params: Params


def arg_min(x: ir.Value, key: ir.Value, where: ir.BooleanValue | None = None) -> ir.Value:
    """``x`` at the row with the smallest ``key`` (rows with a null key are skipped).

    Unlike a plain ``MIN`` it keeps a null ``x``, so several columns picked by the same key
    always come from the same row. Its form per backend: :func:`myotrack.criteria.portable.arg_min`.
    """
    return portable.arg_min(x, key, where=where)


def arg_max(x: ir.Value, key: ir.Value, where: ir.BooleanValue | None = None) -> ir.Value:
    """``x`` at the row with the largest ``key`` (see :func:`arg_min`)."""
    return portable.arg_max(x, key, where=where)


def earliest(t: ir.Table) -> ir.Value:
    """A tie-free key for 'the first course': the start day, then the order of entry."""
    return ibis.struct({"start_day": t.start_day, "entry": t.entry})


def text(x: ir.Value) -> ir.StringValue:
    """A value as text for 'why' strings (empty for null)."""
    return x.cast("string").fill_null("?")


def num(x: ir.Value) -> ir.StringValue:
    """A number as short text: 4850.0 -> '4850', 3.5 -> '3.5'."""
    f = x.cast("float64")
    return ibis.ifelse(
        f == f.round(),
        f.round().cast("int64").cast("string"),
        portable.rounded(f, 2).cast("string"),
    ).fill_null("?")


def decision(cases: list[tuple[ir.BooleanValue, str]], default: str) -> ir.StringValue:
    return ibis.cases(
        *[(c.fill_null(False), ibis.literal(v)) for c, v in cases], else_=ibis.literal(default)
    )


# --- three values, written once ------------------------------------------------------------
#
# A condition is a nullable boolean: true, false, or null (unknown). SQL's AND, OR and NOT are
# Kleene's (false AND unknown = false, true OR unknown = true, NOT unknown = unknown), so
# conditions combine with ``&``, ``|`` and ``~`` (or :func:`all3` / :func:`any3`); a criterion's
# value is :func:`verdict` of its condition. Every criterion decides this way: 'yes' when the
# condition is known true, 'no' when known false, 'not evaluable' only when the unknown could
# change the answer (DOMAIN.md section 9).


def all3(*conditions: ir.BooleanValue) -> ir.BooleanValue:
    """AND: false as soon as one is false, true when all are true, else unknown."""
    return functools.reduce(lambda a, b: a & b, conditions)


def any3(*conditions: ir.BooleanValue) -> ir.BooleanValue:
    """OR: true as soon as one is true, false when all are false, else unknown."""
    return functools.reduce(lambda a, b: a | b, conditions)


def known(condition: ir.BooleanValue) -> ir.BooleanValue:
    """The condition is known true."""
    return condition.fill_null(False)


def refuted(condition: ir.BooleanValue) -> ir.BooleanValue:
    """The condition is known false."""
    return (~condition).fill_null(False)


def unknown(condition: ir.BooleanValue) -> ir.BooleanValue:
    return condition.isnull()


def truth(true: ir.BooleanValue, false: ir.BooleanValue | None = None) -> ir.BooleanValue:
    """A condition from what proves it and what refutes it (both plain, null-free tests)."""
    cases = [(true.fill_null(False), ibis.literal(True))]
    if false is not None:
        cases.append((false.fill_null(False), ibis.literal(False)))
    return ibis.cases(*cases, else_=ibis.null("boolean"))


def verdict(condition: ir.BooleanValue) -> ir.StringValue:
    """A criterion's value: yes (known true), no (known false), not evaluable (unknown)."""
    return ibis.cases(
        (known(condition), ibis.literal(YES)),
        (refuted(condition), ibis.literal(NO)),
        else_=ibis.literal(NE),
    )


def votes(condition: ir.BooleanValue) -> dict[str, ir.Value]:
    """Aggregates of a condition over rows: how many known true, known false, unknown."""
    return {
        "n_true": known(condition).ifelse(1, 0).sum(),
        "n_false": refuted(condition).ifelse(1, 0).sum(),
        "n_unknown": unknown(condition).ifelse(1, 0).sum(),
    }


# --- uncertain days ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Span:
    """Where a day lies: ``lo`` .. ``hi`` inclusive (a null end is unbounded on that side)."""

    lo: ir.NumericValue
    hi: ir.NumericValue


def span(t: ir.Table, column: str) -> Span:
    """A day column with its ``_earliest`` / ``_latest`` companions (contract: Timing); a
    missing day is unbounded on both sides."""
    day = t[column]
    return Span(
        ibis.coalesce(t[f"{column}_earliest"], day), ibis.coalesce(t[f"{column}_latest"], day)
    )


def before3(a: Span, b: Span) -> ir.BooleanValue:
    """``a`` strictly before ``b`` for every pair of days (true), for none (false), else unknown."""
    return truth(a.hi < b.lo, a.lo >= b.hi)


def after3(a: Span, b: Span) -> ir.BooleanValue:
    """``a`` strictly after ``b`` (three-valued, see :func:`before3`)."""
    return before3(b, a)


def offset(d: Span, a: Span) -> Span:
    """The possible values of ``d - a``."""
    return Span(d.lo - a.hi, d.hi - a.lo)


def distance(o: Span, target: float) -> tuple[ir.FloatingValue, ir.FloatingValue]:
    """The smallest and largest ``|offset - target|`` over the days of ``o`` (largest null:
    unbounded), as doubles: whole-day offsets compared with a fractional target in floating
    point, not as decimals (DuckDB reads 182.64 as a DECIMAL and casts every offset to one)."""
    lo, hi = o.lo.cast("float64"), o.hi.cast("float64")
    low_ok = lo.isnull() | (lo <= target)
    high_ok = hi.isnull() | (hi >= target)
    dmin = ibis.cases(
        (low_ok & high_ok, ibis.literal(0.0)),
        (hi.notnull() & (hi < target), target - hi),
        else_=lo - target,
    ).cast("float64")
    dmax = ibis.ifelse(
        lo.isnull() | hi.isnull(),
        ibis.null("float64"),
        ibis.greatest((lo - target).abs(), (hi - target).abs()),
    ).cast("float64")
    return dmin, dmax


def within3(s: Span, lo: float, hi: float) -> ir.BooleanValue:
    """Every day of ``s`` in [lo, hi] (true), none (false), else unknown."""
    return truth((s.lo >= lo) & (s.hi <= hi), (s.hi < lo) | (s.lo > hi))


# --- the previous and the last assessment when days are ranges --------------------------------
#
# Seed 004 judges an MRC sum drop 'from previous assessment'; complete remission is read at the
# last follow-up. With day ranges (contract: Timing) the order of two assessments whose ranges
# overlap is not known, so every assessment that could be the previous (or the last) one is a
# candidate, and a condition is decided only when every candidate decides it the same way.

_FAR = 10**9  # a null end of a range: unbounded


def _carried(t: ir.Table) -> list[str]:
    """The columns of ``t`` a candidate carries as ``prev_<column>``: all but the patient and
    the day range (read only for ``prev_certain``)."""
    return [c for c in t.columns if c not in ("patient_id", "day_lo", "day_hi")]


def previous_order(t: ir.Table) -> ir.Table:
    """Per row ``b`` of ``t`` (as for :func:`previous_candidates`): ``b``'s columns, and how to
    find the rows that could be the one before it. Its own table so that it can be stored
    once: :func:`other_candidates` reads it four times.

    A patient whose rows lie in a strict order (sorted by lowest day, each row's highest day
    is before the next row's lowest, and each row's ``day`` lies in its own range: exact,
    distinct days are the common case) has one candidate per row, the row before it, certainly
    before: its columns are here (``prev_<column>``, ``prev_in``, ``prev_certain``), with
    ``prev_only`` true. Two rows on the same exact day, overlapping ranges or an open-ended
    range break the order.

    For the other patients' rows (``prev_only`` false, ``prev_<column>`` null): ``prev_bound``,
    the latest lowest day of the rows certainly before ``b`` (null: none), by one running
    maximum over the rows and the ``b``s sorted by day (a ``b`` sorted before the rows whose
    highest day equals its lowest: 'certainly before' is strict). ``prev_sure`` for both:
    some row is certainly before ``b``.
    """
    cols = [c for c in t.columns if c != "patient_id"]
    carried = _carried(t)
    # sorted by lowest day alone: two rows of one lowest day break the order, whatever their
    # place (each one's next row starts no later than it ends)
    w = ibis.window(group_by=t.patient_id, order_by=t.day_lo)
    s = t.mutate(
        _next=t.day_lo.lead().over(w), **{f"prev_{c}": t[c].lag().over(w) for c in carried}
    )
    # null (false) when a range is open-ended: those rows take the general way
    in_order = (s.day >= s.day_lo) & (s.day <= s.day_hi) & (s._next.isnull() | (s.day_hi < s._next))
    s = s.mutate(_in_order=in_order.fill_null(False))
    ordered = s.group_by("patient_id").aggregate(_ordered=(~s._in_order).ifelse(1, 0).max() == 0)
    s = s.inner_join(ordered, "patient_id")
    prev = [f"prev_{c}" for c in carried]
    first = s.prev_day.isnull()  # in a strict order every day is known
    simple = s.filter(s._ordered).select(
        "patient_id",
        *cols,
        *prev,
        prev_in=ibis.ifelse(first, ibis.null("boolean"), ibis.literal(True)),
        prev_sure=~first,
        prev_certain=~first,
        prev_bound=ibis.null(t.day_lo.type()),
        prev_only=ibis.literal(True),
    )
    g = s.filter(~s._ordered)
    lo, hi = g.day_lo.fill_null(-_FAR), g.day_hi.fill_null(_FAR)
    rows_ = g.select(
        "patient_id",
        key=hi,
        kind=ibis.literal(1),
        lo=g.day_lo,
        **{c: ibis.null(g[c].type()) for c in cols},
    )
    asks = g.select(
        "patient_id", *cols, key=lo, kind=ibis.literal(0), lo=ibis.null(g.day_lo.type())
    )
    u = rows_.union(asks.select(*rows_.columns))
    wu = ibis.cumulative_window(group_by=u.patient_id, order_by=[u.key, u.kind])
    u = u.mutate(bound=u.lo.max().over(wu), n_before=u.kind.sum().over(wu))
    general = u.filter(u.kind == 0).select(
        "patient_id",
        *cols,
        **{p: ibis.null(simple[p].type()) for p in [*prev, "prev_in"]},
        prev_sure=u.n_before > 0,
        prev_certain=ibis.null("boolean"),
        prev_bound=u.bound,
        prev_only=ibis.literal(False),
    )
    return simple.union(general.select(*simple.columns))


def other_candidates(order: ir.Table) -> ir.Table:
    """The rows of :func:`previous_candidates` for the ``b``s of ``order`` (a
    :func:`previous_order`) whose patient's rows are not in a strict order (``prev_only``
    false), from ``prev_bound``.

    ``x`` lies certainly after a row ``y`` certainly before ``b`` exactly when its highest day
    is below the latest lowest day of those rows (``prev_bound``), so the candidates are the
    rows that may lie before ``b`` with a highest day at or above ``prev_bound``. A row of
    exact day before ``b`` is then a candidate only on day ``prev_bound`` (one on a later day
    before ``b`` would be certainly before ``b`` and raise it): an equality join. Only rows of
    uncertain day, and the exact rows inside an uncertain ``b``'s range, need a comparison
    with the patient's other rows, so the cost stays linear when days are exact.
    """
    q = order
    cols = [c for c in q.columns if not c.startswith("prev_") and c != "patient_id"]
    carried = [c for c in cols if c not in ("day_lo", "day_hi")]
    g = q.filter(~q.prev_only).select("patient_id", *cols, "prev_bound", "prev_sure")
    lo, hi = g.day_lo.fill_null(-_FAR), g.day_hi.fill_null(_FAR)
    exact = g.day_lo.notnull() & (g.day_lo == g.day_hi)
    kb = g.mutate(_lo=lo, _hi=hi, _exact=exact)
    x = g.select(
        prev_patient=g.patient_id,
        **{f"prev_{c}": g[c] for c in carried},
        prev_in=ibis.literal(True),
        _x_lo=lo,
        _x_hi=hi,
        _x_exact=exact,
        _x_day_hi=g.day_hi,
    )
    exact_x = x.filter(x._x_exact)
    # every b, with the exact row on day bound (none: a row with prev_in null)
    at_bound = kb.left_join(
        exact_x, [kb.patient_id == exact_x.prev_patient, kb.prev_bound == exact_x._x_lo]
    )
    ub = kb.filter(~kb._exact)
    inside = ub.inner_join(
        exact_x,
        [
            ub.patient_id == exact_x.prev_patient,
            exact_x.prev_day != ub.day,
            exact_x._x_lo >= ub._lo,
            exact_x._x_lo < ub._hi,
        ],
    )
    ux = x.filter(~x._x_exact)
    uncertain = kb.inner_join(
        ux,
        [
            kb.patient_id == ux.prev_patient,
            ux.prev_day != kb.day,
            ux._x_lo < kb._hi,  # x may lie before b
            ux._x_hi >= kb.prev_bound.fill_null(-_FAR),  # and not before one certainly before b
        ],
    )
    out = [c for c in q.columns if c != "prev_bound"]

    def column(p: ir.Table, c: str) -> ir.Value:
        if c == "prev_only":
            return ibis.literal(False).name(c)
        if c == "prev_certain":
            return known(p._x_day_hi < p.day_lo).name(c)
        return p[c]

    return ibis.union(
        *(p.select(*[column(p, c) for c in out]) for p in (at_bound, inside, uncertain))
    )


def previous_candidates(t: ir.Table) -> ir.Table:
    """Every row ``b`` of ``t`` (one row per patient-day: ``patient_id``, ``day``, ``day_lo``,
    ``day_hi`` and any other columns) with every row ``x`` of the same patient that could be the
    one just before it: ``x`` may lie before ``b`` and no row lies certainly after ``x`` and
    certainly before ``b``.

    Columns: ``b``'s, ``x``'s but its day range prefixed ``prev_``, ``prev_in`` (a candidate: a
    row with ``prev_in`` null, and ``x``'s columns null, is none; each ``b`` has one such row
    when it has no candidate, and may have one beside candidates), ``prev_certain`` (``x``
    certainly before ``b``), ``prev_sure`` (some row of ``t`` is certainly before ``b``: a
    previous one surely exists; when not, ``b`` may be the first) and ``prev_only`` (this is
    ``b``'s only row: a per-``b`` aggregate over it is the row's own value, see
    :func:`agreed_one`). A null end of a range is unbounded.

    :func:`candidate_rows` of :func:`previous_order`: the engine stores the order and
    :func:`other_candidates` once for the MRC assessments
    (:func:`myotrack.criteria.prepare.prepared`).
    """
    return candidate_rows(previous_order(t))


def candidate_rows(order: ir.Table, others: ir.Table | None = None) -> ir.Table:
    """:func:`previous_candidates` from the :func:`previous_order` of its rows and their
    :func:`other_candidates` (computed here when not given). A patient whose rows lie in a
    strict order (the common case) needs no join: each row's one candidate is in ``order``."""
    o = other_candidates(order) if others is None else others
    simple = order.filter(order.prev_only).drop("prev_bound")
    return ibis.union(simple, o.select(*simple.columns))


def last_candidates(t: ir.Table) -> ir.Table:
    """The rows of ``t`` (as for :func:`previous_candidates`) that could be their patient's
    last one: no other row lies certainly after them. A patient with a row always has one."""
    latest = t.group_by(t.patient_id).aggregate(last_bound=t.day_lo.max())
    j = t.inner_join(latest, "patient_id")
    kept = j.day_hi.isnull() | j.last_bound.isnull() | (j.day_hi >= j.last_bound)
    return j.filter(kept).drop("last_bound")


def agreed(
    condition: ir.BooleanValue,
    candidate: ir.BooleanValue | None = None,
    sure: ir.BooleanValue | None = None,
) -> ir.BooleanValue:
    """A condition over the candidates of a group (an aggregate): false when it is known false
    for every candidate (or there is none), true when known true for every one and one surely
    exists (``sure``, constant within the group; default: yes), else unknown.

    ``candidate``: which rows are candidates (default: every row; for
    :func:`previous_candidates`, ``prev_in``)."""
    every = condition.isnull() | condition.notnull()  # a column, true on every row
    real = every if candidate is None else candidate.notnull() & candidate
    n = real.ifelse(1, 0).sum()
    n_true = (real & known(condition)).ifelse(1, 0).sum()
    n_false = (real & refuted(condition)).ifelse(1, 0).sum()
    exists = ibis.literal(True) if sure is None else sure.fill_null(False).ifelse(1, 0).max() == 1
    return ibis.cases(
        (n_false == n, ibis.literal(False)),
        ((n_true == n) & exists, ibis.literal(True)),
        else_=ibis.null("boolean"),
    )


def order_open(condition: ir.BooleanValue, pairs: ir.Table) -> dict[str, ir.Value]:
    """Aggregates over :func:`previous_candidates` (grouped per ``b``) naming an uncertain order:
    ``order_open``, every candidate decides ``condition`` but the order leaves it open (the
    candidates disagree, or ``b`` may be the first); ``order_first`` / ``order_second``, two
    days whose order is uncertain (a candidate that may lie after ``b``, and ``b``; else the
    earliest and the latest candidate)."""
    real = pairs.prev_in.notnull()
    n_unknown = (real & unknown(condition)).ifelse(1, 0).sum()
    overlapping = pairs.prev_day.min(where=real & ~pairs.prev_certain)
    return {
        "order_open": (real.ifelse(1, 0).sum() > 0) & (n_unknown == 0),
        "order_first": ibis.coalesce(overlapping, pairs.prev_day.min(where=real)),
        "order_second": ibis.ifelse(
            overlapping.notnull(), pairs.day.max(), pairs.prev_day.max(where=real)
        ),
    }


def agreed_one(
    condition: ir.BooleanValue, candidate: ir.BooleanValue, sure: ir.BooleanValue
) -> ir.BooleanValue:
    """:func:`agreed` of a group of one row (``prev_only`` of :func:`previous_candidates`), as a
    value of that row: no aggregation."""
    real = candidate.notnull() & candidate
    return ibis.cases(
        (~real | refuted(condition), ibis.literal(False)),
        (known(condition) & sure.fill_null(False), ibis.literal(True)),
        else_=ibis.null("boolean"),
    )


def order_open_one(condition: ir.BooleanValue, pairs: ir.Table) -> dict[str, ir.Value]:
    """:func:`order_open` of a group of one row of :func:`previous_candidates` (``prev_only``),
    as values of that row."""
    real = pairs.prev_in.notnull()
    none = ibis.null(pairs.prev_day.type())
    shown = ibis.ifelse(real, pairs.prev_day, none)
    overlapping = ibis.ifelse(real & ~pairs.prev_certain, pairs.prev_day, none)
    return {
        "order_open": real & ~unknown(condition),
        "order_first": shown,
        "order_second": ibis.ifelse(overlapping.notnull(), pairs.day, shown),
    }


# --- lab values as written -------------------------------------------------------------------


def ck_range(
    ck: ir.Value, bound: ir.Value, state: ir.Value, uln: ir.Value
) -> tuple[ir.NumericValue, ir.NumericValue, ir.BooleanValue]:
    """The U/L a CK as stored allows: lowest (never below 0), highest (null: unbounded) and
    whether the lowest is excluded ('>N', 'elevated'); :func:`myotrack.measures.bounds.interval`."""
    b, s, v, u = bound.fill_null(""), state.fill_null(""), ck.cast("float64"), uln.cast("float64")
    low = ibis.cases(
        (s == "normal", ibis.literal(0.0)),
        (s == "elevated", u),
        (b.isin(["<", "<="]), ibis.literal(0.0)),
        (b == "~", v * (1 - APPROXIMATE)),
        else_=v,
    ).fill_null(0.0)
    high = ibis.cases(
        (s == "normal", u),
        (s == "elevated", ibis.null("float64")),
        (b.isin([">", ">="]), ibis.null("float64")),
        (b == "~", v * (1 + APPROXIMATE)),
        else_=v,
    )
    return low, high, (s == "elevated") | ((s == "") & (b == ">"))
