"""Importing a workbook, a zip of CSV files, a REDCap export or FHIR files into the registry:
stage, preview, commit.

An upload is first held to the limits of :mod:`myotrack.web.intake` (size, files, unpacked
size, rows, columns, cells, no DTD in a workbook); a zip is unpacked there, what the readers
read only: the contract's tables, or a REDCap project (``redcap_dictionary.csv``,
``redcap_records.csv`` and, for a project not built by myotrack, ``redcap_mapping.toml``), or
FHIR Bundles / NDJSON (``.json`` / ``.ndjson``, also uploaded as such). The staged file is then
read by :func:`myotrack.interchange.read_any`, the same readers and validator as the command
line (a REDCap or FHIR problem names the record, event, instrument, instance and field, or
the entry and resource), and checked against the registry (patient ids already used,
sites the user may not import into). The preview lists every problem; the commit re-checks and
writes everything in one transaction, or nothing. Every row created is audited, and so is the
import itself. A staged file is deleted on commit or cancel, and after ``IMPORT_KEEP_HOURS``
(checked at every upload and by ``expire_imports``).
"""

from __future__ import annotations

import math
import re
import secrets
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.db import models, transaction
from openpyxl import load_workbook

from myotrack.errors import InvalidData, MyotrackError, Problem, SourceNotFound
from myotrack.interchange import read_any
from myotrack.interchange.origins import SourceProblem
from myotrack.interchange.sources import REDCAP_RECORDS, is_fhir, is_redcap_folder
from myotrack.tables import Dataset, raw_tables, validate_source
from myotrack.tables.problems import RawTable
from myotrack.tables.schema import ENZYMES, REFERENCE_RANGES

from . import intake
from .accounts.models import Site
from .analysis import refresh
from .audit.models import Action
from .audit.services import record
from .bulk import create_rows
from .collector import collector_paused
from .events.models import Event
from .observations.models import Observation
from .patients.models import Patient
from .policy import Perm, policy
from .treatments.models import Treatment
from .visits.models import ReferenceRange, StrengthGrade, Visit

SUFFIXES = (".xlsx", ".zip", ".json", ".ndjson")
UPLOADS = (
    "upload an Excel workbook (.xlsx), a .zip of CSV files or of a REDCap export "
    "(redcap_dictionary.csv, redcap_records.csv, optionally redcap_mapping.toml), "
    "or FHIR Bundles (.json, .ndjson, or a .zip of them)"
)
TABLE_ORDER = ("patients", "visits", "strength", "treatments", "events", "observations")
RANGES = REFERENCE_RANGES.name
#: Cells the reader fills from elsewhere in the source (an enzyme's ULN from the reference
#: ranges, an empty antibody from the observations): stored as the file wrote them, so that
#: the registry's dataset fills them the same way, from the ranges and observations it holds.
FILLED_BY_READER: dict[str, tuple[str, ...]] = {
    "visits": tuple(f"{e}_uln" for e in ENZYMES),
    "patients": ("antibody",),
}


class ImportRefused(MyotrackError):
    """The staged file is gone, not the user's, or broke a rule; nothing was saved."""


