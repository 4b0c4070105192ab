"""Similar published patients, and what they received after the therapies a patient has had.

The question: "what has been tried in patients like mine, and how did it go?". The answer shows
published evidence; it never recommends a therapy.

**Profile.** Antibody, therapies already received (failed or not tolerated), comorbidities,
disease duration (years), age at onset, sex. Build one with :func:`make_profile` or from a
patient of any source with :func:`profile_from_source` (there every recorded therapy counts as
already received: a registry seldom says why a course stopped).

**Matching point.** A published patient's courses are ordered by ``line``, then ``start_day``.
The matching point is the first course by which the patient had received every therapy of the
profile; the therapies after it are "what was tried next". Therapies match by group:
glucocorticoids (prednisone, prednisolone, methylprednisolone, 'CS' ...) count as one, IVIg
and SCIg as one, and R-CHOP counts as rituximab; every other drug is itself. A patient who never
received all of them is matched after the last one received and scores lower.

**Similarity score** (0-1): a weighted mean over the parts the profile gives, each part 0-1:

========================  ======  ==============================================================
part                      weight  value
========================  ======  ==============================================================
antibody                  3       1 same antibody, 0 different or unknown
therapies received        3       share of the profile's therapies the patient had received
comorbidities             1       Jaccard overlap of the comorbidity sets
age at onset              1       1 - |difference| / 30 years (0 beyond 30 years)
sex                       0.5     1 same, 0 different
disease duration          1       1 - |difference| / 10 years, the published duration being the
                                  start day of the first course after the matching point (when
                                  day 0 is symptom onset)
========================  ======  ==============================================================

A part the published paper does not give scores 0 and says "unknown". Weights and scales are
:class:`Weights` (documented defaults, changeable).

**Comparable patients** have the profile's antibody (when given) and had received every therapy
of the profile. Per therapy they received after the matching point the summary gives: the
number of patients; the response by the criteria engine (``definite_response``, seed 002, for
every therapy; also ``rtx_response``, seed 001 Table 4 footnote b, for rituximab), counted only
where the engine anchored the criterion on that therapy (others are not evaluable for it); the
response as the authors reported it (first course of the therapy after the matching point);
adverse events attributed to the therapy in those patients; and the citations.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace

import pandas as pd

from myotrack.criteria import evaluate
from myotrack.errors import MyotrackError
from myotrack.evidence.base import (
    citation,
    load_duplicates,
    load_evidence,
    load_studies,
    seed_of,
    sources,
)
from myotrack.evidence.safety import SafetyNote, safety_notes
from myotrack.tables import Dataset
from myotrack.tables.schema import ANTIBODY, SEX
from myotrack.tables.vocab import (
    COMORBIDITIES,
    canonical_comorbidity,
    canonical_drug,
    drug_class,
    suggest_drugs,
)

#: Criteria whose verdict is reported per therapy (rituximab adds the 001 literature definition).
ENGINE_CRITERIA: dict[str, tuple[str, ...]] = {"rituximab": ("rtx_response", "definite_response")}
DEFAULT_ENGINE_CRITERIA = ("definite_response",)
#: Drugs that are not treatments of the disease and never form part of a match.
NOT_TREATMENT = ("statin",)

NOT_ADVICE = (
    "Published evidence, not a recommendation: what published patients like this one "
    "received next, and what the papers report."
)


class InvalidProfile(MyotrackError):
    """A profile value that myotrack does not know (antibody, drug, comorbidity, sex, number)."""


def match_group(drug: str) -> str:
    """The group a drug counts as when matching therapies already received (see module docstring)."""
    if drug == "r_chop":
        return "rituximab"
    cls = drug_class(drug)
    if cls in ("glucocorticoid", "immunoglobulin"):
        return cls
    return drug


@dataclass(frozen=True)
class Weights:
    """Weights of the similarity parts and the distances at which age and duration score 0."""

    antibody: float = 3.0
    prior: float = 3.0
    comorbidities: float = 1.0
    age: float = 1.0
    sex: float = 0.5
    duration: float = 1.0
    age_scale_years: float = 30.0
    duration_scale_years: float = 10.0


@dataclass(frozen=True)
class Profile:
    """The patient to compare: canonical antibody, drugs and comorbidity terms."""

    antibody: str | None = None
    failed: tuple[str, ...] = ()
    comorbidities: tuple[str, ...] = ()
    disease_years: float | None = None
    age: float | None = None
    sex: str | None = None
    patient_id: str | None = None  # set when built from a source

    def describe(self) -> str:
        bits = []
        if self.patient_id:
            bits.append(f"patient {self.patient_id}")
        if self.antibody:
            bits.append(
                f"anti-{self.antibody}" if self.antibody in ("SRP", "HMGCR") else self.antibody
            )
        if self.failed:
            bits.append("already received " + ", ".join(self.failed))
        if self.comorbidities:
            bits.append("comorbidities " + ", ".join(self.comorbidities))
        if self.disease_years is not None:
            bits.append(f"disease duration {self.disease_years:g} years")
        if self.age is not None:
            bits.append(f"age at onset {self.age:g}")
        if self.sex:
            bits.append(f"sex {self.sex}")
        return "; ".join(bits) if bits else "no profile given"


def _antibody(text: str | None) -> str | None:
    if text is None or not str(text).strip():
        return None
    key = str(text).strip().lower().removeprefix("anti-").removeprefix("anti")
    for a in ANTIBODY:
        if a.lower() == key:
            return None if a == "unknown" else a
    raise InvalidProfile(f"antibody {text!r} is not one of: {', '.join(ANTIBODY)}")


def _drugs(items: Iterable[str]) -> tuple[str, ...]:
    out: list[str] = []
    for d in items:
        if not str(d).strip():
            continue
        c = canonical_drug(str(d))
        if c is None:
            close = suggest_drugs(str(d))
            hint = (
                f"; closest known names: {', '.join(close)}"
                if close
                else "; see 'myotrack template' for the drug list"
            )
            raise InvalidProfile(f"unknown drug {d!r}{hint}")
        if c not in out:
            out.append(c)
    return tuple(out)


def make_profile(
    antibody: str | None = None,
    failed: Iterable[str] = (),
    comorbidities: Iterable[str] = (),
    disease_years: float | None = None,
    age: float | None = None,
    sex: str | None = None,
) -> Profile:
    """A validated profile: names in any case and any drug synonym; unknown values raise InvalidProfile."""
    como: list[str] = []
    for c in comorbidities:
        if not str(c).strip():
            continue
        term = canonical_comorbidity(str(c))
        if term is None:
            raise InvalidProfile(
                f"unknown comorbidity {c!r}; known terms: {', '.join(COMORBIDITIES)}"
            )
        if term not in como:
            como.append(term)
    sex_value = None
    if sex is not None and str(sex).strip():
        lookup = {s.lower(): s for s in SEX}
        sex_value = lookup.get(str(sex).strip().lower())
        if sex_value is None:
            raise InvalidProfile(f"sex {sex!r} is not one of: {', '.join(SEX)}")
        if sex_value == "unknown":
            sex_value = None
    if age is not None and not 0 <= age <= 120:
        raise InvalidProfile(f"age {age:g} must be 0 to 120 years")
    if disease_years is not None and disease_years < 0:
        raise InvalidProfile(f"disease duration {disease_years:g} cannot be negative")
    return Profile(_antibody(antibody), _drugs(failed), tuple(como), disease_years, age, sex_value)


def _text_or_none(v: object) -> str | None:
    if v is None or v is pd.NA or (isinstance(v, float) and math.isnan(v)):
        return None
    return str(v)


def _float_or_none(v: object) -> float | None:
    if v is None or v is pd.NA:
        return None
    f = float(v)  # type: ignore[arg-type]
    return None if math.isnan(f) else f


def profile_from_source(ds: Dataset, patient_id: str) -> Profile:
    """The profile of one patient of a source: every recorded therapy counts as already received.

    The source's drugs and comorbidity terms are taken as they are: canonical names, or names
    outside the vocabularies kept as written (they then match only themselves).

    Disease duration is the last recorded day (visits, grades, treatments, events) in years when
    day 0 is symptom onset (``index_event`` empty); otherwise unknown.
    """
    rows = ds.patients[ds.patients["patient_id"] == patient_id]
    if rows.empty:
        raise InvalidProfile(f"patient {patient_id!r} is not in {ds.name}")
    p = rows.iloc[0]
    t = ds.treatments[ds.treatments["patient_id"] == patient_id]
    drugs = tuple(
        dict.fromkeys(
            d for d in _ordered(t)["drug"] if isinstance(d, str) and d and d not in NOT_TREATMENT
        )
    )
    years = None
    if _text_or_none(p["index_event"]) is None:
        days = []
        for name, cols in (
            ("visits", ["day"]),
            ("strength", ["day"]),
            ("treatments", ["start_day", "end_day"]),
            ("events", ["day"]),
        ):
            f = ds.table(name)
            f = f[f["patient_id"] == patient_id]
            for c in cols:
                days += [float(x) for x in f[c].dropna()]
        if days:
            years = round(max(days) / 365.25, 2)
    como = _text_or_none(p["comorbidities"])
    terms = tuple(dict.fromkeys(c.strip() for c in como.split(";") if c.strip())) if como else ()
    return replace(
        make_profile(
            _text_or_none(p["antibody"]),
            (),
            (),
            years,
            _float_or_none(p["age_at_onset"]),
            _text_or_none(p["sex"]),
        ),
        failed=drugs,
        comorbidities=tuple(canonical_comorbidity(c) or c for c in terms),
        patient_id=patient_id,
    )


def _ordered(t: pd.DataFrame) -> pd.DataFrame:
    """Courses in order: line, then start day, then as listed."""
    key = t.assign(
        _line=t["line"].astype("Float64").fillna(math.inf),
        _start=t["start_day"].astype("Float64").fillna(math.inf),
        _pos=range(len(t)),
    )
    return key.sort_values(["_line", "_start", "_pos"]).drop(columns=["_line", "_start", "_pos"])


@dataclass(frozen=True)
class ScorePart:
    """One part of the similarity score: its weight, value (0-1, None = unknown) and why."""

    name: str
    weight: float
    value: float | None
    text: str

    @property
    def points(self) -> float:
        return self.weight * (self.value or 0.0)


@dataclass(frozen=True)
class Match:
    """A published patient ranked against the profile."""

    patient_id: str
    seed: str
    score: float
    parts: tuple[ScorePart, ...]
    comparable: bool
    matching_point: str
    received_before: tuple[str, ...]
    after: tuple[str, ...]
    source: str

    def explain(self) -> str:
        """Each part of the score: what was compared and the points it gave (points/weight)."""
        return "; ".join(f"{p.name}: {p.text} ({p.points:g}/{p.weight:g})" for p in self.parts)


@dataclass(frozen=True)
class EngineCount:
    """Verdicts of one criterion for the patients who received a therapy after the matching point."""

    criterion: str
    yes: int
    no: int
    not_evaluable: int
    verdicts: tuple[tuple[str, str, str], ...]  # (patient_id, verdict, why)


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

    def engine_count(self, criterion: str) -> EngineCount:
        for e in self.engine:
            if e.criterion == criterion:
                return e
        raise KeyError(criterion)


@dataclass(frozen=True)
class EvidenceResult:
    """The ranked published patients, the per-therapy evidence, safety notes and studies."""

    profile: Profile
    matches: tuple[Match, ...]
    therapies: tuple[TherapyEvidence, ...]
    safety: tuple[SafetyNote, ...]
    studies: pd.DataFrame
    references: tuple[tuple[str, str], ...]  # (seed, citation)
    notice: str = NOT_ADVICE
    weights: Weights = field(default_factory=Weights)

    @property
    def comparable(self) -> tuple[Match, ...]:
        return tuple(m for m in self.matches if m.comparable)

    def therapy(self, name: str) -> TherapyEvidence:
        drug = canonical_drug(name) or name
        for t in self.therapies:
            if t.therapy == drug:
                return t
        raise KeyError(name)

    def matches_frame(self, top: int | None = None) -> pd.DataFrame:
        rows = [
            {
                "patient_id": m.patient_id,
                "seed": m.seed,
                "score": round(m.score, 3),
                "comparable": m.comparable,
                "matching_point": m.matching_point,
                "received_after": ", ".join(m.after),
                "why": m.explain(),
                "source": m.source,
            }
            for m in self.matches[:top]
        ]
        return pd.DataFrame(
            rows,
            columns=[
                "patient_id",
                "seed",
                "score",
                "comparable",
                "matching_point",
                "received_after",
                "why",
                "source",
            ],
        )

    def therapies_frame(self, compact: bool = False) -> pd.DataFrame:
        """One row per therapy received next; ``compact`` folds the counts into readable text."""
        if compact:
            return pd.DataFrame(
                [
                    {
                        "therapy": t.therapy,
                        "patients": t.n_patients,
                        "criteria engine": "; ".join(
                            f"{e.criterion}: {e.yes} yes, {e.no} no, {e.not_evaluable} not evaluable"
                            for e in t.engine
                        ),
                        "as the authors reported": ", ".join(
                            f"{n} {v}" for v, n in t.reported if n
                        ),
                        "adverse events": ", ".join(
                            f"{term} ({n})" for term, n in t.adverse_events
                        ),
                        "patient ids": ", ".join(t.patients),
                    }
                    for t in self.therapies
                ]
            )
        rows = []
        for t in self.therapies:
            row: dict[str, object] = {"therapy": t.therapy, "patients": t.n_patients}
            for e in t.engine:
                row[f"{e.criterion}_yes"] = e.yes
                row[f"{e.criterion}_no"] = e.no
                row[f"{e.criterion}_not_evaluable"] = e.not_evaluable
            for value, n in t.reported:
                row[f"reported_{value.replace(' ', '_')}"] = n
            row["adverse_events"] = "; ".join(f"{term} ({n})" for term, n in t.adverse_events)
            row["patient_ids"] = ", ".join(t.patients)
            row["citations"] = " | ".join(t.citations)
            rows.append(row)
        return pd.DataFrame(rows)

    def safety_frame(self) -> pd.DataFrame:
        return pd.DataFrame(
            [
                {
                    "rule": n.rule_id,
                    "therapies": ", ".join(n.drugs),
                    "comorbidities": ", ".join(n.comorbidities),
                    "caution": n.caution,
                    "source": n.source,
                }
                for n in self.safety
            ],
            columns=["rule", "therapies", "comorbidities", "caution", "source"],
        )

    def to_dict(self, top: int | None = None) -> dict[str, object]:
        def records(f: pd.DataFrame) -> list[dict[str, object]]:
            return [
                {str(k): (None if _text_or_none(v) is None else v) for k, v in r.items()}
                for r in f.astype(object).to_dict("records")
            ]

        return {
            "notice": self.notice,
            "profile": self.profile.describe(),
            "matches": records(self.matches_frame(top)),
            "therapies": records(self.therapies_frame()),
            "safety": records(self.safety_frame()),
            "studies": records(self.studies),
            "references": [{"seed": s, "citation": c} for s, c in self.references],
        }

    def summary(self) -> str:
        """The evidence in a few lines of plain text (counts, sources and cautions)."""
        n_next = sum(1 for m in self.comparable if m.after)
        lines = [
            self.notice,
            f"Profile: {self.profile.describe()}.",
            f"{_n(len(self.comparable), 'comparable published patient')} (same antibody, had received "
            f"every therapy named); {n_next} received a further therapy.",
        ]
        for t in self.therapies:
            engine = "; ".join(
                f"{e.criterion} {e.yes} yes / {e.no} no / {e.not_evaluable} not evaluable"
                for e in t.engine
            )
            said = ", ".join(f"{n} {v}" for v, n in t.reported if n)
            seeds = ", ".join(sorted({seed_of(p) for p in t.patients}))
            lines.append(
                f"- {t.therapy}: {_n(t.n_patients, 'patient')}; by the criteria engine: {engine}; "
                f"as the authors reported: {said}; sources: {seeds}"
            )
        for n in self.safety:
            lines.append(f"! {n.text()}")
        return "\n".join(lines)


def _n(count: int, noun: str) -> str:
    return f"{count} {noun}{'' if count == 1 else 's'}"


def _score(
    profile: Profile, pat: pd.Series, courses: pd.DataFrame, w: Weights
) -> tuple[float, tuple[ScorePart, ...], bool, int, float | None]:
    """Score parts, comparability, the matching index and the coverage of the profile's therapies."""
    parts: list[ScorePart] = []
    ab = _text_or_none(pat["antibody"])
    ab = None if ab == "unknown" else ab
    if profile.antibody:
        if ab is None:
            parts.append(ScorePart("antibody", w.antibody, None, "unknown"))
        else:
            same = ab == profile.antibody
            parts.append(
                ScorePart(
                    "antibody",
                    w.antibody,
                    1.0 if same else 0.0,
                    f"{ab} {'=' if same else '!='} {profile.antibody}",
                )
            )
    groups = [match_group(d) for d in courses["drug"]]
    wanted = {match_group(d) for d in profile.failed}
    m, coverage = -1, None
    if wanted:
        seen: set[str] = set()
        for i, g in enumerate(groups):
            seen.add(g)
            if wanted <= seen:
                m, coverage = i, 1.0
                break
        if coverage is None:
            got = wanted & set(groups)
            coverage = len(got) / len(wanted)
            hits = [i for i, g in enumerate(groups) if g in wanted]
            m = hits[-1] if hits else -1
        missing = sorted(wanted - set(groups[: m + 1]))
        text = f"had received {len(wanted) - len(missing)} of {len(wanted)}"
        if missing:
            text += " (not " + ", ".join(missing) + ")"
        parts.append(ScorePart("therapies received", w.prior, coverage, text))
    if profile.comorbidities:
        mine = set(profile.comorbidities)
        raw = _text_or_none(pat["comorbidities"])
        theirs = set(raw.split(";")) if raw else set()
        shared = mine & theirs
        parts.append(
            ScorePart(
                "comorbidities",
                w.comorbidities,
                len(shared) / len(mine | theirs),
                ("shared " + ", ".join(sorted(shared))) if shared else "none shared",
            )
        )
    if profile.age is not None:
        age = _float_or_none(pat["age_at_onset"])
        if age is None:
            parts.append(ScorePart("age", w.age, None, "unknown"))
        else:
            parts.append(
                ScorePart(
                    "age",
                    w.age,
                    max(0.0, 1 - abs(age - profile.age) / w.age_scale_years),
                    f"{age:g} vs {profile.age:g}",
                )
            )
    if profile.sex:
        sex = _text_or_none(pat["sex"])
        if sex in (None, "unknown"):
            parts.append(ScorePart("sex", w.sex, None, "unknown"))
        else:
            parts.append(
                ScorePart(
                    "sex", w.sex, 1.0 if sex == profile.sex else 0.0, f"{sex} vs {profile.sex}"
                )
            )
    if profile.disease_years is not None:
        years = None
        if _text_or_none(pat["index_event"]) is None:
            for idx in (m + 1, m):
                if 0 <= idx < len(courses):
                    start = _float_or_none(courses["start_day"].iloc[idx])
                    if start is not None:
                        years = start / 365.25
                        break
        if years is None:
            parts.append(ScorePart("disease duration", w.duration, None, "unknown"))
        else:
            parts.append(
                ScorePart(
                    "disease duration",
                    w.duration,
                    max(0.0, 1 - abs(years - profile.disease_years) / w.duration_scale_years),
                    f"{years:.1f} vs {profile.disease_years:g} years",
                )
            )
    total = sum(p.weight for p in parts)
    score = sum(p.points for p in parts) / total if total else 0.0
    comparable = (not profile.antibody or ab == profile.antibody) and (
        coverage is None or coverage == 1.0
    )
    return score, tuple(parts), comparable, m, coverage


