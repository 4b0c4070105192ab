"""How alike a published patient is to the profile, and where their course passes the therapies
the profile already received (the matching point); see :mod:`myotrack.evidence.lookup` for the
rules and weights."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import numpy as np
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


def _score(
    profile: Profile, pat: pd.Series, courses: pd.DataFrame, w: Weights
) -> tuple[float, tuple[ScorePart, ...], bool, int, float | None]:
    """Score parts, comparability, the matching index and the coverage of the profile's therapies."""
    parts: list[ScorePart] = []
    ab = text_or_none(pat["antibody"])
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
    groups = [match_group(d, p) for d, p in zip(courses["drug"], courses["protocol"], strict=True)]
    said = [text_or_none(r) for r in courses["reported_response"]]
    wanted = {match_group(d) for d in profile.failed}
    # a course the authors say worked is not a failure of that therapy
    failed = [g if r != "yes" else None for g, r in zip(groups, said, strict=True)]
    worked = sorted(
        {g for g, r in zip(groups, said, strict=True) if g in wanted and r == "yes"}
        - {g for g in failed if g}
    )
    m, coverage = -1, None
    if wanted:
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
        raw = text_or_none(pat["comorbidities"])
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
        age = float_or_none(pat["age_at_onset"])
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
        sex = text_or_none(pat["sex"])
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
        if text_or_none(pat["index_event"]) is None:
            for idx in (m + 1, m):
                if 0 <= idx < len(courses):
                    start = float_or_none(courses["start_day"].iloc[idx])
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


def _end_of_line(courses: pd.DataFrame, m: int) -> int:
    """The last course given together with course ``m`` (same ``line``): none of them is 'next'."""
    if m < 0:
        return m
    line = float_or_none(courses["line"].iloc[m])
    if line is None:
        return m
    lines = [float_or_none(x) for x in courses["line"]]
    while m + 1 < len(lines) and lines[m + 1] == line:
        m += 1
    return m


def _point_text(courses: pd.DataFrame, m: int) -> str:
    if m < 0:
        return "before the first course"
    r = courses.iloc[m]
    line = float_or_none(r["line"])
    where = f"line {line:g}" if line is not None else f"course {m + 1}"
    return f"after {where} ({r['drug']})"


#: One published patient's courses as a comparison reads them: in order (:func:`ordered`),
#: without the drugs that are not treatments, and which of them are part of a procedure.
Courses = tuple[pd.DataFrame, np.ndarray]


def prepare_courses(ds: Dataset) -> dict[object, Courses]:
    """Every patient's :data:`Courses`, by patient id: what does not depend on the profile."""
    out: dict[object, Courses] = {}
    for pid, g in ds.treatments.groupby("patient_id", sort=False):
        c = ordered(g)
        c = c[~c["drug"].isin(NOT_TREATMENT)]
        parts = np.array([procedure_part(r) for _, r in c.iterrows()], dtype=bool)
        out[pid] = (c, parts)
    return out


def _rank(
    profile: Profile,
    ds: Dataset,
    exclude: Iterable[str],
    w: Weights,
    courses: Mapping[object, Courses] | None = None,
) -> tuple[list[Match], dict[str, pd.DataFrame]]:
    """``courses``: :func:`prepare_courses` of ``ds`` (computed here when not given)."""
    # a patient reported twice (duplicates.csv) is compared once, under its first report
    skip = set(exclude) | set(load_duplicates()["patient_id"])
    courses_by = prepare_courses(ds) if courses is None else courses
    empty: Courses = (ds.treatments.iloc[0:0], np.zeros(0, dtype=bool))
    matches: list[Match] = []
    after_rows: dict[str, pd.DataFrame] = {}
    for _, pat in ds.patients.iterrows():
        pid = str(pat["patient_id"])
        if pid in skip:
            continue
        c, procedure = courses_by.get(pid, empty)
        score, parts, is_comparable, m, _ = _score(profile, pat, c, w)
        after = c.iloc[m + 1 :]
        # the parts of a procedure (autoHCT conditioning) are the procedure, not next therapies
        after = after[~procedure[m + 1 :]] if len(after) else after
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