@dataclass(frozen=True)
class Preview:
    """What a staged file would add, and every problem that prevents it."""

    token: str
    filename: str
    site: str
    problems: list[Problem] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)
    patient_ids: list[str] = field(default_factory=list)
    #: What the reader kept with a warning (an unknown term as written); never blocks.
    warnings: list[Problem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def _folder() -> Path:
    folder = Path(settings.IMPORT_DIR)
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def staged_path(token: str, filename: str) -> Path:
    """What the readers read: the workbook, or the folder a zip of CSV files was unpacked into."""
    if not token.isalnum():
        raise ImportRefused("this import is no longer available; upload the file again")
    suffix = Path(filename).suffix.lower()
    return _folder() / (token if suffix == ".zip" else f"{token}{suffix}")


def stage(user: Any, upload: UploadedFile, site: Site) -> Preview:
    """Keep an uploaded file for preview and commit, within the limits; return its preview."""
    token = keep(user, upload, site)
    return preview(user, token, Path(upload.name or "upload").name, site)


def keep(user: Any, upload: UploadedFile, site: Site) -> str:
    """Keep an uploaded file for preview and commit, within the limits (nothing is read
    yet); return its token."""
    policy.require(user, Perm.IMPORT, site)
    filename = Path(upload.name or "upload").name
    suffix = Path(filename).suffix.lower()
    if suffix not in SUFFIXES:
        raise ImportRefused(UPLOADS)
    expire_staged()
    limits = intake.Limits.from_settings()
    token = secrets.token_hex(16)
    target = staged_path(token, filename)
    try:
        intake.check_size(upload.size, filename, limits)
        if suffix == ".zip":
            received = _folder() / f"{token}.upload"
            intake.save(upload.chunks(), received, filename, limits)
            intake.unpack_zip(received, target, filename, limits)
            received.unlink()
        elif suffix in intake.FHIR_SUFFIXES:
            intake.save(upload.chunks(), target, filename, limits)
            intake.check_json(target, filename, limits)
        else:
            intake.save(upload.chunks(), target, filename, limits)
            intake.check_workbook(target, filename, limits)
    except intake.UploadRefused as err:
        discard(token, filename)
        raise ImportRefused(str(err)) from err
    except BaseException:
        discard(token, filename)
        raise
    return token


#: A patient resource of FHIR JSON, as it is counted before the file is read.
_FHIR_PATIENT = re.compile(rb'"resourceType"\s*:\s*"Patient"')


def staged_count(token: str, filename: str) -> int:
    """How many patients a staged file holds at most, counted without reading it: the lines
    of its ``patients`` table (a workbook's rows of that sheet), of a REDCap project's records
    (one per record, event and instance), or a FHIR source's Patient resources. It decides
    whether the preview is made as a background job."""
    path = staged_path(token, filename)
    if not path.exists():
        raise ImportRefused("this import is no longer available; upload the file again")
    if path.is_file() and path.suffix.lower() == ".xlsx":
        return _sheet_rows(path, "patients")
    if is_redcap_folder(path):
        return _lines(path / REDCAP_RECORDS) - 1
    if is_fhir(path):
        files = [path] if path.is_file() else sorted(p for p in path.iterdir() if p.is_file())
        return sum(_count(f, _FHIR_PATIENT) for f in files)
    patients = path / "patients.csv"
    return _lines(patients) - 1 if patients.is_file() else 0


def _lines(path: Path) -> int:
    with path.open("rb") as handle:
        return sum(chunk.count(b"\n") for chunk in iter(lambda: handle.read(1 << 20), b""))


def _count(path: Path, pattern: re.Pattern[bytes]) -> int:
    # the whole file: a resource may span any chunk boundary (the upload limit bounds it)
    return len(pattern.findall(path.read_bytes()))


def _sheet_rows(path: Path, name: str) -> int:
    """The rows of a workbook's sheet (by the name the reader gives it), header included."""
    book = load_workbook(path, read_only=True)
    try:
        for sheet in book.worksheets:
            if sheet.title.strip().lower() == name:
                return sum(1 for _ in sheet.iter_rows(values_only=True))
        return 0
    finally:
        book.close()


def preview_data(result: Preview) -> dict[str, object]:
    """A preview as JSON data (for a preview made as a background job)."""
    return {
        "token": result.token,
        "filename": result.filename,
        "site": result.site,
        "problems": [_problem_data(p) for p in result.problems],
        "counts": result.counts,
        "patient_ids": result.patient_ids,
        "warnings": [_problem_data(p) for p in result.warnings],
    }


def preview_from(data: dict[str, Any]) -> Preview:
    """The preview of :func:`preview_data`."""
    return Preview(
        str(data["token"]),
        str(data["filename"]),
        str(data["site"]),
        [_problem_from(p) for p in data["problems"]],
        {str(k): int(v) for k, v in data["counts"].items()},
        [str(p) for p in data["patient_ids"]],
        [_problem_from(p) for p in data["warnings"]],
    )


def _problem_data(problem: Problem) -> dict[str, object]:
    value = problem.value
    shown = value if value is None or isinstance(value, str | int | float | bool) else str(value)
    if isinstance(shown, float) and math.isnan(shown):
        shown = None
    return {
        "file": problem.file,
        "row": problem.row,
        "column": problem.column,
        "value": shown,
        "rule": problem.rule,
        "severity": problem.severity,
        **{k: getattr(problem, k) for k in _SOURCE_FIELDS if getattr(problem, k, "")},
    }


_SOURCE_FIELDS = ("where", "source_field", "target")


def _problem_from(data: dict[str, Any]) -> Problem:
    named = {k: str(data[k]) for k in _SOURCE_FIELDS if data.get(k)}
    kind = SourceProblem if named else Problem
    return kind(
        data["file"],
        data["row"],
        data["column"],
        data["value"],
        data["rule"],
        "warning" if data.get("severity") == "warning" else "error",
        **named,
    )


def _check(
    user: Any, path: Path, filename: str, site: Site
) -> tuple[Dataset | None, list[Problem], dict[str, Site]]:
    """Read and validate the file, then check it against the registry."""
    try:
        ds = read_any(path)
    except InvalidData as err:
        return None, [_rename(p, path, filename) for p in err.problems], {}
    except SourceNotFound as err:
        return (
            None,
            [Problem(filename, None, None, None, str(err).replace(str(path), filename))],
            {},
        )
    interchange = is_interchange(path)
    raws = {} if interchange else raw_tables(path)
    label = filename if interchange else _rename_label(raws["patients"].label, path, filename)
    # a REDCap or FHIR source has no table rows: its problems here name the patient_id
    rows: list[int | None] = (
        [None] * len(ds.patients) if interchange else [int(r) for r in raws["patients"].rows]
    )
    problems: list[Problem] = []
    allowed = {s.name: s for s in policy.sites(user) if policy.has(user, Perm.IMPORT, s)}
    sites: dict[str, Site] = {}
    codes = [str(c) for c in ds.patients["patient_id"]]
    taken = set(Patient.all_objects.filter(code__in=codes).values_list("code", flat=True))
    max_code = Patient._meta.get_field("code").max_length or 64
    for i, (code, named) in enumerate(zip(codes, ds.patients["site"], strict=True)):
        row = rows[i]
        if code in taken:
            problems.append(
                Problem(
                    label, row, "patient_id", code, "this patient_id is already in the registry"
                )
            )
        if len(code) > max_code:
            problems.append(
                Problem(
                    label, row, "patient_id", code, f"patient_id is at most {max_code} characters"
                )
            )
        name = site.name if named is None or str(named).strip() == "" else str(named).strip()
        if name not in allowed:
            problems.append(
                Problem(label, row, "site", name, "not one of the sites you may import into")
            )
        else:
            sites[code] = allowed[name]
    if RANGES in raws:
        ranges_label = _rename_label(raws[RANGES].label, path, filename)
        problems += planned_ranges(ds, sites, allowed, ranges_label, raws[RANGES].rows)[1]
    elif interchange:
        problems += planned_ranges(ds, sites, allowed, filename)[1]
    return ds, problems, sites


def is_interchange(path: Path) -> bool:
    """A staged REDCap project or FHIR files (not the contract's tables)."""
    return is_redcap_folder(path) or is_fhir(path)


def _rename_label(label: str, stored: Path, shown: str) -> str:
    """A reader's label as the user knows the file: 'cases.zip: visits.csv' for a file of an
    unpacked zip (a table, REDCap's records, a FHIR Bundle), the uploaded name for a workbook."""
    if stored.is_dir():
        named = label.endswith(".csv") or (label and (stored / label).is_file())
        return f"{shown}: {label}" if named else label.replace(stored.name, shown)
    return label.replace(stored.name, shown)


def _rename(problem: Problem, stored: Path, shown: str) -> Problem:
    """The problem named by the uploaded file; a REDCap or FHIR problem keeps its place
    (record, event, instrument, instance, field; or entry and resource)."""
    return replace(
        problem,
        file=_rename_label(problem.file, stored, shown),
        rule=problem.rule.replace(str(stored), shown).replace(stored.name, shown),
    )


def preview(user: Any, token: str, filename: str, site: Site) -> Preview:
    policy.require(user, Perm.IMPORT, site)
    path = staged_path(token, filename)
    if not path.exists():
        raise ImportRefused("this import is no longer available; upload the file again")
    ds, problems, sites = _check(user, path, filename, site)
    counts = _counts(ds, sites) if ds is not None else {}
    if ds is not None:
        warnings = [_warning(w, path, filename) for w in ds.warnings]
    else:
        warnings = _source_warnings(path, filename)
    return Preview(
        token,
        filename,
        site.name,
        problems,
        counts,
        ds.patient_ids if ds is not None else [],
        warnings,
    )


def _counts(ds: Dataset, sites: dict[str, Site]) -> dict[str, int]:
    counts = {n: len(ds.table(n)) for n in TABLE_ORDER}
    if ds.reference_ranges is not None:
        counts[RANGES] = len(planned_ranges(ds, sites, _every_site())[0])
    return counts


def _every_site() -> dict[str, Site]:
    return {s.name: s for s in Site.objects.all()}


def _source_warnings(path: Path, filename: str) -> list[Problem]:
    """The warnings of a source that has errors too (its dataset was not built). A REDCap
    or FHIR reader keeps only its errors then."""
    if is_interchange(path):
        return []
    try:
        found = validate_source(path)
    except MyotrackError:
        return []
    return [_warning(p, path, filename) for p in found if p.is_warning]


def _warning(problem: Problem, path: Path, filename: str) -> Problem:
    """A reader's warning named by the uploaded file."""
    return replace(_rename(problem, path, filename), severity="warning")


def discard(token: str, filename: str) -> None:
    """Delete what an upload left (the file, an unpacked folder, a partial copy)."""
    staged_path(token, filename)  # refuses a token that is not a plain name
    for path in _folder().glob(f"{token}*"):
        _remove(path)


def _remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path, ignore_errors=True)
    else:
        path.unlink(missing_ok=True)


