"""The limits every reading of a user's file keeps (myotrack.tables.limits): the command line's
defaults and variables, zip bombs, members, rows, columns, cells and hostile workbooks.

The figures are the limits' own (the defaults of :class:`Limits`, or those a test sets); each
hostile file is made here, a few bytes more than its limit allows.
"""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl import Workbook

from myotrack.errors import MyotrackError
from myotrack.tables import limits, read_source
from myotrack.tables.io import raw_tables
from myotrack.tables.limits import Limits, ReadRefused, shortened

MB = 1 << 20
PATIENTS = "patient_id,sex,antibody\nP1,F,SRP\nP2,M,HMGCR\n"


def zipped(files: dict[str, str | bytes], method: int = zipfile.ZIP_DEFLATED) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", method, compresslevel=9 if method else None) as archive:
        for name, body in files.items():
            archive.writestr(name, body)
    return buffer.getvalue()


def workbook(rows: list[list[str]]) -> bytes:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "patients"
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def rewrite(book: bytes, part: str, change: Callable[[bytes], bytes] | None) -> bytes:
    """``book`` with ``part`` changed (or left out when ``change`` is None)."""
    out = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(book)) as source,
        zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target,
    ):
        for info in source.infolist():
            body = source.read(info)
            if info.filename == part:
                if change is None:
                    continue
                body = change(body)
            target.writestr(info.filename, body)
    return out.getvalue()


