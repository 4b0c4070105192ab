"""Checking an uploaded file before anything reads it: limits, zip bombs, hostile workbooks.

An upload is refused, with a message naming the limit and the setting that raises it, when

- the file is larger than ``IMPORT_MAX_UPLOAD_BYTES``;
- the archive (a .zip of CSV files, or the .xlsx workbook, which is a zip too) holds more than
  ``IMPORT_MAX_MEMBERS`` files, or unpacks to more than ``IMPORT_MAX_UNPACKED_BYTES``: counted
  on the bytes as they are decompressed, never on the sizes the archive claims, and stopped at
  the limit, so a zip bomb is never unpacked whole;
- a table has more than ``IMPORT_MAX_ROWS`` rows below its header or ``IMPORT_MAX_COLUMNS``
  columns, or a cell is longer than ``IMPORT_MAX_CELL_CHARS`` characters;
- the workbook's XML has a document type declaration: the way to entity expansion ('billion
  laughs') and external entities (XXE). A spreadsheet program never writes one. (openpyxl also
  refuses entities itself, through defusedxml.)

A zip is unpacked here, what the readers read only (the contract's CSV tables; or a REDCap
project's ``redcap_dictionary.csv``, ``redcap_records.csv`` and ``redcap_mapping.toml``; or FHIR
``.json`` / ``.ndjson`` files), into a folder that the readers then read; a workbook is scanned in
place (a streaming XML parse that keeps nothing but counts). FHIR JSON is held to the same
limits: resources per file as rows, the longest string as a cell.

The checks themselves are :mod:`myotrack.tables.limits`, which the command line uses too with
its own (more generous) limits; here they are given the settings' limits.
"""

from __future__ import annotations

import shutil
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass, replace
from pathlib import Path, PurePosixPath

from django.conf import settings

from myotrack.interchange.sources import REDCAP_DICTIONARY, REDCAP_MAPPING, REDCAP_RECORDS
from myotrack.tables import limits as core
from myotrack.tables.io import READABLE
from myotrack.tables.limits import (
    ReadRefused,
    check_csv,
    check_json,
    check_text,
    check_workbook,
    size_text,
)

__all__ = [
    "FHIR_SUFFIXES",
    "Limits",
    "UploadRefused",
    "check_csv",
    "check_file",
    "check_json",
    "check_size",
    "check_text",
    "check_workbook",
    "redcap_limits",
    "save",
    "size_text",
    "unpack_csv_zip",
    "unpack_zip",
]

#: An upload broke a limit or is not a file the registry reads safely; nothing was read.
#: (The refusal of :mod:`myotrack.tables.limits`, the one implementation of the limits.)
UploadRefused = ReadRefused
IMPORT_PREFIX = "MYOTRACK_IMPORT_MAX_"
#: The web bounds a bomb by its unpacked limit (far below the command line's); no ratio.
NO_RATIO = 1 << 40


@dataclass(frozen=True)
class Limits(core.Limits):
    """What one upload may hold (settings ``IMPORT_MAX_*``, from ``MYOTRACK_IMPORT_MAX_*``)."""

    @classmethod
    def from_settings(cls) -> Limits:
        return cls(
            upload_bytes=settings.IMPORT_MAX_UPLOAD_BYTES,
            members=settings.IMPORT_MAX_MEMBERS,
            unpacked_bytes=settings.IMPORT_MAX_UNPACKED_BYTES,
            rows=settings.IMPORT_MAX_ROWS,
            columns=settings.IMPORT_MAX_COLUMNS,
            cell_chars=settings.IMPORT_MAX_CELL_CHARS,
            ratio=NO_RATIO,
            prefix=IMPORT_PREFIX,
        )


def _too_large(label: str, limits: Limits) -> UploadRefused:
    return UploadRefused(
        f"{label} is larger than the {size_text(limits.upload_bytes)} an upload may be "
        "(MYOTRACK_IMPORT_MAX_UPLOAD_MB): split the data into smaller files"
    )


