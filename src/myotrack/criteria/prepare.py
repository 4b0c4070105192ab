"""The tables the criteria read, as unbound Ibis tables with the contract's types.

Criteria are built once per parameter set on these unbound tables and compiled to SQL (see
:mod:`myotrack.criteria.engine`); evaluating a dataset only registers its tables under these
names and runs the cached SQL.

An *assessment* is a patient-day with a visit row, strength grades, or both. Its MRC sum is
``visits.mrc_sum`` when recorded, else the sum of whole grades of the twelve MRC-sum muscles
(six groups, left and right) when all twelve were graded that day (Kleyweg 1991); otherwise
unknown: a partial sum is never reported as an MRC sum.
"""

from __future__ import annotations

import ibis
import ibis.expr.types as ir
import pandas as pd
import pyarrow as pa

from myotrack.criteria.base import NOT_IMMUNOTHERAPY, Context, Params
from myotrack.errors import MyotrackError
from myotrack.tables import TABLES, Dataset
from myotrack.tables.vocab import MRC_SUM_MUSCLES, canonical_drug

_DROP = ("source", "note")
_EXTRA = {
    "visits": {"ck_bound": "string"},
    "strength": {"grade_whole": "int64", "grade_kendall": "int64", "grade_value": "float64"},
}


def _type(kind: str) -> str:
    return {"int": "int64", "float": "float64"}.get(kind, "string")


def schemas() -> dict[str, dict[str, str]]:
    """Column types of the five tables as the engine sees them (free text dropped)."""
    out: dict[str, dict[str, str]] = {}
    for name, spec in TABLES.items():
        cols = {c.name: _type(c.kind) for c in spec.columns if c.name not in _DROP}
        cols.update(_EXTRA.get(name, {}))
        out[name] = cols
    return out


def arrow_tables(ds: Dataset) -> dict[str, pa.Table]:
    """The dataset's tables as Arrow tables with exactly the engine's types."""
    out: dict[str, pa.Table] = {}
    for name, cols in schemas().items():
        frame = ds.table(name)
        arrays = []
        fields = []
        for col, typ in cols.items():
            s = frame[col] if col in frame.columns else pd.Series([None] * len(frame), dtype=object)
            pa_type = {"int64": pa.int64(), "float64": pa.float64(), "string": pa.string()}[typ]
            if typ == "string":
                arr = pa.array(s.to_numpy(dtype=object), type=pa_type, from_pandas=True)
            elif typ == "int64":
                arr = pa.array(pd.array(s, dtype="Int64"), type=pa_type)
            else:
                arr = pa.array(
                    pd.to_numeric(s, errors="coerce").astype("float64").to_numpy(),
                    type=pa_type,
                    from_pandas=True,
                )
            arrays.append(arr)
            fields.append(pa.field(col, pa_type))
        out[name] = pa.Table.from_arrays(arrays, schema=pa.schema(fields))
    return out


def base_tables() -> dict[str, ir.Table]:
    return {name: ibis.table(cols, name=name) for name, cols in schemas().items()}


def strength_by_day(s: ir.Table, params: Params) -> ir.Table:
    """Per patient-day: MRC sum from grades (when all 12 graded) and the 002 regional minima."""
    is_mrc = s.muscle.isin(MRC_SUM_MUSCLES) & s.side.isin(("left", "right"))
    upper = s.muscle.isin(params.response_upper_muscles)
    lower = s.muscle.isin(params.response_lower_muscles)
    agg = s.group_by(["patient_id", "day"]).aggregate(
        n_mrc=is_mrc.ifelse(1, 0).sum(),
        mrc_grades=is_mrc.ifelse(s.grade_whole, 0).sum(),
        upper_min=upper.ifelse(s.grade_whole, ibis.null("int64")).min(),
        lower_min=lower.ifelse(s.grade_whole, ibis.null("int64")).min(),
    )
    return agg.mutate(
        mrc_from_grades=(agg.n_mrc == len(MRC_SUM_MUSCLES) * 2).ifelse(
            agg.mrc_grades, ibis.null("int64")
        )
    )


def prepared(params: Params) -> dict[str, ir.Table]:
    """The shared derived tables, materialised once per evaluation: ``assess`` and ``immuno``."""
    t = base_tables()
    visits, strength, treatments = t["visits"], t["strength"], t["treatments"]
    sd = strength_by_day(strength, params)
    keys = visits.select("patient_id", "day").union(sd.select("patient_id", "day")).distinct()
    a = keys.left_join(visits, ["patient_id", "day"]).select(~ibis.selectors.matches("_right$"))
    a = a.left_join(sd, ["patient_id", "day"]).select(~ibis.selectors.matches("_right$"))
    a = a.mutate(
        mrc=ibis.coalesce(a.mrc_sum.cast("float64"), a.mrc_from_grades.cast("float64")),
        ck_bound=a.ck_bound.fill_null(""),
    )
    tr = treatments.filter(
        ~treatments.drug.isin(NOT_IMMUNOTHERAPY) & treatments.start_day.notnull()
    )
    if params.anchor:
        drug = canonical_drug(params.anchor)
        if drug is None:
            raise MyotrackError(
                f"--anchor {params.anchor!r} is not a known drug; see 'myotrack template' for the list"
            )
        tr = tr.filter(tr.drug == drug)
    immuno = tr.group_by("patient_id").aggregate(
        anchor_day=tr.start_day.min(), anchor_drug=tr.drug.argmin(tr.start_day)
    )
    return {"assess": a, "immuno": immuno}


def build_context(params: Params) -> Context:
    """The context every criterion is built on: base tables and the materialised derived ones."""
    t = base_tables()
    derived = prepared(params)
    assess = ibis.table(derived["assess"].schema(), name="assess")
    immuno = ibis.table(derived["immuno"].schema(), name="immuno")
    return Context(
        t["patients"],
        t["visits"],
        t["strength"],
        t["treatments"],
        t["events"],
        assess,
        immuno,
        params,
    )
