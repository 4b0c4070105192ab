"""What the comparable published patients received next, per therapy: patients, the authors'
verdicts and the criteria engine's, with exact (Clopper-Pearson) 95% intervals, the adverse
events and the study-level results on the same therapies."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pandas as pd
from scipy.stats import binomtest

from myotrack.criteria import evaluate
from myotrack.evidence.base import load_studies
from myotrack.evidence.profile import Profile, text_or_none
from myotrack.evidence.similarity import Match
from myotrack.tables import Dataset
from myotrack.tables.vocab import canonical_drug

#: Criteria whose verdict is reported per therapy (rituximab adds the 001 literature definition).
ENGINE_CRITERIA: dict[str, tuple[str, ...]] = {"rituximab": ("rtx_response", "definite_response")}
DEFAULT_ENGINE_CRITERIA = ("definite_response",)


def exact_interval(k: int, n: int, level: float = 0.95) -> tuple[float, float] | None:
    """The exact (Clopper-Pearson) interval of k successes in n; None when n is 0."""
    if n <= 0:
        return None
    ci = binomtest(k, n).proportion_ci(confidence_level=level, method="exact")
    return float(ci.low), float(ci.high)


def interval_text(k: int, n: int) -> str:
    ci = exact_interval(k, n)
    if ci is None:
        return f"{k} of {n}"
    return f"{k} of {n} (95% CI {100 * ci[0]:.0f}-{100 * ci[1]:.0f}%)"


@dataclass(frozen=True)
class EngineCount:
    """Verdicts of one criterion for the patients who received a therapy after the matching point."""

    criterion: str
    yes: int
    no: int
    not_evaluable: int
    verdicts: tuple[tuple[str, str, str], ...]  # (patient_id, verdict, why)

    def interval(self) -> tuple[float, float] | None:
        """Exact 95% interval of yes among the evaluable (yes + no)."""
        return exact_interval(self.yes, self.yes + self.no)


@dataclass(frozen=True)
class TherapyEvidence:
    """What the comparable published patients who received one therapy next show."""

    therapy: str
    patients: tuple[str, ...]
    engine: tuple[EngineCount, ...]
    reported: tuple[tuple[str, int], ...]  # (yes|partial|no|not reported, n patients)
    adverse_events: tuple[tuple[str, int], ...]  # (term, n patients)
    citations: tuple[str, ...]

    @property
    def n_patients(self) -> int:
        return len(self.patients)

    def reported_count(self, value: str) -> int:
        return dict(self.reported).get(value, 0)

    @property
    def n_reported(self) -> int:
        """Patients whose authors gave a verdict (yes, partial or no) on the therapy."""
        return sum(self.reported_count(v) for v in ("yes", "partial", "no"))

    def reported_interval(self) -> tuple[float, float] | None:
        """Exact 95% interval of the share the authors reported as responding (yes of n_reported)."""
        return exact_interval(self.reported_count("yes"), self.n_reported)

    def engine_count(self, criterion: str) -> EngineCount:
        for e in self.engine:
            if e.criterion == criterion:
                return e
        raise KeyError(criterion)


def _engine(ds: Dataset, ids: Sequence[str]) -> pd.DataFrame:
    crits = sorted({c for cs in (*ENGINE_CRITERIA.values(), DEFAULT_ENGINE_CRITERIA) for c in cs})
    if not ids:
        return pd.DataFrame(columns=["patient_id"])
    return evaluate(ds.subset(ids), criteria=crits).frame.set_index("patient_id")


def _therapies(
    ds: Dataset,
    comparable: Sequence[Match],
    after_rows: dict[str, pd.DataFrame],
    verdicts: pd.DataFrame,
) -> tuple[TherapyEvidence, ...]:
    by_drug: dict[str, list[str]] = {}
    for m in comparable:
        for d in m.after:
            by_drug.setdefault(d, []).append(m.patient_id)
    events = ds.events
    out = []
    for drug, pids in by_drug.items():
        engine = []
        for crit in ENGINE_CRITERIA.get(drug, DEFAULT_ENGINE_CRITERIA):
            counts = {"yes": 0, "no": 0, "not_evaluable": 0}
            rows = []
            for pid in pids:
                r = verdicts.loc[pid]
                anchor = text_or_none(r.get(f"{crit}__anchor_drug"))
                if anchor != drug:
                    value, why = (
                        "not_evaluable",
                        f"the engine anchors {crit} on {anchor or 'no course with a start day'}, not {drug}",
                    )
                else:
                    value = str(r[crit])
                    detail = "why" if value != "not_evaluable" else "reason"
                    why = text_or_none(r.get(f"{crit}__{detail}")) or ""
                counts[value] += 1
                rows.append((pid, value, why))
            engine.append(
                EngineCount(crit, counts["yes"], counts["no"], counts["not_evaluable"], tuple(rows))
            )
        reported = {"yes": 0, "partial": 0, "no": 0, "not reported": 0}
        cites: list[str] = []
        for pid in pids:
            first = after_rows[pid][after_rows[pid]["drug"] == drug].iloc[0]
            said = text_or_none(first["reported_response"])
            reported[said if said in ("yes", "partial", "no") else "not reported"] += 1
            for s in after_rows[pid].loc[after_rows[pid]["drug"] == drug, "source"]:
                cites.append(f"{pid}: {s}")
        ev = events[
            events["patient_id"].isin(pids)
            & (events["treatment"] == drug)
            & (events["kind"].isin(["adverse_event", "death"]))
        ]
        terms = ev.groupby("term")["patient_id"].nunique().sort_values(ascending=False)
        for pid, s in zip(ev["patient_id"], ev["source"], strict=True):
            cites.append(f"{pid}: {s}")
        out.append(
            TherapyEvidence(
                drug,
                tuple(pids),
                tuple(engine),
                tuple(reported.items()),
                tuple((str(t), int(n)) for t, n in terms.items()),
                tuple(dict.fromkeys(cites)),
            )
        )
    out.sort(key=lambda t: (-t.n_patients, t.therapy))
    return tuple(out)


def _studies(profile: Profile, therapies: set[str]) -> pd.DataFrame:
    s = load_studies()
    th = s["therapy"].str.split(";").map(lambda xs: {canonical_drug(x) or x for x in xs})
    keep = th.map(lambda xs: bool(xs & therapies))
    if profile.antibody:
        keep &= s["antibody"].str.contains(profile.antibody, regex=False) | s[
            "antibody"
        ].str.contains("not specified", regex=False)
    out = s[keep].reset_index(drop=True)
    lows, highs = [], []
    for k, n in zip(out["n_responding"], out["n_treated"], strict=True):
        ci = None if pd.isna(k) or pd.isna(n) else exact_interval(int(k), int(n))
        lows.append(None if ci is None else round(ci[0], 3))
        highs.append(None if ci is None else round(ci[1], 3))
    return out.assign(ci_low=lows, ci_high=highs)
