"""Readers and writers: a CSV folder, a zip of CSV files, an Excel workbook.

A CSV folder holds ``patients.csv``, ``visits.csv``, ``strength.csv``, ``treatments.csv``,
``events.csv``, ``observations.csv`` and ``reference_ranges.csv`` (any but patients may be
absent); a workbook holds the same as sheets, and may hold a ``data_dictionary`` sheet, which is
ignored. Reading is all-or-nothing: a source with any
problem raises :class:`~myotrack.errors.InvalidData` listing every problem.
"""

from __future__ import annotations

import csv
import io
import os
import zipfile
from pathlib import Path
from typing import TYPE_CHECKING
from xml.etree.ElementTree import ParseError
from xml.parsers.expat import ExpatError

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pcsv
from defusedxml import DefusedXmlException

from myotrack.errors import InvalidData, Problem, SourceNotFound
from myotrack.tables.dataset import Dataset, build
from myotrack.tables.limits import (
    Budget,
    Limits,
    check_csv_bytes,
    check_file_size,
    check_workbook,
    open_archive,
    plainly_quoted,
    read_member,
    shortened,
)
from myotrack.tables.parsing import empty_text, holds
from myotrack.tables.problems import Progress
from myotrack.tables.schema import REFERENCE_RANGES, TABLES
from myotrack.tables.validate import RawTable, check_and_convert

if TYPE_CHECKING:
    import duckdb

#: The tables a source may hold: the contract's and the laboratories' reference ranges.
READABLE = (*TABLES, REFERENCE_RANGES.name)

DICTIONARY_SHEET = "data_dictionary"
#: the sheet an identified registry export adds (names, record numbers, dates); not a table
IDENTIFIERS_SHEET = "identifiers"


def _read_csv(data: bytes, label: str) -> RawTable:
    if b"\x00" in data:  # the parsers would cut the value there without a word
        rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig", "replace"), newline="")))
        rule, head = "a NUL byte (character 0) in the cell: remove it and save again", rows[0]
        name = dict(enumerate(head)).get
        raise InvalidData(
            [
                Problem(label, r + 1, name(c), v.replace("\x00", "\\x00"), rule)
                for r, row in enumerate(rows)
                for c, v in enumerate(row)
                if "\x00" in v
            ]
        )
    frame = _arrow_csv(data)
    if frame is None:
        frame = _pandas_csv(data, label)
    frame.columns = [str(c).strip() for c in frame.columns]
    return _without_empty_records(label, frame)


def _arrow_csv(data: bytes) -> pd.DataFrame | None:
    """Every cell as Arrow text, read by Arrow's multi-threaded parser (4x faster than pandas).

    None for anything but a plain file, which :func:`_pandas_csv` reads (or names what is
    wrong with it): a stray quote or NUL bytes (the parsers differ on them), a row with a
    missing or extra cell (a blank line is an empty record to both), a blank or repeated column
    name, text that is not UTF-8, an empty file. Well-formed quoted cells ('"daily, tapered"')
    are read alike by both.

    A column with no cell written shares one array of empty texts with the other such columns
    of the file (most columns of a large visit table are empty): it costs no memory per column,
    and the validator sees at once that it holds nothing.
    """
    if b"\x00" in data or not plainly_quoted(data):
        return None
    try:
        header = next(csv.reader(io.StringIO(data[: data.find(b"\n") + 1].decode("utf-8-sig"))))
    except (UnicodeDecodeError, StopIteration, csv.Error):
        return None
    if len(set(header)) != len(header) or not all(header):
        return None
    try:
        table = pcsv.read_csv(
            io.BytesIO(data),
            parse_options=pcsv.ParseOptions(newlines_in_values=True, ignore_empty_lines=False),
            convert_options=pcsv.ConvertOptions(
                column_types=dict.fromkeys(header, pa.string()), strings_can_be_null=False
            ),
        )
    except pa.ArrowInvalid:
        return None
    if table.column_names != header or any(t != pa.string() for t in table.schema.types):
        return None
    names, columns = table.column_names, table.columns
    del table  # each column's text is freed once it is converted
    blank: pa.ChunkedArray | None = None
    converted = []
    for i, column in enumerate(columns):
        columns[i] = None  # type: ignore[call-overload]
        if column.num_chunks == 0 or pc.max(pc.binary_length(column)).as_py() in (None, 0):
            blank = blank if blank is not None else _empty_texts(len(column))
            converted.append(blank)
        else:
            # pandas holds Arrow text with 64-bit offsets: converted once here
            converted.append(column.cast(pa.large_string()))
        del column
    return pa.table(converted, names=names).to_pandas(
        types_mapper={pa.large_string(): pd.StringDtype("pyarrow")}.get
    )