def write(tmp_path: Path, name: str, data: bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


def folder(tmp_path: Path, body: str | bytes) -> Path:
    (tmp_path / "src").mkdir()
    target = tmp_path / "src" / "patients.csv"
    target.write_bytes(body.encode() if isinstance(body, str) else body)
    return tmp_path / "src"


# --- the limits and their variables ----------------------------------------------------------


def test_the_command_line_defaults_are_generous_but_bounded() -> None:
    limits = Limits.from_environment({})
    assert limits == Limits()
    assert limits.unpacked_bytes == 2048 * MB
    assert limits.columns == 1_000
    assert limits.cell_chars == 100_000
    assert limits.members == 50_000
    assert limits.rows >= 10_000_000  # the 100,000-patient synthetic cohort has 2.8 M visits
    assert limits.setting("COLUMNS") == "MYOTRACK_READ_MAX_COLUMNS"


def test_each_limit_has_its_variable() -> None:
    limits = Limits.from_environment(
        {
            "MYOTRACK_READ_MAX_MEMBERS": "9",
            "MYOTRACK_READ_MAX_UNPACKED_MB": "11",
            "MYOTRACK_READ_MAX_ROWS": "2_000",
            "MYOTRACK_READ_MAX_COLUMNS": " 40 ",
            "MYOTRACK_READ_MAX_CELL_CHARS": "1000",
            "MYOTRACK_READ_MAX_RATIO": "50",
        }
    )
    assert (limits.members, limits.unpacked_bytes, limits.rows) == (9, 11 * MB, 2000)
    assert (limits.columns, limits.cell_chars, limits.ratio) == (40, 1000, 50)


@pytest.mark.parametrize("value", ["many", "0", "-3", "1.5"])
def test_a_bad_variable_is_a_message_naming_it(value: str) -> None:
    with pytest.raises(MyotrackError, match=r"MYOTRACK_READ_MAX_COLUMNS is .*whole number"):
        Limits.from_environment({"MYOTRACK_READ_MAX_COLUMNS": value})


def test_the_variables_reach_the_reader(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    source = folder(tmp_path, PATIENTS)
    monkeypatch.setenv("MYOTRACK_READ_MAX_COLUMNS", "2")
    with pytest.raises(ReadRefused, match=r"3 columns; a table has at most 2 \(MYOTRACK_READ_MAX"):
        read_source(source)
    monkeypatch.setenv("MYOTRACK_READ_MAX_COLUMNS", "3")
    assert len(read_source(source).table("patients")) == 2


def test_a_value_in_a_message_is_shortened() -> None:
    assert shortened("P1") == "'P1'"
    long = shortened("x" * 50 * MB)
    assert long == f"{'x' * 40!r}... (52,428,800 characters)"


# --- archives --------------------------------------------------------------------------------


def test_a_zip_bomb_is_stopped_by_its_ratio_while_it_unpacks(tmp_path: Path) -> None:
    body = "patient_id,sex\n" + "P1,F\n" * (8 * MB // 5)  # 8 MB that deflate ~500:1
    path = write(tmp_path, "bomb.zip", zipped({"patients.csv": body}))
    with pytest.raises(ReadRefused) as caught:
        read_source(path)
    message = str(caught.value)
    assert message.startswith("bomb.zip: patients.csv unpacks to more than 200 times")
    assert "MYOTRACK_READ_MAX_RATIO" in message
    # the same file within a higher ratio is read (its rows are one patient, repeated)
    raw = raw_tables(path, limits=Limits(ratio=10_000))
    assert len(raw["patients"].frame) == 8 * MB // 5


def test_the_unpacked_budget_counts_every_member(tmp_path: Path) -> None:
    table = "patient_id,sex\n" + "".join(f"P{i},F\n" for i in range(200_000))  # 1.9 MB
    path = write(
        tmp_path,
        "two.zip",
        zipped({"patients.csv": table, "visits.csv": table}, zipfile.ZIP_STORED),
    )
    with pytest.raises(
        ReadRefused, match=r"two\.zip unpacks to more than 3 MB \(MYOTRACK_READ_MAX_UNPACKED_MB\)"
    ):
        raw_tables(path, limits=Limits(unpacked_bytes=3 * MB))


def test_an_archive_with_too_many_members_is_refused_before_its_directory_is_read(
    tmp_path: Path,
) -> None:
    files: dict[str, str | bytes] = {
        "patients.csv": PATIENTS,
        **{f"x/{i}.txt": "" for i in range(5)},
    }
    path = write(tmp_path, "many.zip", zipped(files))
    with pytest.raises(ReadRefused, match=r"many.zip holds 6 files; .* at most 5 \(MYOTRACK_READ"):
        raw_tables(path, limits=Limits(members=5))
    assert len(raw_tables(path, limits=Limits(members=6))["patients"].frame) == 2


def test_a_file_that_is_not_a_zip_is_a_message(tmp_path: Path) -> None:
    path = write(tmp_path, "data.zip", b"patient_id\nP1\n")
    with pytest.raises(MyotrackError, match=r"data\.zip is not a zip archive"):
        read_source(path)


# --- tables ----------------------------------------------------------------------------------


@pytest.mark.parametrize("route", ["zip", "folder"])
def test_columns_beyond_the_limit_are_refused_at_the_header(tmp_path: Path, route: str) -> None:
    header = ",".join(["patient_id", *(f"c{i}" for i in range(1_000))])
    body = header + "\nP1\n"
    source = (
        write(tmp_path, "wide.zip", zipped({"patients.csv": body}))
        if route == "zip"
        else folder(tmp_path, body)
    )
    with pytest.raises(ReadRefused) as caught:
        read_source(source)
    message = str(caught.value)
    assert "patients.csv, row 1: 1,001 columns; a table has at most 1,000" in message
    assert "(MYOTRACK_READ_MAX_COLUMNS)" in message


@pytest.mark.parametrize("route", ["zip", "folder"])
def test_a_cell_beyond_the_limit_is_refused_without_repeating_it(
    tmp_path: Path, route: str
) -> None:
    body = "patient_id,sex\nP1," + "y" * 100_001 + "\n"
    source = (
        write(tmp_path, "cell.zip", zipped({"patients.csv": body}))
        if route == "zip"
        else folder(tmp_path, body)
    )
    with pytest.raises(ReadRefused) as caught:
        read_source(source)
    message = str(caught.value)
    assert "patients.csv, row 2: a cell is longer than 100,000 characters" in message
    assert "MYOTRACK_READ_MAX_CELL_CHARS" in message
    assert "yyyy" not in message and len(message) < 300


def test_a_cell_at_the_limit_is_read(tmp_path: Path) -> None:
    body = "patient_id,sex\nP1,F\n" + "P2," + "y" * 99_997 + "\n"
    raw = raw_tables(folder(tmp_path, body))
    assert raw["patients"].frame["sex"].str.len().tolist() == [1, 99_997]


def test_commas_and_line_breaks_inside_quotes_are_not_columns_or_rows(tmp_path: Path) -> None:
    """A quoted cell may hold the separator and line breaks: the file is parsed, not counted."""
    note = "a," * 1_500 + "\nb"
    body = f'patient_id,sex,antibody\nP1,F,"{note}"\r\nP2,M,SRP\r\n'
    raw = raw_tables(folder(tmp_path, body), limits=Limits(rows=2))
    assert raw["patients"].frame["antibody"].tolist() == [note, "SRP"]


def test_a_file_larger_than_the_unpacked_limit_is_refused_before_it_is_read(
    tmp_path: Path,
) -> None:
    source = folder(tmp_path, "patient_id\n" + "P1\n" * (MB // 3 + 1))
    with pytest.raises(
        ReadRefused, match=r"patients\.csv is larger than 1 MB \(MYOTRACK_READ_MAX_UNPACKED_MB\)"
    ):
        raw_tables(source, limits=Limits(unpacked_bytes=MB))


def test_rows_beyond_the_limit_are_refused(tmp_path: Path) -> None:
    source = folder(tmp_path, PATIENTS)
    with pytest.raises(
        ReadRefused, match=r"patients.csv: more than 1 rows \(MYOTRACK_READ_MAX_ROWS"
    ):
        raw_tables(source, limits=Limits(rows=1))
    assert len(raw_tables(source, limits=Limits(rows=2))["patients"].frame) == 2


# --- workbooks -------------------------------------------------------------------------------

LAUGHS = (
    '<!DOCTYPE lolz [<!ENTITY lol "lol">'
    '<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]>'
)
XXE = '<!DOCTYPE x [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'


@pytest.mark.parametrize("doctype", [LAUGHS, XXE])
def test_a_workbook_with_a_document_type_is_refused(tmp_path: Path, doctype: str) -> None:
    book = rewrite(
        workbook([["patient_id"], ["P1"]]),
        "xl/worksheets/sheet1.xml",
        lambda xml: (
            doctype.encode() + xml.partition(b"?>")[2]
            if xml.startswith(b"<?xml")
            else doctype.encode() + xml
        ),
    )
    with pytest.raises(ReadRefused) as caught:
        read_source(write(tmp_path, "evil.xlsx", book))
    assert str(caught.value).startswith(
        "evil.xlsx, sheet patients: the workbook's XML declares a document type"
    )


@pytest.mark.parametrize("sheet", [b"", b"<worksheet", b"\x00\xff not xml"])
def test_a_sheet_that_is_not_xml_is_a_message_naming_the_part(tmp_path: Path, sheet: bytes) -> None:
    book = rewrite(workbook([["patient_id"], ["P1"]]), "xl/worksheets/sheet1.xml", lambda _: sheet)
    with pytest.raises(ReadRefused) as caught:
        read_source(write(tmp_path, "broken.xlsx", book))
    assert str(caught.value) == (
        "broken.xlsx, sheet patients: not a readable Excel workbook "
        "(the XML of xl/worksheets/sheet1.xml is malformed)"
    )


@pytest.mark.parametrize(
    "part", ["xl/workbook.xml", "[Content_Types].xml", "xl/worksheets/sheet1.xml"]
)
def test_a_workbook_missing_a_part_is_a_message(tmp_path: Path, part: str) -> None:
    book = rewrite(workbook([["patient_id"], ["P1"]]), part, None)
    with pytest.raises(MyotrackError, match=r"gap\.xlsx"):
        read_source(write(tmp_path, "gap.xlsx", book))


def test_a_workbook_over_the_column_limit_is_refused(tmp_path: Path) -> None:
    book = workbook([["patient_id", "sex", "antibody"], ["P1", "F", "SRP"]])
    path = write(tmp_path, "book.xlsx", book)
    with pytest.raises(
        ReadRefused,
        match=r"book.xlsx, sheet patients, row 1: 3 or more columns; a table has at most 2 ",
    ):
        raw_tables(path, limits=Limits(columns=2))
    assert len(raw_tables(path, limits=Limits(columns=3))["patients"].frame) == 1


def test_a_workbook_bomb_is_stopped_by_its_ratio(tmp_path: Path) -> None:
    book = rewrite(
        workbook([["patient_id"], ["P1"]]),
        "xl/worksheets/sheet1.xml",
        lambda xml: xml.replace(b"<sheetData>", b"<sheetData>" + b" " * (16 * MB)),
    )
    with pytest.raises(
        ReadRefused, match=r"xl/worksheets/sheet1.xml unpacks to more than 200 times"
    ):
        read_source(write(tmp_path, "bomb.xlsx", book))


# --- one implementation ----------------------------------------------------------------------


def test_the_web_passes_its_own_limits_to_the_same_code() -> None:
    from myotrack.web import intake

    assert intake.UploadRefused is ReadRefused
    limits = intake.Limits(columns=2, prefix=intake.IMPORT_PREFIX)
    assert isinstance(limits, Limits)
    assert limits.setting("COLUMNS") == "MYOTRACK_IMPORT_MAX_COLUMNS"


@settings(
    max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    data=st.binary(max_size=64).map(
        lambda b: b.translate(bytes(b"a,\n\r"[i % 4] for i in range(256)))
    ),
    chunk=st.integers(1, 8),
    columns=st.integers(1, 12),
    cells=st.integers(1, 40),
    rows=st.integers(1, 20),
)
def test_the_longest_line_is_found_as_bytes_split_finds_it(
    monkeypatch: pytest.MonkeyPatch, data: bytes, chunk: int, columns: int, cells: int, rows: int
) -> None:
    """``longest_line`` (NumPy, a chunk at a time: here chunks of 1 to 8 bytes, so that lines
    straddle them) against ``bytes.split``; and the shortcut it allows (a file whose lines are
    shorter than the column limit has no row over it) decides as counting the commas does."""
    monkeypatch.setattr(limits, "_LINE_CHUNK", chunk)
    lines = data.split(b"\n")
    assert limits.longest_line(data) == max(map(len, lines))
    lim = Limits(rows=rows, columns=columns, cell_chars=cells)
    by_counting = (
        data.count(b"\n") + data.count(b"\r") <= lim.rows
        and max(map(len, lines)) <= cells
        and max(line.count(b",") for line in lines) < columns
    )
    assert limits._plainly_within(data, lim) == by_counting


#: The former test of quoting (a regular expression), the reference for ``plainly_quoted``: a
#: quoted cell starts a line or follows a comma, ends a line or comes before a comma, and a
#: quote inside it is doubled; the file is plainly quoted when no quote is left once every such
#: cell is removed.
_QUOTED_CELL = re.compile(rb'(?<![^,\n])"[^"]*(?:""[^"]*)*"(?=[,\r\n]|\Z)')


def _regex_plainly_quoted(data: bytes) -> bool:
    return b'"' not in data or b'"' not in _QUOTED_CELL.sub(b"", data)


_QUOTING = st.lists(st.sampled_from([b"a", b",", b'"', b'""', b"\n", b"\r", b"\r\n"]), max_size=14)


@settings(max_examples=3000, deadline=None)
@given(pieces=_QUOTING)
def test_quoting_is_judged_as_the_regular_expression_judged_it(pieces: list[bytes]) -> None:
    """``plainly_quoted`` (the file split at its quotes) against the regular expression it
    replaces (ten times slower on the synthetic treatment table): the same verdict on files of
    cells, commas, quotes (single and doubled) and every kind of line break."""
    data = b"".join(pieces)
    assert limits.plainly_quoted(data) == _regex_plainly_quoted(data)


@settings(max_examples=1000, deadline=None)
@given(
    pieces=_QUOTING,
    columns=st.integers(1, 6),
    cells=st.integers(1, 12),
    rows=st.integers(1, 4),
)
def test_a_quoted_file_is_plainly_within_only_where_the_csv_reader_agrees(
    pieces: list[bytes], columns: int, cells: int, rows: int
) -> None:
    """A file passed without parsing (with quotes: only when its quoting is plain and no
    quoted cell holds a line break) is one the CSV reader finds within the limits too: rows,
    columns and cells."""
    data = b"".join(pieces)
    lim = Limits(rows=rows, columns=columns, cell_chars=cells)
    if limits._plainly_within(data, lim):
        limits.check_csv_text(io.StringIO(data.decode(), newline=""), "t.csv", lim)
        if b'"' in data:
            assert limits.plainly_quoted(data)


def test_a_file_one_row_over_the_limit_is_refused_without_a_final_line_break() -> None:
    """Three rows below the header and no final line break: three line breaks, one record
    more than the rows allowed (2), with or without quotes."""
    for data in (
        b"patient_id,sex\nP1,F\nP2,M\nP3,F",
        b'patient_id,sex\n"P1",F\n"P2",M\n"P3",F',
    ):
        with pytest.raises(ReadRefused, match="more than 2 rows"):
            limits.check_csv_bytes(data, "patients.csv", Limits(rows=2))
        limits.check_csv_bytes(data, "patients.csv", Limits(rows=3))
