"""The IMACS core set criteria: 2016 ACR/EULAR Total Improvement Score and IMACS 2004 DOI.

Sources: Aggarwal R, Rider LG, Ruperto N, et al. Arthritis Rheumatol 2017;69:898-910 (TIS;
adult thresholds minimal >= 20, moderate >= 40, major >= 60; juvenile 30/45/70); Rider LG,
Giannini EH, Brunner HI, et al. Arthritis Rheum 2004;50:2281-90 (definition of improvement).
The scoring itself is in :mod:`myotrack.measures.tis` and :mod:`myotrack.measures.imacs`.

- Anchor: the first immunotherapy start (or the ``--anchor`` drug).
- Baseline: the last visit at or before the anchor, no earlier than ``baseline_lookback_days``
  (120) before it, with any core set measure.
- Follow-up: the visit with any core set measure nearest to anchor + ``tis_months`` (6)
  months, within +/- ``window_days``.
- The enzyme is the most abnormal one at baseline (highest value / ULN among CK, aldolase, LDH,
  ALT, AST), followed to the same enzyme at follow-up.
- TIS: ``yes`` when at least minimal improvement (score >= 20 adult, 30 juvenile), ``no``
  below it; not evaluable when a measure is missing at either visit (no imputation).
- IMACS DOI: ``yes``/``no`` when the assessed measures decide it, else not evaluable.
"""

from __future__ import annotations

import math

import ibis
import ibis.expr.types as ir
import pandas as pd

from myotrack.criteria.base import NE, NO, YES, Context, Criterion, Params
from myotrack.criteria.timepoints import anchored, nearest
from myotrack.measures.coreset import CoreSet, CoreSetScales
from myotrack.measures.imacs import imacs_doi
from myotrack.measures.tis import THRESHOLDS, Population, total_improvement_score

CORE = ("physician_global", "patient_global", "mmt8", "haq", "extramuscular_global")
ENZYMES = ("ck", "aldolase", "ldh", "alt", "ast")

CRITERIA = (
    Criterion(
        "tis",
        "2016 ACR/EULAR Total Improvement Score: at least minimal improvement",
        "Aggarwal et al., Arthritis Rheumatol 2017;69:898-910",
        {
            "anchor": "first immunotherapy start",
            "months": "6",
            "population": "adult (20/40/60)",
            "mmt_max": "80",
        },
        "first immunotherapy",
        ("score", "category", "baseline_day", "followup_day"),
    ),
    Criterion(
        "imacs_doi",
        "IMACS 2004 definition of improvement",
        "Rider et al., Arthritis Rheum 2004;50:2281-90",
        {"anchor": "first immunotherapy start", "months": "6"},
        "first immunotherapy",
        ("improved", "worsened"),
    ),
)


def _rows(ctx: Context) -> ir.Table:
    p = ctx.params
    cols = [*CORE, *ENZYMES, *(f"{e}_uln" for e in ENZYMES)]
    a = anchored(ctx)
    any_core = (
        ibis.or_(*[a[c].notnull() for c in CORE])
        | a.ck.notnull()
        | a.aldolase.notnull()
        | a.ldh.notnull()
    )
    a = a.mutate(has_core=any_core.ifelse(1, ibis.null("int64")))
    b = a.filter(
        a.has_core.notnull()
        & (a.day <= a.anchor_day)
        & (a.day >= a.anchor_day - p.baseline_lookback_days)
    )
    wb = ibis.window(group_by="patient_id", order_by=ibis.desc(b.day))
    b = b.mutate(rn=ibis.row_number().over(wb))
    b = b.filter(b.rn == 0).select("patient_id", b_day=b.day, **{f"b_{c}": b[c] for c in cols})
    ctx2 = Context(
        ctx.patients,
        ctx.visits,
        ctx.strength,
        ctx.treatments,
        ctx.events,
        a,
        ctx.immuno_start,
        ctx.params,
    )
    f = nearest(ctx2, "has_core", p.tis_months).select("patient_id", f_day="day")
    f = f.inner_join(
        a.select("patient_id", "day", *cols), [f.patient_id == a.patient_id, f.f_day == a.day]
    )
    f = f.select("patient_id", "f_day", **{f"f_{c}": f[c] for c in cols})
    return b.inner_join(f, "patient_id").select(~ibis.selectors.matches("_right$"))


