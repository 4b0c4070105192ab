"""Table 1: the cohort described, overall and by a grouping.

The layout follows seed 004 Table 1 (and Table 2's group columns): ``n (%)`` for categorical
variables; for continuous ones a row ``mean ± SD (range)`` and a row ``median (Q1, Q3)`` (or
``median (range)``); a ``Missing`` column counting unknown values, which are never in a
denominator. Counts, means, SDs, medians, ranges and quartiles (SPSS's definition) come from
:mod:`myotrack.cohort.summaries`, the same functions Table 2 uses, so a variable reads the
same in both tables.

With a grouping, each variable gets an exact test (where tableone would run chi-squared,
t-tests or asymptotic Kruskal-Wallis): Fisher's exact test, two-sided, for categorical
variables (Freeman-Halton for more than two levels or groups); the exact Mann-Whitney U test
for continuous variables with two groups; Kruskal-Wallis (asymptotic; no exact version is
computed) with three or more groups. Numbered remarks under the table list the caveats.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Literal

import numpy as np
import pandas as pd
from scipy import stats

from myotrack.cohort import summaries as sm
from myotrack.cohort.fisher import fisher_exact
from myotrack.cohort.groups import as_text, require_columns, split
from myotrack.cohort.mannwhitney import mann_whitney
from myotrack.cohort.table import CohortTable
from myotrack.cohort.variables import label as default_label
from myotrack.cohort.variables import patient_frame
from myotrack.tables import Dataset

MedianStyle = Literal["iqr", "range"]

#: Variables of the default Table 1 of a source (those with no value at all are skipped).
DEFAULT_COLUMNS = (
    "female",
    "age_at_onset",
    "antibody",
    "statin_exposure",
    "bmi",
    "first_visit_day",
    "initial_mrc_sum",
    "initial_mmt8",
    "initial_mrs",
    "initial_ck",
    "initial_ck_x_uln",
    "follow_up_days",
)

OVERALL = "Overall"


def describe(
    frame: pd.DataFrame,
    columns: Sequence[str],
    group_by: str | None = None,
    *,
    categorical: Iterable[str] = (),
    labels: Mapping[str, str] | None = None,
    decimals: int = 2,
    percent_decimals: int = 1,
    median_style: MedianStyle = "iqr",
    quantile_method: sm.QuantileMethod = sm.SPSS_QUANTILES,
    title: str | None = None,
) -> CohortTable:
    """Describe ``columns`` of a patient-level ``frame``, overall and by ``group_by``.

    A column is continuous when it is numeric and not listed in ``categorical``. Yes/no
    variables show the 'yes' row only (n (%) with yes). ``frame`` is not modified.
    """
    cols = list(columns)
    require_columns(frame, cols + ([group_by] if group_by else []))
    names = {c: (labels or {}).get(c) or default_label(c) for c in cols}
    cat_set = set(categorical)
    cont = [c for c in cols if c not in cat_set and sm.is_continuous(frame[c])]
    cat = [c for c in cols if c not in cont]
    data = pd.DataFrame({c: pd.to_numeric(frame[c], errors="coerce") for c in cont})
    for c in cat:
        data[c] = as_text(frame[c])
    remarks: list[str] = []

    groups: list[str] = []
    sizes: list[int] = []
    gname = ""
    if group_by:
        kept, grouping = split(frame, group_by)
        data["_group"] = kept.to_numpy()
        groups, sizes = list(grouping.levels), list(grouping.sizes)
        gname = (labels or {}).get(group_by) or default_label(group_by)
        remarks += grouping.remarks(gname)

    grouped = data[data["_group"].notna()] if group_by else data

    def source(level: str) -> pd.DataFrame:
        return data if level == OVERALL else grouped[grouped["_group"] == level]

    levels = [OVERALL, *groups]
    headers = {OVERALL: f"Overall (n={len(frame)})"}
    for lvl, n in zip(groups, sizes, strict=True):
        headers[lvl] = f"{gname}: {lvl} (n={n})"
    rows: list[dict[str, str]] = [
        {
            "Variable": "n",
            "Level": "",
            "Missing": "",
            **{headers[lvl]: str(len(source(lvl))) for lvl in levels},
        }
    ]
    numbers: list[dict[str, object]] = []
    missing_notes: list[str] = []
    sd_undefined: list[str] = []
    nonnormal: list[str] = []
    tests_used: set[str] = set()

    for c in cols:
        n_missing = int(data[c].isna().sum())
        if n_missing:
            missing_notes.append(f"{names[c]} ({n_missing})")
        test_name, p = (
            _test(c, c in cont, grouped, groups) if group_by and len(groups) >= 2 else ("", None)
        )
        if test_name:
            tests_used.add(test_name)
        p_text = "" if p is None else _p_text(p)
        if c in cont:
            cells_a: dict[str, str] = {}
            cells_b: dict[str, str] = {}
            for lvl in levels:
                s = sm.summarise(source(lvl)[c], quantile_method)
                if 0 < s.n < 2:
                    sd_undefined.append(f"{names[c]} ({lvl})")
                cells_a[headers[lvl]] = sm.mean_sd_range(s, decimals)
                cells_b[headers[lvl]] = sm.median_text(s, median_style, decimals)
                numbers.append({"variable": c, "level": "", "group": lvl, **s.__dict__})
            sub_all = data[c].dropna()
            if len(sub_all) >= 3 and sub_all.nunique() > 1:
                w = stats.shapiro(sub_all.to_numpy(dtype=float))
                if w.pvalue < 0.05:
                    nonnormal.append(f"{names[c]} (p {_p_text(float(w.pvalue), ' = ')})")
            med = "median (Q1, Q3)" if median_style == "iqr" else "median (range)"
            rows.append(
                {
                    "Variable": names[c],
                    "Level": "mean ± SD (range)",
                    "Missing": str(n_missing),
                    **cells_a,
                    "p": p_text,
                    "Test": test_name,
                }
            )
            rows.append(
                {"Variable": "", "Level": med, "Missing": "", **cells_b, "p": "", "Test": ""}
            )
        else:
            shown = sm.shown_levels(data[c])
            for i, value in enumerate(shown):
                cells: dict[str, str] = {}
                for lvl in levels:
                    k = sm.count_level(source(lvl)[c], value)
                    cells[headers[lvl]] = sm.level_percent(k, percent_decimals)
                    numbers.append(
                        {
                            "variable": c,
                            "level": value,
                            "group": lvl,
                            "count": k.count,
                            "n": k.n,
                            "missing": k.missing,
                        }
                    )
                first = i == 0
                rows.append(
                    {
                        "Variable": names[c] + ", n (%)" if first else "",
                        "Level": value,
                        "Missing": str(n_missing) if first else "",
                        **cells,
                        "p": p_text if first else "",
                        "Test": test_name if first else "",
                    }
                )
            if not shown:
                rows.append(
                    {
                        "Variable": names[c] + ", n (%)",
                        "Level": "",
                        "Missing": str(n_missing),
                        **{headers[lvl]: "-" for lvl in levels},
                        "p": "",
                        "Test": "",
                    }
                )
        if test_name:
            numbers.append({"variable": c, "level": "", "group": "test", "test": test_name, "p": p})

    out = pd.DataFrame(rows).fillna("")
    if not group_by:
        out = out.drop(columns=[c for c in ("p", "Test") if c in out.columns])
    if missing_notes:
        remarks.append(
            "Percentages and summaries are of the patients with a known value; "
            "values are missing for " + ", ".join(missing_notes) + "."
        )
    if sd_undefined:
        remarks.append("SD is undefined with a single value: " + ", ".join(sd_undefined) + ".")
    if nonnormal:
        remarks.append(
            "Shapiro-Wilk test suggests a non-normal distribution for "
            + ", ".join(nonnormal)
            + "; the median is the better summary."
        )
    if any(c in cont for c in cols):
        rule = (
            "SPSS's default (weighted average at (n+1)p)"
            if quantile_method == sm.SPSS_QUANTILES
            else f"numpy method '{quantile_method}'"
        )
        remarks.append(f"Quartiles by {rule}; SD is the sample SD (n-1).")
    if tests_used:
        remarks.append(
            "p values: "
            + "; ".join(sorted(tests_used))
            + "; two-sided, no adjustment for multiple comparisons."
        )
    return CohortTable(
        title or ("Table 1: cohort description" + (f" by {gname}" if gname else "")),
        out,
        tuple(remarks),
        pd.DataFrame(numbers),
    )


def _p_text(p: float, equals: str = "") -> str:
    return "<0.001" if p < 0.001 else f"{equals}{p:.3f}"


def _test(
    column: str, continuous: bool, grouped: pd.DataFrame, groups: list[str]
) -> tuple[str, float | None]:
    sub = grouped[[column, "_group"]].dropna()
    if sub.empty:
        return "", None
    if not continuous:
        table = pd.crosstab(sub["_group"], sub[column]).reindex(groups, fill_value=0)
        res = fisher_exact(table.to_numpy())
        return res.method, res.p
    samples = [sub.loc[sub["_group"] == g, column].to_numpy(dtype=float) for g in groups]
    if any(len(s) == 0 for s in samples):
        return "", None
    if len(groups) == 2:
        mw = mann_whitney(samples[0], samples[1])
        return f"Mann-Whitney U, {mw.method}", mw.p
    if len(np.unique(np.concatenate(samples))) < 2:
        return "Kruskal-Wallis (asymptotic)", 1.0
    return "Kruskal-Wallis (asymptotic)", float(stats.kruskal(*samples).pvalue)


def describe_dataset(
    ds: Dataset,
    columns: Sequence[str] | None = None,
    group_by: str | None = None,
    outcomes: pd.DataFrame | None = None,
    **options: object,
) -> CohortTable:
    """Table 1 of a source: ``columns`` (default: the usual baseline variables that have
    values) of :func:`myotrack.cohort.variables.patient_frame`, by ``group_by``."""
    frame = patient_frame(ds, outcomes)
    if columns is None:
        columns = [c for c in DEFAULT_COLUMNS if c in frame.columns and frame[c].notna().any()]
    return describe(frame, columns, group_by, **options)  # type: ignore[arg-type]
