"""Table 2: factors by outcome group, with exact tests.

Seed 004 Table 2 compares patients with unfavourable and favourable recovery at 6 months
(``favourable_recovery_6m`` = no / yes): "Fisher's exact test (two-tailed) for dichotomous
variables and the Mann-Whitney U test for continuous variables" (004 section 1.5), printing
n (%), mean ± SD, median (IQ1, IQ3) and mean ranks, with the exact two-sided p; section 1.6.1
adds "U = 11, z = -2.02, and p = .048" for the initial MRC sum score.

Here the grouping is any column with two values, typically a criterion id of the outcomes
table; 'not_evaluable' patients are left out and counted in a remark. The summaries (which
factors are continuous, which levels are shown, n (%), mean ± SD, median (Q1, Q3)) come from
:mod:`myotrack.cohort.summaries`, as Table 1's do. For every factor:

- categorical: n (%) per group and Fisher's exact test, two-sided (Freeman-Halton for more
  than two levels), see :mod:`myotrack.cohort.fisher`;
- continuous: mean ± SD, median (Q1, Q3), mean ranks, U from both sides, z (normal
  approximation with tie correction, as SPSS prints it) and the p value of the method stated
  in the row: exact without ties, exact permutation distribution with ties, asymptotic for
  large groups (see :mod:`myotrack.cohort.mannwhitney`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

import pandas as pd

from myotrack.cohort import summaries as sm
from myotrack.cohort.fisher import FisherResult, fisher_exact
from myotrack.cohort.groups import as_text, require_columns, split
from myotrack.cohort.mannwhitney import EXACT_MAX_N, MannWhitneyResult, mann_whitney
from myotrack.cohort.table import CohortTable
from myotrack.cohort.variables import label as default_label
from myotrack.cohort.variables import patient_frame
from myotrack.errors import MyotrackError
from myotrack.tables import Dataset

#: Factors of the default Table 2 of a source (those without any value are skipped): 004 Table 2.
DEFAULT_FACTORS = (
    "female",
    "age_at_onset",
    "first_visit_day",
    "bmi",
    "initial_mrc_sum",
    "comorbidity_dysphagia",
    "comorbidity_dyspnea",
    "comorbidity_dropped_head",
    "comorbidity_weight_loss",
    "initial_ck",
    "comorbidity_myocarditis",
    "n_immunosuppressants_90d",
    "antibody",
    "relapse",
)


class GroupingError(MyotrackError):
    """A comparison needs a grouping with exactly two groups."""


@dataclass(frozen=True, eq=False)
class Comparison(CohortTable):
    """Table 2. ``groups``: the two group values (first, second); ``tests``: per factor the
    Mann-Whitney or Fisher result object."""

    groups: tuple[str, ...] = ()
    tests: Mapping[str, MannWhitneyResult | FisherResult] = field(default_factory=dict)


def _p_text(p: float) -> str:
    return "<0.001" if p < 0.001 else f"{p:.3f}"


def _num(x: float, decimals: int) -> str:
    return sm.number(x, decimals)


def compare(
    frame: pd.DataFrame,
    group_by: str,
    factors: Sequence[str],
    *,
    categorical: Iterable[str] = (),
    labels: Mapping[str, str] | None = None,
    decimals: int = 2,
    percent_decimals: int = 1,
    exact_max_n: int = EXACT_MAX_N,
    quantile_method: sm.QuantileMethod = sm.SPSS_QUANTILES,
    title: str | None = None,
) -> Comparison:
    """Compare ``factors`` of a patient-level ``frame`` between the two groups of ``group_by``.

    Raises GroupingError unless ``group_by`` has exactly two values among the evaluable
    patients; UnknownColumn for a column that ``frame`` does not have.
    """
    factors = [f for f in factors if f != group_by]
    require_columns(frame, [*factors, group_by])
    groups_col, grouping = split(frame, group_by)
    gname = (labels or {}).get(group_by) or default_label(group_by)
    if len(grouping.levels) != 2:
        raise GroupingError(
            f"'{group_by}' has {len(grouping.levels)} group(s) among evaluable patients "
            f"({', '.join(grouping.levels) or 'none'}); a comparison needs exactly two"
        )
    first, second = grouping.levels
    names = {c: (labels or {}).get(c) or default_label(c) for c in factors}
    cat_set = set(categorical)
    h1 = f"{gname}: {first} (n={grouping.sizes[0]})"
    h2 = f"{gname}: {second} (n={grouping.sizes[1]})"
    in1 = (groups_col == first).to_numpy()
    in2 = (groups_col == second).to_numpy()

    rows: list[dict[str, str]] = []
    numbers: list[dict[str, object]] = []
    tests: dict[str, MannWhitneyResult | FisherResult] = {}
    remarks = grouping.remarks(gname)
    missing_notes: list[str] = []
    untied_notes: list[str] = []
    methods: set[str] = set()

    for c in factors:
        series = frame[c]
        continuous = c not in cat_set and sm.is_continuous(series)
        if continuous:
            values = pd.to_numeric(series, errors="coerce")
            a = values[in1]
            b = values[in2]
        else:
            text = as_text(series)
            a = text[in1]
            b = text[in2]
        miss1, miss2 = int(a.isna().sum()), int(b.isna().sum())
        if miss1 or miss2:
            missing_notes.append(f"{names[c]} ({miss1} / {miss2})")
        base = {
            "factor": c,
            "label": names[c],
            "n_first": int(a.notna().sum()),
            "n_second": int(b.notna().sum()),
            "missing_first": miss1,
            "missing_second": miss2,
        }
        if continuous:
            s1 = sm.summarise(a, quantile_method)
            s2 = sm.summarise(b, quantile_method)
            if s1.n == 0 or s2.n == 0:
                rows.append(
                    {
                        "Factor": names[c],
                        "Statistic": "mean ± SD",
                        h1: sm.mean_sd(s1, decimals),
                        h2: sm.mean_sd(s2, decimals),
                        "U": "",
                        "z": "",
                        "p": "",
                        "Test": "no values in a group",
                    }
                )
                numbers.append({**base, "kind": "continuous", "method": "not tested"})
                continue
            mw = mann_whitney(a, b, exact_max_n=exact_max_n)
            tests[c] = mw
            methods.add(mw.method)
            if (
                mw.p_exact is not None
                and mw.p_exact_untied is not None
                and round(mw.p_exact, 3) != round(mw.p_exact_untied, 3)
            ):
                untied_notes.append(f"{names[c]} {_p_text(mw.p_exact_untied)}")
            u_text = f"{mw.u_first:g} / {mw.u_second:g}"
            rows.append(
                {
                    "Factor": names[c],
                    "Statistic": "mean ± SD",
                    h1: sm.mean_sd(s1, decimals),
                    h2: sm.mean_sd(s2, decimals),
                    "U": u_text,
                    "z": f"{mw.z:.2f}",
                    "p": _p_text(mw.p),
                    "Test": f"Mann-Whitney U, {mw.method}",
                }
            )
            rows.append(
                {
                    "Factor": "",
                    "Statistic": "median (Q1, Q3)",
                    h1: sm.median_text(s1, "iqr", decimals),
                    h2: sm.median_text(s2, "iqr", decimals),
                    "U": "",
                    "z": "",
                    "p": "",
                    "Test": "",
                }
            )
            rows.append(
                {
                    "Factor": "",
                    "Statistic": "mean rank",
                    h1: _num(mw.mean_rank_first, 2),
                    h2: _num(mw.mean_rank_second, 2),
                    "U": "",
                    "z": "",
                    "p": "",
                    "Test": "",
                }
            )
            numbers.append(
                {
                    **base,
                    "kind": "continuous",
                    "mean_first": s1.mean,
                    "sd_first": s1.sd,
                    "mean_second": s2.mean,
                    "sd_second": s2.sd,
                    "median_first": s1.median,
                    "median_second": s2.median,
                    "mean_rank_first": mw.mean_rank_first,
                    "mean_rank_second": mw.mean_rank_second,
                    "u_first": mw.u_first,
                    "u_second": mw.u_second,
                    "z": mw.z,
                    "p": mw.p,
                    "p_exact": mw.p_exact,
                    "p_exact_untied": mw.p_exact_untied,
                    "p_asymptotic": mw.p_asymptotic,
                    "method": mw.method,
                }
            )
        else:
            present = sorted(str(v) for v in pd.unique(pd.concat([a, b]).dropna()))
            shown = sm.shown_levels(pd.concat([a, b]))
            if not present:
                rows.append(
                    {
                        "Factor": names[c],
                        "Statistic": "n (%)",
                        h1: "-",
                        h2: "-",
                        "U": "",
                        "z": "",
                        "p": "",
                        "Test": "no values",
                    }
                )
                numbers.append({**base, "kind": "categorical", "method": "not tested"})
                continue
            table = [[int((a == v).sum()) for v in present], [int((b == v).sum()) for v in present]]
            fr = fisher_exact(table)
            tests[c] = fr
            methods.add(fr.method)
            for i, v in enumerate(shown):
                c1, c2 = sm.count_level(a, v), sm.count_level(b, v)
                k1, k2 = c1.count, c2.count
                lead = i == 0
                factor_text = (
                    names[c] + ("" if shown == ["yes"] else f": {v}") if lead else f"  {v}"
                )
                rows.append(
                    {
                        "Factor": factor_text,
                        "Statistic": "n (%)",
                        h1: sm.level_percent(c1, percent_decimals),
                        h2: sm.level_percent(c2, percent_decimals),
                        "U": "",
                        "z": "",
                        "p": _p_text(fr.p) if lead else "",
                        "Test": fr.method if lead else "",
                    }
                )
                numbers.append(
                    {
                        **base,
                        "kind": "categorical",
                        "level": v,
                        "count_first": k1,
                        "count_second": k2,
                        "p": fr.p,
                        "odds_ratio": fr.odds_ratio,
                        "method": fr.method,
                    }
                )

    if missing_notes:
        remarks.append(
            f"Missing values (not counted in any percentage or test), {first} / {second}: "
            + ", ".join(missing_notes)
            + "."
        )
    if any(isinstance(t, MannWhitneyResult) for t in tests.values()):
        remarks.append(
            "Mann-Whitney U: U is given from both groups' sides (U1 + U2 = n1 x n2); z is the normal "
            f"approximation with tie correction, signed from the '{first}' group's U (SPSS prints the same |z|); "
            "mean ranks are of the pooled mid-ranks; p is exact (two-sided) unless the Test column says asymptotic."
        )
    if untied_notes:
        remarks.append(
            "With ties the exact permutation p differs from the p SPSS prints as 'Exact Sig. "
            "[2*(1-tailed Sig.)]' (not corrected for ties): " + ", ".join(untied_notes) + "."
        )
    if any(isinstance(t, FisherResult) for t in tests.values()):
        remarks.append(
            "Categorical factors: Fisher's exact test, two-sided (Freeman-Halton extension for more "
            "than two levels); yes/no factors show the 'yes' row."
        )
    remarks.append("No adjustment for multiple comparisons.")
    return Comparison(
        title or f"Table 2: factors by {gname}",
        pd.DataFrame(rows).fillna(""),
        tuple(remarks),
        pd.DataFrame(numbers),
        groups=(first, second),
        tests=tests,
    )


def compare_dataset(
    ds: Dataset,
    group_by: str,
    factors: Sequence[str] | None = None,
    outcomes: pd.DataFrame | None = None,
    **options: object,
) -> Comparison:
    """Table 2 of a source. ``outcomes`` (the outcomes frame) is computed with the default
    parameters when not given and ``group_by`` is a criterion id."""
    if outcomes is None:
        from myotrack.criteria import CRITERIA, evaluate

        if group_by in CRITERIA:
            outcomes = evaluate(ds).frame
    frame = patient_frame(ds, outcomes)
    if factors is None:
        factors = [
            c
            for c in DEFAULT_FACTORS
            if c in frame.columns and c != group_by and frame[c].notna().any()
        ]
    return compare(frame, group_by, factors, **options)  # type: ignore[arg-type]
