"""Two hand-written references for the relapse and 6-month favourable recovery criteria.

They compute exactly what :mod:`myotrack.criteria.relapse` and :mod:`myotrack.criteria.recovery`
compute (same anchor, assessments, windows and parameters; see those modules), written the way
a user would without the engine:

- :func:`loop_reference`: a straightforward per-patient pandas loop;
- :func:`duckdb_reference`: one hand-written DuckDB SQL query over the five tables.

Rules shared by both (from the criteria modules):

- anchor: the earliest ``start_day`` of a treatment course that is immunotherapy (any drug but a
  statin), or of the ``Params.anchor`` drug;
- assessment: a patient-day with a visit row or strength grades; its MRC sum is
  ``visits.mrc_sum``, else the sum of whole grades when all twelve MRC-sum muscle-sides
  (six groups, left and right) were graded that day;
- relapse (004): at an assessment after the anchor with CK, ULN and MRC sum: CK above the
  baseline (``nadir``: the lowest CK of the earlier assessments after the anchor with CK and
  ULN; ``pretreatment``: the last CK at or before the anchor) and above 3 x ULN (a CK written
  '>N' counts when N reaches them, one written '<N' never), and the MRC sum lower by more
  than 1 point than at the previous assessment after the anchor with an MRC sum. ``yes`` also
  for a ``relapse_reported`` event after the anchor (when accepted); ``no`` when at least one
  assessment could be compared; else ``not_evaluable``;
- favourable recovery at 6 months (004): the assessment with an mRS nearest to anchor +
  round(6 x 30.44) days within +/- 45 days (earlier day on a tie): ``yes`` for mRS 0-1, ``no``
  otherwise, ``not_evaluable`` without such an assessment or anchor.
"""

from __future__ import annotations

import math

import duckdb
import numpy as np
import pandas as pd

from myotrack.criteria import NE, NO, YES, Params
from myotrack.criteria.base import NOT_IMMUNOTHERAPY
from myotrack.tables import Dataset
from myotrack.tables.vocab import MRC_SUM_MUSCLES, canonical_drug

CRITERIA = ("relapse", "favourable_recovery_6m")
RECOVERY_MONTHS = 6.0
_MRC_SIDES = len(MRC_SUM_MUSCLES) * 2


def _anchor_drug(params: Params) -> str | None:
    return canonical_drug(params.anchor) if params.anchor else None


def _target_offset(params: Params) -> int:
    return round(RECOVERY_MONTHS * params.month_days)


# ---- (a) per-patient pandas loop ---------------------------------------------------------


def _patient_relapse(
    a: pd.DataFrame, anchor: float, reported_days: np.ndarray, params: Params
) -> str:
    if math.isnan(anchor):
        return NE
    after = a[a["day"] > anchor]
    with_mrc = after[after["mrc"].notna()]
    with_ck = after[after["ck"].notna() & after["ck_uln"].notna()]
    post = after[after["mrc"].notna() & after["ck"].notna() & after["ck_uln"].notna()]
    prev_mrc = with_mrc["mrc"].shift().reindex(post.index)
    if params.relapse_baseline == "nadir":
        baseline = with_ck["ck"].cummin().shift().reindex(post.index)
    else:
        pre = a[(a["day"] <= anchor) & a["ck"].notna()]
        value = pre["ck"].iloc[-1] if len(pre) else np.nan
        baseline = pd.Series(value, index=post.index, dtype=float)
    limit = params.relapse_ck_multiple * post["ck_uln"]
    exact = (post["ck"] > baseline) & (post["ck"] > limit)
    at_least = (post["ck"] >= baseline) & (post["ck"] >= limit)
    high = np.where(
        post["ck_bound"] == "", exact, np.where(post["ck_bound"] == ">", at_least, False)
    )
    hit = high & ((prev_mrc - post["mrc"]) > params.relapse_mrc_drop).to_numpy()
    reported = params.accept_reported_relapse and bool((reported_days > anchor).any())
    if hit.any() or reported:
        return YES
    if (prev_mrc.notna() & baseline.notna()).any():
        return NO
    return NE


def _patient_recovery(a: pd.DataFrame, anchor: float, params: Params) -> str:
    if math.isnan(anchor):
        return NE
    target = anchor + _target_offset(params)
    m = a[a["mrs"].notna()]
    m = m.assign(dist=(m["day"] - target).abs())
    m = m[m["dist"] <= params.window_days]
    if m.empty:
        return NE
    best = m.sort_values(["dist", "day"]).iloc[0]
    return YES if best["mrs"] <= 1 else NO


