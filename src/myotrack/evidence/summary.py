"""What the comparable published patients received next, per therapy: patients, the authors'
verdicts and the criteria engine's, with exact (Clopper-Pearson) 95% intervals, the adverse
events and the study-level results on the same therapies."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.stats import binomtest

from myotrack.criteria import evaluate
from myotrack.evidence.base import load_studies
from myotrack.evidence.profile import Profile, text_or_none
from myotrack.evidence.similarity import After, Match
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


#: The criteria engine's verdicts as the summary reads them: per patient id, column -> value.
Verdicts = Mapping[str, Mapping[str, object]]


def verdict_rows(verdicts: pd.DataFrame) -> dict[str, dict[str, object]]:
    """:func:`_engine`'s frame as :data:`Verdicts`."""
    columns = {str(c): verdicts[c].tolist() for c in verdicts.columns}
    return {
        str(pid): {c: values[i] for c, values in columns.items()}
        for i, pid in enumerate(verdicts.index)
    }


#: The kinds of event counted as adverse events of a therapy.
ADVERSE = ("adverse_event", "death")


@dataclass(frozen=True)
class AdverseEvent:
    """An event of kind :data:`ADVERSE`, as the summary reads it."""

    patient_id: object
    treatment: object
    term: object
    source: object


def adverse_events(events: pd.DataFrame) -> tuple[AdverseEvent, ...]:
    """The events of kind :data:`ADVERSE`, in the order of ``events``."""
    ev = events[events["kind"].isin(list(ADVERSE))]
    return tuple(
        AdverseEvent(*row)
        for row in zip(
            ev["patient_id"].tolist(),
            ev["treatment"].tolist(),
            ev["term"].tolist(),
            ev["source"].tolist(),
            strict=True,
        )
    )


def _terms(ev: Sequence[AdverseEvent]) -> tuple[tuple[str, int], ...]:
    """Per term (in term order), the number of patients, most first; ties keep the term order
    (pandas' ``groupby("term")["patient_id"].nunique().sort_values(ascending=False)``)."""
    by_term: dict[str, set[object]] = {}
    for e in ev:
        if text_or_none(e.term) is not None:
            by_term.setdefault(e.term, set()).add(e.patient_id)  # type: ignore[arg-type]
    terms = sorted(by_term)
    n = np.array([len(by_term[t]) for t in terms], dtype=np.int64)
    # pandas' descending sort: the reversed values sorted, reversed (ties stay in order)
    order = np.arange(len(terms))[::-1][n[::-1].argsort(kind="quicksort")][::-1]
    return tuple((str(terms[i]), int(n[i])) for i in order)


def _therapies(
    events: Sequence[AdverseEvent],
    comparable: Sequence[Match],
    after_rows: Mapping[str, After],
    verdicts: Verdicts,
) -> tuple[TherapyEvidence, ...]:
    """``events``: :func:`adverse_events`; ``after_rows``: the courses after the matching point
    of every comparable patient; ``verdicts``: the engine's, at least on those patients."""
    by_drug: dict[str, list[str]] = {}
    for m in comparable:
        for d in m.after:
            by_drug.setdefault(d, []).append(m.patient_id)
    out = []
    for drug, pids in by_drug.items():
        engine = []
        for crit in ENGINE_CRITERIA.get(drug, DEFAULT_ENGINE_CRITERIA):
            counts = {"yes": 0, "no": 0, "not_evaluable": 0}
            rows = []
            for pid in pids:
                r = verdicts[pid]
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
            a = after_rows[pid]
            given = [i for i, d in enumerate(a.drug) if d == drug]
            said = a.said[given[0]]
            reported[said if said in ("yes", "partial", "no") else "not reported"] += 1
            for i in given:
                cites.append(f"{pid}: {a.source[i]}")
        who = set(pids)
        ev = [
            e
            for e in events
            if e.patient_id in who and isinstance(e.treatment, str) and e.treatment == drug
        ]
        for e in ev:
            cites.append(f"{e.patient_id}: {e.source}")
        out.append(
            TherapyEvidence(
                drug,
                tuple(pids),
                tuple(engine),
                tuple(reported.items()),
                _terms(ev),
                tuple(dict.fromkeys(cites)),
            )
        )
    out.sort(key=lambda t: (-t.n_patients, t.therapy))
    return tuple(out)


def _rounded_interval(k: object, n: object) -> tuple[float | None, float | None]:
    """The exact 95% interval of k of n, rounded to 3 places; (None, None) without both counts."""
    ci = None if pd.isna(k) or pd.isna(n) else exact_interval(int(k), int(n))  # type: ignore[call-overload]
    return (None, None) if ci is None else (round(ci[0], 3), round(ci[1], 3))


@dataclass(frozen=True)
class Studies:
    """The study-level results (:func:`~.base.load_studies`) as the lookup reads them: per row,
    its therapies (canonical names, or as written), its antibody text and (when prepared with
    them) the rounded exact 95% interval of n_responding of n_treated."""

    frame: pd.DataFrame
    therapies: tuple[frozenset[str], ...]
    antibody: tuple[str, ...]
    intervals: tuple[tuple[float | None, float | None], ...] | None


def prepare_studies(s: pd.DataFrame, intervals: bool = True) -> Studies:
    """``s`` (:func:`~.base.load_studies`) as :class:`Studies`; ``intervals=False`` leaves the
    intervals to be computed for the rows a lookup keeps."""
    return Studies(
        s,
        tuple(frozenset(canonical_drug(x) or x for x in t.split(";")) for t in s["therapy"]),
        tuple(s["antibody"]),
        tuple(
            _rounded_interval(k, n) for k, n in zip(s["n_responding"], s["n_treated"], strict=True)
        )
        if intervals
        else None,
    )


def _studies(profile: Profile, therapies: set[str], studies: Studies | None = None) -> pd.DataFrame:
    """The study-level results on these therapies (and the profile's antibody, or 'not
    specified'), with their intervals; ``studies``: :func:`prepare_studies` of
    :func:`~.base.load_studies` (read here when not given)."""
    s = prepare_studies(load_studies(), intervals=False) if studies is None else studies
    keep = [bool(t & therapies) for t in s.therapies]
    if profile.antibody:
        ab = profile.antibody
        keep = [
            k and (ab in a or "not specified" in a) for k, a in zip(keep, s.antibody, strict=True)
        ]
    out = s.frame[np.array(keep, dtype=bool)].reset_index(drop=True)
    if s.intervals is None:
        cis = [
            _rounded_interval(k, n)
            for k, n in zip(out["n_responding"], out["n_treated"], strict=True)
        ]
    else:
        cis = [s.intervals[i] for i, k in enumerate(keep) if k]
    return out.assign(ci_low=[lo for lo, _ in cis], ci_high=[hi for _, hi in cis])
