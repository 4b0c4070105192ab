"""Reading a file that may be hostile: limits, zip bombs, hostile workbooks.

One implementation for every route that reads a file given by a user: the command line and
``myotrack.tables.io`` with :meth:`Limits.from_environment` (``MYOTRACK_READ_MAX_*``), the web
import with its stricter settings (``myotrack.web.intake``, ``MYOTRACK_IMPORT_MAX_*``). A file is
refused, with a message naming it, the limit and the variable that raises it, when

- an archive (a .zip of CSV files, or an .xlsx workbook, which is a zip too) holds more than
  ``MEMBERS`` files, or unpacks to more than ``UNPACKED_MB``, or a member unpacks to more than
  ``RATIO`` times its compressed size (a zip bomb: CSV and workbook XML compress 5 to 30 times,
  a bomb 1,000 times). Counted on the bytes as they are decompressed, never on the sizes the
  archive claims, and stopped at the limit, so a bomb is never unpacked whole;
- a table has more than ``ROWS`` rows below its header or ``COLUMNS`` columns, or a cell is
  longer than ``CELL_CHARS`` characters;
- the workbook's XML has a document type declaration: the way to entity expansion ('billion
  laughs') and external entities (XXE). A spreadsheet program never writes one.

The checks stream (a CSV reader, an expat parse that keeps nothing but counts); no message
repeats a value of the file.
"""

from __future__ import annotations

import csv
import io
import json
import os
import posixpath
import struct
import zipfile
import zlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO
from xml.parsers import expat

import numpy as np

from myotrack.errors import MyotrackError

CHUNK = 1 << 16
#: Bytes of central directory allowed per member: names and extra fields of real files are short.
DIRECTORY_BYTES_PER_MEMBER = 4096
#: Unpacked bytes of a member allowed whatever its ratio (a small member may compress well).
RATIO_ALLOWANCE = 1 << 20
MB = 1 << 20
#: The command line's variables: prefix of each (``MYOTRACK_READ_MAX_COLUMNS`` ...).
READ_PREFIX = "MYOTRACK_READ_MAX_"


class ReadRefused(MyotrackError):
    """A file broke a limit or is not a file myotrack reads safely; nothing of it was used."""


@dataclass(frozen=True)
class Limits:
    """What one file (or archive) may hold; ``prefix`` names the variables that raise it."""

    members: int = 50_000
    unpacked_bytes: int = 2048 * MB
    rows: int = 100_000_000
    columns: int = 1_000
    cell_chars: int = 100_000
    ratio: int = 200
    upload_bytes: int = 2048 * MB
    prefix: str = READ_PREFIX

    def setting(self, name: str) -> str:
        """The variable that sets the limit ``name`` (``ROWS``, ``UNPACKED_MB`` ...)."""
        return f"{self.prefix}{name}"

    @classmethod
    def from_environment(cls, environ: dict[str, str] | None = None) -> Limits:
        """The command line's limits: the defaults, each overridden by its
        ``MYOTRACK_READ_MAX_*`` variable (``UNPACKED_MB`` in megabytes; the others counts)."""
        env = os.environ if environ is None else environ
        default = cls()
        values: dict[str, int] = {}
        for field, name, unit in (
            ("members", "MEMBERS", 1),
            ("unpacked_bytes", "UNPACKED_MB", MB),
            ("rows", "ROWS", 1),
            ("columns", "COLUMNS", 1),
            ("cell_chars", "CELL_CHARS", 1),
            ("ratio", "RATIO", 1),
        ):
            given = env.get(READ_PREFIX + name)
            if given is None or not given.strip():
                continue
            try:
                number = int(given.strip().replace("_", ""))
            except ValueError:
                number = 0
            if number < 1:
                raise MyotrackError(
                    f"{READ_PREFIX}{name} is {shortened(given)}: it must be a whole number "
                    "of 1 or more"
                )
            values[field] = number * unit
        return cls(**{**default.__dict__, **values})


def shortened(value: object, keep: int = 40) -> str:
    """A value for a message: whole when short, else its first ``keep`` characters and its
    length (a message never repeats a megabyte of a file)."""
    text = str(value)
    if len(text) <= keep:
        return repr(text)
    return f"{text[:keep]!r}... ({len(text):,} characters)"


def size_text(n: int) -> str:
    """A byte count for people: 100 MB, 1.5 MB, 12 KB, 300 bytes."""
    for unit, size in (("GB", 1 << 30), ("MB", 1 << 20), ("KB", 1 << 10)):
        if n >= size:
            return f"{n / size:,.1f}".removesuffix(".0") + f" {unit}"
    return f"{n} bytes"


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
            raise ReadRefused(f"{label} is not a zip archive")
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


