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

from myotrack.criteria.base import NE, NO, YES, Context, Criterion
from myotrack.criteria.timepoints import anchored, nearest
from myotrack.measures.coreset import CoreSet, CoreSetScales
from myotrack.measures.imacs import imacs_doi
from myotrack.measures.tis import THRESHOLDS, total_improvement_score

CORE = ("physician_global", "patient_global", "mmt8", "haq", "extramuscular_global")
ENZYMES = ("ck", "aldolase", "ldh", "alt", "ast")

CRITERIA = (
    Criterion("tis", "2016 ACR/EULAR Total Improvement Score: at least minimal improvement",
              "Aggarwal et al., Arthritis Rheumatol 2017;69:898-910",
              {"anchor": "first immunotherapy start", "months": "6", "population": "adult (20/40/60)", "mmt_max": "80"},
              "first immunotherapy", ("score", "category", "baseline_day", "followup_day")),
    Criterion("imacs_doi", "IMACS 2004 definition of improvement",
              "Rider et al., Arthritis Rheum 2004;50:2281-90",
              {"anchor": "first immunotherapy start", "months": "6"},
              "first immunotherapy", ("improved", "worsened")),
)


def _rows(ctx: Context) -> ir.Table:
    p = ctx.params
    cols = [*CORE, *ENZYMES, *(f"{e}_uln" for e in ENZYMES)]
    a = anchored(ctx)
    any_core = ibis.or_(*[a[c].notnull() for c in CORE]) | a.ck.notnull() | a.aldolase.notnull() | a.ldh.notnull()
    a = a.mutate(has_core=any_core.ifelse(1, ibis.null("int64")))
    b = a.filter(a.has_core.notnull() & (a.day <= a.anchor_day) & (a.day >= a.anchor_day - p.baseline_lookback_days))
    wb = ibis.window(group_by="patient_id", order_by=ibis.desc(b.day))
    b = b.mutate(rn=ibis.row_number().over(wb))
    b = b.filter(b.rn == 0).select("patient_id", b_day=b.day, **{f"b_{c}": b[c] for c in cols})
    ctx2 = Context(ctx.patients, ctx.visits, ctx.strength, ctx.treatments, ctx.events, a, ctx.immuno_start, ctx.params)
    f = nearest(ctx2, "has_core", p.tis_months).select("patient_id", f_day="day")
    f = f.inner_join(a.select("patient_id", "day", *cols), [f.patient_id == a.patient_id, f.f_day == a.day])
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


def build(ctx: Context) -> list[ir.Table]:
    from myotrack.criteria.engine import connect

    p = ctx.params
    pairs = connect().to_pandas(_rows(ctx))
    scales = CoreSetScales(mmt8=p.tis_mmt_max)
    population = "juvenile" if p.tis_population == "juvenile" else "adult"
    recs = []
    for _, row in pairs.iterrows():
        enzyme = _most_abnormal(row)
        base, follow = _coreset(row, "b_", enzyme), _coreset(row, "f_", enzyme)
        tis = total_improvement_score(base, follow, population=population, scales=scales)
        doi = imacs_doi(base, follow)
        recs.append({
            "patient_id": row["patient_id"],
            "tis": NE if tis.score is None else (YES if tis.score >= THRESHOLDS[population][0] else NO),
            "tis__score": tis.score,
            "tis__category": tis.category,
            "tis__baseline_day": int(row["b_day"]),
            "tis__followup_day": int(row["f_day"]),
            "tis__why": f"visits day {int(row['b_day'])} -> day {int(row['f_day'])}: points "
            + ", ".join(f"{k} {v:g}" for k, v in tis.points_by_measure.items()) + (f"; enzyme {enzyme}" if enzyme else ""),
            "tis__reason": "" if tis.score is not None else "missing at baseline or follow-up: " + ", ".join(tis.missing),
            "imacs_doi": NE if doi.met is None else (YES if doi.met else NO),
            "imacs_doi__improved": ";".join(doi.improved),
            "imacs_doi__worsened": ";".join(doi.worsened),
            "imacs_doi__why": f"visits day {int(row['b_day'])} -> day {int(row['f_day'])}: {doi.summary()}",
            "imacs_doi__reason": "" if doi.met is not None else "undecided with missing " + ", ".join(doi.missing),
        })
    columns = ["patient_id", "tis", "tis__score", "tis__category", "tis__baseline_day", "tis__followup_day", "tis__why",
               "tis__reason", "imacs_doi", "imacs_doi__improved", "imacs_doi__worsened", "imacs_doi__why", "imacs_doi__reason"]
    frame = pd.DataFrame(recs, columns=columns)
    frame = frame.astype({"tis__score": "float64", "tis__baseline_day": "Int64", "tis__followup_day": "Int64"})
    for c in columns:
        if frame[c].dtype == object:
            frame[c] = frame[c].astype("string")
    got = ibis.memtable(frame)
    j = ctx.patients.select("patient_id").left_join(ctx.immuno_start, "patient_id").select(~ibis.selectors.matches("_right$"))
    j = j.left_join(got, "patient_id").select(~ibis.selectors.matches("_right$"))
    no_pair = ibis.cases(
        (j.anchor_day.isnull(), ibis.literal("no immunotherapy with a start day")),
        else_=ibis.literal(f"no core set visit both at baseline (<= {p.baseline_lookback_days} days before the anchor) "
                           f"and within +/-{p.window_days} days of {p.tis_months:g} months after it"),
    )
    j = j.mutate(
        tis__reason=ibis.ifelse(j.tis.isnull(), no_pair, j.tis__reason),
        imacs_doi__reason=ibis.ifelse(j.imacs_doi.isnull(), no_pair, j.imacs_doi__reason),
        tis=j.tis.fill_null(NE), imacs_doi=j.imacs_doi.fill_null(NE),
    ).drop("anchor_day", "anchor_drug")
    return [j.select("patient_id", *[c for c in j.columns if c.startswith("tis")]),
            j.select("patient_id", *[c for c in j.columns if c.startswith("imacs_doi")])]