def _empty_texts(n: int) -> pa.ChunkedArray:
    """``n`` empty texts as one Arrow array (its offsets all zero, no characters)."""
    offsets = pa.py_buffer(np.zeros(n + 1, dtype=np.int64))
    return pa.chunked_array(
        [pa.LargeStringArray.from_buffers(n, offsets, pa.py_buffer(b""))], pa.large_string()
    )


def _pandas_csv(data: bytes, label: str) -> pd.DataFrame:
    try:
        # blank lines are kept as records so that row numbers match what a spreadsheet shows
        frame: pd.DataFrame = pd.read_csv(
            io.BytesIO(data),
            dtype="string[pyarrow]",
            keep_default_na=False,
            na_values=[],
            skip_blank_lines=False,
        )  # type: ignore[call-overload]
    except pd.errors.EmptyDataError:
        return pd.DataFrame()
    except (pd.errors.ParserError, UnicodeDecodeError) as err:
        raise InvalidData(
            [Problem(label, None, None, None, f"not a readable CSV file ({err})")]
        ) from err
    if not isinstance(frame.index, pd.RangeIndex):
        # pandas reads the cells beyond the header's names as row labels: every value would
        # land one column off
        raise InvalidData(
            [
                Problem(
                    label,
                    2,
                    None,
                    None,
                    "the rows have more cells than row 1 has column names: name every column, "
                    "or remove the extra cells (often a comma at the end of each line)",
                )
            ]
        )
    return frame


def _without_empty_records(label: str, frame: pd.DataFrame) -> RawTable:
    """Drop records with every cell empty, keeping each other record's row number (header = 1)."""
    rows = np.arange(2, len(frame) + 2)
    if len(frame.columns) == 0:
        return RawTable(label, frame, rows)
    keep = np.zeros(len(frame), dtype=bool)
    for _, column in frame.items():
        keep |= _filled(column)
        if keep.all():  # the usual case (every record has an id): the other columns unread
            return RawTable(label, frame, rows)
    return RawTable(label, frame[keep].reset_index(drop=True), rows[keep])


def _filled(column: pd.Series) -> np.ndarray:
    """True where a cell holds more than white space (trimmed in Arrow, not per cell in Python)."""
    try:
        if column.dtype == "string[pyarrow]":
            text = pa.array(column.array)
        else:
            text = pa.array(column.to_numpy(dtype=object), type=pa.string(), from_pandas=True)
    except (pa.ArrowInvalid, pa.ArrowTypeError):  # not all text: compare the written form
        return (column.fillna("").astype(str).str.strip() != "").to_numpy()
    trimmed = pc.utf8_trim_whitespace(pc.fill_null(text, ""))
    return np.asarray(pc.not_equal(trimmed, "").to_numpy(zero_copy_only=False), dtype=bool)


def _raw_csv_folder(path: Path, limits: Limits, progress: Progress) -> dict[str, RawTable]:
    raws: dict[str, RawTable] = {}
    present = [name for name in READABLE if (path / f"{name}.csv").exists()]
    for name in present:
        f = path / f"{name}.csv"
        check_file_size(f, f"{name}.csv", limits)
        data = f.read_bytes()
        check_csv_bytes(data, f"{name}.csv", limits)
        raws[name] = _read_csv(data, f"{name}.csv")
        progress("read", len(raws), len(present))
    if not raws:
        raise SourceNotFound(
            f"{path}: no patients.csv (or any of {', '.join(f'{n}.csv' for n in TABLES)}) in this folder"
        )
    return raws


def _raw_zip(path: Path, limits: Limits, progress: Progress) -> dict[str, RawTable]:
    raws: dict[str, RawTable] = {}
    try:
        with open_archive(path, path.name, limits) as z:
            members = {
                Path(m.filename).name: m
                for m in z.infolist()
                if m.filename.lower().endswith(".csv") and not Path(m.filename).name.startswith(".")
            }
            budget = Budget(path.name, limits)
            wanted = [n for n in READABLE if f"{n}.csv" in members]
            for name in wanted:
                label = f"{path.name}: {name}.csv"
                data = read_member(z, members[f"{name}.csv"], budget)
                check_csv_bytes(data, label, limits)
                raws[name] = _read_csv(data, label)
                progress("read", len(raws), len(wanted))
    except zipfile.BadZipFile as err:
        raise SourceNotFound(f"{path}: not a zip archive") from err
    if not raws:
        raise SourceNotFound(
            f"{path}: the archive holds no patients.csv or other table of myotrack"
        )
    return raws


#: What openpyxl raises on a workbook it cannot read: defusedxml's refusals of entities,
#: XML that does not parse, a damaged zip, a missing part (KeyError).
WORKBOOK_ERRORS = (
    ValueError,
    OSError,
    KeyError,
    IndexError,
    TypeError,
    EOFError,
    zipfile.BadZipFile,
    ParseError,
    ExpatError,
    DefusedXmlException,
)