def loop_reference(ds: Dataset, params: Params | None = None) -> pd.DataFrame:
    """Relapse and favourable recovery at 6 months, one patient at a time (pandas)."""
    p = params or Params()
    visits = ds.visits.groupby("patient_id", sort=False)
    strength = ds.strength.groupby("patient_id", sort=False)
    treatments = ds.treatments.groupby("patient_id", sort=False)
    events = ds.events.groupby("patient_id", sort=False)
    drug = _anchor_drug(p)
    rows = []
    for pid in ds.patients["patient_id"]:
        v = visits.get_group(pid) if pid in visits.groups else ds.visits.iloc[0:0]
        s = strength.get_group(pid) if pid in strength.groups else ds.strength.iloc[0:0]
        t = treatments.get_group(pid) if pid in treatments.groups else ds.treatments.iloc[0:0]
        e = events.get_group(pid) if pid in events.groups else ds.events.iloc[0:0]

        # assessments: visit days and strength days; MRC sum from grades if all 12 graded
        mrc_side = s[s["muscle"].isin(MRC_SUM_MUSCLES) & s["side"].isin(["left", "right"])]
        by_day = mrc_side.groupby("day")["grade_whole"].agg(["count", "sum"])
        from_grades = by_day.loc[by_day["count"] == _MRC_SIDES, "sum"].astype(float)
        days = sorted(set(v["day"].dropna().astype(int)) | set(s["day"].dropna().astype(int)))
        a = pd.DataFrame({"day": days})
        vv = v.drop_duplicates("day").set_index("day")
        a["ck"] = a["day"].map(vv["ck"]).astype(float)
        a["ck_uln"] = a["day"].map(vv["ck_uln"]).astype(float)
        a["ck_bound"] = a["day"].map(vv["ck_bound"]).fillna("")
        a["mrs"] = a["day"].map(vv["mrs"]).astype(float)
        a["mrc"] = a["day"].map(vv["mrc_sum"]).astype(float).fillna(a["day"].map(from_grades))

        courses = t[t["start_day"].notna() & ~t["drug"].isin(NOT_IMMUNOTHERAPY)]
        if drug is not None:
            courses = courses[courses["drug"] == drug]
        anchor = float(courses["start_day"].min()) if len(courses) else math.nan
        reported = e.loc[(e["kind"] == "relapse_reported") & e["day"].notna(), "day"].to_numpy(
            dtype=float
        )
        rows.append(
            (pid, _patient_relapse(a, anchor, reported, p), _patient_recovery(a, anchor, p))
        )
    return pd.DataFrame(rows, columns=["patient_id", *CRITERIA])


# ---- (b) hand-written DuckDB SQL ---------------------------------------------------------


