"""One row per patient: the variables a cohort table describes and compares.

Built from the five tables (and, when given, the outcomes table of
:func:`myotrack.criteria.evaluate`). Names are stable, lower_snake_case, and can be asked for
by ``describe``, ``compare`` and ``myotrack report --group-by``:

- from ``patients``: ``sex``, ``female`` (yes/no; empty when sex is unknown or other),
  ``age_at_onset``, ``antibody``, ``statin_exposure``, ``height_cm``, ``weight_kg``, ``bmi``
  (weight / height², both from the patients table), ``site``;
- ``comorbidity_<term>`` (yes/no) for every comorbidity term present in the source. A patient
  whose list does not name the term counts as 'no': the list is read as what was recorded;
- ``initial_<measure>``: the value at the earliest visit that records it (the presentation
  value in a paper's Table 1), for ``ck``, ``ck_x_uln``, ``mrc_sum``, ``mmt8``, ``mrs`` and
  ``prednisone_mg_day``; ``last_<measure>`` likewise at the latest visit;
- ``first_visit_day``, ``last_visit_day``, ``follow_up_days`` (last minus first visit day);
  with day 0 at symptom onset, ``first_visit_day`` is the disease duration at presentation;
- ``first_treatment_day``: start of the first dated immunotherapy course (statins are not
  immunotherapy), the default anchor of the criteria; ``initial_regimen``: the drugs started
  within ``regimen_days`` (default 90, the '3 months' of 004 Table 2) of that course, joined with '+' in
  the order of the drug vocabulary; ``n_immunosuppressants_90d``: how many different
  non-glucocorticoid drugs were among them; ``received_<drug>`` (yes/no) for every drug of
  the source;
- every outcome column of the outcomes table (``<criterion>`` and ``<criterion>__<detail>``).
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from myotrack.criteria import CRITERIA
from myotrack.criteria.base import NOT_IMMUNOTHERAPY
from myotrack.tables import Dataset
from myotrack.tables.vocab import DRUGS, drug_class

MEASURES = ("ck", "ck_x_uln", "mrc_sum", "mmt8", "mrs", "prednisone_mg_day")
REGIMEN_DAYS = 90

#: Display labels of the variables this module derives (others are shown by name).
LABELS: Mapping[str, str] = {
    "sex": "Sex",
    "female": "Female",
    "age_at_onset": "Age at onset (years)",
    "antibody": "Antibody",
    "statin_exposure": "Statin exposure",
    "height_cm": "Height (cm)",
    "weight_kg": "Weight (kg)",
    "bmi": "BMI (kg/m²)",
    "site": "Site",
    "initial_ck": "Initial CK (U/L)",
    "initial_ck_x_uln": "Initial CK (× ULN)",
    "initial_mrc_sum": "Initial MRC sum score (0-60)",
    "initial_mmt8": "Initial MMT-8 (0-80)",
    "initial_mrs": "Initial mRS (0-6)",
    "initial_prednisone_mg_day": "Initial prednisone (mg/day)",
    "last_mrc_sum": "Last MRC sum score (0-60)",
    "last_mrs": "Last mRS (0-6)",
    "last_ck_x_uln": "Last CK (× ULN)",
    "first_visit_day": "Days from index to first visit",
    "follow_up_days": "Follow-up (days)",
    "first_treatment_day": "Days from index to first treatment",
    "initial_regimen": "Initial regimen (first 3 months)",
    "n_immunosuppressants_90d": "Immunosuppressants started within 3 months",
}

_DRUG_ORDER = {d.name: i for i, d in enumerate(DRUGS)}


def label(name: str) -> str:
    """A readable label for a variable name (a criterion id reads as the criterion's title)."""
    if name in LABELS:
        return LABELS[name]
    if name in CRITERIA:
        return CRITERIA[name].title
    for prefix, text in (("comorbidity_", ""), ("received_", "Received ")):
        if name.startswith(prefix):
            return (text + name[len(prefix) :].replace("_", " ")).capitalize()
    return name.replace("__", ": ").replace("_", " ")


def _yes_no(mask: pd.Series, known: pd.Series | None = None) -> pd.Series:
    out = pd.Series(
        np.where(mask.to_numpy(dtype=bool), "yes", "no"), index=mask.index, dtype=object
    )
    if known is not None:
        out = out.where(known.to_numpy(dtype=bool), None)
    return out


def _first_last(visits: pd.DataFrame, column: str, last: bool) -> pd.Series:
    v = visits.loc[visits[column].notna() & visits["day"].notna(), ["patient_id", "day", column]]
    if v.empty:
        return pd.Series(dtype=float)
    v = v.sort_values(["patient_id", "day"], kind="mergesort")
    picked = (
        v.groupby("patient_id", sort=False).tail(1)
        if last
        else v.groupby("patient_id", sort=False).head(1)
    )
    return picked.set_index("patient_id")[column].astype(float)


def _measures(ds: Dataset) -> pd.DataFrame:
    v = ds.visits.copy()
    v["ck_x_uln"] = v["ck"].astype(float) / v["ck_uln"].astype(float)
    out = pd.DataFrame(index=pd.Index(ds.patient_ids, name="patient_id"))
    for m in MEASURES:
        out[f"initial_{m}"] = _first_last(v, m, last=False)
        out[f"last_{m}"] = _first_last(v, m, last=True)
    days = v.loc[v["day"].notna()].groupby("patient_id")["day"]
    out["first_visit_day"] = days.min().astype(float)
    out["last_visit_day"] = days.max().astype(float)
    out["follow_up_days"] = out["last_visit_day"] - out["first_visit_day"]
    return out


def _treatments(ds: Dataset, regimen_days: int) -> pd.DataFrame:
    t = ds.treatments
    ids = pd.Index(ds.patient_ids, name="patient_id")
    out = pd.DataFrame(index=ids)
    dated = t[t["start_day"].notna() & ~t["drug"].isin(NOT_IMMUNOTHERAPY)]
    first = dated.groupby("patient_id")["start_day"].min().astype(float)
    out["first_treatment_day"] = first
    early = dated.merge(first.rename("first").reset_index(), on="patient_id")
    early = early[early["start_day"].astype(float) <= early["first"] + regimen_days]
    regimen = early.groupby("patient_id")["drug"].agg(
        lambda s: "+".join(sorted(set(s), key=lambda d: _DRUG_ORDER.get(d, 999)))
    )
    out["initial_regimen"] = regimen
    not_gc = early["drug"].map(lambda d: drug_class(d) != "glucocorticoid").astype(bool)
    n_is = early[not_gc].groupby("patient_id")["drug"].nunique()
    out["n_immunosuppressants_90d"] = (
        n_is.reindex(ids).where(first.reindex(ids).notna()).astype(float)
    )
    out.loc[
        out["first_treatment_day"].notna() & out["n_immunosuppressants_90d"].isna(),
        "n_immunosuppressants_90d",
    ] = 0.0
    for drug in sorted(set(t["drug"].dropna()), key=lambda d: _DRUG_ORDER.get(d, 999)):
        took = set(t.loc[t["drug"] == drug, "patient_id"])
        out[f"received_{drug}"] = _yes_no(pd.Series(ids.isin(took), index=ids))
    return out


def patient_frame(
    ds: Dataset, outcomes: pd.DataFrame | None = None, regimen_days: int = REGIMEN_DAYS
) -> pd.DataFrame:
    """The patient-level variables of ``ds`` (one row per patient, in the patients' order).

    ``outcomes`` is the ``frame`` of :func:`myotrack.criteria.evaluate` for the same source;
    its columns are joined by ``patient_id``. Nothing of ``ds`` is modified.
    """
    p = ds.patients.set_index("patient_id", drop=False)
    out = pd.DataFrame(index=pd.Index(ds.patient_ids, name="patient_id"))
    out["patient_id"] = out.index
    for c in (
        "sex",
        "age_at_onset",
        "antibody",
        "statin_exposure",
        "height_cm",
        "weight_kg",
        "site",
    ):
        out[c] = p[c].reindex(out.index)
    sex = out["sex"]
    out["female"] = _yes_no(sex == "F", sex.isin(["F", "M"]))
    h = out["height_cm"].astype(float) / 100
    out["bmi"] = out["weight_kg"].astype(float) / (h * h)
    terms = (
        p["comorbidities"]
        .reindex(out.index)
        .map(lambda s: set(str(s).split(";")) if isinstance(s, str) and s else set())
    )
    for term in sorted(set().union(*terms.tolist()) if len(terms) else set()):
        out[f"comorbidity_{term}"] = _yes_no(terms.map(lambda s, t=term: t in s))
    out = out.join(_measures(ds)).join(_treatments(ds, regimen_days))
    return with_outcomes(out.reset_index(drop=True), outcomes)


def with_outcomes(frame: pd.DataFrame, outcomes: pd.DataFrame | None) -> pd.DataFrame:
    """A :func:`patient_frame` with the columns of ``outcomes`` it lacks, joined by
    ``patient_id`` (``frame`` itself when there are none)."""
    if outcomes is None:
        return frame
    extra = outcomes.set_index("patient_id")
    extra = extra[[c for c in extra.columns if c not in frame.columns]]
    return frame.join(extra, on="patient_id")
