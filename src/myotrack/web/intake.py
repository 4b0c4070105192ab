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
"""

from __future__ import annotations

import csv
import json
import posixpath
import shutil
import struct
import zipfile
import zlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, replace
from pathlib import Path, PurePosixPath
from xml.parsers import expat

from django.conf import settings

from myotrack.errors import MyotrackError
from myotrack.interchange.sources import REDCAP_DICTIONARY, REDCAP_MAPPING, REDCAP_RECORDS
from myotrack.tables.io import READABLE

CHUNK = 1 << 16
#: Bytes of central directory allowed per member: names and extra fields of real files are short.
DIRECTORY_BYTES_PER_MEMBER = 4096


class UploadRefused(MyotrackError):
    """An upload broke a limit or is not a file the registry reads safely; nothing was read."""


@dataclass(frozen=True)
class Limits:
    """What one upload may hold (settings ``IMPORT_MAX_*``, from ``MYOTRACK_IMPORT_MAX_*``)."""

    upload_bytes: int
    members: int
    unpacked_bytes: int
    rows: int
    columns: int
    cell_chars: int

    @classmethod
    def from_settings(cls) -> Limits:
        return cls(
            upload_bytes=settings.IMPORT_MAX_UPLOAD_BYTES,
            members=settings.IMPORT_MAX_MEMBERS,
            unpacked_bytes=settings.IMPORT_MAX_UNPACKED_BYTES,
            rows=settings.IMPORT_MAX_ROWS,
            columns=settings.IMPORT_MAX_COLUMNS,
            cell_chars=settings.IMPORT_MAX_CELL_CHARS,
        )


def size_text(n: int) -> str:
    """A byte count for people: 100 MB, 1.5 MB, 12 KB, 300 bytes."""
    for unit, size in (("GB", 1 << 30), ("MB", 1 << 20), ("KB", 1 << 10)):
        if n >= size:
            return f"{n / size:,.1f}".removesuffix(".0") + f" {unit}"
    return f"{n} bytes"


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


# --- archives ---------------------------------------------------------------------------------

_END = b"PK\x05\x06"
_END64_LOCATOR = b"PK\x06\x07"
_END64 = b"PK\x06\x06"


def _directory_claims(path: Path, label: str) -> tuple[int, int]:
    """(members, bytes) of the archive's directory as its end record states them, read before
    :mod:`zipfile` loads the directory (which it would do whole, however large)."""
    size = path.stat().st_size
    with path.open("rb") as fp:
        fp.seek(max(0, size - (22 + 0xFFFF)))
        start = fp.tell()
        tail = fp.read()
        at = tail.rfind(_END)
        if at < 0 or len(tail) - at < 22:
            raise UploadRefused(f"{label} is not a zip archive")
        members, directory = struct.unpack("<HL", tail[at + 10 : at + 16])
        locator = tail[at - 20 : at] if at >= 20 else b""
        if locator[:4] == _END64_LOCATOR:  # zip64: the counts are in their own record
            (offset,) = struct.unpack("<Q", locator[8:16])
            fp.seek(offset)
            record = fp.read(56)
            if record[:4] != _END64 or len(record) < 56:
                fp.seek(start + at - 20 - 56)
                record = fp.read(56)
            if record[:4] == _END64:
                members, directory = struct.unpack("<QQ", record[32:48])
    return int(members), int(directory)


def _open_archive(path: Path, label: str, limits: Limits) -> zipfile.ZipFile:
    members, directory = _directory_claims(path, label)
    if members > limits.members:
        raise _too_many(label, members, limits)
    if directory > limits.members * DIRECTORY_BYTES_PER_MEMBER:
        raise UploadRefused(
            f"{label}: the archive's directory is larger than {limits.members} files need "
            "(MYOTRACK_IMPORT_MAX_MEMBERS)"
        )
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError, ValueError, EOFError) as err:
        raise UploadRefused(f"{label} is not a readable zip archive") from err
    if len(archive.infolist()) > limits.members:
        archive.close()
        raise _too_many(label, len(archive.infolist()), limits)
    return archive


def _too_many(label: str, count: int, limits: Limits) -> UploadRefused:
    return UploadRefused(
        f"{label} holds {count:,} files; an archive may hold at most {limits.members} "
        "(MYOTRACK_IMPORT_MAX_MEMBERS)"
    )


class _Budget:
    """The decompressed bytes one upload may still produce."""

    def __init__(self, label: str, limits: Limits):
        self.label = label
        self.limits = limits
        self.left = limits.unpacked_bytes

    def take(self, n: int) -> None:
        self.left -= n
        if self.left < 0:
            raise UploadRefused(
                f"{self.label} unpacks to more than {size_text(self.limits.unpacked_bytes)} "
                "(MYOTRACK_IMPORT_MAX_UNPACKED_MB); it was not unpacked further: "
                "split the data into smaller files"
            )


def _stream(archive: zipfile.ZipFile, info: zipfile.ZipInfo, budget: _Budget) -> Iterator[bytes]:
    """A member's bytes, chunk by chunk as they are decompressed, counted against the budget."""
    try:
        with archive.open(info) as member:
            while chunk := member.read(CHUNK):
                budget.take(len(chunk))
                yield chunk
    except (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError, RuntimeError) as err:
        raise UploadRefused(
            f"{budget.label}: {info.filename} cannot be unpacked ({type(err).__name__}); "
            "is the archive damaged or encrypted?"
        ) from err


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
    with _open_archive(path, label, limits) as archive:
        kind, chosen = _chosen_members(archive, label)
        folder.mkdir(parents=True, exist_ok=False)
        budget = _Budget(label, limits)
        shape = redcap_limits(limits) if kind == "redcap" else limits
        try:
            for name, info in chosen.items():
                with (folder / name).open("wb") as out:
                    for chunk in _stream(archive, info, budget):
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