def too_many(label: str, count: int, limits: Limits) -> ReadRefused:
    return ReadRefused(
        f"{label} holds {count:,} files; an archive may hold at most {limits.members:,} "
        f"({limits.setting('MEMBERS')})"
    )


def open_archive(path: Path, label: str, limits: Limits) -> zipfile.ZipFile:
    """The zip at ``path``, its member count and directory size checked before
    :mod:`zipfile` reads the directory."""
    members, directory = _directory_claims(path, label)
    if members > limits.members:
        raise too_many(label, members, limits)
    if directory > limits.members * DIRECTORY_BYTES_PER_MEMBER:
        raise ReadRefused(
            f"{label}: the archive's directory is larger than {limits.members:,} files need "
            f"({limits.setting('MEMBERS')})"
        )
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError, ValueError, EOFError) as err:
        raise ReadRefused(f"{label} is not a readable zip archive") from err
    if len(archive.infolist()) > limits.members:
        archive.close()
        raise too_many(label, len(archive.infolist()), limits)
    return archive


class Budget:
    """The decompressed bytes one archive may still produce."""

    def __init__(self, label: str, limits: Limits):
        self.label = label
        self.limits = limits
        self.left = limits.unpacked_bytes

    def take(self, n: int) -> None:
        self.left -= n
        if self.left < 0:
            raise ReadRefused(
                f"{self.label} unpacks to more than {size_text(self.limits.unpacked_bytes)} "
                f"({self.limits.setting('UNPACKED_MB')}); it was not unpacked further: "
                "split the data into smaller files"
            )


def stream(archive: zipfile.ZipFile, info: zipfile.ZipInfo, budget: Budget) -> Iterator[bytes]:
    """A member's bytes, chunk by chunk as they are decompressed, counted against the budget
    and against the member's compressed size (which :mod:`zipfile` never reads past)."""
    limits = budget.limits
    most = limits.ratio * info.compress_size + RATIO_ALLOWANCE
    produced = 0
    try:
        with archive.open(info) as member:
            while chunk := member.read(CHUNK):
                produced += len(chunk)
                if produced > most:
                    raise ReadRefused(
                        f"{budget.label}: {info.filename} unpacks to more than {limits.ratio} "
                        f"times its compressed size, as a zip bomb does "
                        f"({limits.setting('RATIO')}); it was not unpacked further"
                    )
                budget.take(len(chunk))
                yield chunk
    except (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError, RuntimeError) as err:
        raise ReadRefused(
            f"{budget.label}: {info.filename} cannot be unpacked ({type(err).__name__}); "
            "is the archive damaged or encrypted?"
        ) from err


def read_member(archive: zipfile.ZipFile, info: zipfile.ZipInfo, budget: Budget) -> bytes:
    """A member's bytes, unpacked within the budget (see :func:`stream`)."""
    return b"".join(stream(archive, info, budget))


# --- tables -----------------------------------------------------------------------------------


def refusal(label: str, row: int | None, what: str, setting: str, limits: Limits) -> ReadRefused:
    where = f"{label}, row {row}" if row is not None else label
    return ReadRefused(f"{where}: {what} ({limits.setting(setting)})")


def check_csv(path: Path, label: str, limits: Limits) -> None:
    """Refuse a CSV file with too many rows or columns or too long a cell (read as a stream)."""
    with path.open(newline="", encoding="utf-8-sig", errors="replace") as handle:
        check_csv_text(handle, label, limits)


_OPENS = (b",", b"\n")  # what a quoted cell follows (or it starts the file)
_CLOSES = (b",", b"\r", b"\n")  # what follows a quoted cell (or it ends the file)


def _quoted_texts(data: bytes) -> list[bytes] | None:
    """What lies between the quotes of each quoted cell of ``data``, when every quote belongs
    to a well-formed quoted cell: one that starts the file or follows a comma or line break,
    ends the file or comes before a comma or line break, with each quote inside it doubled
    (``"daily, tapered"``, ``"4"" tall"``); else None (a stray quote: ``2"a``, ``"a"b``).

    The pieces of ``data`` split at every quote alternate outside and inside: an empty piece
    between two insides is a doubled quote; any other outside piece must close the cell
    before it and open the one after it.
    """
    pieces = data.split(b'"')
    if len(pieces) == 1:
        return []
    if len(pieces) % 2 == 0:  # an odd number of quotes
        return None
    first, last = pieces[0], pieces[-1]
    if first and not first.endswith(_OPENS):
        return None
    if last and not last.startswith(_CLOSES):
        return None
    for outside in pieces[2:-1:2]:
        if outside and not (outside.startswith(_CLOSES) and outside.endswith(_OPENS)):
            return None
    return pieces[1::2]


