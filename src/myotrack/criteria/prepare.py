"""The tables the criteria read, as unbound Ibis tables with the contract's types.

Criteria are built once per parameter set on these unbound tables and compiled to SQL (see
:mod:`myotrack.criteria.engine`); evaluating a dataset only registers its tables under these
names and runs the cached SQL.

An *assessment* is a patient-day with a visit row, strength grades, or both. Its MRC sum
(``mrc``) is ``visits.mrc_sum`` when recorded, else the sum of whole grades of the twelve
MRC-sum muscles (six groups, left and right) when all twelve were graded that day (Kleyweg
1991); otherwise unknown: a partial sum is never reported as an MRC sum. Beside it,
``mrc_low`` and ``mrc_high`` are the lowest and highest MRC sum the assessment allows: the
recorded sum when there is one (both equal it), else the range the day's grades allow (regions,
'both', unstated sides and ranges such as 4-5 included), 0..60 when nothing was graded. Both
scores are :func:`myotrack.measures.strength.strength_scores`.

``mrc_full`` is the three-valued 'MRC sum is 60' of an assessment that says something about
the MRC sum (a recorded sum, or grades that narrow its range): true when even the lowest sum
the grades allow is 60, false when even the highest is below 60 (one muscle graded below 5
rules it out, DOMAIN.md section 9), null otherwise and for assessments without MRC grades.
``mrc_seen`` marks those assessments.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping

import ibis
import ibis.expr.types as ir
import numpy as np
import pandas as pd
import pyarrow as pa

from myotrack.criteria import anchors
from myotrack.criteria.base import (
    Context,
    Params,
    candidate_rows,
    other_candidates,
    previous_order,
)
from myotrack.criteria.portable import pick_fields
from myotrack.measures.grades import upper_bounds
from myotrack.measures.mrc import MRC_SUM_MAX, REGIONS
from myotrack.measures.strength import UNGRADED_RANGES, strength_scores
from myotrack.tables import TABLES, Dataset

_DROP = ("source", "note")
_EXTRA = {
    "visits": {"ck_bound": "string", "ck_state": "string"},
    "strength": {
        "grade_whole": "int64",  # the grade's lowest whole grade (MrcGrade.low)
        "grade_kendall": "int64",  # its lowest Kendall value
        "grade_value": "float64",
        "grade_high": "int64",  # the highest whole grade and Kendall value it allows
        "grade_kendall_high": "int64",
    },
    "treatments": {"entry": "int64"},  # the course's row: of two started the same day, the first
}


#: The visit columns an assessment carries (the core set criteria read ``visits`` itself).
ASSESS_VISIT_COLUMNS = (
    "ck",
    "ck_uln",
    "ck_bound",
    "ck_state",
    "mrs",
    "mrc_sum",
    "prednisone_mg_day",
)


def distinct_codes(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Each value as a code into the distinct values, which end with None (missing values' code)."""
    codes, uniques = pd.factorize(values)
    distinct = np.empty(len(uniques) + 1, dtype=object)
    distinct[:-1] = uniques
    distinct[-1] = None
    return np.where(codes < 0, len(uniques), codes), distinct


def _type(kind: str) -> str:
    return {"int": "int64", "float": "float64", "day": "int64", "lab": "float64"}.get(
        kind, "string"
    )


def schemas() -> dict[str, dict[str, str]]:
    """Column types of the five tables as the engine sees them (free text dropped).

    ``patient_id`` is the patient's row in the patients table: joins, groups and windows on an
    integer key take half the time they take on text; the engine maps it back to the id.
    """
    out: dict[str, dict[str, str]] = {}
    for name, spec in TABLES.items():
        cols = {c.name: _type(c.kind) for c in spec.columns if c.name not in _DROP}
        cols["patient_id"] = "int64"
        cols.update(_EXTRA.get(name, {}))
        out[name] = cols
    return out


def _arrow_column(s: pd.Series, typ: str) -> pa.Array:
    """One column as an Arrow array of the engine's type (no copy where pandas allows)."""
    if typ == "string":
        values = s.to_numpy(dtype=object)
        starts = _run_starts(values)
        if starts is None or len(starts) > len(values) // 4:
            return pa.array(values, type=pa.string(), from_pandas=True)
        # mostly long runs of one value (e.g. no CK bound, one patient's rows): each distinct
        # value converted once, the rows as a dictionary array (DuckDB reads it as VARCHAR)
        codes, distinct = distinct_codes(values[starts])
        per_row = _expand(codes.astype(np.int32), starts, len(values))
        return pa.DictionaryArray.from_arrays(
            pa.array(per_row), pa.array(distinct, type=pa.string(), from_pandas=True)
        )
    if typ == "int64":
        if isinstance(s.dtype, pd.Int64Dtype):
            return pa.array(s.array, type=pa.int64())
        return pa.array(pd.array(s, dtype="Int64"), type=pa.int64())
    if s.dtype != np.float64:
        s = pd.to_numeric(s, errors="coerce").astype("float64")
    values = np.ascontiguousarray(s.to_numpy())
    missing = np.isnan(values)
    if not missing.any():
        return pa.array(values, type=pa.float64())
    # NaN is null: the validity bitmap built with NumPy, the values shared (4x faster on 5 M)
    valid = np.packbits(~missing, bitorder="little")
    buffers = [pa.py_buffer(valid), pa.py_buffer(values)]
    return pa.Array.from_buffers(pa.float64(), len(values), buffers, int(missing.sum()))


