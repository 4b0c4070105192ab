"""The IMACS core set criteria: 2016 ACR/EULAR Total Improvement Score and IMACS 2004 DOI.

Sources: Aggarwal R, Rider LG, Ruperto N, et al. Arthritis Rheumatol 2017;69:898-910 (TIS;
adult thresholds minimal >= 20, moderate >= 40, major >= 60; juvenile 30/45/70); Rider LG,
Giannini EH, Brunner HI, et al. Arthritis Rheum 2004;50:2281-90 (definition of improvement).
The scoring of one measure is in :mod:`myotrack.measures.tis` and :mod:`myotrack.measures.imacs`.

- Anchor: the first immunotherapy start (or the ``--anchor`` drug), a range of days
  (:mod:`myotrack.criteria.anchors`: a course without a start day may have come first).
- A core set assessment is a visit with at least one of the five clinical measures (physician,
  patient and extramuscular global activity, HAQ, MMT-8); its enzymes and, when ``mmt8`` is not
  recorded, the MMT-8 range its day's strength grades allow are read with it. A lab draw alone
  is not a core set assessment.
- Baseline: the last core set assessment on or before the anchor and no earlier than
  ``baseline_lookback_days`` (120) before it: the pre-treatment visit, as in the trials the
  criteria were built on.
- Follow-up: the core set assessment closest to anchor + ``tis_months`` (6) months within
  +/- ``window_days``, as for every 'at N months' criterion.
- Uncertain days (contract: Timing): every assessment that could be the baseline (or the
  follow-up) is scored against every one that could be the other, and the verdict is given
  only when they all agree; a baseline (follow-up) must surely exist.
- The enzyme is the most abnormal one at baseline (highest value / ULN among CK, aldolase, LDH,
  ALT, AST), followed to the same enzyme at follow-up; when bounds or a missing ULN leave it
  open, every enzyme that could be the most abnormal is scored.
- Three values (DOMAIN.md section 9): a bounded value (``<200``, ``normal``, an MMT-8 range)
  scores between its worst and best reading, and a measure missing at either visit scores
  anything from 0 to its maximum points (IMACS DOI: it may be improved, worse or neither).
  TIS: ``yes`` when even the lowest possible score reaches minimal improvement (20 adult, 30
  juvenile), ``no`` when even the highest stays below it, else not evaluable naming the missing
  measures. IMACS DOI: ``yes``/``no`` when every reading gives it, else not evaluable.

The query (:func:`pairs`) returns, per patient, the assessments that could be the baseline or
the follow-up; :func:`finish` scores every pair at once in NumPy (:func:`score`) and words the
results.
"""

from __future__ import annotations

import string
from typing import Any

import ibis
import ibis.expr.types as ir
import numpy as np
import pandas as pd

from myotrack.criteria.anchors import anchor_span
from myotrack.criteria.base import (
    NE,
    NO,
    YES,
    Context,
    Criterion,
    Params,
    after3,
    all3,
    distance,
    known,
    offset,
    refuted,
    span,
    truth,
    within3,
)
from myotrack.criteria.prepare import graded_grades
from myotrack.measures.bounds import APPROXIMATE
from myotrack.measures.coreset import HIGHER_IS_BETTER, MEASURES, CoreSetScales
from myotrack.measures.imacs import (
    IMPROVED_PERCENT,
    MAX_WORSENED,
    MIN_IMPROVED,
    MUST_NOT_WORSEN,
    WORSENED_PERCENT,
    relative_improvements,
)
from myotrack.measures.strength import strength_scores
from myotrack.measures.tis import POINTS, THRESHOLDS, bands, categories, improvements

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
# --- the reasons, as format strings (filled by :func:`_fill`; read by
# :mod:`myotrack.criteria.reasons`) ---------------------------------------------------------
NO_ANCHOR = "no immunotherapy with a start day"
NO_PAIR = (
    "no core set assessment in the {lookback} days up to the anchor "
    "or at {months:g} months (+/- {window} days) after it"
)
NO_BASELINE = "no core set assessment surely in the {lookback} days up to the anchor"
NO_FOLLOWUP = (
    "no core set assessment at {months:g} months ({days:g} +/- {window} days) after the anchor"
)
FOLLOWUP_UNSURE = (
    "the core set assessment on day {day} may fall outside "
    "{months:g} months ({days:g} +/- {window} days) after the anchor"
)
TIS_OPEN_MISSING = (
    "TIS {total} could be below or above {minimal:g}, missing at baseline or follow-up: {missing}"
)
TIS_OPEN_BOUNDED = "TIS {total} could be below or above {minimal:g}, bounded values"
TIS_BELOW = "TIS {total} < {minimal:g}"
DOI_OPEN_MISSING = "undecided with missing {missing}"
DOI_OPEN_BOUNDED = "undecided with bounded values"
_UNSCORED = (NO_ANCHOR, NO_PAIR, NO_BASELINE, NO_FOLLOWUP, FOLLOWUP_UNSURE)
#: Every reason each core set criterion gives.
REASONS: dict[str, tuple[str, ...]] = {
    "tis": (*_UNSCORED, TIS_OPEN_MISSING, TIS_OPEN_BOUNDED, TIS_BELOW),
    "imacs_doi": (*_UNSCORED, DOI_OPEN_MISSING, DOI_OPEN_BOUNDED),
}