def check_text(path: Path, label: str, limits: Limits) -> None:
    """Refuse a text file (a mapping) with too many lines or too long a line."""
    with path.open(encoding="utf-8", errors="replace") as handle:
        for row, line in enumerate(handle, start=1):
            if row > limits.rows:
                raise _limit(label, None, f"more than {limits.rows:,} lines", "ROWS")
            if len(line) > limits.cell_chars:
                raise _limit(
                    label,
                    row,
                    f"a line is longer than {limits.cell_chars:,} characters",
                    "CELL_CHARS",
                )


def check_json(path: Path, label: str, limits: Limits) -> None:
    """Refuse FHIR JSON with more resources than a table has rows (a Bundle's entries, an
    NDJSON file's lines) or a string longer than a cell. Its size is already bounded (the
    upload or the unpacked limit); JSON that does not parse is for the reader to name."""
    strings = f"a value is longer than {limits.cell_chars:,} characters"
    rows = f"more than {limits.rows:,} resources"
    if path.suffix.lower() == ".ndjson":
        with path.open(encoding="utf-8", errors="replace") as handle:
            for line_no, line in enumerate(handle, start=1):
                if line_no > limits.rows:
                    raise _limit(label, None, rows, "ROWS")
                if _longest(line) > limits.cell_chars:
                    raise _limit(label, line_no, strings, "CELL_CHARS")
        return
    try:
        doc = json.loads(path.read_text(encoding="utf-8", errors="replace"))
    except (json.JSONDecodeError, RecursionError):
        return
    entries = doc.get("entry") if isinstance(doc, dict) else None
    if isinstance(entries, list) and len(entries) > limits.rows:
        raise _limit(label, None, rows, "ROWS")
    if _longest_value(doc) > limits.cell_chars:
        raise _limit(label, None, strings, "CELL_CHARS")


def _longest(line: str) -> int:
    try:
        return _longest_value(json.loads(line)) if line.strip() else 0
    except (json.JSONDecodeError, RecursionError):
        return 0


def _longest_value(doc: object) -> int:
    """The longest string in a JSON document (iteratively: no recursion on deep nesting)."""
    longest = 0
    stack = [doc]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            longest = max(longest, len(item))
        elif isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return longest


def _limit(label: str, row: int | None, what: str, setting: str) -> UploadRefused:
    where = f"{label}, row {row}" if row is not None else label
    return UploadRefused(f"{where}: {what} (MYOTRACK_IMPORT_MAX_{setting})")


def check_csv(path: Path, label: str, limits: Limits) -> None:
    """Refuse a CSV file with too many rows or columns or too long a cell (read as a stream)."""
    csv.field_size_limit(max(csv.field_size_limit(), limits.cell_chars + 1))
    cells = f"a cell is longer than {limits.cell_chars:,} characters"
    with path.open(newline="", encoding="utf-8-sig", errors="replace") as handle:
        reader = csv.reader(handle)
        row = 1
        try:
            for row, cells_of_row in enumerate(reader, start=1):
                if row - 1 > limits.rows:
                    raise _limit(label, None, f"more than {limits.rows:,} rows", "ROWS")
                if len(cells_of_row) > limits.columns:
                    raise _limit(
                        label,
                        row,
                        f"{len(cells_of_row):,} columns; a table has at most {limits.columns}",
                        "COLUMNS",
                    )
                if cells_of_row and max(map(len, cells_of_row)) > limits.cell_chars:
                    raise _limit(label, row, cells, "CELL_CHARS")
        except csv.Error as err:
            if "field limit" in str(err):
                raise _limit(label, row + 1, cells, "CELL_CHARS") from err
            # anything else is for the CSV reader to name, with its row


# --- workbooks --------------------------------------------------------------------------------

ENTITIES = (
    "the workbook's XML declares a document type (the way to entity expansion and external "
    "entities, known attacks); it was not read. Save it again from a spreadsheet program, or "
    "upload a .zip of CSV files"
)


def _column(ref: str) -> int:
    """1 for 'A1', 27 for 'AA7'; 0 when the reference has no letters."""
    n = 0
    for letter in ref.rstrip("0123456789"):
        n = n * 26 + (ord(letter.upper()) - 64)
    return n