def _raw_excel(path: Path, limits: Limits) -> dict[str, RawTable]:
    check_workbook(path, path.name, limits)
    try:
        sheets = pd.read_excel(
            path, sheet_name=None, dtype=str, keep_default_na=False, engine="openpyxl"
        )
    except WORKBOOK_ERRORS as err:
        raise SourceNotFound(
            f"{path}: not a readable Excel workbook ({type(err).__name__}: {shortened(err, 120)})"
        ) from err
    raws: dict[str, RawTable] = {}
    unknown = []
    for sheet, frame in sheets.items():
        key = str(sheet).strip().lower()
        if key in (DICTIONARY_SHEET, IDENTIFIERS_SHEET):
            continue
        if key not in READABLE:
            unknown.append(str(sheet))
            continue
        frame.columns = [str(c).strip() for c in frame.columns]
        frame = frame.loc[:, [c for c in frame.columns if not c.startswith("Unnamed:")]]
        # rows that are entirely empty (formatting left in a sheet) are not records
        keep = (
            (frame.astype(str).apply(lambda s: s.str.strip()) != "").any(axis=1).to_numpy()
            if len(frame.columns)
            else np.zeros(len(frame), bool)
        )
        rows = np.arange(2, len(frame) + 2)[keep]
        raws[key] = RawTable(
            f"{path.name}, sheet {sheet}", frame[keep].reset_index(drop=True), rows
        )
    if unknown:
        raise InvalidData(
            [
                Problem(
                    path.name,
                    None,
                    None,
                    s,
                    f"unknown sheet; sheets are {', '.join(READABLE)} (and {DICTIONARY_SHEET})",
                )
                for s in unknown
            ]
        )
    if not raws:
        raise SourceNotFound(f"{path}: the workbook has no 'patients' sheet")
    return raws


def raw_tables(
    path: str | Path, progress: Progress | None = None, limits: Limits | None = None
) -> dict[str, RawTable]:
    """The tables of a source as read (text cells), within ``limits`` (by default the command
    line's, :meth:`Limits.from_environment`; a file over a limit raises ReadRefused);
    ``progress('read', done, total)`` after each file of a folder or archive."""
    p = Path(path)
    step = progress or (lambda stage, done, total: None)
    if not p.exists():
        raise SourceNotFound(f"{p}: no such file or folder")
    limits = Limits.from_environment() if limits is None else limits
    if p.is_dir():
        return _raw_csv_folder(p, limits, step)
    suffix = p.suffix.lower()
    if suffix in (".xlsx", ".xlsm"):
        raws = _raw_excel(p, limits)
        step("read", 1, 1)
        return raws
    if suffix == ".zip":
        return _raw_zip(p, limits, step)
    raise SourceNotFound(
        f"{p}: a source is a folder of CSV files, a .zip of them, or an .xlsx workbook"
    )


def read_source(path: str | Path, progress: Progress | None = None) -> Dataset:
    """Read and validate a source; raise InvalidData listing every problem.

    ``progress(stage, done, total)``, when given, is called after each file read ('read') and
    each table validated ('validate').
    """
    p = Path(path)
    return build(raw_tables(p, progress), p.name, progress)


def validate_source(path: str | Path, progress: Progress | None = None) -> list[Problem]:
    """Every problem of a source, errors and warnings (no errors: the source is valid)."""
    try:
        raws = raw_tables(path, progress)
    except InvalidData as err:
        return err.problems
    return check_and_convert(raws, progress)[1]


def write_csv_folder(ds: Dataset, path: str | Path) -> Path:
    """Write the tables as CSV files into a folder (created if needed)."""
    p = Path(path)
    p.mkdir(parents=True, exist_ok=True)
    for name, frame in ds.to_text_frames().items():
        frame.to_csv(p / f"{name}.csv", index=False)
    return p


def local_duckdb() -> duckdb.DuckDBPyConnection:
    """An in-process DuckDB connection that never installs or loads extensions and prints no
    progress bar (a library prints nothing)."""
    import duckdb

    con = duckdb.connect(
        config={"autoinstall_known_extensions": False, "autoload_known_extensions": False}
    )
    con.execute("SET enable_progress_bar = false")
    return con


def _is_text(t: pa.DataType) -> bool:
    return bool(pa.types.is_string(t) or pa.types.is_large_string(t))


def _plain_type(t: pa.DataType) -> bool:
    """A type whose cells DuckDB's CSV writer writes as pandas does (shortest round-trip doubles,
    'inf', whole numbers, text quoted only when it must be)."""
    return bool(
        _is_text(t) or pa.types.is_integer(t) or pa.types.is_float64(t) or pa.types.is_null(t)
    )