def reason_parameters(p: Params) -> dict[str, float]:
    """The fields of :data:`REASONS` that come from the parameters, by name."""
    return {
        "lookback": p.baseline_lookback_days,
        "months": p.tis_months,
        "days": p.tis_months * p.month_days,
        "window": p.window_days,
        "minimal": THRESHOLDS[p.tis_population][0],
    }


def _fill(template: str, **values: Any) -> Any:
    """``template.format(**values)`` where a value may also be an array (or a Series) of
    texts: then an array of reasons, one per element."""
    out: Any = ""
    for literal, field, spec, _ in string.Formatter().parse(template):
        out = out + literal
        if field is not None:
            v = values[field]
            out = out + (format(v, spec or "") if isinstance(v, str | int | float) else v)
    return out


CORE = ("physician_global", "patient_global", "mmt8", "haq", "extramuscular_global")
ENZYMES = ("ck", "aldolase", "ldh", "alt", "ast")
#: Enzymes whose bound and qualitative state the engine reads (``<enzyme>_bound``, ``_state``).
BOUNDED = ("ck",)
#: Per-candidate columns of :func:`pairs`.
_VALUES = (
    *CORE,
    "mmt8_low",
    "mmt8_high",
    *ENZYMES,
    *(f"{e}_uln" for e in ENZYMES),
    *(f"{e}_{x}" for e in BOUNDED for x in ("bound", "state")),
)

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


def _mmt8_from_grades(ctx: Context) -> ir.Table:
    """Per patient-day with grades, the MMT-8 range they allow (measures.strength)."""
    s = ctx.strength
    graded = graded_grades(s)
    m = strength_scores(graded, scores=("mmt8",))
    return m.select("patient_id", "day", mmt8_low="mmt8_low", mmt8_high="mmt8_high")


