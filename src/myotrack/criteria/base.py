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


def within3(s: Span, lo: float, hi: float) -> ir.BooleanValue:
    """Every day of ``s`` in [lo, hi] (true), none (false), else unknown."""
    return truth((s.lo >= lo) & (s.hi <= hi), (s.hi < lo) | (s.lo > hi))
