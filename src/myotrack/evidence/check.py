"""Curation checks of the evidence base (``myotrack evidence check``).

- **Provenance**: every row of every file (each publication's tables, ``sources.csv``,
  ``studies.csv``, ``safety_rules.csv``, ``duplicates.csv``) has a ``source``; every
  publication other than a seed has a URL and a DOI or PMID (a warning when neither is known).
- **Contract**: every folder passes :func:`myotrack.tables.read_source` (errors are problems;
  warnings are listed, except the evidence-only observation codes of :data:`EVIDENCE_CODES`).
- **Duplicates**: the links of ``duplicates.csv`` are valid; patients of two publications with
  the same sex, age, antibody and a shared therapy that are not linked are listed as possible
  duplicates to be decided by a curator (linked, or left apart).
- **Study arithmetic**: counts are whole, n_responding <= n_treated <= n_population, and a
  printed percentage matches n_responding / n_treated within the rounding of its last printed
  digit; a row whose paper does not add up is marked ``arithmetic = as_printed`` and is then
  listed as a note (an ``as_printed`` row that adds up is a warning: the mark is wrong).
"""

from __future__ import annotations

import csv
import math
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from myotrack.errors import InvalidData
from myotrack.evidence.base import (
    DATA_DIR,
    DUPLICATE_COLUMNS,
    STUDY_COLUMNS,
    STUDY_COUNTS,
    load_duplicates,
    load_evidence,
    read_text_table,
    seed_of,
    sources,
)
from myotrack.tables import read_source
from myotrack.tables.schema import TABLE_NAMES

#: Observation codes used by the evidence base outside the observation vocabulary: 002 Table 2's
#: values before HiCy, which are not assessments (see data/README.md).
EVIDENCE_CODES = ("ck_peak", "prednisone_max", "deltoid_grade_min", "hip_flexor_grade_min")
OTHER_FILES = ("sources.csv", "studies.csv", "safety_rules.csv", "duplicates.csv", "distinct.csv")
#: ``distinct.csv``: pairs a curator looked at and judged two people (candidates no longer listed)
DISTINCT_COLUMNS = ("patient_id", "other_id", "reason", "source")
LEVELS = ("error", "warning", "note")
#: What a study row counts (``studies.csv`` ``kind``; empty is read as response)
STUDY_KINDS = ("response", "relapse", "time_to_event", "baseline", "comparison", "adverse_outcome")


@dataclass(frozen=True)
class Finding:
    """One result of a check: its level, the check, where and what."""

    level: str  # error, warning or note
    check: str  # provenance, contract, duplicates, studies
    where: str  # file (and row) or patient ids
    message: str

    def __str__(self) -> str:
        return f"{self.level}: [{self.check}] {self.where}: {self.message}"


@dataclass(frozen=True)
class CheckResult:
    """Every finding of :func:`check_evidence`; ``ok`` when there is no error."""

    findings: tuple[Finding, ...]
    folders: int
    rows: int

    @property
    def ok(self) -> bool:
        return not self.errors

    @property
    def errors(self) -> tuple[Finding, ...]:
        return tuple(f for f in self.findings if f.level == "error")

    def of(self, check: str, level: str | None = None) -> tuple[Finding, ...]:
        return tuple(
            f for f in self.findings if f.check == check and (level is None or f.level == level)
        )

    def summary(self) -> str:
        counts = {lv: sum(1 for f in self.findings if f.level == lv) for lv in LEVELS}
        verdict = "passes" if self.ok else "fails"
        return (
            f"evidence check {verdict}: {self.folders} folders, {self.rows} rows; "
            f"{counts['error']} errors, {counts['warning']} warnings, {counts['note']} notes"
        )

    def frame(self) -> pd.DataFrame:
        return pd.DataFrame(
            [vars(f) for f in self.findings], columns=["level", "check", "where", "message"]
        )


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def _provenance(data_dir: Path, folders: list[Path]) -> tuple[list[Finding], int]:
    out: list[Finding] = []
    n = 0
    files = [f for d in folders for t in TABLE_NAMES if (f := d / f"{t}.csv").exists()]
    files += [data_dir / name for name in OTHER_FILES if (data_dir / name).exists()]
    for f in files:
        rows = _rows(f)
        n += len(rows)
        where = f"{f.parent.name}/{f.name}" if f.parent != data_dir else f.name
        if rows and "source" not in rows[0]:
            out.append(Finding("error", "provenance", where, "no source column"))
            continue
        for i, r in enumerate(rows, start=2):
            if not (r.get("source") or "").strip():
                out.append(Finding("error", "provenance", f"{where}, row {i}", "source is empty"))
    for s in sources():
        if s.is_seed:
            continue
        if not s.url:
            out.append(Finding("error", "provenance", f"sources.csv {s.seed}", "no URL"))
        if not (s.doi or s.pmid):
            out.append(
                Finding("warning", "provenance", f"sources.csv {s.seed}", "neither DOI nor PMID")
            )
    return out, n


