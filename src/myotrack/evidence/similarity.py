"""How alike a published patient is to the profile, and where their course passes the therapies
the profile already received (the matching point); see :mod:`myotrack.evidence.lookup` for the
rules and weights."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import pandas as pd

from myotrack.evidence.base import load_duplicates, load_evidence, seed_of
from myotrack.evidence.profile import NOT_TREATMENT, Profile, float_or_none, ordered, text_or_none
from myotrack.tables import Dataset
from myotrack.tables.vocab import drug_class

#: Words that make a drug written outside the vocabulary a glucocorticoid ('high-dose
#: glucocorticoids', 'IV steroid'): an unnamed steroid is still a steroid when matching.
_STEROID = re.compile(r"steroid|corticoid|cortison|prednis|methylpred|dexameth", re.IGNORECASE)
#: Protocols whose parts are one procedure (the autoHCT conditioning drugs are the autoHCT).
PROCEDURES = ("autohct",)


def match_group(drug: str, protocol: object = None) -> str:
    """The group a drug counts as when matching therapies already received (see module docstring)."""
    if isinstance(protocol, str) and protocol in PROCEDURES:
        return protocol
    if drug == "r_chop":
        return "rituximab"
    cls = drug_class(drug)
    if cls in ("glucocorticoid", "immunoglobulin"):
        return cls
    if cls in (None, "unknown") and _STEROID.search(str(drug)):
        return "glucocorticoid"
    return drug


def procedure_part(row: pd.Series) -> bool:
    """A course that is part of a procedure (an autoHCT conditioning drug), not a therapy."""
    p = row.get("protocol")
    return isinstance(p, str) and p in PROCEDURES and row.get("drug") != p


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
class Courses:
    """One published patient's courses as a comparison reads them, as plain values: in order
    (:func:`ordered`), without the drugs that are not treatments. Each field holds one value
    per course: the drug, its :func:`match_group`, the response the authors reported
    (:func:`text_or_none`), ``line`` and ``start_day`` (:func:`float_or_none`), whether it is
    part of a procedure (:func:`procedure_part`) and its source."""

    drug: tuple[str, ...] = ()
    group: tuple[str, ...] = ()
    said: tuple[str | None, ...] = ()
    line: tuple[float | None, ...] = ()
    start: tuple[float | None, ...] = ()
    part: tuple[bool, ...] = ()
    source: tuple[object, ...] = ()

    def __len__(self) -> int:
        return len(self.drug)


@dataclass(frozen=True)
class Published:
    """A published patient as a comparison reads them: what does not depend on the profile."""

    patient_id: str
    antibody: str | None  # None when not given or 'unknown'
    comorbidities: frozenset[str]
    age: float | None
    sex: str | None
    onset_is_day_0: bool  # ``index_event`` empty: day 0 is symptom onset
    source: str
    courses: Courses


def _courses(c: pd.DataFrame) -> Courses:
    drug = c["drug"].tolist()
    protocol = c["protocol"].tolist()
    return Courses(
        tuple(drug),
        tuple(match_group(d, p) for d, p in zip(drug, protocol, strict=True)),
        tuple(text_or_none(r) for r in c["reported_response"].tolist()),
        tuple(float_or_none(x) for x in c["line"].tolist()),
        tuple(float_or_none(x) for x in c["start_day"].tolist()),
        tuple(procedure_part(r) for _, r in c.iterrows()),
        tuple(c["source"].tolist()),
    )


def prepare_courses(ds: Dataset) -> tuple[Published, ...]:
    """Every patient of ``ds`` to compare, in the order of ``ds.patients``: each person once
    (a patient reported twice, ``duplicates.csv``, is compared under its first report)."""
    skip = set(load_duplicates()["patient_id"])
    by_patient: dict[object, Courses] = {}
    for pid, g in ds.treatments.groupby("patient_id", sort=False):
        c = ordered(g)
        by_patient[pid] = _courses(c[~c["drug"].isin(NOT_TREATMENT)])
    out = []
    for pat in ds.patients.to_dict("records"):
        pid = str(pat["patient_id"])
        if pid in skip:
            continue
        ab = text_or_none(pat["antibody"])
        raw = text_or_none(pat["comorbidities"])
        out.append(
            Published(
                pid,
                None if ab == "unknown" else ab,
                frozenset(raw.split(";")) if raw else frozenset(),
                float_or_none(pat["age_at_onset"]),
                text_or_none(pat["sex"]),
                text_or_none(pat["index_event"]) is None,
                str(pat["source"] or ""),
                by_patient.get(pid, Courses()),
            )
        )
    return tuple(out)


def _score(
    profile: Profile, pat: Published, w: Weights, wanted: set[str]
) -> tuple[float, tuple[ScorePart, ...], bool, int, float | None]:
    """Score parts, comparability, the matching index and the coverage of the profile's
    therapies; ``wanted``: the match groups of the profile's therapies."""
    parts: list[ScorePart] = []
    courses = pat.courses
    ab = pat.antibody
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
    m, coverage = -1, None
    if wanted:
        groups, said = courses.group, courses.said
        # a course the authors say worked is not a failure of that therapy
        failed = [g if r != "yes" else None for g, r in zip(groups, said, strict=True)]
        worked = sorted(
            {g for g, r in zip(groups, said, strict=True) if g in wanted and r == "yes"}
            - {g for g in failed if g}
        )
        seen: set[str] = set()
        for i, g in enumerate(failed):
            if g:
                seen.add(g)
            if wanted <= seen:
                m, coverage = i, 1.0
                break
        if coverage is None:
            got = wanted & {g for g in failed if g}
            coverage = len(got) / len(wanted)
            hits = [i for i, g in enumerate(groups) if g in wanted]
            m = hits[-1] if hits else -1
        m = _end_of_line(courses, m)
        missing = sorted(wanted - {g for g in failed[: m + 1] if g})
        text = f"had received {len(wanted) - len(missing)} of {len(wanted)}"
        if missing:
            text += " (not " + ", ".join(missing) + ")"
        if worked:
            text += "; " + ", ".join(worked) + " worked (reported), not a failure"
        parts.append(ScorePart("therapies received", w.prior, coverage, text))
    if profile.comorbidities:
        mine = set(profile.comorbidities)
        theirs = pat.comorbidities
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
        age = pat.age
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
        sex = pat.sex
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
        if pat.onset_is_day_0:
            for idx in (m + 1, m):
                if 0 <= idx < len(courses):
                    start = courses.start[idx]
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


