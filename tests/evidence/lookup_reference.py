"""A straightforward reading of the similar-case lookup, to check the prepared one against.

It is the lookup as it was written before the published patients were prepared as plain
values (:func:`myotrack.evidence.lookup.find_evidence` until 0.1.0's speed-up): each
published patient's courses ordered and read row by row with pandas, the 'after' courses as
frames, the adverse events filtered per therapy, the study-level table read and its
intervals computed for every lookup. The rules are the lookup module's docstring; the
criteria engine's verdicts are given (a frame indexed by patient id, as
:func:`myotrack.evidence.summary._engine` returns them).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

import numpy as np
import pandas as pd

from myotrack.evidence.base import citation, load_duplicates, load_studies, seed_of, sources
from myotrack.evidence.presentation import EvidenceResult
from myotrack.evidence.profile import (
    NOT_TREATMENT,
    Profile,
    drugs,
    float_or_none,
    ordered,
    text_or_none,
)
from myotrack.evidence.safety import safety_notes
from myotrack.evidence.similarity import Match, ScorePart, Weights, match_group, procedure_part
from myotrack.evidence.summary import (
    DEFAULT_ENGINE_CRITERIA,
    ENGINE_CRITERIA,
    EngineCount,
    TherapyEvidence,
    exact_interval,
)
from myotrack.tables import Dataset
from myotrack.tables.vocab import canonical_drug


def _score(
    profile: Profile, pat: pd.Series, courses: pd.DataFrame, w: Weights
) -> tuple[float, tuple[ScorePart, ...], bool, int]:
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
    return score, tuple(parts), comparable, m


def _end_of_line(courses: pd.DataFrame, m: int) -> int:
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


Courses = dict[object, tuple[pd.DataFrame, np.ndarray]]


def prepare_courses(ds: Dataset) -> Courses:
    """Every patient's ordered courses and which are part of a procedure (the lookup kept
    these once per process)."""
    out = {}
    for pid, g in ds.treatments.groupby("patient_id", sort=False):
        c = ordered(g)
        c = c[~c["drug"].isin(NOT_TREATMENT)]
        parts = np.array([procedure_part(r) for _, r in c.iterrows()], dtype=bool)
        out[pid] = (c, parts)
    return out


def rank(
    profile: Profile, ds: Dataset, exclude: Iterable[str], w: Weights, courses: Courses | None
) -> tuple[list[Match], dict[str, pd.DataFrame]]:
    """Every patient of ``ds`` (but ``exclude`` and the duplicates) ranked, with the courses
    each received after the matching point; ``courses``: :func:`prepare_courses` of ``ds``."""
    skip = set(exclude) | set(load_duplicates()["patient_id"])
    courses_by = prepare_courses(ds) if courses is None else courses
    empty = (ds.treatments.iloc[0:0], np.zeros(0, dtype=bool))
    matches: list[Match] = []
    after_rows: dict[str, pd.DataFrame] = {}
    for _, pat in ds.patients.iterrows():
        pid = str(pat["patient_id"])
        if pid in skip:
            continue
        c, procedure = courses_by.get(pid, empty)
        score, parts, is_comparable, m = _score(profile, pat, c, w)
        after = c.iloc[m + 1 :]
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


def therapies(
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


def studies(profile: Profile, therapies: set[str]) -> pd.DataFrame:
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


def find_evidence(
    profile: Profile,
    ds: Dataset,
    verdicts: pd.DataFrame,
    exclude: Iterable[str] = (),
    weights: Weights | None = None,
    candidates: Iterable[str] = (),
    courses: Courses | None = None,
) -> EvidenceResult:
    """The lookup of ``profile`` among the patients of ``ds``, the engine's verdicts given
    (and the courses, :func:`prepare_courses`, when prepared beforehand)."""
    w = weights or Weights()
    matches, after_rows = rank(profile, ds, exclude, w, courses)
    comparable = [m for m in matches if m.comparable and m.after]
    found = therapies(ds, comparable, after_rows, verdicts.loc[[m.patient_id for m in comparable]])
    wanted = {t.therapy for t in found} | set(drugs(candidates))
    notes = safety_notes(sorted(wanted), profile.comorbidities)
    table = studies(profile, wanted | set(profile.failed))
    known = {s.seed for s in sources()}

    def seeds_in(text: str) -> list[str]:
        return [s.seed for s in sources() if re.search(rf"\b{s.seed}\b", text)]

    seeds = sorted(
        (
            {m.seed for m in comparable}
            | set(table["seed"])
            | {s for n in notes for s in seeds_in(n.source)}
        )
        & known
    )
    refs = tuple((s, citation(s)) for s in seeds)
    return EvidenceResult(profile, tuple(matches), found, notes, table, refs, weights=w)
