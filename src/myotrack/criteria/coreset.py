"""The IMACS core set criteria: 2016 ACR/EULAR Total Improvement Score and IMACS 2004 DOI.

Sources: Aggarwal R, Rider LG, Ruperto N, et al. Arthritis Rheumatol 2017;69:898-910 (TIS;
adult thresholds minimal >= 20, moderate >= 40, major >= 60; juvenile 30/45/70); Rider LG,
Giannini EH, Brunner HI, et al. Arthritis Rheum 2004;50:2281-90 (definition of improvement).
The scoring itself is in :mod:`myotrack.measures.tis` and :mod:`myotrack.measures.imacs`.

- Anchor: the first immunotherapy start (or the ``--anchor`` drug).
- Baseline: among visits at or before the anchor and no earlier than ``baseline_lookback_days``
  (120) before it, the one with the most core set measures (ties: the latest).
- Follow-up: among visits within +/- ``window_days`` of anchor + ``tis_months`` (6) months, the
  one with the most core set measures (ties: the nearest, then the earlier).
- The enzyme is the most abnormal one at baseline (highest value / ULN among CK, aldolase, LDH,
  ALT, AST), followed to the same enzyme at follow-up.
- TIS: ``yes`` when at least minimal improvement (score >= 20 adult, 30 juvenile), ``no``
  below it; not evaluable when a measure is missing at either visit (no imputation).
- IMACS DOI: ``yes``/``no`` when the assessed measures decide it, else not evaluable.

Every patient's pair is scored at once by :func:`myotrack.measures.tis.tis_scores` and
:func:`myotrack.measures.imacs.doi_scores` (the one-pair functions of those modules are one-row
adapters of them), the enzyme picked by :func:`myotrack.measures.enzymes.most_abnormal_index`;
this module only picks the visits and words the results.
"""

from __future__ import annotations

import ibis
import ibis.expr.types as ir
import numpy as np
import pandas as pd

from myotrack.criteria.base import NE, NO, YES, Context, Criterion, Params
from myotrack.criteria.timepoints import pick
from myotrack.measures.coreset import MEASURES, CoreSetScales
from myotrack.measures.enzymes import most_abnormal_index
from myotrack.measures.imacs import doi_scores
from myotrack.measures.tis import POINTS, tis_scores

_COLUMNS = (
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
)
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
    # every core set measure is a visit column: the visits themselves, not the assessments
    a = ctx.visits.inner_join(ctx.immuno_start, "patient_id")
    target = a.anchor_day + round(p.tis_months * p.month_days)
    a = a.mutate(
        at_baseline=(a.day <= a.anchor_day) & (a.day >= a.anchor_day - p.baseline_lookback_days),
        dist=(a.day - target).abs(),
    )
    # only visits that can be the baseline or the follow-up are counted and compared
    a = a.filter(a.at_baseline | (a.dist <= p.window_days))
    # how many of the six core set measures a visit has (any enzyme counts as the enzyme)
    enzyme = ibis.or_(*[a[e].notnull() & a[f"{e}_uln"].notnull() for e in ENZYMES])
    n_core = sum((a[c].notnull().ifelse(1, 0) for c in CORE), enzyme.ifelse(1, 0))
    a = a.mutate(n_core=n_core)
    a = a.filter(a.n_core > 0)
    b = a.filter(a.at_baseline)
    # the most complete visit, then the latest
    b = pick(b, b.n_core * 1e6 + b.day * 1e-7, ["day", *cols], largest=True)
    b = b.select("patient_id", b_day=b.day, **{f"b_{c}": b[c] for c in cols})
    f = a.filter(a.dist <= p.window_days)
    # the most complete visit in the window, then the nearest, then the earlier
    f = pick(f, -f.n_core * 1e6 + f.dist + f.day * 1e-7, ["day", *cols])
    f = f.select("patient_id", f_day=f.day, **{f"f_{c}": f[c] for c in cols})
    return b.inner_join(f, "patient_id").select(~ibis.selectors.matches("_right$"))


def pairs(ctx: Context) -> ir.Table:
    """The query: per patient, the baseline and follow-up core set values."""
    return _rows(ctx)


#: Per row, a code into the labels of one part ('' = nothing to say for that part).
Coded = tuple[np.ndarray, tuple[str, ...]]


def score(base: dict[str, np.ndarray], follow: dict[str, np.ndarray], p: Params) -> pd.DataFrame:
    """TIS and IMACS DOI for many baseline/follow-up pairs at once, in the outcome's words."""
    tis = tis_scores(
        base, follow, population=p.tis_population, scales=CoreSetScales(mmt8=p.tis_mmt_max)
    )
    doi = doi_scores(base, follow)
    any_missing = np.isnan(tis.score)
    improved: list[Coded] = []
    worsened: list[Coded] = []
    missing_any: list[Coded] = []
    points_text: list[Coded] = []
    for m in MEASURES:
        labels = ("", *(f"{m} {x:g}" for x in POINTS[m]))
        points_text.append((tis.band[m] + 1, labels))  # band -1 (missing) says nothing
        missing_any.append((tis.missing[m].astype(np.int64), ("", m)))
        improved.append((doi.improved[m].astype(np.int64), ("", m)))
        worsened.append((doi.worsened[m].astype(np.int64), ("", m)))
    return pd.DataFrame(
        {
            "tis": np.where(any_missing, NE, np.where(tis.at_least_minimal, YES, NO)),
            "tis__score": tis.score,
            "tis__category": tis.category,
            "tis__points": _joined(points_text, ", "),
            "imacs_doi": np.where(doi.decided, np.where(doi.met, YES, NO), NE),
            "imacs_doi__improved": _joined(improved, ";"),
            "imacs_doi__worsened": _joined(worsened, ";"),
            "_missing": _joined(missing_any, ", "),
        }
    )