def _run_starts(values: np.ndarray) -> np.ndarray | None:
    """Where each run of equal values starts (None when the values cannot be compared).

    Neighbouring values are compared (for text, string equality), so the runs are exact
    whatever objects hold the values.
    """
    n = len(values)
    if n == 0:
        return np.empty(0, dtype=np.int64)
    head = np.empty(n, dtype=bool)
    head[0] = True
    try:
        np.not_equal(values[1:], values[:-1], out=head[1:])
    except (TypeError, ValueError):  # e.g. pd.NA has no truth value
        return None
    return np.flatnonzero(head)


def _expand(per_run: np.ndarray, starts: np.ndarray, n: int) -> np.ndarray:
    """One value per run (starting at ``starts``) repeated over the ``n`` rows of the runs."""
    return np.repeat(per_run, np.diff(np.append(starts, n)))


def _patient_keys(ids: pd.Index, column: pd.Series) -> np.ndarray:
    """Each row's patient as its row in the patients table (-1 for an unknown patient).

    A patient's rows usually follow one another: each run of equal ids is looked up once.
    """
    values = column.to_numpy(dtype=object)
    starts = _run_starts(values)
    if starts is None:
        return ids.get_indexer(values).astype(np.int64)
    return _expand(ids.get_indexer(values[starts]).astype(np.int64), starts, len(values))


def arrow_tables(
    ds: Dataset, columns: Mapping[str, Collection[str]] | None = None
) -> dict[str, pa.Table]:
    """The dataset's tables as Arrow tables with exactly the engine's types.

    ``columns``: per table, the columns a plan reads (see :attr:`engine.Plan.columns`); only
    those are converted; every other column is an all-null column of Arrow's null type (the
    SQL names it, DuckDB never reads it, and it costs no memory). Default: every engine column.
    """
    out: dict[str, pa.Table] = {}
    nulls: dict[tuple[pa.DataType, int], pa.Array] = {}
    ids = pd.Index(ds.patients["patient_id"].to_numpy(dtype=object))
    for name, cols in schemas().items():
        frame = ds.table(name)
        arrays = []
        fields = []
        highs: dict[str, pa.Array] = {}
        for col, typ in cols.items():
            if columns is not None and col not in columns[name]:
                arr = pa.nulls(len(frame))  # type null: no buffers at all
            elif col in _GRADE_HIGHS and name == "strength":
                highs = highs or _grade_highs(frame)
                arr = highs[col]
            elif col == "entry":
                arr = pa.array(np.arange(len(frame), dtype=np.int64))
            elif col == "patient_id":  # the row of the patient in the patients table
                key = (
                    np.arange(len(frame), dtype=np.int64)
                    if name == "patients"
                    else _patient_keys(ids, frame[col])
                )
                arr = pa.array(key)
            else:
                s = frame[col] if col in frame.columns else pd.Series([None] * len(frame))
                arr = _arrow_column(s, typ)
                if arr.null_count == len(arr) > 0:  # one all-null array per type and length
                    arr = nulls.setdefault((arr.type, len(arr)), arr)
            arrays.append(arr)
            fields.append(pa.field(col, arr.type))
        out[name] = pa.Table.from_arrays(arrays, schema=pa.schema(fields))
    return out


_GRADE_HIGHS = ("grade_high", "grade_kendall_high")


def _grade_highs(strength: pd.DataFrame) -> dict[str, pa.Array]:
    """The highest whole grade and Kendall value each grade allows (a range's upper end)."""

    def floats(col: str) -> np.ndarray:
        return pd.to_numeric(strength[col], errors="coerce").to_numpy(
            dtype=np.float64, na_value=np.nan
        )

    high, kendall_high = upper_bounds(
        strength["grade"].to_numpy(dtype=object),
        floats("grade_whole"),
        floats("grade_kendall"),
        floats("grade_value"),
    )
    return {
        c: pa.array(v, mask=np.isnan(v), type=pa.float64()).cast(pa.int64())
        for c, v in zip(_GRADE_HIGHS, (high, kendall_high), strict=True)
    }


