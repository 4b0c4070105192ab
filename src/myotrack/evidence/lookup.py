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
glucocorticoids (prednisone, prednisolone, methylprednisolone, 'CS', and a steroid written
outside the vocabulary such as 'high-dose glucocorticoids') count as one, IVIg and SCIg as one,
R-CHOP counts as rituximab, and the parts of a procedure (the autoHCT conditioning drugs,
``protocol = autohct``) are the procedure; every other drug is itself. A course the authors
report as working (``reported_response = yes``) is not a failure of that therapy, so it does
not count as 'already received'. Courses given together with the matching course (same
``line``) are not 'next'. A patient who never received all of them is matched after the last
one received and scores lower.

The module is split by concern: :mod:`.profile` (the profile), :mod:`.similarity` (groups,
matching point, score), :mod:`.summary` (per-therapy counts with exact Clopper-Pearson 95%
intervals, study-level results beside them) and :mod:`.presentation` (tables and text);
this module runs them (:func:`find_evidence`).

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
adverse events attributed to the therapy in those patients; exact 95% intervals of the
reported and the engine's response shares; the study-level results on the same therapies
(with their intervals); and the citations.
"""

from __future__ import annotations

import os
import re
import stat
import threading
from collections.abc import Iterable
from dataclasses import dataclass

import pandas as pd

from myotrack.evidence.base import (
    DATA_DIR,
    _evidence,
    citation,
    load_evidence,
    load_studies,
    sources,
)
from myotrack.evidence.presentation import NOT_ADVICE, EvidenceResult
from myotrack.evidence.profile import (
    NOT_TREATMENT,
    InvalidProfile,
    Profile,
    drugs,
    make_profile,
    profile_from_source,
)
from myotrack.evidence.safety import safety_notes
from myotrack.evidence.similarity import (
    Match,
    Published,
    ScorePart,
    Weights,
    _rank,
    match_group,
    prepare_courses,
    rank,
)
from myotrack.evidence.summary import (
    DEFAULT_ENGINE_CRITERIA,
    ENGINE_CRITERIA,
    AdverseEvent,
    EngineCount,
    Studies,
    TherapyEvidence,
    _engine,
    _studies,
    _therapies,
    adverse_events,
    exact_interval,
    prepare_studies,
    verdict_rows,
)
from myotrack.tables import Dataset

__all__ = [
    "DEFAULT_ENGINE_CRITERIA",
    "ENGINE_CRITERIA",
    "NOT_ADVICE",
    "NOT_TREATMENT",
    "EngineCount",
    "EvidenceResult",
    "InvalidProfile",
    "Match",
    "Profile",
    "ScorePart",
    "TherapyEvidence",
    "Weights",
    "corpus_ready",
    "exact_interval",
    "find_evidence",
    "make_profile",
    "match_group",
    "prepare_corpus",
    "profile_from_source",
    "rank",
]


@dataclass(frozen=True)
class Corpus:
    """The published cases as every lookup reads them: the dataset; each patient to compare
    with their ordered courses, as plain values (:func:`~.similarity.prepare_courses`); the
    criteria engine's verdicts on every patient (the engine judges each patient on their own
    rows), as a frame and per patient (:func:`~.summary.verdict_rows`); the adverse events
    (:func:`~.summary.adverse_events`) and the study-level results with their intervals
    (:func:`~.summary.prepare_studies`)."""

    version: tuple[tuple[str, int, int], ...]
    dataset: Dataset
    published: tuple[Published, ...]
    verdicts: pd.DataFrame
    verdict_rows: dict[str, dict[str, object]]
    adverse_events: tuple[AdverseEvent, ...]
    studies: Studies

    @classmethod
    def build(cls, version: tuple[tuple[str, int, int], ...], ds: Dataset) -> Corpus:
        verdicts = _engine(ds, ds.patient_ids)
        return cls(
            version,
            ds,
            prepare_courses(ds),
            verdicts,
            verdict_rows(verdicts),
            adverse_events(ds.events),
            prepare_studies(load_studies()),
        )


def data_version() -> tuple[tuple[str, int, int], ...]:
    """The evidence data's version: every data file's path, size and modification time, in
    path order (the order of ``sorted(DATA_DIR.rglob("*"))``: by path parts). Read on every
    lookup, so walked with :func:`os.scandir` rather than :mod:`pathlib`."""
    found: list[tuple[tuple[str, ...], os.DirEntry[str]]] = []
    _walk(str(DATA_DIR), (), found)
    out = []
    for parts, entry in sorted(found, key=lambda f: f[0]):
        try:
            st = entry.stat()
        except OSError:  # a broken link is not a data file
            continue
        if stat.S_ISREG(st.st_mode):
            out.append(("/".join(parts), st.st_size, st.st_mtime_ns))
    return tuple(out)


def _walk(
    folder: str, parts: tuple[str, ...], found: list[tuple[tuple[str, ...], os.DirEntry[str]]]
) -> None:
    """Every entry under ``folder`` but its folders (links to folders are entries, not walked)."""
    with os.scandir(folder) as entries:
        for e in entries:
            if e.is_dir(follow_symlinks=False):
                _walk(e.path, (*parts, e.name), found)
            else:
                found.append(((*parts, e.name), e))


_corpus: list[Corpus] = []
_corpus_lock = threading.Lock()


def corpus() -> Corpus:
    """The :class:`Corpus`, built once per process and again only when the data changes."""
    version = data_version()
    with _corpus_lock:
        if not _corpus or _corpus[0].version != version:
            if _corpus:
                _evidence.cache_clear()
            made = Corpus.build(version, load_evidence())
            _corpus[:] = [made]
        return _corpus[0]


def corpus_ready() -> bool:
    """True when the :class:`Corpus` of the evidence data as they are now is built, so that a
    lookup costs only the comparison."""
    made = _corpus[:1]
    return bool(made) and made[0].version == data_version()


_preparing: list[threading.Thread] = []
_preparing_lock = threading.Lock()


def prepare_corpus() -> threading.Thread:
    """Build the :class:`Corpus` in a background thread (a server calls this at start-up, and
    when the evidence data changed); while one is building, that thread is returned."""
    with _preparing_lock:
        running = [t for t in _preparing if t.is_alive()]
        if running:
            return running[0]
        # not a daemon: a daemon thread stopped at interpreter exit inside DuckDB's C++ code
        # aborts the process ('exception not rethrown'); an exit waits for it instead
        thread = threading.Thread(target=corpus, name="myotrack-evidence-prepare")
        _preparing[:] = [thread]
        thread.start()
        return thread


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
    if evidence is None:
        published = corpus()
        matches, after_rows = _rank(profile, published.dataset, exclude, w, published.published)
        comparable = [m for m in matches if m.comparable and m.after]
        therapies = _therapies(
            published.adverse_events, comparable, after_rows, published.verdict_rows
        )
        study_rows: Studies | None = published.studies
    else:
        matches, after_rows = _rank(profile, evidence, exclude, w)
        comparable = [m for m in matches if m.comparable and m.after]
        verdicts = verdict_rows(_engine(evidence, [m.patient_id for m in comparable]))
        therapies = _therapies(adverse_events(evidence.events), comparable, after_rows, verdicts)
        study_rows = None
    wanted = {t.therapy for t in therapies} | set(drugs(candidates))
    notes = safety_notes(sorted(wanted), profile.comorbidities)
    studies = _studies(profile, wanted | set(profile.failed), study_rows)
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