def _joined(parts: list[Coded], sep: str) -> np.ndarray:
    """Per row, the non-empty labels of ``parts`` joined by ``sep``.

    Rows take few distinct combinations of codes, so each combination is joined once.
    """
    n = len(parts[0][0])
    if n == 0:
        return np.asarray([], dtype=object)
    key = np.zeros(n, dtype=np.int64)
    for codes, labels in parts:
        key = key * len(labels) + codes  # six parts of a few labels each: no overflow
    _, first, inverse = np.unique(key, return_index=True, return_inverse=True)
    texts = [
        sep.join(labels[codes[i]] for codes, labels in parts if labels[codes[i]]) for i in first
    ]
    return np.asarray(texts, dtype=object)[inverse.reshape(-1)]


def _most_abnormal(frame: pd.DataFrame) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per row: the most abnormal enzyme at baseline (highest value/ULN; first on ties) and its two values."""

    def values(prefix: str, suffix: str = "") -> np.ndarray:
        return np.column_stack(
            [frame[f"{prefix}{e}{suffix}"].to_numpy(dtype=float) for e in ENZYMES]
        )

    best = most_abnormal_index(values("b_"), values("b_", "_uln"))
    has = best >= 0
    rows = np.arange(len(frame))
    pick_ = np.where(has, best, 0)
    names = np.asarray(ENZYMES, dtype=object)[pick_]
    names[~has] = None
    b, f = values("b_")[rows, pick_], values("f_")[rows, pick_]
    return names, np.where(has, b, np.nan), np.where(has, f, np.nan)


def finish(
    pairs_frame: pd.DataFrame, immuno: pd.DataFrame, patients: pd.Series, p: Params
) -> pd.DataFrame:
    """Score TIS and IMACS DOI for every pair; every other patient is not evaluable with a reason."""
    fr = pairs_frame.reset_index(drop=True)
    if fr.empty:
        return _unpaired(pd.DataFrame(columns=["patient_id", "tis"]), immuno, patients, p)
    enzyme, b_enz, f_enz = _most_abnormal(fr)
    base = {m: fr[f"b_{m}"].to_numpy(dtype=float) for m in CORE} | {"enzyme": b_enz}
    follow = {m: fr[f"f_{m}"].to_numpy(dtype=float) for m in CORE} | {"enzyme": f_enz}
    sc = score(base, follow, p)
    days = "visits day " + fr["b_day"].astype(str) + " -> day " + fr["f_day"].astype(str)
    enz_text = np.where(pd.isna(enzyme), "", "; enzyme " + enzyme.astype(str))
    missing = sc["_missing"]
    got = pd.DataFrame(
        {
            "patient_id": fr["patient_id"],
            "tis": sc["tis"],
            "tis__score": sc["tis__score"],
            "tis__category": sc["tis__category"],
            "tis__baseline_day": fr["b_day"],
            "tis__followup_day": fr["f_day"],
            "tis__why": days + ": points " + sc["tis__points"] + enz_text,
            "tis__reason": np.where(
                sc["tis"] == NE, "missing at baseline or follow-up: " + missing, ""
            ),
            "imacs_doi": sc["imacs_doi"],
            "imacs_doi__improved": sc["imacs_doi__improved"],
            "imacs_doi__worsened": sc["imacs_doi__worsened"],
            "imacs_doi__why": days
            + ": improved "
            + sc["imacs_doi__improved"].replace("", "none")
            + "; worse "
            + sc["imacs_doi__worsened"].replace("", "none"),
            "imacs_doi__reason": np.where(
                sc["imacs_doi"] == NE, "undecided with missing " + missing, ""
            ),
        }
    )
    return _unpaired(got, immuno, patients, p)


def _unpaired(
    got: pd.DataFrame, immuno: pd.DataFrame, patients: pd.Series, p: Params
) -> pd.DataFrame:
    """All patients: scored pairs as given, everyone else not evaluable with the reason."""
    anchored_ids = set(immuno["patient_id"])
    no_pair = (
        f"no core set visit both at baseline (<= {p.baseline_lookback_days} days before the anchor) "
        f"and within +/-{p.window_days} days of {p.tis_months:g} months after it"
    )
    out = pd.DataFrame({"patient_id": patients.to_numpy()}).merge(got, on="patient_id", how="left")
    for c in _COLUMNS:
        if c not in out.columns:
            out[c] = None
    lacking = out["tis"].isna()
    reason = np.where(
        out["patient_id"].isin(anchored_ids), no_pair, "no immunotherapy with a start day"
    )
    for cid in ("tis", "imacs_doi"):
        out[f"{cid}__reason"] = out[f"{cid}__reason"].astype(object)
        out.loc[lacking, f"{cid}__reason"] = reason[lacking.to_numpy()]
        out[cid] = out[cid].fillna(NE)
    for c in out.columns:
        if out[c].dtype == object:  # text nulls are None, as in the rest of the outcomes
            out[c] = out[c].where(out[c].notna(), None)
    days = {"tis__baseline_day": "Int64", "tis__followup_day": "Int64"}
    return out.astype({"tis__score": "float64", **days})