def pairs(ctx: Context) -> ir.Table:
    """The query: per patient with a core set assessment and an anchor, the status of the
    baseline and follow-up choice (``n_base_sure``, ``n_follow_possible``, ``n_follow_sure``,
    ``follow_first``) and one row per assessment that could be either (``role`` b or f)."""
    p = ctx.params
    v = ctx.visits
    v = v.filter(ibis.or_(*[v[c].notnull() for c in CORE]))
    keep = ["patient_id", "day", "day_earliest", "day_latest", *CORE, *ENZYMES]
    keep += [f"{e}_uln" for e in ENZYMES] + [
        f"{e}_{x}" for e in BOUNDED for x in ("bound", "state")
    ]
    v = v.select(*keep)
    g = _mmt8_from_grades(ctx)
    v = v.left_join(g, ["patient_id", "day"]).select(~ibis.selectors.matches("_right$"))
    a = v.inner_join(ctx.immuno_start, "patient_id")
    d, an = span(a, "day"), anchor_span(a)
    lookback = p.baseline_lookback_days
    # on or before the anchor, and no earlier than the lookback before it (three-valued)
    in_base = all3(~after3(d, an), truth(d.lo >= an.hi - lookback, d.hi < an.lo - lookback))
    w = float(p.window_days)
    target = p.tis_months * p.month_days
    o = offset(d, an)
    inside = within3(o, target - w, target + w)
    dmin, dmax = distance(o, target)
    a = a.mutate(_lo=d.lo, _hi=d.hi, _base=in_base, _inside=inside, _dmin=dmin, _dmax=dmax)
    per = a.group_by("patient_id").aggregate(
        n_base_sure=known(a._base).ifelse(1, 0).sum(),
        # the latest first day of an assessment surely in the baseline window: one that surely
        # lies before it cannot be the last
        base_last_lo=a._lo.max(where=known(a._base)),
        n_follow_possible=(~refuted(a._inside)).ifelse(1, 0).sum(),
        n_follow_sure=known(a._inside).ifelse(1, 0).sum(),
        follow_bound=a._dmax.min(where=known(a._inside)),
        follow_first=a.day.min(where=~refuted(a._inside)),
    )
    c = a.inner_join(per.select("patient_id", "base_last_lo", "follow_bound"), "patient_id")
    cols = ["patient_id", "day", *_VALUES]
    base = c.filter(~refuted(c._base) & c.base_last_lo.notnull() & (c._hi >= c.base_last_lo))
    follow = c.filter(~refuted(c._inside) & c.follow_bound.notnull() & (c._dmin <= c.follow_bound))
    cand = base.select(*cols, role=ibis.literal("b")).union(
        follow.select(*cols, role=ibis.literal("f"))
    )
    status = per.select(
        "patient_id", "n_base_sure", "n_follow_possible", "n_follow_sure", "follow_first"
    )
    return status.left_join(cand, "patient_id").select(~ibis.selectors.matches("_right$"))


# --- scoring ranges ------------------------------------------------------------------------

#: A measure's value range per row: (low, high); NaN = not assessed, high inf = unbounded.
Ranges = dict[str, tuple[np.ndarray, np.ndarray]]


def _tis_improvement(m: str, b: np.ndarray, f: np.ndarray, scales: CoreSetScales) -> np.ndarray:
    """The 2016 improvement in percent; for the enzyme an unbounded value reads as the worst
    (follow-up) or best (baseline) case, and a baseline of 0 improves by nothing."""
    with np.errstate(divide="ignore", invalid="ignore"):
        imp = improvements(
            m, np.where(np.isinf(b), np.nan, b), np.where(np.isinf(f), np.nan, f), scales
        )
    if m == "enzyme":
        imp = np.where(b <= 0, np.where(f == 0, 0.0, -np.inf), imp)
        imp = np.where(np.isinf(b), 100.0, imp)
        imp = np.where(np.isinf(f), -np.inf, imp)
    return imp


def _rel_improvement(m: str, b: np.ndarray, f: np.ndarray) -> np.ndarray:
    """The 2004 improvement in percent of baseline, with the same reading of unbounded values."""
    with np.errstate(divide="ignore", invalid="ignore"):
        rel = relative_improvements(m, np.where(np.isinf(b), 1.0, b), np.where(np.isinf(f), 1.0, f))
    better_if_rising = m in HIGHER_IS_BETTER
    rel = np.where(np.isinf(b), -100.0 if better_if_rising else 100.0, rel)
    return np.where(np.isinf(f), np.inf if better_if_rising else -np.inf, rel)