def _contract(folders: list[Path]) -> list[Finding]:
    out: list[Finding] = []
    for d in folders:
        try:
            ds = read_source(d)
        except InvalidData as err:
            for p in err.problems:
                out.append(Finding("error", "contract", f"{d.name}/{p.file}", str(p)))
            continue
        for w in ds.warnings:
            text = str(w)
            if any(f"'{c}' is not in the observation vocabulary" in text for c in EVIDENCE_CODES):
                continue
            out.append(Finding("warning", "contract", d.name, text))
    return out


def _key(v: object) -> str | None:
    if v is None or v is pd.NA or (isinstance(v, float) and math.isnan(v)):
        return None
    text = str(v).strip()
    return None if text in ("", "unknown") else text


def duplicate_candidates(linked: set[frozenset[str]] | None = None) -> list[tuple[str, str, str]]:
    """Pairs of patients of two publications who may be one person: same sex, age at onset,
    antibody and at least one therapy, not already linked. Returns (id, id, why)."""
    ds = load_evidence()
    linked = linked or set()
    drugs = ds.treatments.groupby("patient_id")["drug"].agg(set).to_dict()
    p = ds.patients
    people = []
    for r in p.to_dict("records"):
        sex, age, ab = _key(r["sex"]), _key(r["age_at_onset"]), _key(r["antibody"])
        if sex and age and ab:
            people.append((str(r["patient_id"]), sex, float(age), ab))
    out = []
    for i, (a, sa, ga, aa) in enumerate(people):
        for b, sb, gb, ab_ in people[i + 1 :]:
            if seed_of(a) == seed_of(b) or frozenset((a, b)) in linked:
                continue
            shared = drugs.get(a, set()) & drugs.get(b, set())
            if sa == sb and aa == ab_ and abs(ga - gb) <= 1 and shared:
                why = (
                    f"sex {sa}, age {ga:g}/{gb:g}, anti-{aa}, both had {', '.join(sorted(shared))}"
                )
                out.append((a, b, why))
    return out


def _duplicates(data_dir: Path) -> list[Finding]:
    out: list[Finding] = []
    path = data_dir / "duplicates.csv"
    try:
        read_text_table(path, DUPLICATE_COLUMNS, DUPLICATE_COLUMNS)
        dup = load_duplicates()
    except InvalidData as err:
        return [
            Finding("error", "duplicates", f"duplicates.csv {p.file}", str(p)) for p in err.problems
        ]
    linked = {
        frozenset((str(a), str(b)))
        for a, b in zip(dup["patient_id"], dup["duplicate_of"], strict=True)
    }
    distinct = read_text_table(data_dir / "distinct.csv", DISTINCT_COLUMNS, DISTINCT_COLUMNS)
    apart = {
        frozenset((str(a), str(b)))
        for a, b in zip(distinct["patient_id"], distinct["other_id"], strict=True)
    }
    for r in dup.to_dict("records"):
        out.append(
            Finding(
                "note",
                "duplicates",
                f"{r['patient_id']} = {r['duplicate_of']}",
                f"counted once: {r['reason']}",
            )
        )
    for a, b, why in duplicate_candidates(linked | apart):
        out.append(
            Finding(
                "warning",
                "duplicates",
                f"{a} / {b}",
                f"possibly the same patient ({why}): link in duplicates.csv or leave apart",
            )
        )
    return out