def base_tables() -> dict[str, ir.Table]:
    return {name: ibis.table(cols, name=name) for name, cols in schemas().items()}


def _with_regions(muscles: Collection[str]) -> tuple[str, ...]:
    """The muscles and every region that grades one of them (measures.mrc.REGIONS)."""
    regions = (r for r, members in REGIONS.items() if set(members) & set(muscles))
    return (*muscles, *regions)


def graded_grades(s: ir.Table) -> ir.Table:
    """The strength rows as :func:`myotrack.measures.strength.strength_scores` reads them."""
    return s.select(
        "patient_id",
        "day",
        "muscle",
        "side",
        grade_low=s.grade_whole,
        grade_high=s.grade_high,
        grade_kendall_low=s.grade_kendall,
        grade_kendall_high=s.grade_kendall_high,
    )


def strength_by_day(s: ir.Table, params: Params) -> ir.Table:
    """Per patient-day with grades: the MRC sum from grades (when all 12 were graded) and its
    range (:func:`myotrack.measures.strength.strength_scores`), and the 002 regional minima."""
    graded = graded_grades(s)
    mrc = strength_scores(graded, scores=("mrc",))
    mrc = mrc.select(
        "patient_id",
        "day",
        mrc_from_grades="mrc_sum",
        mrc_low_grades="mrc_low",
        mrc_high_grades="mrc_high",
    )
    # a region's grade bounds each of its muscles (DOMAIN.md section 9, 'Regions')
    upper = s.muscle.isin(_with_regions(params.response_upper_muscles))
    lower = s.muscle.isin(_with_regions(params.response_lower_muscles))
    # the weakest grade is known from below only when every muscle is graded on both sides
    # ('both', left and right, or without a side: the muscle's grade, contract); else an
    # ungraded side may be weaker (0)
    unstated = s.side.isnull() | (s.side == "") | (s.side == "both")

    def covered(muscles: tuple[str, ...]) -> list[ir.BooleanValue]:
        out = []
        for m in muscles:
            on = s.muscle.isin(_with_regions((m,)))
            out.append(
                (on & unstated).any()
                | ((on & (s.side == "left")).any() & (on & (s.side == "right")).any())
            )
        return out

    def weakest(on: ir.BooleanValue, muscles: tuple[str, ...]) -> ir.IntegerValue:
        low = on.ifelse(s.grade_whole, ibis.null("int64")).min()
        return ibis.ifelse(ibis.and_(*covered(muscles)), low, ibis.ifelse(low.notnull(), 0, low))

    regional = s.group_by(["patient_id", "day"]).aggregate(
        upper_min=weakest(upper, params.response_upper_muscles),
        lower_min=weakest(lower, params.response_lower_muscles),
        # the highest the weakest grade can be (a range such as 4-5 reads 4..5)
        upper_min_high=upper.ifelse(s.grade_high, ibis.null("int64")).min(),
        lower_min_high=lower.ifelse(s.grade_high, ibis.null("int64")).min(),
        # the range of the day (contract: Timing); rows of one day share it
        day_lo=ibis.coalesce(s.day_earliest, s.day).min(),
        day_hi=ibis.coalesce(s.day_latest, s.day).max(),
    )
    # every patient-day with a grade row is in both
    return regional.inner_join(mrc, ["patient_id", "day"])


