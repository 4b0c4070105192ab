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
  ``visits.mrc_sum``, else the range the whole grades of the MRC-sum muscle-sides (six
  groups, left and right) graded that day allow (an ungraded one is 0..5);
- relapse (004): each assessment after the anchor with a CK or an MRC sum is judged, each
  condition true, false or unknown: CK above the baseline (``nadir``: the lowest CK from the
  anchor day to before it; ``pretreatment``: the last CK at or before the anchor), CK above
  3 x ULN (unknown without the ULN), the MRC sum lower by more than 1 point than at the
  previous assessment with an MRC sum (unknown without one); CKs written with a bound are
  ranges ('<N' is 0..N, '>N' at least N). ``yes`` when one assessment meets all three (or for
  a ``relapse_reported`` event after the anchor, when accepted); ``not_evaluable`` when one
  is open; ``no`` when at least one was judged; else ``not_evaluable``;
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


def _ck_range(ck: float, bound: str) -> tuple[float, float | None, bool]:
    """The U/L a CK written with ``bound`` allows: lowest, highest (None: unbounded), whether
    the lowest is excluded."""
    if bound in ("<", "<="):
        return 0.0, ck, False
    if bound in (">", ">="):
        return ck, None, bound == ">"
    if bound == "~":
        return ck * 0.9, ck * 1.1, False
    return ck, ck, False


def _above(
    low: float, high: float | None, low_open: bool, limit: float, floor: float
) -> bool | None:
    """A CK (low .. high) above ``limit`` (true), at most ``floor`` (false), else unknown."""
    if low > limit or (low == limit and low_open):
        return True
    if high is not None and high <= floor:
        return False
    return None


def _and3(*values: bool | None) -> bool | None:
    if any(v is False for v in values):
        return False
    return True if all(v is True for v in values) else None


def _patient_relapse(
    a: pd.DataFrame, anchor: float, reported_days: np.ndarray, params: Params
) -> str:
    if math.isnan(anchor):
        return NE
    has_ck = a["ck"].notna().to_numpy()
    mrc_low = a["mrc_low"].to_numpy(dtype=float)
    mrc_high = a["mrc_high"].to_numpy(dtype=float)
    days = a["day"].to_numpy(dtype=float)
    seen = a["mrc_low"].notna()
    prev_low = a.loc[seen, "mrc_low"].shift().reindex(a.index).to_numpy(dtype=float)
    prev_high = a.loc[seen, "mrc_high"].shift().reindex(a.index).to_numpy(dtype=float)
    pre = a[(a["day"] <= anchor) & a["ck"].notna()]
    open_, judged = False, 0
    for i in range(len(a)):
        if days[i] <= anchor or not (has_ck[i] or not math.isnan(mrc_low[i])):
            continue
        judged += 1
        high: bool | None = None
        above: bool | None = None
        if has_ck[i]:
            ck, uln, bound = float(a["ck"].iloc[i]), a["ck_uln"].iloc[i], a["ck_bound"].iloc[i]
            low, hi, low_open = _ck_range(ck, bound)
            if not pd.isna(uln):
                limit = params.relapse_ck_multiple * float(uln)
                high = _above(low, hi, low_open, limit, limit)
            if params.relapse_baseline == "nadir":
                # the CKs from the anchor day to before this assessment
                base = a[has_ck & (days >= anchor) & (days < days[i])]
            else:
                base = pre.iloc[-1:]
            if len(base):
                ranges = [
                    _ck_range(float(c), b)
                    for c, b in zip(base["ck"], base["ck_bound"], strict=True)
                ]
                b_low = min(r[0] for r in ranges)
                highs = [r[1] for r in ranges if r[1] is not None]
                b_high = min(highs) if highs else math.inf
                above = _above(low, hi, low_open, b_high, b_low)
        drop: bool | None = None
        if not math.isnan(mrc_low[i]) and not math.isnan(prev_low[i]):
            if prev_low[i] - mrc_high[i] > params.relapse_mrc_drop:
                drop = True
            elif prev_high[i] - mrc_low[i] <= params.relapse_mrc_drop:
                drop = False
        value = _and3(high, drop, above)
        if value is True:
            return YES
        open_ = open_ or value is None
    if params.accept_reported_relapse and bool((reported_days > anchor).any()):
        return YES
    if open_:
        return NE
    return NO if judged else NE


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
        # an ungraded muscle-side is 0..5: the sum is a range unless all twelve were graded
        grades_low = by_day["sum"].astype(float)
        grades_high = grades_low + 5.0 * (_MRC_SIDES - by_day["count"])
        days = sorted(set(v["day"].dropna().astype(int)) | set(s["day"].dropna().astype(int)))
        a = pd.DataFrame({"day": days})
        vv = v.drop_duplicates("day").set_index("day")
        a["ck"] = a["day"].map(vv["ck"]).astype(float)
        a["ck_uln"] = a["day"].map(vv["ck_uln"]).astype(float)
        a["ck_bound"] = a["day"].map(vv["ck_bound"]).fillna("")
        a["mrs"] = a["day"].map(vv["mrs"]).astype(float)
        recorded = a["day"].map(vv["mrc_sum"]).astype(float)
        a["mrc_low"] = recorded.fillna(a["day"].map(grades_low))
        a["mrc_high"] = recorded.fillna(a["day"].map(grades_high))

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