def _end_of_line(courses: Courses, m: int) -> int:
    """The last course given together with course ``m`` (same ``line``): none of them is 'next'."""
    if m < 0:
        return m
    lines = courses.line
    line = lines[m]
    if line is None:
        return m
    while m + 1 < len(lines) and lines[m + 1] == line:
        m += 1
    return m


def _point_text(courses: Courses, m: int) -> str:
    if m < 0:
        return "before the first course"
    line = courses.line[m]
    where = f"line {line:g}" if line is not None else f"course {m + 1}"
    return f"after {where} ({courses.drug[m]})"


@dataclass(frozen=True)
class After:
    """The courses a published patient received after the matching point (the parts of a
    procedure left out), in order: drug, the response the authors reported, source."""

    drug: tuple[str, ...]
    said: tuple[str | None, ...]
    source: tuple[object, ...]


def _rank(
    profile: Profile,
    ds: Dataset,
    exclude: Iterable[str],
    w: Weights,
    published: Sequence[Published] | None = None,
) -> tuple[list[Match], dict[str, After]]:
    """The ranked patients and, for the comparable ones who received something after the
    matching point, those courses. ``published``: :func:`prepare_courses` of ``ds`` (computed
    here when not given)."""
    skip = set(exclude)
    wanted = {match_group(d) for d in profile.failed}
    matches: list[Match] = []
    after_rows: dict[str, After] = {}
    for pat in prepare_courses(ds) if published is None else published:
        pid = pat.patient_id
        if pid in skip:
            continue
        c = pat.courses
        score, parts, is_comparable, m, _ = _score(profile, pat, w, wanted)
        # the parts of a procedure (autoHCT conditioning) are the procedure, not next therapies
        after = [i for i in range(m + 1, len(c)) if not c.part[i]]
        drugs_after = tuple(dict.fromkeys(c.drug[i] for i in after))
        if is_comparable and drugs_after:
            after_rows[pid] = After(
                tuple(c.drug[i] for i in after),
                tuple(c.said[i] for i in after),
                tuple(c.source[i] for i in after),
            )
        matches.append(
            Match(
                pid,
                seed_of(pid),
                score,
                parts,
                is_comparable,
                _point_text(c, m),
                tuple(dict.fromkeys(c.drug[: m + 1])),
                drugs_after,
                pat.source,
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