def prepared(params: Params) -> dict[str, ir.Table]:
    """The shared derived tables, materialised once per evaluation.

    ``assess``: the assessments; ``immuno``: each patient's anchor; ``latest``: each patient's
    last MRC sum, last CK (with ULN, bound and qualitative state: a CK written only 'normal'
    counts) and last prednisone dose, and their days; ``mrc_order`` and ``mrc_others``: the
    assessments with an MRC sum (:func:`mrc_assessments`), each with the one before it when
    its patient's days are in a strict order, and the other patients' assessments with every
    one that could be the previous (:func:`myotrack.criteria.base.previous_order` and
    :func:`~myotrack.criteria.base.other_candidates`; together, read by relapse and
    refractory as ``Context.mrc_previous``: :func:`~myotrack.criteria.base.candidate_rows`).
    """
    t = base_tables()
    visits, strength, treatments = t["visits"], t["strength"], t["treatments"]
    sd = strength_by_day(strength, params)
    v = visits.select(
        "patient_id",
        "day",
        *ASSESS_VISIT_COLUMNS,
        v_lo=ibis.coalesce(visits.day_earliest, visits.day),
        v_hi=ibis.coalesce(visits.day_latest, visits.day),
    )
    # a visit and the grades of its day are one assessment (both are unique per patient-day)
    j = v.outer_join(sd, ["patient_id", "day"])
    recorded = j.mrc_sum.cast("float64")
    ungraded_low, ungraded_high = UNGRADED_RANGES["mrc"]
    a = j.select(
        patient_id=ibis.coalesce(j.patient_id, j.patient_id_right),
        day=ibis.coalesce(j.day, j.day_right),
        # the assessment's range of days: a visit's own, else its grades'
        day_lo=ibis.coalesce(j.v_lo, j.day_lo),
        day_hi=ibis.coalesce(j.v_hi, j.day_hi),
        ck=j.ck,
        ck_uln=j.ck_uln,
        ck_bound=j.ck_bound.fill_null(""),
        # 'normal' / 'elevated' without a number ('CK normalised'): a CK all the same
        ck_state=j.ck_state.fill_null(""),
        mrs=j.mrs,
        prednisone_mg_day=j.prednisone_mg_day,
        upper_min=j.upper_min,
        lower_min=j.lower_min,
        upper_min_high=j.upper_min_high,
        lower_min_high=j.lower_min_high,
        mrc=ibis.coalesce(recorded, j.mrc_from_grades.cast("float64")),
        # a recorded MRC sum is exact; else the day's grades bound it, else nothing does
        mrc_low=ibis.coalesce(recorded, j.mrc_low_grades.cast("float64"), float(ungraded_low)),
        mrc_high=ibis.coalesce(recorded, j.mrc_high_grades.cast("float64"), float(ungraded_high)),
    )
    a = a.mutate(
        mrc_seen=a.mrc.notnull() | (a.mrc_low > ungraded_low) | (a.mrc_high < ungraded_high)
    )
    a = a.mutate(
        mrc_full=ibis.cases(
            (a.mrc_seen & (a.mrc_low >= MRC_SUM_MAX), True),
            (a.mrc_seen & (a.mrc_high < MRC_SUM_MAX), False),
            else_=ibis.null("boolean"),
        )
    )
    immuno = anchors.immunotherapy(treatments, params)
    m = ibis.table(a.schema(), name="assess")  # read from the materialised table
    # each last row's columns picked together (one struct on DuckDB: portable.pick_fields)
    has_ck = m.ck.notnull() | (m.ck_state != "")
    mrc = pick_fields(
        {
            "mrc_day": m.day,
            "last_mrc": m.mrc,
            "last_mrc_full": m.mrc_full,
            "last_mrc_high": m.mrc_high,
        },
        m.day,
        where=m.mrc_seen,
        largest=True,
    )
    ck = pick_fields(
        {
            "ck_day": m.day,
            "last_ck": m.ck,
            "last_uln": m.ck_uln,
            "last_bound": m.ck_bound,
            "last_state": m.ck_state,
        },
        m.day,
        where=has_ck,
        largest=True,
    )
    dose = pick_fields(
        {"prednisone_day": m.day, "last_prednisone": m.prednisone_mg_day},
        m.day,
        where=m.prednisone_mg_day.notnull(),
        largest=True,
    )
    latest = m.group_by("patient_id").aggregate(**mrc, **ck, **dose)
    # the MRC assessments that could be each one's previous (relapse and refractory): the order
    # stored first (with each one's previous when the patient's days are in a strict order),
    # as the other patients' candidates read it four times
    order = previous_order(mrc_assessments(m))
    others = other_candidates(ibis.table(order.schema(), name="mrc_order"))
    return {
        "assess": a,
        "immuno": immuno,
        "latest": latest,
        "mrc_order": order,
        "mrc_others": others,
    }


def mrc_assessments(assess: ir.Table) -> ir.Table:
    """The assessments with an MRC sum (or grades bounding it): day, day range, sum range."""
    a = assess.filter(assess.mrc_seen)
    return a.select("patient_id", "day", "day_lo", "day_hi", "mrc_low", "mrc_high")


def build_context(params: Params, derived: Mapping[str, ir.Table]) -> Context:
    """The context every criterion is built on: base tables and the materialised derived ones.

    ``derived``: :func:`prepared` for the same parameters; criteria read them by name.
    """
    t = base_tables()
    assess = ibis.table(derived["assess"].schema(), name="assess")
    immuno = ibis.table(derived["immuno"].schema(), name="immuno")
    latest = ibis.table(derived["latest"].schema(), name="latest")
    previous = candidate_rows(
        ibis.table(derived["mrc_order"].schema(), name="mrc_order"),
        ibis.table(derived["mrc_others"].schema(), name="mrc_others"),
    )
    return Context(
        t["patients"],
        t["visits"],
        t["strength"],
        t["treatments"],
        t["events"],
        assess,
        immuno,
        latest,
        previous,
        params,
    )