def _coreset(row: pd.Series, prefix: str, enzyme: str | None) -> CoreSet:
    def get(c: str) -> float | None:
        v = row[f"{prefix}{c}"]
        return None if v is None or pd.isna(v) else float(v)

    return CoreSet(**{c: get(c) for c in CORE}, enzyme=get(enzyme) if enzyme else None)


def _most_abnormal(row: pd.Series) -> str | None:
    best, best_ratio = None, -math.inf
    for e in ENZYMES:
        v, u = row[f"b_{e}"], row[f"b_{e}_uln"]
        if v is None or u is None or pd.isna(v) or pd.isna(u) or u <= 0:
            continue
        if v / u > best_ratio:
            best, best_ratio = e, v / u
    return best


def pairs(ctx: Context) -> ir.Table:
    """The query: per patient, the baseline and follow-up core set values."""
    return _rows(ctx)


def finish(
    pairs_frame: pd.DataFrame, immuno: pd.DataFrame, patients: pd.Series, p: Params
) -> pd.DataFrame:
    """Score TIS and IMACS DOI for every pair; every other patient is not evaluable with a reason."""
    scales = CoreSetScales(mmt8=p.tis_mmt_max)
    population: Population = "juvenile" if p.tis_population == "juvenile" else "adult"
    recs = {}
    for row in pairs_frame.to_dict("records"):
        r = pd.Series(row)
        enzyme = _most_abnormal(r)
        base, follow = _coreset(r, "b_", enzyme), _coreset(r, "f_", enzyme)
        tis = total_improvement_score(base, follow, population=population, scales=scales)
        doi = imacs_doi(base, follow)
        days = f"visits day {int(r['b_day'])} -> day {int(r['f_day'])}"
        recs[r["patient_id"]] = {
            "tis": NE
            if tis.score is None
            else (YES if tis.score >= THRESHOLDS[population][0] else NO),
            "tis__score": tis.score,
            "tis__category": tis.category,
            "tis__baseline_day": int(r["b_day"]),
            "tis__followup_day": int(r["f_day"]),
            "tis__why": f"{days}: points "
            + ", ".join(f"{k} {v:g}" for k, v in tis.points_by_measure.items())
            + (f"; enzyme {enzyme}" if enzyme else ""),
            "tis__reason": ""
            if tis.score is not None
            else "missing at baseline or follow-up: " + ", ".join(tis.missing),
            "imacs_doi": NE if doi.met is None else (YES if doi.met else NO),
            "imacs_doi__improved": ";".join(doi.improved),
            "imacs_doi__worsened": ";".join(doi.worsened),
            "imacs_doi__why": f"{days}: {doi.summary()}",
            "imacs_doi__reason": ""
            if doi.met is not None
            else "undecided with missing " + ", ".join(doi.missing),
        }
    anchored_ids = set(immuno["patient_id"])
    no_pair = (
        f"no core set visit both at baseline (<= {p.baseline_lookback_days} days before the anchor) "
        f"and within +/-{p.window_days} days of {p.tis_months:g} months after it"
    )
    rows = []
    for pid in patients:
        if pid in recs:
            rows.append({"patient_id": pid, **recs[pid]})
        else:
            reason = no_pair if pid in anchored_ids else "no immunotherapy with a start day"
            rows.append(
                {
                    "patient_id": pid,
                    "tis": NE,
                    "tis__reason": reason,
                    "imacs_doi": NE,
                    "imacs_doi__reason": reason,
                }
            )
    cols = [
        "patient_id",
        "tis",
        "tis__score",
        "tis__category",
        "tis__baseline_day",
        "tis__followup_day",
        "tis__why",
        "tis__reason",
        "imacs_doi",
        "imacs_doi__improved",
        "imacs_doi__worsened",
        "imacs_doi__why",
        "imacs_doi__reason",
    ]
    frame = pd.DataFrame(rows, columns=cols)
    return frame.astype({"tis__score": "float64"})