#: Characters for which DuckDB's CSV writer quotes a text and pandas does not.
_DUCKDB_QUOTES = ("#", "\r")


def _quoted_by_duckdb(table: pa.Table) -> bool:
    """Whether a column name or a text cell of ``table`` holds one of :data:`_DUCKDB_QUOTES`."""
    if any(c in name for name in table.column_names for c in _DUCKDB_QUOTES):
        return True
    return any(
        holds(column, c)
        for column in table.columns
        if _is_text(column.type)
        for c in _DUCKDB_QUOTES
    )


def _as_duckdb_writes(
    frame: pd.DataFrame, path: Path, arrow: pa.Table | None = None
) -> pa.Table | None:
    """``frame`` as the Arrow table DuckDB writes as pandas would, or None where it would not
    (``arrow``: the frame already in Arrow, see :func:`write_frame_csv`)."""
    if (
        os.linesep != "\n"  # pandas ends each line with the system's line break
        or path.suffix.lower() != ".csv"  # pandas compresses a .gz, .bz2, .zip ... file
        or isinstance(frame.columns, pd.MultiIndex)  # pandas writes a header row per level
        or len(frame.columns) < 2  # pandas writes an empty row of one column as '""'
    ):
        return None
    if arrow is not None and arrow.column_names == list(frame.columns) and len(arrow) == len(frame):
        table = arrow
    else:
        try:
            table = pa.Table.from_pandas(frame, preserve_index=False)
        except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError):
            return None
    names = table.column_names
    if (
        not all(names)  # DuckDB names an unnamed column
        or len({n.lower() for n in names}) != len(names)  # DuckDB renames 'a' beside 'A'
        or not all(_plain_type(t) for t in table.schema.types)
        # an object column of numbers (1 and 2.5): Arrow doubles, which pandas writes as given
        or any(
            pd.api.types.is_object_dtype(frame.dtypes.iloc[i])
            and not (_is_text(t) or pa.types.is_null(t))
            for i, t in enumerate(table.schema.types)
        )
        or _quoted_by_duckdb(table)
    ):
        return None
    # an empty text is written as an empty cell, as pandas writes it (DuckDB would write "")
    return pa.table(
        [
            pc.if_else(empty_text(c), pa.scalar(None, c.type), c) if _is_text(c.type) else c
            for c in table.columns
        ],
        names=names,
    )


def write_frame_csv(frame: pd.DataFrame, path: str | Path, arrow: pa.Table | None = None) -> Path:
    """``frame`` as a CSV file without its index, the text ``frame.to_csv(index=False)`` writes.

    Written by DuckDB's multi-threaded CSV writer (a 100,000-patient outcomes table, 82 columns:
    1.5 s instead of 2.6 s), which writes doubles, whole numbers, text and empty cells as pandas
    does; an empty text is written as an empty cell (DuckDB would write ``""``). Every frame it
    would write otherwise is written by pandas (:func:`_as_duckdb_writes`): a text holding a
    ``#`` or a carriage return (DuckDB quotes it, pandas does not), a column of another kind
    (dates, booleans, an object column of numbers, 32-bit floats), fewer than two columns,
    column names that are empty, repeat but for case or have several levels, a file name
    whose ending makes pandas compress it, a system whose line break is not ``\\n``.

    ``arrow``: the same table as ``pa.Table.from_pandas(frame, preserve_index=False)`` gives
    it, when the caller has it (:attr:`myotrack.criteria.Outcomes.arrow`): not converted again
    (0.15-0.2 s for 100,000 patients' outcomes). Taken only with the frame's column names and
    number of rows; otherwise the frame is converted.
    """
    import duckdb

    p = Path(path)
    table = _as_duckdb_writes(frame, p, arrow)
    if table is None:
        frame.to_csv(p, index=False)
        return p
    con = local_duckdb()
    try:
        con.register("frame", table)
        target = str(p).replace("'", "''")
        con.execute(f"COPY frame TO '{target}' (FORMAT csv, HEADER, DELIMITER ',')")
    except duckdb.Error:  # whatever DuckDB cannot write, pandas writes
        frame.to_csv(p, index=False)
    finally:
        con.close()
    return p


def write_excel(ds: Dataset, path: str | Path, dictionary: bool = True) -> Path:
    """Write the tables as sheets of one workbook, with a data-dictionary sheet."""
    from myotrack.tables.template import dictionary_frame  # local: template imports io

    p = Path(path)
    p.parent.mkdir(parents=True, exist_ok=True)
    with pd.ExcelWriter(p, engine="openpyxl") as writer:
        for name, frame in ds.to_text_frames().items():
            frame.to_excel(writer, sheet_name=name, index=False)
        if dictionary:
            dictionary_frame().to_excel(writer, sheet_name=DICTIONARY_SHEET, index=False)
    return p