def expire_staged(max_age_hours: float | None = None) -> int:
    """Delete staged imports older than ``max_age_hours`` (default ``IMPORT_KEEP_HOURS``);
    return how many were deleted."""
    hours = settings.IMPORT_KEEP_HOURS if max_age_hours is None else max_age_hours
    cutoff = time.time() - hours * 3600
    removed = 0
    for path in _folder().iterdir():
        try:
            old = path.lstat().st_mtime < cutoff
        except FileNotFoundError:  # removed meanwhile by its own commit or cancel
            continue
        if old:
            _remove(path)
            removed += 1
    return removed


@transaction.atomic
def commit(user: Any, token: str, filename: str, site: Site) -> Preview:
    """Add everything in the staged file, or nothing: raise ImportRefused on any problem."""
    policy.require(user, Perm.IMPORT, site)
    path = staged_path(token, filename)
    if not path.exists():
        raise ImportRefused("this import is no longer available; upload the file again")
    ds, problems, sites = _check(user, path, filename, site)
    if ds is None or problems:
        raise ImportRefused(f"{len(problems)} problem(s) found; nothing was imported")
    counts = _counts(ds, sites)
    add_dataset(user, ds, sites, f"import {filename}", as_written(ds, path))
    record(
        user,
        Action.IMPORT,
        after={"file": filename, "counts": counts, "patients": ds.patient_ids},
        site_pk=site.pk,
        summary=f"imported {filename}: {counts['patients']} patients",
    )
    transaction.on_commit(lambda: discard(token, filename))
    transaction.on_commit(refresh.wake)  # their outcomes, in the background
    return Preview(token, filename, site.name, [], counts, ds.patient_ids)


