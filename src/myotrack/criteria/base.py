"""What every criterion shares: its metadata, the parameters, the result values, the context.

A criterion is an Ibis expression over the contract tables (executed by an Ibis backend) that
returns one row per patient with:

- ``<id>``: ``yes``, ``no`` or ``not_evaluable``;
- ``<id>__reason``: why not evaluable (or why no), in words;
- ``<id>__why``: the rows that decided it (table, day and values);
- further ``<id>__<detail>`` columns.
"""

from __future__ import annotations

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
