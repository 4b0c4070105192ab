"""What the reader adds from elsewhere in the same source: reference ranges, the antibody.

- A lab value without its ULN takes the upper limit of normal from the source's
  ``reference_ranges`` table, matched on the patient's ``site`` and the visit's ``lab``; the
  most specific row wins (site and lab, then site, then lab, then a row for every site and
  laboratory). Without a matching row the ULN stays unknown, and every criterion that needs it
  says so. Two rows for the same site, lab and analyte with different limits are an error.
- An empty ``patients.antibody`` is derived from the observations when they hold a positive
  anti-SRP or anti-HMGCR test and not both (a warning says so); it is never set from nothing.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from myotrack.tables.problems import Collector, RawTable
from myotrack.tables.schema import ENZYMES

_ANTIBODY_TESTS = {"anti_srp": "SRP", "anti_hmgcr": "HMGCR"}


def apply_reference_ranges(
    visits: pd.DataFrame,
    patients: pd.DataFrame,
    ranges: pd.DataFrame,
    raw: RawTable,
    out: Collector,
) -> pd.DataFrame:
    """``visits`` with each missing ULN taken from ``ranges`` (read from ``raw``)."""
    if ranges.empty or visits.empty:
        return visits
    keyed = ranges.assign(site=ranges["site"].fillna(""), lab=ranges["lab"].fillna(""))
    keys = keyed[["site", "lab", "analyte"]]
    clash = keyed.duplicated(["site", "lab", "analyte"], keep=False) & ~keyed.duplicated(
        ["site", "lab", "analyte", "uln"], keep=False
    )
    out.add_many(
        raw,
        clash.to_numpy(),
        "uln",
        "two reference ranges for the same site, lab and analyte differ",
        ranges["uln"],
    )
    limit = {tuple(k): u for k, u in zip(keys.itertuples(index=False), keyed["uln"], strict=True)}
    site_of = dict(zip(patients["patient_id"], patients["site"].fillna(""), strict=True))
    site = visits["patient_id"].map(site_of).fillna("").to_numpy(dtype=object)
    lab = visits["lab"].fillna("").to_numpy(dtype=object)
    out_visits = visits.copy(deep=False)  # columns replaced, never written into
    for enzyme in ENZYMES:
        if not (ranges["analyte"] == enzyme).any():
            continue
        given = visits[enzyme].notna().to_numpy() | (visits[f"{enzyme}_state"] != "").to_numpy()
        missing = np.flatnonzero(given & visits[f"{enzyme}_uln"].isna().to_numpy())
        if missing.size == 0:
            continue
        uln = out_visits[f"{enzyme}_uln"].to_numpy(dtype=float, na_value=np.nan).copy()
        for i in missing:
            for key in ((site[i], lab[i]), (site[i], ""), ("", lab[i]), ("", "")):
                found = limit.get((*key, enzyme))
                if found is not None:
                    uln[i] = found
                    break
        out_visits[f"{enzyme}_uln"] = uln
    return out_visits


def derive_antibody(
    patients: pd.DataFrame,
    observations: pd.DataFrame,
    label: str,
    rows: np.ndarray,
    out: Collector,
) -> pd.DataFrame:
    """``patients`` with an empty antibody taken from one positive SRP or HMGCR test."""
    tests = observations[observations["code"].isin(list(_ANTIBODY_TESTS))]
    positive = tests[tests["value"].fillna("").str.strip().str.lower() == "positive"]
    if positive.empty:
        return patients
    found = positive.groupby("patient_id")["code"].agg(lambda c: sorted(set(c)))
    result = patients.copy()
    antibody = result["antibody"].to_numpy(dtype=object).copy()
    raw = RawTable(label, pd.DataFrame(), rows)
    for i, pid in enumerate(result["patient_id"]):
        if antibody[i] is not None or pid not in found.index:
            continue
        codes = found[pid]
        if len(codes) == 1:
            antibody[i] = _ANTIBODY_TESTS[codes[0]]
            rule = f"antibody taken from the observations: a positive {codes[0]} test"
        else:
            rule = "antibody left empty: the observations hold positive SRP and HMGCR tests"
        mask = np.zeros(len(result), dtype=bool)
        mask[i] = True
        out.add_many(raw, mask, "antibody", rule, None, severity="warning")
    result["antibody"] = antibody
    return result