def as_written(ds: Dataset, path: Path) -> dict[str, dict[str, np.ndarray]]:
    """For each cell the reader may fill (:data:`FILLED_BY_READER`): True where the file left
    it empty. Read only when the source has something to fill them from."""
    derived = any(w.column == "antibody" for w in ds.warnings)
    if (ds.reference_ranges is None and not derived) or is_interchange(path):
        return {}
    raws = raw_tables(path)
    out: dict[str, dict[str, np.ndarray]] = {}
    for table, columns in FILLED_BY_READER.items():
        raw = raws.get(table)
        if raw is None or len(raw.frame) != len(ds.table(table)):
            continue
        out[table] = {c: _blank(raw, c) for c in columns}
    return out


def _blank(raw: RawTable, column: str) -> np.ndarray:
    if column not in raw.frame.columns:
        return np.ones(len(raw.frame), dtype=bool)
    text = raw.frame[column].astype(object).where(raw.frame[column].notna(), "")
    return (text.astype(str).str.strip() == "").to_numpy(dtype=bool)


def planned_ranges(
    ds: Dataset,
    sites: dict[str, Site],
    allowed: dict[str, Site],
    label: str = RANGES,
    rows: Any = None,
) -> tuple[list[ReferenceRange], list[Problem]]:
    """The reference ranges the source adds to the registry, and why any of them cannot be.

    A range naming a site is for that site (one the user may import into); a range without a
    site is for every site of the source's patients, unless the source gives that site its
    own. A range the site already has with the same limit is not added again; one with
    another limit is a problem (the site's range is changed there, not by an import).
    """
    frame = ds.reference_ranges
    if frame is None or frame.empty:
        return [], []
    known = {**{s.name: s for s in sites.values()}, **allowed}
    everywhere = list({s.pk: s for s in sites.values()}.values())
    planned: dict[tuple[int, str, str], tuple[ReferenceRange, int]] = {}
    problems: list[Problem] = []
    row_of = list(rows) if rows is not None else [i + 2 for i in range(len(frame))]
    for specific in (True, False):
        for i, r in enumerate(frame.itertuples(index=False)):
            named = "" if r.site is None else str(r.site).strip()
            if bool(named) != specific:
                continue
            targets = [known[named]] if named in known else [] if named else everywhere
            if named and not targets:
                problems.append(
                    Problem(
                        label, row_of[i], "site", named, "not one of the sites you may import into"
                    )
                )
            lab = "" if r.lab is None else str(r.lab).strip()
            for target in targets:
                key = (target.pk, lab, str(r.analyte))
                if key not in planned:
                    source = "" if r.source is None else str(r.source)
                    item = ReferenceRange(
                        site=target,
                        lab=lab,
                        analyte=str(r.analyte),
                        uln=float(r.uln),
                        source=source,
                    )
                    planned[key] = (item, row_of[i])
    existing = {
        (r.site_id, r.lab, r.analyte): r
        for r in ReferenceRange.objects.filter(site__in=[k[0] for k in planned])
    }
    out = []
    for key, (item, row) in planned.items():
        have = existing.get(key)
        if have is None:
            out.append(item)
        elif have.uln != item.uln:
            where = f" at laboratory '{item.lab}'" if item.lab else ""
            problems.append(
                Problem(
                    label,
                    row,
                    "uln",
                    item.uln,
                    f"{item.site.name} already has the upper limit {have.uln:g} U/L for "
                    f"{item.analyte}{where}; a file does not change it",
                )
            )
    return out, problems


