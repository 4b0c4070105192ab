"""Rules across rows and tables: keys, references, ranges of days, observation values.

Each rule is checked vectorised over whole columns once every table is typed; the rows that
break one are reported with the user's file label and row number.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
import pandas as pd

from myotrack.tables.observations import CODE_BY_NAME, value_problem
from myotrack.tables.problems import Collector, RawTable
from myotrack.tables.schema import TABLES


def _mask_problems(
    out: Collector,
    label: str,
    rows: np.ndarray,
    mask: np.ndarray,
    column: str | None,
    rule: str,
    values: pd.Series | None = None,
    severity: Literal["error", "warning"] = "error",
) -> None:
    if not mask.any():  # the usual case, without making a table for it
        return
    raw = RawTable(label, pd.DataFrame(), rows)
    out.add_many(raw, mask, column, rule, values, severity)


def cross_checks(
    frames: dict[str, pd.DataFrame],
    rows: dict[str, np.ndarray],
    labels: dict[str, str],
    out: Collector,
) -> None:
    pts = frames["patients"]
    ids = pts["patient_id"]
    dup = ids.notna().to_numpy() & ids.duplicated(keep="first").to_numpy()
    _mask_problems(
        out,
        labels["patients"],
        rows["patients"],
        dup,
        "patient_id",
        "duplicate patient_id: each patient appears once in the patients table",
        ids,
    )
    # an array, not a set: pandas would make an array of a set for each table
    known = ids.dropna().to_numpy(dtype=object)
    for name in ("visits", "strength", "treatments", "events", "observations"):
        if name not in frames:
            continue
        f = frames[name]
        pid = f["patient_id"]
        unknown = pid.notna().to_numpy() & ~pid.isin(known).to_numpy()
        _mask_problems(
            out,
            labels[name],
            rows[name],
            unknown,
            "patient_id",
            "unknown patient: this patient_id is not in the patients table",
            pid,
        )

    v = frames["visits"]
    key = v[["patient_id", "day"]]
    dupv = key.notna().all(axis=1).to_numpy() & key.duplicated(keep="first").to_numpy()
    _mask_problems(
        out,
        labels["visits"],
        rows["visits"],
        dupv,
        "day",
        "a second visit of the same patient on the same day: merge them into one row",
        v["day"],
    )

    s = frames["strength"]
    skey = s[["patient_id", "day", "muscle"]].assign(side=s["side"].fillna(""))
    dups = (
        s[["patient_id", "day", "muscle"]].notna().all(axis=1).to_numpy()
        & skey.duplicated(keep="first").to_numpy()
    )
    _mask_problems(
        out,
        labels["strength"],
        rows["strength"],
        dups,
        "grade",
        "a second grade for the same patient, day, muscle and side",
        s["grade"],
    )

    t = frames["treatments"]
    marked = t[t["index_course"] == "yes"]["patient_id"]
    second = np.zeros(len(t), dtype=bool)
    second[np.flatnonzero((t["index_course"] == "yes").to_numpy(dtype=bool, na_value=False))] = (
        marked.duplicated(keep="first").to_numpy()
    )
    _mask_problems(
        out,
        labels["treatments"],
        rows["treatments"],
        second,
        "index_course",
        "a second index treatment for the same patient: mark one course per patient",
        t["index_course"],
    )
    start = t["start_day"].astype("Float64").to_numpy(dtype=float, na_value=np.nan)
    end = t["end_day"].astype("Float64").to_numpy(dtype=float, na_value=np.nan)
    with np.errstate(invalid="ignore"):
        before = end < start
    _mask_problems(
        out,
        labels["treatments"],
        rows["treatments"],
        before,
        "end_day",
        "end_day is before start_day",
        t["end_day"],
    )
    e = frames["events"]
    start = e["day"].astype("Float64").to_numpy(dtype=float, na_value=np.nan)
    end = e["end_day"].astype("Float64").to_numpy(dtype=float, na_value=np.nan)
    with np.errstate(invalid="ignore"):
        before = end < start
    _mask_problems(
        out,
        labels["events"],
        rows["events"],
        before,
        "end_day",
        "end_day is before the event's day",
        e["end_day"],
    )
    typed = e["relapse_type"].notna().to_numpy() & (e["kind"] != "relapse_reported").to_numpy()
    _mask_problems(
        out,
        labels["events"],
        rows["events"],
        typed,
        "relapse_type",
        "relapse_type describes a reported relapse; kept, but this event's kind is not "
        "relapse_reported",
        e["relapse_type"],
        severity="warning",
    )
    _day_ranges(frames, rows, labels, out)
    _observation_values(frames["observations"], rows["observations"], labels, out)


def day_columns(table: str) -> tuple[str, ...]:
    """The day columns of a table (each with ``_earliest`` and ``_latest`` companions)."""
    return tuple(c.name for c in TABLES[table].columns if c.kind == "day")


def _day_ranges(
    frames: dict[str, pd.DataFrame],
    rows: dict[str, np.ndarray],
    labels: dict[str, str],
    out: Collector,
) -> None:
    """earliest <= day <= latest wherever a day's range is given."""
    for table, f in frames.items():
        if table not in TABLES:
            continue
        for name in day_columns(table):
            day = f[name].astype("Float64").to_numpy(dtype=float, na_value=np.nan)
            low = f[f"{name}_earliest"].astype("Float64").to_numpy(dtype=float, na_value=np.nan)
            high = f[f"{name}_latest"].astype("Float64").to_numpy(dtype=float, na_value=np.nan)
            with np.errstate(invalid="ignore"):
                crossed = low > high
                outside = ~crossed & ((day < low) | (day > high))
            _mask_problems(
                out,
                labels[table],
                rows[table],
                crossed,
                f"{name}_latest",
                f"{name}_latest is before {name}_earliest",
                f[f"{name}_latest"],
            )
            _mask_problems(
                out,
                labels[table],
                rows[table],
                outside,
                name,
                f"{name} lies outside its range {name}_earliest..{name}_latest",
                f[name],
            )


def _observation_values(
    obs: pd.DataFrame, rows: np.ndarray, labels: dict[str, str], out: Collector
) -> None:
    """Each observation's value follows its code's rule (unknown codes keep any value)."""
    pairs = obs[["code", "value"]].dropna()
    bad: list[int] = []
    rules: list[str] = []
    checked: dict[tuple[str, str], str | None] = {}
    for i, (code, value) in zip(pairs.index, pairs.itertuples(index=False), strict=True):
        if code not in CODE_BY_NAME:
            continue
        key = (str(code), str(value))
        if key not in checked:
            checked[key] = value_problem(*key)
        if checked[key] is not None:
            bad.append(int(i))
            rules.append(str(checked[key]))
    raw = RawTable(labels["observations"], pd.DataFrame(), rows)
    out.add_rows(raw, bad, "value", obs["value"], rules)