def plainly_quoted(data: bytes) -> bool:
    """True when every quote of ``data`` belongs to a well-formed quoted cell (or there is
    none): such a file is read alike by Arrow's and pandas' parsers (see
    :func:`_quoted_texts`)."""
    return b'"' not in data or _quoted_texts(data) is not None


def _plainly_within(data: bytes, limits: Limits) -> bool:
    """Whether the bytes alone show a CSV file within the limits, without parsing it: with no
    quote character, or only well-formed quoted cells none of which holds a line break, every
    line is one record and each of its cells lies within it (a comma inside quotes only adds
    to the count), so no cell is longer than the longest line (in bytes, never fewer than its
    characters), no row has more columns than its line's commas and one, and there are no more
    rows below the header than line breaks."""
    if b'"' in data:
        inside = _quoted_texts(data)
        if inside is None or any(b"\n" in t or b"\r" in t for t in inside):
            return False
    # no more records than line breaks and one, the header among them: no more rows below it
    # than line breaks
    if data.count(b"\n") + data.count(b"\r") > limits.rows:
        return False
    longest = longest_line(data)
    if longest > limits.cell_chars:
        return False
    if longest < limits.columns:  # a line holds no more commas than bytes
        return True
    return max(line.count(b",") for line in data.split(b"\n")) < limits.columns


#: Bytes compared at a time by :func:`longest_line` (its working memory: one byte per byte).
_LINE_CHUNK = 1 << 24


def longest_line(data: bytes) -> int:
    """The length in bytes of the longest line of ``data``, lines split at each ``\\n`` as
    ``bytes.split`` splits them (``max(map(len, data.split(b"\\n")))``), found with NumPy a
    chunk at a time instead of making an object of every line (the 147 MB visit file of
    100,000 synthetic patients: 0.06 s instead of 0.34 s; with the comma count it spares, the
    file's check takes 0.16 s instead of 0.9 s)."""
    view = np.frombuffer(data, dtype=np.uint8)
    longest, start = 0, 0  # where the line being measured starts
    for lo in range(0, len(view), _LINE_CHUNK):
        breaks = np.flatnonzero(view[lo : lo + _LINE_CHUNK] == ord("\n")) + lo
        if len(breaks):
            starts = np.concatenate(([start], breaks[:-1] + 1))
            longest = max(longest, int((breaks - starts).max()))
            start = int(breaks[-1]) + 1
    return max(longest, len(view) - start)


def check_file_size(path: Path, label: str, limits: Limits) -> None:
    """Refuse a file larger than an archive may unpack to, before it is read."""
    if path.stat().st_size > limits.unpacked_bytes:
        raise ReadRefused(
            f"{label} is larger than {size_text(limits.unpacked_bytes)} "
            f"({limits.setting('UNPACKED_MB')}): split the data into smaller files"
        )


def check_csv_bytes(data: bytes, label: str, limits: Limits) -> None:
    """:func:`check_csv` of a CSV file's bytes (a zip member, a file read whole); a file that
    is plainly within the limits (see :func:`_plainly_within`) is not parsed twice."""
    if _plainly_within(data, limits):
        return
    with io.TextIOWrapper(
        io.BytesIO(data), encoding="utf-8-sig", errors="replace", newline=""
    ) as handle:
        check_csv_text(handle, label, limits)


def check_csv_text(handle: IO[str], label: str, limits: Limits) -> None:
    csv.field_size_limit(max(csv.field_size_limit(), limits.cell_chars + 1))
    cells = f"a cell is longer than {limits.cell_chars:,} characters"
    reader = csv.reader(handle)
    row = 1
    try:
        for row, cells_of_row in enumerate(reader, start=1):
            if row - 1 > limits.rows:
                raise refusal(label, None, f"more than {limits.rows:,} rows", "ROWS", limits)
            if len(cells_of_row) > limits.columns:
                raise refusal(
                    label,
                    row,
                    f"{len(cells_of_row):,} columns; a table has at most {limits.columns:,}",
                    "COLUMNS",
                    limits,
                )
            if cells_of_row and max(map(len, cells_of_row)) > limits.cell_chars:
                raise refusal(label, row, cells, "CELL_CHARS", limits)
    except csv.Error as err:
        if "field limit" in str(err):
            raise refusal(label, row + 1, cells, "CELL_CHARS", limits) from err
        # anything else is for the CSV reader to name, with its row


