"""The built-in evidence base: published IMNM patients, as data.

Each publication is one contract CSV folder in ``evidence/data/`` (the five seed papers as
``<seed>_<name>/``, every other publication as ``<firstauthor><year>_<short>/``) read by
:func:`myotrack.tables.read_source`, the same reader and validation as user data; the folders
are concatenated into one :class:`~myotrack.tables.Dataset`. Next to them:

- ``sources.csv``: one row per publication (id, folder, seed file for the seeds, citation,
  URL, DOI, PMID);
- ``duplicates.csv``: patients reported in two publications (a case report and a review table
  citing it): ``patient_id`` is the same person as ``duplicate_of``, counted once;
- ``studies.csv``: study-level results without patient rows (001 Table 4, the 004 cohort
  tables, the 001 and 002 summary lines);
- ``safety_rules.csv``: the cautions of DOMAIN.md section 6 (read by :mod:`.safety`).

Every row of every file names its source (document and table or section); ``README.md`` in the
data folder documents the conventions and every interpretation.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd

from myotrack.errors import InvalidData, Problem
from myotrack.tables import TABLES, Dataset, read_source

DATA_DIR = Path(__file__).resolve().parent / "data"

SOURCE_COLUMNS = ("seed", "folder", "seed_file", "citation", "url", "doi", "pmid", "source")
DUPLICATE_COLUMNS = ("patient_id", "duplicate_of", "reason", "source")
STUDY_COLUMNS = (
    "study_id",
    "seed",
    "study",
    "design",
    "population",
    "antibody",
    "therapy",
    "n_population",
    "n_treated",
    "n_responding",
    "percent_printed",
    "kind",
    "arithmetic",
    "response_definition",
    "outcome",
    "note",
    "source",
)
STUDY_COUNTS = ("n_population", "n_treated", "n_responding")


@dataclass(frozen=True)
class EvidenceSource:
    """One publication: its id (``'002'`` for a seed, else the folder name), data folder, seed
    file name (seeds only), citation, URL, DOI and PMID (empty when not known)."""

    seed: str
    folder: str
    seed_file: str
    citation: str
    url: str = ""
    doi: str = ""
    pmid: str = ""

    @property
    def is_seed(self) -> bool:
        return bool(self.seed_file)

    @property
    def path(self) -> Path:
        return DATA_DIR / self.folder


def read_text_table(path: Path, columns: Sequence[str], required: Sequence[str]) -> pd.DataFrame:
    """A small CSV table of the evidence folder as text, checked for its columns and values.

    Raises InvalidData naming the file, row and column of every missing column or empty
    required cell (``source`` is always required: every evidence row cites its origin).
    """
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    problems: list[Problem] = []
    for c in columns:
        if c not in frame.columns:
            problems.append(Problem(path.name, None, c, None, f"required column '{c}' is missing"))
    for c in frame.columns:
        if c not in columns:
            problems.append(Problem(path.name, 1, c, None, "unknown column"))
    for c in required:
        if c in frame.columns:
            for i in np.flatnonzero(frame[c].str.strip().to_numpy() == ""):
                problems.append(Problem(path.name, int(i) + 2, c, None, f"{c} is required"))
    if problems:
        raise InvalidData(problems)
    return frame


@lru_cache(maxsize=1)
def _sources() -> tuple[EvidenceSource, ...]:
    f = read_text_table(DATA_DIR / "sources.csv", SOURCE_COLUMNS, ("seed", "citation", "source"))
    return tuple(
        EvidenceSource(
            str(r["seed"]),
            str(r["folder"]),
            str(r["seed_file"]),
            str(r["citation"]),
            str(r["url"]),
            str(r["doi"]),
            str(r["pmid"]),
        )
        for r in f.to_dict("records")
    )


def sources() -> tuple[EvidenceSource, ...]:
    """The publications of the evidence base: the seed papers first, then the others by name."""
    return _sources()


def source_of(seed: str) -> EvidenceSource:
    """The publication with this id (``'002'``, ``'zeng2024_efgartigimod'``)."""
    for s in _sources():
        if s.seed == seed:
            return s
    raise KeyError(seed)


def citation(seed: str) -> str:
    """The citation of a seed paper by its id (``'002'``)."""
    for s in _sources():
        if s.seed == seed:
            return s.citation
    raise KeyError(seed)


def seed_of(patient_id: str) -> str:
    """The publication id of a published patient (``'002-P1'`` -> ``'002'``,
    ``'zeng2024_efgartigimod-P1'`` -> ``'zeng2024_efgartigimod'``)."""
    return patient_id.split("-", 1)[0]


def load_duplicates() -> pd.DataFrame:
    """The patients reported twice (``duplicates.csv``): each row links a patient to the one it
    duplicates; both ids must be published patients and a patient is linked at most once."""
    path = DATA_DIR / "duplicates.csv"
    f = read_text_table(path, DUPLICATE_COLUMNS, DUPLICATE_COLUMNS)
    ids = set(_evidence().patient_ids)
    problems: list[Problem] = []
    for i, r in enumerate(f.to_dict("records"), start=2):
        for c in ("patient_id", "duplicate_of"):
            if r[c] not in ids:
                problems.append(Problem(path.name, i, c, r[c], "not a published patient id"))
        if r["patient_id"] == r["duplicate_of"]:
            problems.append(
                Problem(
                    path.name,
                    i,
                    "duplicate_of",
                    r["duplicate_of"],
                    "a patient cannot duplicate itself",
                )
            )
        if seed_of(r["patient_id"]) == seed_of(r["duplicate_of"]):
            problems.append(
                Problem(
                    path.name,
                    i,
                    "duplicate_of",
                    r["duplicate_of"],
                    "a duplicate is reported in another publication",
                )
            )
    for j in np.flatnonzero(f["patient_id"].duplicated().to_numpy()):
        problems.append(
            Problem(path.name, int(j) + 2, "patient_id", f["patient_id"].iloc[j], "linked twice")
        )
    if problems:
        raise InvalidData(problems)
    return f


def unique_patient_ids(ds: Dataset | None = None) -> tuple[str, ...]:
    """The published patients counted once: every patient but those linked as duplicates."""
    ds = load_evidence() if ds is None else ds
    dup = set(load_duplicates()["patient_id"])
    return tuple(p for p in ds.patient_ids if p not in dup)


@lru_cache(maxsize=1)
def _evidence() -> Dataset:
    return Dataset.concat(
        [read_source(s.path) for s in _sources() if s.folder], name="published cases"
    )


def load_evidence() -> Dataset:
    """Every published patient of the seed papers as one validated Dataset (a fresh copy)."""
    ds = _evidence()
    return Dataset(**{n: ds.table(n).copy() for n in TABLES}, name=ds.name)


def load_studies() -> pd.DataFrame:
    """The study-level results (``studies.csv``) with integer counts.

    Counts are checked: whole numbers, and n_responding <= n_treated <= n_population where given.
    """
    path = DATA_DIR / "studies.csv"
    f = read_text_table(
        path,
        STUDY_COLUMNS,
        ("study_id", "seed", "study", "population", "therapy", "outcome", "source"),
    )
    problems: list[Problem] = []
    out = f.copy()
    for c in STUDY_COUNTS:
        text = f[c].str.strip()
        num = pd.to_numeric(text.where(text != "", None), errors="coerce")
        for i in np.flatnonzero((text != "").to_numpy() & (num.isna() | (num % 1 != 0)).to_numpy()):
            problems.append(
                Problem(path.name, int(i) + 2, c, text.iloc[i], f"{c} must be a whole number")
            )
        out[c] = num.astype("Int64")
    for small, big in (("n_responding", "n_treated"), ("n_treated", "n_population")):
        bad = (out[small] > out[big]).fillna(False).to_numpy(dtype=bool)
        for i in np.flatnonzero(bad):
            problems.append(
                Problem(
                    path.name, int(i) + 2, small, out[small].iloc[i], f"{small} cannot exceed {big}"
                )
            )
    dup = f["study_id"].duplicated().to_numpy()
    for i in np.flatnonzero(dup):
        problems.append(
            Problem(path.name, int(i) + 2, "study_id", f["study_id"].iloc[i], "duplicate study_id")
        )
    if problems:
        raise InvalidData(problems)
    return out


@dataclass(frozen=True)
class CaseCounts:
    """What the evidence base holds: patients (each person once) by antibody, therapy and source,
    each count split between the seed papers and the publications beyond them."""

    by_antibody: pd.DataFrame  # antibody, patients, seed_papers, beyond_seeds
    by_therapy: (
        pd.DataFrame
    )  # therapy, patients, courses, seed_papers, beyond_seeds, terms, how_grouped
    by_source: pd.DataFrame  # seed, citation, patients, duplicates, studies
    n_patients: int  # published patients counted once
    n_studies: int
    n_duplicates: int = 0  # patient rows that repeat a patient of another publication
    n_publications: int = 0  # publications with patient rows or study-level results
    n_patients_seeds: int = 0  # of n_patients, those of the seed papers
    n_publications_seeds: int = 0
    n_studies_seeds: int = 0

    @property
    def beyond_seeds(self) -> tuple[int, int, int]:
        """(patients, publications, studies) beyond the seed papers."""
        return (
            self.n_patients - self.n_patients_seeds,
            self.n_publications - self.n_publications_seeds,
            self.n_studies - self.n_studies_seeds,
        )

    def summary(self) -> str:
        dup = (
            f" ({self.n_duplicates} more patient rows repeat a patient of another publication)"
            if self.n_duplicates
            else ""
        )
        p, pub, st = self.beyond_seeds
        return (
            f"{self.n_patients} published patients from {self.n_publications or len(self.by_source)} "
            f"publications, {self.n_studies} study-level results{dup}; "
            f"beyond the seed papers: {p} patients, {pub} publications, {st} study-level results; "
            f"seed papers: {self.n_patients_seeds} patients, {self.n_publications_seeds} "
            f"publications, {self.n_studies_seeds} study-level results"
        )


def _split_counts(frame: pd.DataFrame, column: str, seeds: set[str]) -> pd.DataFrame:
    """Patients per value of ``column`` (rows: patient_id, column), all and split by seed."""
    in_seed = frame["patient_id"].map(seed_of).isin(seeds)
    out = pd.DataFrame({"patients": frame.groupby(column)["patient_id"].nunique()})
    out["seed_papers"] = frame[in_seed].groupby(column)["patient_id"].nunique()
    out["beyond_seeds"] = frame[~in_seed].groupby(column)["patient_id"].nunique()
    return out.fillna(0).astype(int)


def case_counts(ds: Dataset | None = None, studies: pd.DataFrame | None = None) -> CaseCounts:
    """Counts of the evidence base (or of ``ds``): by antibody, therapy and source publication.

    A patient linked as a duplicate (``duplicates.csv``) is counted once, under the publication
    that holds the patient it duplicates. Therapies are counted by group
    (:func:`myotrack.evidence.therapies.therapy_group`): the vocabulary's name where it says
    exactly which drug a recorded term is, an unnamed class as such ('glucocorticoid
    (unnamed)'), the recorded term otherwise; ``terms`` lists what was recorded.
    """
    from myotrack.evidence.therapies import therapy_group

    ds = load_evidence() if ds is None else ds
    studies = load_studies() if studies is None else studies
    dup = load_duplicates()
    dup_ids = set(dup["patient_id"]) & set(ds.patient_ids)
    seeds = {s.seed for s in _sources() if s.is_seed}
    p = ds.patients[~ds.patients["patient_id"].isin(dup_ids)]
    ab = _split_counts(
        p.assign(antibody=p["antibody"].fillna("unknown"))[["patient_id", "antibody"]],
        "antibody",
        seeds,
    )
    by_antibody = (
        ab.reset_index()
        .sort_values(["patients", "antibody"], ascending=[False, True])
        .reset_index(drop=True)
    )
    t = ds.treatments[ds.treatments["patient_id"].isin(p["patient_id"])]
    groups = {d: therapy_group(d) for d in t["drug"].dropna().unique()}
    t = t[t["drug"].notna()].assign(
        therapy=lambda f: f["drug"].map(lambda d: groups[d].group),
    )
    th = _split_counts(t[["patient_id", "therapy"]], "therapy", seeds)
    th["courses"] = t.groupby("therapy").size()
    th["terms"] = t.groupby("therapy")["drug"].agg(lambda xs: "; ".join(sorted(set(xs))))
    th["how_grouped"] = t.groupby("therapy")["drug"].agg(
        lambda xs: "; ".join(sorted({groups[x].how for x in xs}))
    )
    by_therapy = (
        th.reset_index()[
            [
                "therapy",
                "patients",
                "courses",
                "seed_papers",
                "beyond_seeds",
                "terms",
                "how_grouped",
            ]
        ]
        .sort_values(["patients", "therapy"], ascending=[False, True])
        .reset_index(drop=True)
    )
    per_seed = p["patient_id"].map(seed_of).value_counts()
    rows_per = ds.patients["patient_id"].map(seed_of).value_counts()
    per_study = studies["seed"].value_counts()
    rows = [
        {
            "seed": s.seed,
            "citation": s.citation,
            "patients": int(per_seed.get(s.seed, 0)),
            "duplicates": int(rows_per.get(s.seed, 0) - per_seed.get(s.seed, 0)),
            "studies": int(per_study.get(s.seed, 0)),
        }
        for s in _sources()
    ]
    by_source = pd.DataFrame(rows)
    used = by_source[(by_source["patients"] + by_source["duplicates"] + by_source["studies"]) > 0]
    is_seed = by_source["seed"].isin(seeds)
    return CaseCounts(
        by_antibody,
        by_therapy,
        by_source,
        len(p),
        len(studies),
        len(dup_ids),
        len(used),
        int(by_source.loc[is_seed, "patients"].sum()),
        int(used["seed"].isin(seeds).sum()),
        int(studies["seed"].isin(seeds).sum()),
    )