def score(base: Ranges, follow: Ranges, p: Params) -> dict[str, np.ndarray]:
    """TIS and IMACS DOI of many pairs whose values are ranges.

    Returns per row ``tis_low`` / ``tis_high`` (the lowest and highest TIS the values allow, a
    missing measure 0..its maximum points), ``doi`` (1 met, 0 not met, -1 undecided), and per
    measure ``missing:<m>``, ``improved:<m>`` / ``worsened:<m>`` (known for every reading) and
    ``points_low:<m>`` / ``points_high:<m>``."""
    scales = CoreSetScales(mmt8=p.tis_mmt_max)
    n = len(next(iter(base.values()))[0])
    lo = np.zeros(n)
    hi = np.zeros(n)
    out: dict[str, np.ndarray] = {}
    imp_t = np.zeros(n, dtype=np.int64)
    imp_u = np.zeros(n, dtype=np.int64)
    wor_t = np.zeros(n, dtype=np.int64)
    wor_u = np.zeros(n, dtype=np.int64)
    mmt_worse_true = np.zeros(n, dtype=bool)
    mmt_worse_false = np.zeros(n, dtype=bool)
    for m in MEASURES:
        blo, bhi = base[m]
        flo, fhi = follow[m]
        missing = np.isnan(blo) | np.isnan(flo)
        if m in HIGHER_IS_BETTER:  # worst reading: high baseline, low follow-up
            (wb, wf), (bb, bf) = (bhi, flo), (blo, fhi)
        else:
            (wb, wf), (bb, bf) = (blo, fhi), (bhi, flo)
        pts = np.asarray(POINTS[m])
        p_lo = np.where(missing, 0.0, pts[bands(m, _tis_improvement(m, wb, wf, scales))])
        p_hi = np.where(missing, pts.max(), pts[bands(m, _tis_improvement(m, bb, bf, scales))])
        lo += p_lo
        hi += p_hi
        worst = _rel_improvement(m, wb, wf)
        best = _rel_improvement(m, bb, bf)
        improved_t = ~missing & (worst >= IMPROVED_PERCENT)
        improved_f = ~missing & (best < IMPROVED_PERCENT)
        worse_t = ~missing & (best <= -WORSENED_PERCENT)
        worse_f = ~missing & (worst > -WORSENED_PERCENT)
        imp_t += improved_t
        imp_u += ~improved_t & ~improved_f
        wor_t += worse_t
        wor_u += ~worse_t & ~worse_f
        if m == MUST_NOT_WORSEN:
            mmt_worse_true, mmt_worse_false = worse_t, worse_f
        out[f"missing:{m}"] = missing
        out[f"improved:{m}"] = improved_t
        out[f"worsened:{m}"] = worse_t
        out[f"points_low:{m}"] = np.where(missing, np.nan, p_lo)
        out[f"points_high:{m}"] = np.where(missing, np.nan, p_hi)
    # met for every reading / for none (Rider 2004: >= 3 improved, <= 2 worse, not MMT)
    met = (imp_t >= MIN_IMPROVED) & (wor_t + wor_u <= MAX_WORSENED) & mmt_worse_false
    possible = (imp_t + imp_u >= MIN_IMPROVED) & (wor_t <= MAX_WORSENED) & ~mmt_worse_true
    out["doi"] = np.where(met, 1, np.where(~possible, 0, -1))
    out["tis_low"], out["tis_high"] = lo, hi
    return out


def _interval(fr: pd.DataFrame, e: str, prefix: str) -> tuple[np.ndarray, np.ndarray]:
    """An enzyme's U/L range as stored (number, bound, state: measures.bounds.interval)."""
    v = fr[f"{prefix}{e}"].to_numpy(dtype=float)
    uln = fr[f"{prefix}{e}_uln"].to_numpy(dtype=float)
    lo, hi = v.copy(), v.copy()
    if e not in BOUNDED:
        return lo, hi
    bound = fr[f"{prefix}{e}_bound"].fillna("").to_numpy(dtype=object)
    state = fr[f"{prefix}{e}_state"].fillna("").to_numpy(dtype=object)
    lo = np.select(
        [bound == ">", bound == ">=", np.isin(bound, ["<", "<="]), bound == "~"],
        [v, v, 0.0, v * (1 - APPROXIMATE)],
        v,
    )
    hi = np.select(
        [np.isin(bound, [">", ">="]), np.isin(bound, ["<", "<="]), bound == "~"],
        [np.inf, v, v * (1 + APPROXIMATE)],
        v,
    )
    normal, elevated = state == "normal", state == "elevated"
    known_uln = ~np.isnan(uln)
    lo = np.where(normal, 0.0, np.where(elevated, np.where(known_uln, uln, 0.0), lo))
    hi = np.where(normal, np.where(known_uln, uln, np.inf), np.where(elevated, np.inf, hi))
    return lo, hi


def _present(fr: pd.DataFrame, e: str, prefix: str) -> np.ndarray:
    has = fr[f"{prefix}{e}"].notna().to_numpy()
    if e in BOUNDED:
        has |= fr[f"{prefix}{e}_state"].fillna("").to_numpy(dtype=object) != ""
    return has


