"""From a Dataset to the Ibis tables the criteria read: the assessments and the anchors.

An *assessment* is a patient-day with a visit row, strength grades, or both. Its MRC sum is
``visits.mrc_sum`` when recorded, else the sum of whole grades of the twelve MRC-sum muscles
(six groups, left and right) when all twelve were graded that day (Kleyweg 1991); otherwise
unknown: a partial sum is never reported as an MRC sum.
"""

from __future__ import annotations

import ibis
import ibis.expr.types as ir
import pandas as pd

from myotrack.criteria.base import NOT_IMMUNOTHERAPY, Context, Params
from myotrack.errors import MyotrackError
from myotrack.tables import Dataset
from myotrack.tables.vocab import MRC_SUM_MUSCLES, canonical_drug

_STRENGTH_COLS = ["patient_id", "day", "muscle", "side", "grade_whole", "grade_kendall"]


def _memtable(frame: pd.DataFrame, columns: list[str] | None = None) -> ir.Table:
    f = frame if columns is None else frame[columns]
    f = f.copy()
    for c in f.columns:
        if f[c].dtype == object:
            f[c] = f[c].astype("string")
    return ibis.memtable(f)


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
        n_graded=s.count(),
    )
    return agg.mutate(mrc_from_grades=(agg.n_mrc == len(MRC_SUM_MUSCLES) * 2).ifelse(agg.mrc_grades, ibis.null("int64")))


def build_context(ds: Dataset, params: Params) -> Context:
    visits_df = ds.visits.drop(columns=[c for c in ("source",) if c in ds.visits.columns])
    patients = _memtable(ds.patients.drop(columns=["source"]))
    visits = _memtable(visits_df)
    strength = _memtable(ds.strength, _STRENGTH_COLS)
    treatments = _memtable(ds.treatments.drop(columns=["note", "source"]))
    events = _memtable(ds.events.drop(columns=["note", "source"]))

    sd = strength_by_day(strength, params)
    keys = visits.select("patient_id", "day").union(sd.select("patient_id", "day")).distinct()
    a = keys.left_join(visits, ["patient_id", "day"]).select(~ibis.selectors.matches("_right$"))
    a = a.left_join(sd, ["patient_id", "day"]).select(~ibis.selectors.matches("_right$"))
    a = a.mutate(
        mrc=ibis.coalesce(a.mrc_sum.cast("float64"), a.mrc_from_grades.cast("float64")),
        ck_bound=a.ck_bound.fill_null(""),
    )

    t = treatments.filter(~treatments.drug.isin(NOT_IMMUNOTHERAPY) & treatments.start_day.notnull())
    if params.anchor:
        drug = canonical_drug(params.anchor)
        if drug is None:
            raise MyotrackError(f"--anchor {params.anchor!r} is not a known drug; see 'myotrack template' for the list")
        t = t.filter(t.drug == drug)
    immuno = t.group_by("patient_id").aggregate(anchor_day=t.start_day.min(), anchor_drug=t.drug.argmin(t.start_day))
    return Context(patients, visits, strength, treatments, events, a, immuno, params)