def duckdb_sql(params: Params | None = None) -> str:
    """The query, over tables named patients, visits, strength, treatments and events."""
    p = params or Params()
    drug = _anchor_drug(p)
    anchor_filter = (
        f"drug = '{drug}'"
        if drug
        else "drug NOT IN (" + ", ".join(f"'{d}'" for d in NOT_IMMUNOTHERAPY) + ")"
    )
    muscles = ", ".join(f"'{m}'" for m in MRC_SUM_MUSCLES)
    if p.relapse_baseline == "nadir":
        baseline = "MIN(CASE WHEN ck_uln IS NOT NULL THEN ck END) OVER (w ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING)"
        pre_join = ""
    else:
        baseline = "pre_ck"
        pre_join = "LEFT JOIN pre USING (patient_id)"
    reported = "r.patient_id IS NOT NULL" if p.accept_reported_relapse else "FALSE"
    return f"""
WITH anchor AS (
    SELECT patient_id, MIN(start_day) AS anchor_day
    FROM treatments WHERE start_day IS NOT NULL AND {anchor_filter}
    GROUP BY patient_id
),
grades AS (
    SELECT patient_id, day, SUM(grade_whole) AS mrc_grades
    FROM strength WHERE muscle IN ({muscles}) AND side IN ('left', 'right')
    GROUP BY patient_id, day HAVING COUNT(*) = {_MRC_SIDES}
),
assess AS (
    SELECT patient_id, day, v.ck, v.ck_uln, COALESCE(v.ck_bound, '') AS ck_bound, v.mrs,
           COALESCE(v.mrc_sum, g.mrc_grades) AS mrc
    FROM visits v FULL OUTER JOIN grades g USING (patient_id, day)
),
pre AS (
    SELECT a.patient_id, arg_max(a.ck, a.day) AS pre_ck
    FROM assess a JOIN anchor n USING (patient_id)
    WHERE a.day <= n.anchor_day AND a.ck IS NOT NULL
    GROUP BY a.patient_id
),
post AS (
    -- one window pass (one sort) over the assessments after the anchor: the previous MRC sum
    -- and the nadir come from the earlier rows that have them
    SELECT patient_id, day, ck, ck_uln, ck_bound, mrc,
           LAG(mrc IGNORE NULLS) OVER w AS prev_mrc,
           {baseline} AS baseline
    FROM (
        SELECT a.patient_id, a.day, a.ck, a.ck_uln, a.ck_bound, a.mrc
        FROM assess a JOIN anchor n USING (patient_id)
        WHERE a.day > n.anchor_day
    ) {pre_join}
    WINDOW w AS (PARTITION BY patient_id ORDER BY day)
),
measured AS (
    SELECT patient_id,
           BOOL_OR(CASE ck_bound
                       WHEN '' THEN ck > baseline AND ck > {p.relapse_ck_multiple} * ck_uln
                       WHEN '>' THEN ck >= baseline AND ck >= {p.relapse_ck_multiple} * ck_uln
                       ELSE FALSE END
                   AND prev_mrc - mrc > {p.relapse_mrc_drop}) AS hit,
           COUNT(*) FILTER (WHERE prev_mrc IS NOT NULL AND baseline IS NOT NULL) AS n_eval
    FROM post
    WHERE mrc IS NOT NULL AND ck IS NOT NULL AND ck_uln IS NOT NULL
    GROUP BY patient_id
),
reported AS (
    SELECT DISTINCT e.patient_id FROM events e JOIN anchor n USING (patient_id)
    WHERE e.kind = 'relapse_reported' AND e.day IS NOT NULL AND e.day > n.anchor_day
),
recovery AS (
    SELECT a.patient_id,
           arg_min(a.mrs, {{'dist': ABS(a.day - n.anchor_day - {_target_offset(p)}), 'day': a.day}}) AS mrs
    FROM assess a JOIN anchor n USING (patient_id)
    WHERE a.mrs IS NOT NULL AND ABS(a.day - n.anchor_day - {_target_offset(p)}) <= {p.window_days}
    GROUP BY a.patient_id
)
SELECT pt.patient_id,
       CASE WHEN COALESCE(m.hit, FALSE) OR {reported} THEN '{YES}'
            WHEN COALESCE(m.n_eval, 0) > 0 THEN '{NO}' ELSE '{NE}' END AS relapse,
       CASE WHEN rc.mrs IS NULL THEN '{NE}' WHEN rc.mrs <= 1 THEN '{YES}' ELSE '{NO}' END
           AS favourable_recovery_6m
FROM patients pt
LEFT JOIN measured m USING (patient_id)
LEFT JOIN reported r USING (patient_id)
LEFT JOIN recovery rc USING (patient_id)
"""


def duckdb_reference(ds: Dataset, params: Params | None = None) -> pd.DataFrame:
    """Relapse and favourable recovery at 6 months by one hand-written DuckDB query."""
    con = duckdb.connect(
        config={"autoinstall_known_extensions": False, "autoload_known_extensions": False}
    )
    con.execute("SET enable_progress_bar = false")
    try:
        for name in ("patients", "visits", "strength", "treatments", "events"):
            con.register(name, ds.table(name))
        out: pd.DataFrame = con.execute(duckdb_sql(params)).df()
    finally:
        con.close()
    return out


# ---- (b) the same query by hand for PostgreSQL and Spark ---------------------------------