def _relapse_sql(p: Params, events: str) -> str:
    """The relapse CTEs shared by every dialect, over the CTEs ``anchor``, ``assess`` and
    ``pre``: ``measured`` (per patient: a relapse, an open assessment, assessments judged) and
    ``reported``. Each condition is true, false or NULL (unknown), as in the engine."""
    m, d = p.relapse_ck_multiple, p.relapse_mrc_drop

    def low(t: str) -> str:
        return (
            f"CASE WHEN {t}.ck_bound IN ('<', '<=') THEN 0.0 "
            f"WHEN {t}.ck_bound = '~' THEN {t}.ck * 0.9 ELSE {t}.ck END"
        )

    def high(t: str) -> str:
        return (
            f"CASE WHEN {t}.ck_bound IN ('>', '>=') THEN NULL "
            f"WHEN {t}.ck_bound = '~' THEN {t}.ck * 1.1 ELSE {t}.ck END"
        )

    def above(t: str, limit: str, floor: str) -> str:
        return (
            f"CASE WHEN {low(t)} > {limit} OR ({low(t)} = {limit} AND {t}.ck_bound = '>') "
            f"THEN TRUE WHEN {high(t)} <= {floor} THEN FALSE END"
        )

    if p.relapse_baseline == "nadir":
        # a running minimum over the CKs from the anchor day on, the row's own excluded
        w = (
            "OVER (PARTITION BY e.patient_id ORDER BY e.day "
            "ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING)"
        )
        base_join = f"""LEFT JOIN (
        SELECT e.patient_id, e.day, MIN({low("e")}) {w} AS b_low, MIN({high("e")}) {w} AS b_high,
               NULLIF(COUNT(*) {w}, 0) AS n_base
        FROM assess e JOIN anchor n ON e.patient_id = n.patient_id
        WHERE e.ck IS NOT NULL AND e.day >= n.anchor_day
    ) b ON b.patient_id = r.patient_id AND b.day = r.day"""
    else:
        base_join = f"""LEFT JOIN (
        SELECT patient_id, {low("pre")} AS b_low, {high("pre")} AS b_high, 1 AS n_base
        FROM (SELECT patient_id, pre_ck AS ck, pre_bound AS ck_bound FROM pre) pre
    ) b ON b.patient_id = r.patient_id"""
    b_high = "COALESCE(b.b_high, 1e300)"
    return f"""
rel_rows AS (
    SELECT a.patient_id, a.day, a.ck, a.ck_uln, a.ck_bound, a.mrc_low, a.mrc_high, n.anchor_day
    FROM assess a JOIN anchor n ON a.patient_id = n.patient_id
    WHERE a.ck IS NOT NULL OR a.mrc_low IS NOT NULL
),
rel_prev AS (
    SELECT patient_id, day,
           LAG(mrc_low) OVER (PARTITION BY patient_id ORDER BY day) AS prev_low,
           LAG(mrc_high) OVER (PARTITION BY patient_id ORDER BY day) AS prev_high
    FROM rel_rows WHERE mrc_low IS NOT NULL
),
rel_judged AS (
    SELECT r.patient_id,
           CASE WHEN r.ck IS NULL OR r.ck_uln IS NULL THEN NULL
                ELSE {above("r", f"{m} * r.ck_uln", f"{m} * r.ck_uln")} END AS high,
           CASE WHEN r.ck IS NULL OR b.n_base IS NULL THEN NULL
                ELSE {above("r", b_high, "b.b_low")} END AS above,
           CASE WHEN pv.prev_low - r.mrc_high > {d} THEN TRUE
                WHEN pv.prev_high - r.mrc_low <= {d} THEN FALSE END AS c_drop
    FROM rel_rows r
    LEFT JOIN rel_prev pv ON pv.patient_id = r.patient_id AND pv.day = r.day
    {base_join}
    WHERE r.day > r.anchor_day
),
measured AS (
    SELECT patient_id,
           SUM(CASE WHEN high AND above AND c_drop THEN 1 ELSE 0 END) > 0 AS hit,
           SUM(CASE WHEN (high AND above AND c_drop) IS NULL THEN 1 ELSE 0 END) > 0 AS is_open,
           COUNT(*) AS n_eval
    FROM rel_judged
    GROUP BY patient_id
),
reported AS (
    SELECT DISTINCT e.patient_id FROM {events} e JOIN anchor n ON e.patient_id = n.patient_id
    WHERE e.kind = 'relapse_reported' AND e.day IS NOT NULL AND e.day > n.anchor_day
),"""


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
    reported = "r.patient_id IS NOT NULL" if p.accept_reported_relapse else "FALSE"
    return f"""
WITH anchor AS (
    SELECT patient_id, MIN(start_day) AS anchor_day
    FROM treatments WHERE start_day IS NOT NULL AND {anchor_filter}
    GROUP BY patient_id
),
grades AS (
    -- an ungraded muscle-side is 0..5: the sum is a range unless all twelve were graded
    SELECT patient_id, day, SUM(grade_whole) AS mrc_glow,
           SUM(grade_whole) + 5 * ({_MRC_SIDES} - COUNT(*)) AS mrc_ghigh
    FROM strength WHERE muscle IN ({muscles}) AND side IN ('left', 'right')
    GROUP BY patient_id, day
),
assess AS (
    SELECT patient_id, day, v.ck, v.ck_uln, COALESCE(v.ck_bound, '') AS ck_bound, v.mrs,
           COALESCE(v.mrc_sum, g.mrc_glow) AS mrc_low, COALESCE(v.mrc_sum, g.mrc_ghigh) AS mrc_high
    FROM visits v FULL OUTER JOIN grades g USING (patient_id, day)
),
pre AS (
    SELECT a.patient_id, arg_max(a.ck, a.day) AS pre_ck, arg_max(a.ck_bound, a.day) AS pre_bound
    FROM assess a JOIN anchor n USING (patient_id)
    WHERE a.day <= n.anchor_day AND a.ck IS NOT NULL
    GROUP BY a.patient_id
),
{_relapse_sql(p, "events")}
recovery AS (
    SELECT a.patient_id,
           arg_min(a.mrs, {{'dist': ABS(a.day - n.anchor_day - {_target_offset(p)}), 'day': a.day}}) AS mrs
    FROM assess a JOIN anchor n USING (patient_id)
    WHERE a.mrs IS NOT NULL AND ABS(a.day - n.anchor_day - {_target_offset(p)}) <= {p.window_days}
    GROUP BY a.patient_id
)
SELECT pt.patient_id,
       CASE WHEN COALESCE(m.hit, FALSE) OR {reported} THEN '{YES}'
            WHEN COALESCE(m.is_open, FALSE) THEN '{NE}'
            WHEN COALESCE(m.n_eval, 0) > 0 THEN '{NO}' ELSE '{NE}' END AS relapse,
       CASE WHEN rc.mrs IS NULL THEN '{NE}' WHEN rc.mrs <= 1 THEN '{YES}' ELSE '{NO}' END
           AS favourable_recovery_6m
FROM patients pt
LEFT JOIN measured m USING (patient_id)
LEFT JOIN reported r USING (patient_id)
LEFT JOIN recovery rc USING (patient_id)
"""