def check_size(size: int | None, label: str, limits: Limits) -> None:
    """Refuse an upload whose size (as received) is over the limit."""
    if size is not None and size > limits.upload_bytes:
        raise _too_large(label, limits)


def save(chunks: Iterable[bytes], target: Path, label: str, limits: Limits) -> None:
    """Write an upload to ``target``, stopping as soon as it passes the size limit."""
    written = 0
    with target.open("wb") as out:
        for chunk in chunks:
            written += len(chunk)
            if written > limits.upload_bytes:
                raise _too_large(label, limits)
            out.write(chunk)


#: The files of a REDCap project (myotrack.interchange.sources): dictionary, records, mapping.
REDCAP_FILES = (REDCAP_DICTIONARY, REDCAP_RECORDS, REDCAP_MAPPING)
FHIR_SUFFIXES = (".json", ".ndjson")


def _visible(info: zipfile.ZipInfo) -> bool:
    return not info.is_dir() and not PurePosixPath(info.filename).name.startswith(".")


def _chosen_members(archive: zipfile.ZipFile, label: str) -> tuple[str, dict[str, zipfile.ZipInfo]]:
    """What a zip holds and the members read: ('tables', name.csv -> member) for the
    contract's CSV files, ('redcap', ...) for a REDCap project's dictionary and records (and
    mapping), ('fhir', ...) for FHIR .json / .ndjson files. The last of a name wins."""
    members = {PurePosixPath(i.filename).name: i for i in archive.infolist() if _visible(i)}
    lower = {name.lower(): info for name, info in members.items()}
    tables = {f"{n}.csv": members[f"{n}.csv"] for n in READABLE if f"{n}.csv" in members}
    if tables:
        return "tables", tables
    if REDCAP_DICTIONARY in lower and REDCAP_RECORDS in lower:
        return "redcap", {n: lower[n] for n in REDCAP_FILES if n in lower}
    fhir = {n: i for n, i in members.items() if n.lower().endswith(FHIR_SUFFIXES)}
    if fhir:
        return "fhir", fhir
    raise UploadRefused(
        f"{label}: the archive holds no patients.csv or other table, no REDCap project "
        f"({REDCAP_DICTIONARY} and {REDCAP_RECORDS}) and no FHIR .json or .ndjson file"
    )


def unpack_zip(path: Path, folder: Path, label: str, limits: Limits) -> str:
    """Unpack what the readers read of an uploaded zip (see :func:`_chosen_members`) into
    ``folder``, within the limits, check the shape of each file, and say what it holds."""
    with core.open_archive(path, label, limits) as archive:
        kind, chosen = _chosen_members(archive, label)
        folder.mkdir(parents=True, exist_ok=False)
        budget = core.Budget(label, limits)
        shape = redcap_limits(limits) if kind == "redcap" else limits
        try:
            for name, info in chosen.items():
                with (folder / name).open("wb") as out:
                    for chunk in core.stream(archive, info, budget):
                        out.write(chunk)
            for name in chosen:
                check_file(folder / name, f"{label}: {name}", shape)
        except BaseException:
            shutil.rmtree(folder, ignore_errors=True)
            raise
    return kind


def redcap_limits(limits: Limits) -> Limits:
    """A REDCap records file holds every table side by side (one flat row per record, event
    and instance): it may have ``IMPORT_MAX_COLUMNS`` columns for each table of the contract."""
    return replace(limits, columns=limits.columns * len(READABLE))


def unpack_csv_zip(path: Path, folder: Path, label: str, limits: Limits) -> Path:
    """Unpack the tables of a zip of CSV files (``patients.csv`` ...), a REDCap project or FHIR
    files into ``folder``, within the limits, and check their shape."""
    unpack_zip(path, folder, label, limits)
    return folder


def check_file(path: Path, label: str, limits: Limits) -> None:
    """The shape check of one unpacked or uploaded file, by its kind."""
    suffix = path.suffix.lower()
    if suffix == ".csv":
        check_csv(path, label, limits)
    elif suffix in FHIR_SUFFIXES:
        check_json(path, label, limits)
    elif suffix == ".toml":
        check_text(path, label, limits)