def _cell(value: object) -> object:
    """A cell of a validated table as a plain Python value (None for unknown), as
    :func:`~myotrack.web.records.normalised` gives it."""
    if value is None or value is pd.NA:
        return None
    if isinstance(value, float) and math.isnan(value):
        return None
    return value


def _converter(model: Any, name: str) -> Callable[[object], object]:
    """What :func:`~myotrack.web.records.assign` does to a value of this field."""
    field = model._meta.get_field(name)
    if isinstance(field, models.CharField | models.TextField):
        return lambda v: "" if v is None else str(v)
    if isinstance(field, models.IntegerField):
        return lambda v: v if v is None else int(v) if isinstance(v, float) else int(str(v))
    if isinstance(field, models.FloatField):
        return lambda v: v if v is None else float(str(v))
    return lambda v: v


def _columns(
    ds: Dataset, table: str, model: Any, fields: tuple[str, ...], blank: dict[str, np.ndarray]
) -> tuple[list[str], list[dict[str, object]]]:
    """The patient ids and the field values of every row of a validated table."""
    frame = ds.table(table)
    n = len(frame)
    values: dict[str, list[object]] = {}
    for name in fields:
        given = frame[name].tolist() if name in frame.columns else [None] * n
        cells = [_cell(v) for v in given]
        if name in blank:
            cells = [None if b else v for v, b in zip(cells, blank[name].tolist(), strict=True)]
        convert = _converter(model, name)
        values[name] = [convert(v) for v in cells]
    ids = [str(p) for p in frame["patient_id"].tolist()]
    return ids, [{k: values[k][i] for k in fields} for i in range(n)]