def _point_text(courses: pd.DataFrame, m: int) -> str:
    if m < 0:
        return "before the first course"
    r = courses.iloc[m]
    line = _float_or_none(r["line"])
    where = f"line {line:g}" if line is not None else f"course {m + 1}"
    return f"after {where} ({r['drug']})"


def _engine(ds: Dataset, ids: Sequence[str]) -> pd.DataFrame:
    crits = sorted({c for cs in (*ENGINE_CRITERIA.values(), DEFAULT_ENGINE_CRITERIA) for c in cs})
    if not ids:
        return pd.DataFrame(columns=["patient_id"])
    return evaluate(ds.subset(ids), criteria=crits).frame.set_index("patient_id")


def _rank(
    profile: Profile, ds: Dataset, exclude: Iterable[str], w: Weights
) -> tuple[list[Match], dict[str, pd.DataFrame]]:
    # a patient reported twice (duplicates.csv) is compared once, under its first report
    skip = set(exclude) | set(load_duplicates()["patient_id"])
    courses_by = {pid: _ordered(g) for pid, g in ds.treatments.groupby("patient_id", sort=False)}
    empty = ds.treatments.iloc[0:0]
    matches: list[Match] = []
    after_rows: dict[str, pd.DataFrame] = {}
    for _, pat in ds.patients.iterrows():
        pid = str(pat["patient_id"])
        if pid in skip:
            continue
        c = courses_by.get(pid, empty)
        c = c[~c["drug"].isin(NOT_TREATMENT)]
        score, parts, is_comparable, m, _ = _score(profile, pat, c, w)
        after = c.iloc[m + 1 :]
        after_rows[pid] = after
        matches.append(
            Match(
                pid,
                seed_of(pid),
                score,
                parts,
                is_comparable,
                _point_text(c, m),
                tuple(dict.fromkeys(c.iloc[: m + 1]["drug"])),
                tuple(dict.fromkeys(after["drug"])),
                str(pat["source"] or ""),
            )
        )
    matches.sort(key=lambda x: (-x.score, -len(x.after), x.patient_id))
    return matches, after_rows