def _mmt8(fr: pd.DataFrame, prefix: str, p: Params) -> tuple[np.ndarray, np.ndarray]:
    """MMT-8 as recorded, else the range of the day's grades (unknown when they allow 0..max)."""
    rec = fr[f"{prefix}mmt8"].to_numpy(dtype=float)
    glo = fr[f"{prefix}mmt8_low"].to_numpy(dtype=float)
    ghi = fr[f"{prefix}mmt8_high"].to_numpy(dtype=float)
    says = ~np.isnan(glo) & ((glo > 0) | (ghi < p.tis_mmt_max))
    glo, ghi = np.where(says, glo, np.nan), np.where(says, ghi, np.nan)
    return np.where(np.isnan(rec), glo, rec), np.where(np.isnan(rec), ghi, rec)


def _score_pairs(pr: pd.DataFrame, p: Params) -> dict[str, np.ndarray]:
    """Every pair scored over every enzyme that could be the most abnormal at baseline."""
    base: Ranges = {}
    follow: Ranges = {}
    for m in CORE:
        if m == "mmt8":
            base[m], follow[m] = _mmt8(pr, "b_", p), _mmt8(pr, "f_", p)
        else:
            bv, fv = pr[f"b_{m}"].to_numpy(dtype=float), pr[f"f_{m}"].to_numpy(dtype=float)
            base[m], follow[m] = (bv, bv), (fv, fv)
    n = len(pr)
    # the baseline enzymes' multiples of the ULN: low (0 when unknown) and high (inf)
    present, r_lo, r_hi = {}, {}, {}
    for e in ENZYMES:
        present[e] = _present(pr, e, "b_")
        lo, hi = _interval(pr, e, "b_")
        uln = pr[f"b_{e}_uln"].to_numpy(dtype=float)
        ok = ~np.isnan(uln) & (uln > 0)
        with np.errstate(divide="ignore", invalid="ignore"):
            r_lo[e] = np.where(ok, lo / uln, 0.0)
            r_hi[e] = np.where(ok, hi / uln, np.inf)
        if e in BOUNDED:
            state = pr[f"b_{e}_state"].fillna("").to_numpy(dtype=object)
            r_lo[e] = np.where(state == "normal", 0.0, np.where(state == "elevated", 1.0, r_lo[e]))
            r_hi[e] = np.where(
                state == "normal", 1.0, np.where(state == "elevated", np.inf, r_hi[e])
            )
        r_lo[e] = np.where(np.isnan(r_lo[e]), 0.0, r_lo[e])
    best_low = np.max([np.where(present[e], r_lo[e], -np.inf) for e in ENZYMES], axis=0)
    nan = np.full(n, np.nan)
    choices: list[tuple[np.ndarray, dict[str, np.ndarray]]] = []
    none_present = ~np.logical_or.reduce([present[e] for e in ENZYMES])
    for e in ENZYMES:
        possible = present[e] & (r_hi[e] >= best_low)
        f_has = _present(pr, e, "f_")
        b_iv, f_iv = _interval(pr, e, "b_"), _interval(pr, e, "f_")
        f_iv = (np.where(f_has, f_iv[0], np.nan), np.where(f_has, f_iv[1], np.nan))
        sc = score(base | {"enzyme": b_iv}, follow | {"enzyme": f_iv}, p)
        choices.append((possible, sc))
    choices.append(
        (none_present, score(base | {"enzyme": (nan, nan)}, follow | {"enzyme": (nan, nan)}, p))
    )
    masks = np.column_stack([m for m, _ in choices])

    def over(key: str, how: str) -> np.ndarray:
        vals = np.column_stack([sc[key].astype(float) for _, sc in choices])
        if how == "min":
            return np.min(np.where(masks, vals, np.inf), axis=1)
        if how == "max":
            return np.max(np.where(masks, vals, -np.inf), axis=1)
        if how == "all":
            return np.all(np.where(masks, vals, 1.0) > 0, axis=1)
        return np.any(np.where(masks, vals, 0.0) > 0, axis=1)

    out = {
        "tis_low": over("tis_low", "min"),
        "tis_high": over("tis_high", "max"),
        "doi_true": np.all(
            np.where(masks, np.column_stack([sc["doi"] for _, sc in choices]), 1) == 1, axis=1
        ),
        "doi_false": np.all(
            np.where(masks, np.column_stack([sc["doi"] for _, sc in choices]), 0) == 0, axis=1
        ),
    }
    for m in MEASURES:
        out[f"missing:{m}"] = over(f"missing:{m}", "any")
        out[f"improved:{m}"] = over(f"improved:{m}", "all")
        out[f"worsened:{m}"] = over(f"worsened:{m}", "all")
        out[f"points_low:{m}"] = over(f"points_low:{m}", "min")
        out[f"points_high:{m}"] = over(f"points_high:{m}", "max")
    return out