def _percent_tolerance(text: str) -> float:
    decimals = len(text.split(".", 1)[1]) if "." in text else 0
    return 10.0**-decimals


def study_findings(f: pd.DataFrame, name: str = "studies.csv") -> list[Finding]:
    """The arithmetic of study rows (text columns as in ``studies.csv``)."""
    out: list[Finding] = []
    for i, r in enumerate(f.to_dict("records"), start=2):
        where = f"{name}, row {i} ({r['study_id']})"
        n: dict[str, int | None] = {}
        for c in STUDY_COUNTS:
            text = str(r.get(c, "") or "").strip()
            if not text:
                n[c] = None
                continue
            try:
                value = float(text)
            except ValueError:
                value = math.nan
            if math.isnan(value) or not value.is_integer() or value < 0:
                out.append(Finding("error", "studies", where, f"{c} {text!r} is not a count"))
                n[c] = None
            else:
                n[c] = int(value)
        for small, big in (("n_responding", "n_treated"), ("n_treated", "n_population")):
            a, b = n[small], n[big]
            if a is not None and b is not None and a > b:
                out.append(Finding("error", "studies", where, f"{small} {a} exceeds {big} {b}"))
        kind = str(r.get("kind", "") or "").strip()
        if kind and kind not in STUDY_KINDS:
            out.append(
                Finding(
                    "error", "studies", where, f"kind {kind!r}: one of {', '.join(STUDY_KINDS)}"
                )
            )
        printed = str(r.get("percent_printed", "") or "").strip()
        mark = str(r.get("arithmetic", "") or "").strip()
        if mark not in ("", "as_printed"):
            out.append(
                Finding("error", "studies", where, f"arithmetic {mark!r}: empty or as_printed")
            )
        if not printed:
            continue
        top, bottom = n["n_responding"], n["n_treated"]
        if not bottom:
            out.append(Finding("error", "studies", where, f"percent {printed} without n_treated"))
            continue
        if top is None:
            out.append(
                Finding(
                    "note",
                    "studies",
                    where,
                    f"percent {printed} of {bottom} printed without a count; not checked",
                )
            )
            continue
        pct = 100.0 * top / bottom
        adds_up = abs(pct - float(printed)) < _percent_tolerance(printed)
        if adds_up and mark == "as_printed":
            out.append(
                Finding(
                    "warning",
                    "studies",
                    where,
                    f"marked as_printed but {top}/{bottom} = {pct:.2f}%",
                )
            )
        elif not adds_up and mark != "as_printed":
            out.append(
                Finding(
                    "error",
                    "studies",
                    where,
                    f"printed {printed}% but {top}/{bottom} = {pct:.2f}%: correct it or mark as_printed",
                )
            )
        elif not adds_up:
            out.append(
                Finding(
                    "note",
                    "studies",
                    where,
                    f"as printed: {printed}% for {top}/{bottom} ({pct:.2f}%); {r.get('note', '')}",
                )
            )
    return out


def check_evidence(data_dir: Path | None = None) -> CheckResult:
    """Run every check on the evidence base (see the module docstring)."""
    data_dir = DATA_DIR if data_dir is None else data_dir
    folders = sorted(p for p in data_dir.iterdir() if p.is_dir())
    findings, n = _provenance(data_dir, folders)
    findings += _contract(folders)
    listed = {s.folder for s in sources() if s.folder}
    for d in folders:
        if d.name not in listed:
            findings.append(Finding("error", "provenance", d.name, "folder not in sources.csv"))
    findings += _duplicates(data_dir)
    studies = read_text_table(data_dir / "studies.csv", STUDY_COLUMNS, ("study_id", "source"))
    findings += study_findings(studies)
    known = {s.seed for s in sources()}
    for i, seed in enumerate(studies["seed"], start=2):
        if seed not in known:
            findings.append(
                Finding(
                    "error",
                    "provenance",
                    f"studies.csv, row {i}",
                    f"publication {seed!r} not in sources.csv",
                )
            )
    order = {lv: i for i, lv in enumerate(LEVELS)}
    findings.sort(key=lambda f: order[f.level])
    return CheckResult(tuple(findings), len(folders), n)