def check_text(path: Path, label: str, limits: Limits) -> None:
    """Refuse a text file (a mapping) with too many lines or too long a line."""
    with path.open(encoding="utf-8", errors="replace") as handle:
        for row, line in enumerate(handle, start=1):
            if row > limits.rows:
                raise refusal(label, None, f"more than {limits.rows:,} lines", "ROWS", limits)
            if len(line) > limits.cell_chars:
                raise refusal(
                    label,
                    row,
                    f"a line is longer than {limits.cell_chars:,} characters",
                    "CELL_CHARS",
                    limits,
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
                    raise refusal(label, None, rows, "ROWS", limits)
                if _longest(line) > limits.cell_chars:
                    raise refusal(label, line_no, strings, "CELL_CHARS", limits)
        return
    try:
        doc = json.loads(path.read_text(encoding="utf-8", errors="replace"))
    except (json.JSONDecodeError, RecursionError):
        return
    entries = doc.get("entry") if isinstance(doc, dict) else None
    if isinstance(entries, list) and len(entries) > limits.rows:
        raise refusal(label, None, rows, "ROWS", limits)
    if _longest_value(doc) > limits.cell_chars:
        raise refusal(label, None, strings, "CELL_CHARS", limits)


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


# --- workbooks --------------------------------------------------------------------------------

ENTITIES = (
    "the workbook's XML declares a document type (the way to entity expansion and external "
    "entities, known attacks); it was not read. Save it again from a spreadsheet program, or "
    "use a .zip of CSV files"
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
        raise ReadRefused(f"{self.label}: {ENTITIES}")

    def _refuse_reference(self, *_: object) -> int:
        raise ReadRefused(f"{self.label}: {ENTITIES}")

    def _keep(self, name: str, attributes: dict[str, str]) -> None:
        if _local(name) in ("sheet", "Relationship"):
            self.attributes.append({_local(k): v for k, v in attributes.items()})

    def _too_long(self) -> ReadRefused:
        return refusal(
            self.label,
            self.row or None,
            f"a cell is longer than {self.limits.cell_chars:,} characters",
            "CELL_CHARS",
            self.limits,
        )

    def _start(self, name: str, attributes: dict[str, str]) -> None:
        tag = _local(name)
        if tag == "row":
            self.rows += 1
            if self.rows - 1 > self.limits.rows:
                raise refusal(
                    self.label, None, f"more than {self.limits.rows:,} rows", "ROWS", self.limits
                )
            given = attributes.get("r", "")
            self.row = int(given) if given.isdigit() else self.row + 1
            self.column = 0
        elif tag == "c":
            column = _column(attributes.get("r", ""))
            self.column = column or self.column + 1
            if self.column > self.limits.columns:
                raise refusal(
                    self.label,
                    self.row,
                    f"{self.column:,} or more columns; a table has at most {self.limits.columns:,}",
                    "COLUMNS",
                    self.limits,
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
                raise self._too_long()

    def feed(self, chunks: Iterable[bytes], member: str) -> None:
        try:
            for chunk in chunks:
                self.parser.Parse(chunk, False)
            self.parser.Parse(b"", True)
        except expat.ExpatError as err:
            raise ReadRefused(
                f"{self.label}: not a readable Excel workbook (the XML of {member} is malformed)"
            ) from err


def _sheet_names(
    archive: zipfile.ZipFile, label: str, limits: Limits, budget: Budget
) -> dict[str, str]:
    """Member path -> sheet name, from the workbook part and its relationships."""
    found: dict[str, list[dict[str, str]]] = {}
    names = set(archive.namelist())
    for part in ("xl/workbook.xml", "xl/_rels/workbook.xml.rels"):
        if part in names:
            scan = _XmlScan(label, limits, table=False)
            scan.feed(stream(archive, archive.getinfo(part), budget), part)
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
    with open_archive(path, label, limits) as archive:
        budget = Budget(label, limits)
        sheets = _sheet_names(archive, label, limits, budget)
        for info in archive.infolist():
            member = info.filename
            if info.is_dir() or not member.lower().endswith((".xml", ".rels", ".vml")):
                continue
            if member in ("xl/workbook.xml", "xl/_rels/workbook.xml.rels"):
                continue
            table = member.startswith("xl/worksheets/") or member == "xl/sharedStrings.xml"
            where = f"{label}, sheet {sheets[member]}" if member in sheets else label
            _XmlScan(where, limits, table).feed(stream(archive, info, budget), member)