@collector_paused()
def add_dataset(
    user: Any,
    ds: Dataset,
    sites: dict[str, Site],
    summary: str,
    written: dict[str, dict[str, np.ndarray]] | None = None,
) -> None:
    """Create every row of a validated dataset (patients at ``sites[patient_id]``) and the
    reference ranges it adds, each with its 'create' audit record, in bulk
    (:func:`myotrack.web.bulk.create_rows`).

    The caller holds the transaction and has checked that the patient ids are new (and the
    ranges, with :func:`planned_ranges`). ``written`` (from :func:`as_written`) says which
    cells the reader filled, to be stored empty as the file has them.
    """
    written = written or {}
    codes, rows = _columns(
        ds, "patients", Patient, Patient.CONTRACT_FIELDS, written.get("patients", {})
    )
    ids = create_rows(
        user,
        Patient,
        [{"code": c, "site_id": sites[c].pk, **r} for c, r in zip(codes, rows, strict=True)],
        summary,
    )
    patient_pk = dict(zip(codes, ids, strict=True))
    site_of = {patient_pk[c]: sites[c].pk for c in codes}
    ranges = planned_ranges(ds, sites, _every_site())[0]
    create_rows(
        user,
        ReferenceRange,
        [
            {"site_id": r.site.pk, **{f: getattr(r, f) for f in ReferenceRange.CONTRACT_FIELDS}}
            for r in ranges
        ],
        summary,
    )
    codes, rows = _columns(ds, "visits", Visit, Visit.STORED_FIELDS, written.get("visits", {}))
    ids = create_rows(
        user,
        Visit,
        [{"patient_id": patient_pk[c], **r} for c, r in zip(codes, rows, strict=True)],
        summary,
        site_of,
    )
    by_day = {(c, r["day"]): pk for c, r, pk in zip(codes, rows, ids, strict=True)}
    tables: tuple[tuple[str, Any], ...] = (
        ("strength", StrengthGrade),
        ("treatments", Treatment),
        ("events", Event),
        ("observations", Observation),
    )
    for table, model in tables:
        codes, rows = _columns(ds, table, model, model.CONTRACT_FIELDS, {})
        made = [{"patient_id": patient_pk[c], **r} for c, r in zip(codes, rows, strict=True)]
        if model is StrengthGrade:
            for c, r in zip(codes, made, strict=True):
                r["visit_id"] = by_day.get((c, r["day"]))
        create_rows(user, model, made, summary, site_of)