def duckdb_reference(
    ds: Dataset, params: Params | None = None, memory_limit: str | None = None
) -> pd.DataFrame:
    """Relapse and favourable recovery at 6 months by one hand-written DuckDB query, within
    ``memory_limit`` (DuckDB's size text; None: DuckDB's default, most of the machine's)."""
    con = duckdb.connect(
        config={"autoinstall_known_extensions": False, "autoload_known_extensions": False}
    )
    con.execute("SET enable_progress_bar = false")
    if memory_limit is not None:
        con.execute(f"SET memory_limit = '{memory_limit}'")
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
        pre_bound = "(ARRAY_AGG(a.ck_bound ORDER BY a.day DESC))[1]"
        best_mrs = f"(ARRAY_AGG(a.mrs ORDER BY ABS(a.day - n.anchor_day - {offset}), a.day))[1]"
    else:
        pre_ck = "MAX_BY(a.ck, a.day)"
        pre_bound = "MAX_BY(a.ck_bound, a.day)"
        best_mrs = (
            f"MIN_BY(a.mrs, STRUCT(ABS(a.day - n.anchor_day - {offset}) AS dist, a.day AS day))"
        )
    reported = "r.patient_id IS NOT NULL" if p.accept_reported_relapse else "FALSE"
    return f"""
WITH anchor AS (
    SELECT patient_id, MIN(start_day) AS anchor_day
    FROM {tab["treatments"]} WHERE start_day IS NOT NULL AND {anchor_filter}
    GROUP BY patient_id
),
grades AS (
    -- an ungraded muscle-side is 0..5: the sum is a range unless all twelve were graded
    SELECT patient_id, day, SUM(grade_whole) AS mrc_glow,
           SUM(grade_whole) + 5 * ({_MRC_SIDES} - COUNT(*)) AS mrc_ghigh
    FROM {tab["strength"]} WHERE muscle IN ({muscles}) AND side IN ('left', 'right')
    GROUP BY patient_id, day
),
assess AS (
    SELECT COALESCE(v.patient_id, g.patient_id) AS patient_id, COALESCE(v.day, g.day) AS day,
           v.ck, v.ck_uln, COALESCE(v.ck_bound, '') AS ck_bound, v.mrs,
           COALESCE(v.mrc_sum, g.mrc_glow) AS mrc_low, COALESCE(v.mrc_sum, g.mrc_ghigh) AS mrc_high
    FROM {tab["visits"]} v FULL OUTER JOIN grades g
      ON v.patient_id = g.patient_id AND v.day = g.day
),
pre AS (
    SELECT a.patient_id, {pre_ck} AS pre_ck, {pre_bound} AS pre_bound
    FROM assess a JOIN anchor n ON a.patient_id = n.patient_id
    WHERE a.day <= n.anchor_day AND a.ck IS NOT NULL
    GROUP BY a.patient_id
),
{_relapse_sql(p, tab["events"])}
recovery AS (
    SELECT a.patient_id, {best_mrs} AS mrs
    FROM assess a JOIN anchor n ON a.patient_id = n.patient_id
    WHERE a.mrs IS NOT NULL AND ABS(a.day - n.anchor_day - {offset}) <= {p.window_days}
    GROUP BY a.patient_id
)
SELECT pt.patient_id,
       CASE WHEN COALESCE(m.hit, FALSE) OR {reported} THEN '{YES}'
            WHEN COALESCE(m.is_open, FALSE) THEN '{NE}'
            WHEN COALESCE(m.n_eval, 0) > 0 THEN '{NO}' ELSE '{NE}' END AS relapse,
       CASE WHEN rc.mrs IS NULL THEN '{NE}' WHEN rc.mrs <= 1 THEN '{YES}' ELSE '{NO}' END
           AS favourable_recovery_6m
FROM {tab["patients"]} pt
LEFT JOIN measured m ON m.patient_id = pt.patient_id
LEFT JOIN reported r ON r.patient_id = pt.patient_id
LEFT JOIN recovery rc ON rc.patient_id = pt.patient_id
"""