def _local(name: str) -> str:
    return name.rpartition(":")[2]


class _XmlScan:
    """A streaming pass over one XML part: refuses a DTD; in a sheet or the shared strings it
    counts rows, columns and the characters of each value against the limits."""

    def __init__(self, label: str, limits: Limits, table: bool):
        self.label = label
        self.limits = limits
        self.rows = 0
        self.row = 0
        self.column = 0
        self.chars = 0
        self.in_text = False
        self.attributes: list[dict[str, str]] = []
        self.parser = expat.ParserCreate()
        self.parser.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)
        self.parser.StartDoctypeDeclHandler = self._refuse
        self.parser.EntityDeclHandler = self._refuse
        self.parser.ExternalEntityRefHandler = self._refuse_reference
        if table:
            self.parser.buffer_text = True
            self.parser.StartElementHandler = self._start
            self.parser.EndElementHandler = self._end
            self.parser.CharacterDataHandler = self._text
        else:
            self.parser.StartElementHandler = self._keep

    def _refuse(self, *_: object) -> None:
        raise UploadRefused(f"{self.label}: {ENTITIES}")

    def _refuse_reference(self, *_: object) -> int:
        raise UploadRefused(f"{self.label}: {ENTITIES}")

    def _keep(self, name: str, attributes: dict[str, str]) -> None:
        if _local(name) in ("sheet", "Relationship"):
            self.attributes.append({_local(k): v for k, v in attributes.items()})

    def _start(self, name: str, attributes: dict[str, str]) -> None:
        tag = _local(name)
        if tag == "row":
            self.rows += 1
            if self.rows - 1 > self.limits.rows:
                raise _limit(self.label, None, f"more than {self.limits.rows:,} rows", "ROWS")
            given = attributes.get("r", "")
            self.row = int(given) if given.isdigit() else self.row + 1
            self.column = 0
        elif tag == "c":
            column = _column(attributes.get("r", ""))
            self.column = column or self.column + 1
            if self.column > self.limits.columns:
                raise _limit(
                    self.label,
                    self.row,
                    f"{self.column:,} or more columns; a table has at most {self.limits.columns}",
                    "COLUMNS",
                )
            self.chars = 0
        elif tag == "si":
            self.chars = 0
        elif tag in ("v", "t"):
            self.in_text = True

    def _end(self, name: str) -> None:
        if _local(name) in ("v", "t"):
            self.in_text = False

    def _text(self, data: str) -> None:
        if self.in_text:
            self.chars += len(data)
            if self.chars > self.limits.cell_chars:
                raise _limit(
                    self.label,
                    self.row or None,
                    f"a cell is longer than {self.limits.cell_chars:,} characters",
                    "CELL_CHARS",
                )

    def feed(self, chunks: Iterable[bytes], member: str) -> None:
        try:
            for chunk in chunks:
                self.parser.Parse(chunk, False)
            self.parser.Parse(b"", True)
        except expat.ExpatError as err:
            raise UploadRefused(
                f"{self.label}: not a readable Excel workbook (the XML of {member} is malformed)"
            ) from err


def _sheet_names(
    archive: zipfile.ZipFile, label: str, limits: Limits, budget: _Budget
) -> dict[str, str]:
    """Member path -> sheet name, from the workbook part and its relationships."""
    found: dict[str, list[dict[str, str]]] = {}
    names = set(archive.namelist())
    for part in ("xl/workbook.xml", "xl/_rels/workbook.xml.rels"):
        if part in names:
            scan = _XmlScan(label, limits, table=False)
            scan.feed(_stream(archive, archive.getinfo(part), budget), part)
            found[part] = scan.attributes
    targets = {
        r.get("Id", ""): r.get("Target", "") for r in found.get("xl/_rels/workbook.xml.rels", [])
    }
    out = {}
    for sheet in found.get("xl/workbook.xml", []):
        target = targets.get(sheet.get("id", ""), "")
        if target:
            path = target.lstrip("/") if target.startswith("/") else posixpath.join("xl", target)
            out[posixpath.normpath(path)] = sheet.get("name", "")
    return out


def check_workbook(path: Path, label: str, limits: Limits) -> None:
    """Refuse a workbook over the limits or with a DTD in its XML, reading it as a stream."""
    with _open_archive(path, label, limits) as archive:
        budget = _Budget(label, limits)
        sheets = _sheet_names(archive, label, limits, budget)
        for info in archive.infolist():
            member = info.filename
            if info.is_dir() or not member.lower().endswith((".xml", ".rels", ".vml")):
                continue
            if member in ("xl/workbook.xml", "xl/_rels/workbook.xml.rels"):
                continue
            table = member.startswith("xl/worksheets/") or member == "xl/sharedStrings.xml"
            where = f"{label}, sheet {sheets[member]}" if member in sheets else label
            _XmlScan(where, limits, table).feed(_stream(archive, info, budget), member)