def _num(x: float) -> str:
    return f"{x:g}"


def _span_text(x: float, y: float) -> str:
    return _num(x) if x == y else f"{_num(x)}..{_num(y)}"


def finish(
    pairs_frame: pd.DataFrame, immuno: pd.DataFrame, patients: pd.Series, p: Params
) -> pd.DataFrame:
    """Score TIS and IMACS DOI for every patient with a baseline and a follow-up; every other
    patient is not evaluable with the reason."""
    fr = pairs_frame.reset_index(drop=True)
    known = reason_parameters(p)
    rows: list[pd.DataFrame] = []
    if not fr.empty:
        status = fr.drop_duplicates("patient_id").set_index("patient_id")
        reason = pd.Series("", index=status.index, dtype=object)
        reason[status["n_follow_sure"] == 0] = _fill(
            FOLLOWUP_UNSURE, day=status["follow_first"].astype("Int64").astype(str), **known
        )
        reason[status["n_follow_possible"] == 0] = _fill(NO_FOLLOWUP, **known)
        reason[status["n_base_sure"] == 0] = _fill(NO_BASELINE, **known)
        failed = reason[reason != ""]
        if len(failed):
            rows.append(
                pd.DataFrame(
                    {
                        "patient_id": failed.index,
                        "tis": NE,
                        "tis__reason": failed.to_numpy(),
                        "imacs_doi": NE,
                        "imacs_doi__reason": failed.to_numpy(),
                    }
                )
            )
        ok = fr[fr["patient_id"].isin(reason.index[reason == ""])]
        b = ok[ok["role"] == "b"].sort_values(["patient_id", "day"])
        f = ok[ok["role"] == "f"].sort_values(["patient_id", "day"])
        cols = ["day", *_VALUES]
        pr = (
            b[["patient_id", *cols]]
            .rename(columns={c: f"b_{c}" for c in cols})
            .merge(
                f[["patient_id", *cols]].rename(columns={c: f"f_{c}" for c in cols}),
                on="patient_id",
            )
        )
        if len(pr):
            rows.append(_scored(pr, p))
    got = (
        pd.concat(rows, ignore_index=True) if rows else pd.DataFrame(columns=["patient_id", "tis"])
    )
    return _unpaired(got, immuno, patients, p)