def rank(
    profile: Profile,
    evidence: Dataset | None = None,
    exclude: Iterable[str] = (),
    weights: Weights | None = None,
) -> tuple[Match, ...]:
    """Every published patient (or every patient of ``evidence``) ranked by similarity, best first.

    Ties are broken by the number of therapies received after the matching point, then by id.
    """
    ds = load_evidence() if evidence is None else evidence
    return tuple(_rank(profile, ds, exclude, weights or Weights())[0])


def find_evidence(
    profile: Profile,
    evidence: Dataset | None = None,
    exclude: Iterable[str] = (),
    weights: Weights | None = None,
    candidates: Iterable[str] = (),
) -> EvidenceResult:
    """Rank the published patients against ``profile`` and summarise what the comparable ones received next.

    ``exclude`` drops patient ids (the profile's own patient when it comes from the evidence base);
    ``candidates`` adds therapies (any synonym) whose safety notes should be shown as well.
    """
    w = weights or Weights()
    ds = load_evidence() if evidence is None else evidence
    matches, after_rows = _rank(profile, ds, exclude, w)
    comparable = [m for m in matches if m.comparable and m.after]
    verdicts = _engine(ds, [m.patient_id for m in comparable])
    therapies = _therapies(ds, comparable, after_rows, verdicts)
    wanted = {t.therapy for t in therapies} | set(_drugs(candidates))
    notes = safety_notes(sorted(wanted), profile.comorbidities)
    studies = _studies(profile, wanted | set(profile.failed))
    known = {s.seed for s in sources()}
    seeds = sorted(
        (
            {m.seed for m in comparable}
            | set(studies["seed"])
            | {s for n in notes for s in _seeds_in(n.source)}
        )
        & known
    )
    refs = tuple((s, citation(s)) for s in seeds)
    return EvidenceResult(profile, tuple(matches), therapies, notes, studies, refs, weights=w)


def _seeds_in(text: str) -> list[str]:
    return [s.seed for s in sources() if re.search(rf"\b{s.seed}\b", text)]


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
                anchor = _text_or_none(r.get(f"{crit}__anchor_drug"))
                if anchor != drug:
                    value, why = (
                        "not_evaluable",
                        f"the engine anchors {crit} on {anchor or 'no course with a start day'}, not {drug}",
                    )
                else:
                    value = str(r[crit])
                    detail = "why" if value != "not_evaluable" else "reason"
                    why = _text_or_none(r.get(f"{crit}__{detail}")) or ""
                counts[value] += 1
                rows.append((pid, value, why))
            engine.append(
                EngineCount(crit, counts["yes"], counts["no"], counts["not_evaluable"], tuple(rows))
            )
        reported = {"yes": 0, "partial": 0, "no": 0, "not reported": 0}
        cites: list[str] = []
        for pid in pids:
            first = after_rows[pid][after_rows[pid]["drug"] == drug].iloc[0]
            said = _text_or_none(first["reported_response"])
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
    return s[keep].reset_index(drop=True)