def backend_sql(
    backend: str, tables: dict[str, str] | None = None, params: Params | None = None
) -> str:
    """:func:`duckdb_sql` written for PostgreSQL (``postgres``) or Spark SQL (``pyspark``).

    ``tables``: the name of each of the five tables in that backend. Neither has DuckDB's
    ``LAG(... IGNORE NULLS)`` (PostgreSQL) or ``arg_min``: the previous MRC sum is a plain
    ``LAG`` over the assessments that have one, the picks an ordered array's first element
    (PostgreSQL) or ``MIN_BY``/``MAX_BY`` (Spark).
    """
    p = params or Params()
    names = {t: t for t in ("patients", "visits", "strength", "treatments", "events")}
    names |= tables or {}
    q = '"' if backend == "postgres" else "`"
    tab = {t: f"{q}{n}{q}" for t, n in names.items()}
    drug = _anchor_drug(p)
    anchor_filter = (
        f"drug = '{drug}'"
        if drug
        else "drug NOT IN (" + ", ".join(f"'{d}'" for d in NOT_IMMUNOTHERAPY) + ")"
    )
    muscles = ", ".join(f"'{m}'" for m in MRC_SUM_MUSCLES)
    offset = _target_offset(p)
    if backend == "postgres":
        pre_ck = "(ARRAY_AGG(a.ck ORDER BY a.day DESC))[1]"
        best_mrs = f"(ARRAY_AGG(a.mrs ORDER BY ABS(a.day - n.anchor_day - {offset}), a.day))[1]"
    else:
        pre_ck = "MAX_BY(a.ck, a.day)"
        best_mrs = (
            f"MIN_BY(a.mrs, STRUCT(ABS(a.day - n.anchor_day - {offset}) AS dist, a.day AS day))"
        )
    if p.relapse_baseline == "nadir":
        baseline = (
            "MIN(CASE WHEN ck_uln IS NOT NULL THEN ck END) OVER (PARTITION BY patient_id "
            "ORDER BY day ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING)"
        )
        pre_join = ""
    else:
        baseline = "pre_ck"
        pre_join = "LEFT JOIN pre USING (patient_id)"
    reported = "r.patient_id IS NOT NULL" if p.accept_reported_relapse else "FALSE"
    return f"""
WITH anchor AS (
    SELECT patient_id, MIN(start_day) AS anchor_day
    FROM {tab["treatments"]} WHERE start_day IS NOT NULL AND {anchor_filter}
    GROUP BY patient_id
),
grades AS (
    SELECT patient_id, day, SUM(grade_whole) AS mrc_grades
    FROM {tab["strength"]} WHERE muscle IN ({muscles}) AND side IN ('left', 'right')
    GROUP BY patient_id, day HAVING COUNT(*) = {_MRC_SIDES}
),
assess AS (
    SELECT COALESCE(v.patient_id, g.patient_id) AS patient_id, COALESCE(v.day, g.day) AS day,
           v.ck, v.ck_uln, COALESCE(v.ck_bound, '') AS ck_bound, v.mrs,
           COALESCE(v.mrc_sum, g.mrc_grades) AS mrc
    FROM {tab["visits"]} v FULL OUTER JOIN grades g
      ON v.patient_id = g.patient_id AND v.day = g.day
),
pre AS (
    SELECT a.patient_id, {pre_ck} AS pre_ck
    FROM assess a JOIN anchor n ON a.patient_id = n.patient_id
    WHERE a.day <= n.anchor_day AND a.ck IS NOT NULL
    GROUP BY a.patient_id
),
after AS (
    SELECT a.patient_id, a.day, a.ck, a.ck_uln, a.ck_bound, a.mrc
    FROM assess a JOIN anchor n ON a.patient_id = n.patient_id
    WHERE a.day > n.anchor_day
),
prev AS (
    SELECT patient_id, day,
           LAG(mrc) OVER (PARTITION BY patient_id ORDER BY day) AS prev_mrc
    FROM after WHERE mrc IS NOT NULL
),
post AS (
    SELECT patient_id, day, ck, ck_uln, ck_bound, mrc, prev_mrc, {baseline} AS baseline
    FROM after LEFT JOIN prev USING (patient_id, day) {pre_join}
),
measured AS (
    SELECT patient_id,
           BOOL_OR(CASE ck_bound
                       WHEN '' THEN ck > baseline AND ck > {p.relapse_ck_multiple} * ck_uln
                       WHEN '>' THEN ck >= baseline AND ck >= {p.relapse_ck_multiple} * ck_uln
                       ELSE FALSE END
                   AND prev_mrc - mrc > {p.relapse_mrc_drop}) AS hit,
           COUNT(*) FILTER (WHERE prev_mrc IS NOT NULL AND baseline IS NOT NULL) AS n_eval
    FROM post
    WHERE mrc IS NOT NULL AND ck IS NOT NULL AND ck_uln IS NOT NULL
    GROUP BY patient_id
),
reported AS (
    SELECT DISTINCT e.patient_id FROM {tab["events"]} e JOIN anchor n ON e.patient_id = n.patient_id
    WHERE e.kind = 'relapse_reported' AND e.day IS NOT NULL AND e.day > n.anchor_day
),
recovery AS (
    SELECT a.patient_id, {best_mrs} AS mrs
    FROM assess a JOIN anchor n ON a.patient_id = n.patient_id
    WHERE a.mrs IS NOT NULL AND ABS(a.day - n.anchor_day - {offset}) <= {p.window_days}
    GROUP BY a.patient_id
)
SELECT pt.patient_id,
       CASE WHEN COALESCE(m.hit, FALSE) OR {reported} THEN '{YES}'
            WHEN COALESCE(m.n_eval, 0) > 0 THEN '{NO}' ELSE '{NE}' END AS relapse,
       CASE WHEN rc.mrs IS NULL THEN '{NE}' WHEN rc.mrs <= 1 THEN '{YES}' ELSE '{NO}' END
           AS favourable_recovery_6m
FROM {tab["patients"]} pt
LEFT JOIN measured m ON m.patient_id = pt.patient_id
LEFT JOIN reported r ON r.patient_id = pt.patient_id
LEFT JOIN recovery rc ON rc.patient_id = pt.patient_id
"""