def _scored(pr: pd.DataFrame, p: Params) -> pd.DataFrame:
    """Per patient, the verdicts over all of its (baseline, follow-up) pairs."""
    sc = _score_pairs(pr, p)
    frame = pd.DataFrame({"patient_id": pr["patient_id"].to_numpy()})
    for k in ("tis_low", "tis_high", "doi_true", "doi_false"):
        frame[k] = sc[k]
    for m in MEASURES:
        frame[f"missing:{m}"] = sc[f"missing:{m}"]
    g = frame.groupby("patient_id", sort=False)
    per = g.agg(
        tis_low=("tis_low", "min"),
        tis_high=("tis_high", "max"),
        doi_true=("doi_true", "all"),
        doi_false=("doi_false", "all"),
        **{f"missing:{m}": (f"missing:{m}", "any") for m in MEASURES},
    )
    first = ~pr["patient_id"].duplicated().to_numpy()  # each patient's first pair
    pid = pr["patient_id"].to_numpy()[first]
    per = per.loc[pid]
    lo, hi = per["tis_low"].to_numpy(), per["tis_high"].to_numpy()
    minimal = reason_parameters(p)["minimal"]
    missing = [
        ", ".join(m for m in MEASURES if per[f"missing:{m}"].iloc[i]) for i in range(len(per))
    ]
    missing_arr = np.asarray(missing, dtype=object)
    tis = np.where(lo >= minimal, YES, np.where(hi < minimal, NO, NE))
    exact = lo == hi
    score_ = np.where(exact, lo, np.nan)
    category = np.where(exact, categories(lo, p.tis_population), np.asarray(None, dtype=object))
    b_day = pr["b_day"].to_numpy()[first]
    f_day = pr["f_day"].to_numpy()[first]
    days = np.asarray([f"visits day {x} -> day {y}" for x, y in zip(b_day, f_day, strict=True)])
    points = []
    improved, worsened = [], []
    for i in np.flatnonzero(first):
        parts = []
        for m in MEASURES:
            a, z = sc[f"points_low:{m}"][i], sc[f"points_high:{m}"][i]
            parts.append(f"{m} missing" if np.isnan(a) else f"{m} {_span_text(a, z)}")
        points.append(", ".join(parts))
        improved.append(";".join(m for m in MEASURES if sc[f"improved:{m}"][i]))
        worsened.append(";".join(m for m in MEASURES if sc[f"worsened:{m}"][i]))
    totals = np.asarray([_span_text(x, y) for x, y in zip(lo, hi, strict=True)], dtype=object)
    undecided = np.where(
        missing_arr != "",
        _fill(TIS_OPEN_MISSING, total=totals, minimal=minimal, missing=missing_arr),
        _fill(TIS_OPEN_BOUNDED, total=totals, minimal=minimal),
    )
    tis_reason = np.where(
        tis == NE,
        undecided,
        np.where(tis == NO, _fill(TIS_BELOW, total=totals, minimal=minimal), ""),
    )
    doi = np.where(per["doi_true"], YES, np.where(per["doi_false"], NO, NE))
    imp = np.asarray(improved, dtype=object)
    wor = np.asarray(worsened, dtype=object)
    return pd.DataFrame(
        {
            "patient_id": pid,
            "tis": tis,
            "tis__score": score_,
            "tis__category": category,
            "tis__baseline_day": b_day,
            "tis__followup_day": f_day,
            "tis__why": days + ": TIS " + totals + "; points " + np.asarray(points, dtype=object),
            "tis__reason": tis_reason,
            "imacs_doi": doi,
            "imacs_doi__improved": imp,
            "imacs_doi__worsened": wor,
            "imacs_doi__why": days
            + ": improved "
            + np.where(imp == "", "none", imp)
            + "; worse "
            + np.where(wor == "", "none", wor),
            "imacs_doi__reason": np.where(
                doi == NE,
                np.where(
                    missing_arr != "",
                    _fill(DOI_OPEN_MISSING, missing=missing_arr),
                    DOI_OPEN_BOUNDED,
                ),
                "",
            ),
        }
    )


def _unpaired(
    got: pd.DataFrame, immuno: pd.DataFrame, patients: pd.Series, p: Params
) -> pd.DataFrame:
    """All patients: scored pairs as given, everyone else not evaluable with the reason."""
    anchored_ids = set(immuno["patient_id"])
    no_pair = _fill(NO_PAIR, **reason_parameters(p))
    out = pd.DataFrame({"patient_id": patients.to_numpy()}).merge(got, on="patient_id", how="left")
    for c in _COLUMNS:
        if c not in out.columns:
            out[c] = None
    lacking = out["tis"].isna()
    reason = np.where(out["patient_id"].isin(anchored_ids), no_pair, NO_ANCHOR)
    for cid in ("tis", "imacs_doi"):
        out[f"{cid}__reason"] = out[f"{cid}__reason"].astype(object)
        out.loc[lacking, f"{cid}__reason"] = reason[lacking.to_numpy()]
        out[cid] = out[cid].fillna(NE)
    for c in out.columns:
        if out[c].dtype == object:  # text nulls are None, as in the rest of the outcomes
            out[c] = out[c].where(out[c].notna(), None)
    days = {"tis__baseline_day": "Int64", "tis__followup_day": "Int64"}
    return out.astype({"tis__score": "float64", **days})
