"""Response, relapse and remission rates per therapy and per antibody, with exact intervals.

A rate is ``yes / (yes + no)`` of one criterion of the outcomes table among the patients of a
group; 'not_evaluable' patients are left out of the denominator and counted. Every rate has
the Clopper-Pearson (exact) and Wilson 95% intervals of :mod:`myotrack.cohort.intervals`;
with a few patients per group the intervals, not the rates, are the message.

Groups:

- ``antibody``: the patient's antibody (or any other patient-level column);
- ``therapy``: for a criterion anchored to a therapy (``<id>__anchor_drug``, e.g. the 002
  escalation therapy of ``definite_response`` or rituximab for ``rtx_response``) the anchor
  drug of each patient; for the others (recovery, relapse, remission) every drug other than a
  glucocorticoid of the patient's initial regimen (the drugs started within 3 months of the
  first immunotherapy, ``initial_regimen``), or 'glucocorticoid only'. These groups overlap: a
  patient who started azathioprine and IVIg counts in both.
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from myotrack.cohort.groups import NOT_EVALUABLE, as_text, require_columns
from myotrack.cohort.intervals import proportion
from myotrack.cohort.table import CohortTable
from myotrack.cohort.variables import label, patient_frame
from myotrack.tables import Dataset
from myotrack.tables.vocab import DRUG_BY_NAME

#: Criteria whose rates the report shows by default.
DEFAULT_CRITERIA = (
    "definite_response",
    "rtx_response",
    "favourable_recovery_6m",
    "favourable_recovery_12m",
    "relapse",
    "complete_remission",
)
THERAPY = "therapy"
OVERALL = "all patients"


def _pct(x: float) -> str:
    return "-" if pd.isna(x) else f"{100 * x:.1f}%"


GC_ONLY = "glucocorticoid only"


def _regimen_drugs(regimen: object) -> list[str]:
    if not isinstance(regimen, str) or not regimen:
        return []
    drugs = regimen.split("+")
    others = [
        d
        for d in drugs
        if DRUG_BY_NAME.get(d) is None or DRUG_BY_NAME[d].drug_class != "glucocorticoid"
    ]
    return others or [GC_ONLY]


def _therapy_groups(frame: pd.DataFrame, criterion: str) -> pd.Series:
    """Per patient, the list of therapy groups it belongs to for ``criterion``."""
    anchor = f"{criterion}__anchor_drug"
    if anchor in frame.columns:
        return as_text(frame[anchor]).map(lambda d: [d] if d else [])
    if "initial_regimen" in frame.columns:
        return frame["initial_regimen"].map(_regimen_drugs)
    return pd.Series([[] for _ in range(len(frame))], index=frame.index, dtype=object)


def rates(
    frame: pd.DataFrame,
    criteria: Sequence[str] = DEFAULT_CRITERIA,
    by: Sequence[str] = (THERAPY, "antibody"),
    level: float = 0.95,
    title: str = "Rates with 95% confidence intervals",
) -> CohortTable:
    """Rates of ``criteria`` (columns of a patient-level frame with the outcomes joined)
    overall and per group of each ``by`` (``'therapy'`` or a column name)."""
    criteria = [c for c in criteria if c in frame.columns]
    require_columns(frame, [b for b in by if b != THERAPY])
    rows: list[dict[str, object]] = []
    excluded_notes: list[str] = []
    small = False
    for cid in criteria:
        values = as_text(frame[cid])
        n_ne = int((values == NOT_EVALUABLE).sum() + values.isna().sum())
        if n_ne:
            excluded_notes.append(f"{label(cid)} ({n_ne})")
        evaluable = values.isin(["yes", "no"])
        groupings: list[tuple[str, pd.Series]] = [
            (OVERALL, pd.Series([[OVERALL]] * len(frame), index=frame.index))
        ]
        for b in by:
            groupings.append(
                (
                    b,
                    _therapy_groups(frame, cid)
                    if b == THERAPY
                    else as_text(frame[b]).map(lambda v: [v] if v else []),
                )
            )
        for kind, groups in groupings:
            present = sorted({str(g) for gs in groups[evaluable] for g in gs})
            for g in present:
                member = groups.map(lambda gs, g=g: g in gs)
                sel = evaluable & member
                k = int((values[sel] == "yes").sum())
                n = int(sel.sum())
                pr = proportion(k, n, level)
                small = small or n < 10
                rows.append(
                    {
                        "criterion": cid,
                        "by": kind,
                        "group": g,
                        "yes": k,
                        "evaluable": n,
                        "not_evaluable": int(((values == NOT_EVALUABLE) & member).sum()),
                        "rate": pr.rate,
                        "exact_lower": pr.exact_lower,
                        "exact_upper": pr.exact_upper,
                        "wilson_lower": pr.wilson_lower,
                        "wilson_upper": pr.wilson_upper,
                    }
                )
    numbers = pd.DataFrame(
        rows,
        columns=[
            "criterion",
            "by",
            "group",
            "yes",
            "evaluable",
            "not_evaluable",
            "rate",
            "exact_lower",
            "exact_upper",
            "wilson_lower",
            "wilson_upper",
        ],
    )
    pct = round(level * 100)
    shown = pd.DataFrame(
        {
            "Outcome": [label(c) for c in numbers["criterion"]],
            "By": numbers["by"],
            "Group": numbers["group"],
            "Yes / evaluable": [
                f"{k} / {n}" for k, n in zip(numbers["yes"], numbers["evaluable"], strict=True)
            ],
            "Rate": [_pct(r) for r in numbers["rate"]],
            f"{pct}% CI exact (Clopper-Pearson)": [
                f"{_pct(lo)}-{_pct(hi)}"
                for lo, hi in zip(numbers["exact_lower"], numbers["exact_upper"], strict=True)
            ],
            f"{pct}% CI Wilson": [
                f"{_pct(lo)}-{_pct(hi)}"
                for lo, hi in zip(numbers["wilson_lower"], numbers["wilson_upper"], strict=True)
            ],
            "Not evaluable": numbers["not_evaluable"],
        }
    )
    remarks = [
        "Rate = yes / (yes + no); patients not evaluable for an outcome are not in its denominator."
    ]
    if excluded_notes:
        remarks.append("Not evaluable (or no value): " + ", ".join(excluded_notes) + ".")
    if THERAPY in by:
        remarks.append(
            "Therapy: the anchor drug of a therapy-anchored criterion (e.g. the escalation therapy of "
            "definite response); otherwise each non-glucocorticoid drug started within 3 months of the "
            "first immunotherapy (groups overlap: a patient on two such drugs counts in both)."
        )
    if small:
        remarks.append(
            "Groups with fewer than 10 evaluable patients: read the intervals, not the rates."
        )
    return CohortTable(title, shown, tuple(remarks), numbers)


def rates_dataset(
    ds: Dataset,
    outcomes: pd.DataFrame | None = None,
    criteria: Sequence[str] = DEFAULT_CRITERIA,
    by: Sequence[str] = (THERAPY, "antibody"),
    level: float = 0.95,
) -> CohortTable:
    """Rates of a source; its outcomes are evaluated with the default parameters if not given."""
    if outcomes is None:
        from myotrack.criteria import evaluate

        outcomes = evaluate(ds).frame
    return rates(patient_frame(ds, outcomes), criteria, by, level)
