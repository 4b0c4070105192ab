"""Hostile uploads: every limit of an import says which one it is, and nothing is kept.

The files are those a hostile user sends: an oversized upload, an archive of many
files, zip bombs (a .zip of CSV files and a workbook), 100,000 columns, a 40,000-character
cell, too many rows, a NUL byte, and workbooks with entity expansion ('billion laughs') or an
external entity (XXE). Limits are lowered through the settings where the real ones would need
large files.
"""

from __future__ import annotations

import io
import os
import re
import subprocess
import sys
import time
import tracemalloc
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from defusedxml import DefusedXmlException
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from openpyxl import Workbook

from myotrack.errors import MyotrackError
from myotrack.tables import read_source
from myotrack.web import importer
from myotrack.web.patients.models import Patient

pytestmark = pytest.mark.django_db

PATIENTS = "patient_id,sex,antibody\nP1,F,SRP\nP2,M,HMGCR\n"
LAUGHS = (
    '<!DOCTYPE lolz [<!ENTITY lol0 "lol">'
    + "".join(f'<!ENTITY lol{i} "{f"&lol{i - 1};" * 10}">' for i in range(1, 10))
    + "]>"
)
XXE = '<!DOCTYPE x [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'


def zipped(files: dict[str, bytes | str]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, body in files.items():
            archive.writestr(name, body)
    return buffer.getvalue()


def workbook(rows: list[list[object]], sheet: str = "patients") -> bytes:
    book = Workbook(write_only=True)
    ws = book.create_sheet(sheet)
    for row in rows:
        ws.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def rewrite(book: bytes, member: str, change: Callable[[bytes], bytes]) -> bytes:
    """The workbook with one XML part changed."""
    out = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(book)) as source,
        zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target,
    ):
        for info in source.infolist():
            body = source.read(info)
            target.writestr(info.filename, change(body) if info.filename == member else body)
    return out.getvalue()


def handmade(rows: list[list[str]]) -> bytes:
    """A patients workbook whose sheet is written by hand: openpyxl itself refuses to write
    more than 16,384 columns or 32,767 characters in a cell, a hostile file need not."""

    def cell(text: str) -> str:
        return f'<c t="inlineStr"><is><t>{text}</t></is></c>'

    data = "".join("<row>" + "".join(cell(v) for v in row) + "</row>" for row in rows)
    return rewrite(
        workbook([["patient_id"]]),
        "xl/worksheets/sheet1.xml",
        lambda xml: re.sub(
            rb"<sheetData>.*</sheetData>", lambda _: f"<sheetData>{data}</sheetData>".encode(), xml
        ),
    )


def with_entity(doctype: str, entity: str) -> bytes:
    """A patients workbook whose sheet declares ``doctype`` and uses ``&entity;`` in a cell."""

    def inject(xml: bytes) -> bytes:
        xml = xml.replace(b"<t>P1</t>", f"<t>&{entity};</t>".encode())
        if xml.startswith(b"<?xml"):
            head, _, rest = xml.partition(b"?>")
            return head + b"?>" + doctype.encode() + rest
        return doctype.encode() + xml

    book = workbook([["patient_id", "sex"], ["P1", "F"]])
    return rewrite(book, "xl/worksheets/sheet1.xml", inject)


def upload(client: Client, name: str, data: bytes, site: Any) -> Any:
    return client.post(
        reverse("transfer:import"), {"file": SimpleUploadedFile(name, data), "site": site.pk}
    )


def refused(response: Any) -> str:
    """The message of a refused upload (the form is shown again with it)."""
    assert response.status_code == 200, response.status_code
    return " ".join(response.context["form"].errors["file"])


def nothing_staged() -> bool:
    return not list(Path(importer._folder()).iterdir())


@pytest.fixture(autouse=True)
def _own_import_folder(settings: Any, tmp_path: Path) -> None:
    settings.IMPORT_DIR = tmp_path / "imports"


@pytest.fixture
def manager(client: Client, users: dict[str, Any]) -> Client:
    client.force_login(users["data_manager"])
    return client


def test_an_upload_over_the_size_limit_is_refused(
    manager: Client, sites: dict[str, Any], settings: Any
) -> None:
    settings.IMPORT_MAX_UPLOAD_BYTES = 10_000
    message = refused(upload(manager, "big.zip", os.urandom(20_000), sites["A"]))
    assert "larger than the 9.8 KB an upload may be" in message
    assert "MYOTRACK_IMPORT_MAX_UPLOAD_MB" in message
    assert nothing_staged()


def test_an_archive_of_too_many_files_is_refused(
    manager: Client, sites: dict[str, Any], settings: Any
) -> None:
    settings.IMPORT_MAX_MEMBERS = 5
    files: dict[str, bytes | str] = {f"extra{i}.txt": "x" for i in range(5)}
    files["patients.csv"] = PATIENTS
    message = refused(upload(manager, "many.zip", zipped(files), sites["A"]))
    assert "many.zip holds 6 files; an archive may hold at most 5" in message
    assert nothing_staged()
    del files["extra0.txt"]
    assert upload(manager, "five.zip", zipped(files), sites["A"]).status_code == 302


def test_a_zip_bomb_is_stopped_while_it_unpacks(
    users: dict[str, Any], sites: dict[str, Any], settings: Any
) -> None:
    settings.IMPORT_MAX_UNPACKED_BYTES = 4 * 1024 * 1024
    bomb = zipped({"patients.csv": "patient_id,sex\n" + "P1,F\n" * (16 * 1024 * 1024)})
    assert len(bomb) < 200_000  # 80 MB unpacked
    tracemalloc.start()
    try:
        with pytest.raises(importer.ImportRefused, match=r"bomb.zip unpacks to more than 4 MB"):
            importer.stage(users["data_manager"], SimpleUploadedFile("bomb.zip", bomb), sites["A"])
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 2 * 1024 * 1024 + len(bomb), peak  # never the whole file in memory
    assert nothing_staged()


def test_a_workbook_bomb_is_stopped_while_it_unpacks(
    manager: Client, sites: dict[str, Any], settings: Any
) -> None:
    settings.IMPORT_MAX_UNPACKED_BYTES = 4 * 1024 * 1024
    book = rewrite(
        workbook([["patient_id"], ["P1"]]),
        "xl/worksheets/sheet1.xml",
        lambda xml: xml.replace(b"<sheetData>", b"<sheetData>" + b" " * (64 * 1024 * 1024)),
    )
    message = refused(upload(manager, "bomb.xlsx", book, sites["A"]))
    assert "bomb.xlsx unpacks to more than 4 MB" in message
    assert nothing_staged()


@pytest.mark.parametrize("kind", ["zip", "xlsx"])
def test_a_hundred_thousand_columns_are_refused_at_once(
    manager: Client, sites: dict[str, Any], kind: str
) -> None:
    header = ["patient_id", *(f"c{i}" for i in range(100_000))]
    if kind == "zip":
        data = zipped({"patients.csv": ",".join(header) + "\n" + "P1" + "," * 100_000 + "\n"})
    else:
        data = handmade([header, ["P1"]])
    started = time.monotonic()
    message = refused(upload(manager, f"wide.{kind}", data, sites["A"]))
    assert time.monotonic() - started < 10
    columns = "100,001 columns" if kind == "zip" else "201 or more columns"  # read as a stream
    assert f"row 1: {columns}; a table has at most 200" in message, message
    assert "MYOTRACK_IMPORT_MAX_COLUMNS" in message
    assert nothing_staged()


@pytest.mark.parametrize("kind", ["zip", "xlsx"])
def test_a_cell_longer_than_excel_allows_is_refused(
    manager: Client, sites: dict[str, Any], kind: str
) -> None:
    long = "x" * 40_000
    if kind == "zip":
        data = zipped({"patients.csv": f"patient_id,sex\nP1,F\nP2,{long}\n"})
        where = "long.zip: patients.csv, row 3"
    else:
        data = handmade([["patient_id", "sex"], ["P1", "F"], ["P2", long]])
        where = "long.xlsx, sheet patients, row 3"
    message = refused(upload(manager, f"long.{kind}", data, sites["A"]))
    assert f"{where}: a cell is longer than 32,767 characters" in message, message
    assert nothing_staged()


@pytest.mark.parametrize("kind", ["zip", "xlsx"])
def test_too_many_rows_are_refused(
    manager: Client, sites: dict[str, Any], settings: Any, kind: str
) -> None:
    settings.IMPORT_MAX_ROWS = 3
    rows = [["patient_id"], *([f"P{i}"] for i in range(4))]

    def data(rows: list[list[str]]) -> bytes:
        if kind == "zip":
            return zipped({"patients.csv": "".join(r[0] + "\n" for r in rows)})
        return workbook(rows)  # type: ignore[arg-type]

    message = refused(upload(manager, f"rows.{kind}", data(rows), sites["A"]))
    assert "more than 3 rows (MYOTRACK_IMPORT_MAX_ROWS)" in message, message
    assert upload(manager, f"rows.{kind}", data(rows[:-1]), sites["A"]).status_code == 302


@pytest.mark.parametrize(("doctype", "entity"), [(LAUGHS, "lol9"), (XXE, "xxe")])
def test_workbooks_with_entities_get_a_message_not_an_error(
    manager: Client, sites: dict[str, Any], doctype: str, entity: str
) -> None:
    message = refused(upload(manager, "evil.xlsx", with_entity(doctype, entity), sites["A"]))
    assert message.startswith("evil.xlsx, sheet patients: the workbook's XML declares a document")
    assert nothing_staged()
    assert not Patient.objects.exists()


@pytest.mark.parametrize(("doctype", "entity"), [(LAUGHS, "lol9"), (XXE, "xxe")])
def test_the_workbook_reader_refuses_entities_too(
    tmp_path: Path, doctype: str, entity: str
) -> None:
    """The command line refuses the document type first (myotrack.tables.limits, as the web
    does); behind it, openpyxl parses through defusedxml (a dependency)."""
    import openpyxl
    import pandas as pd

    assert openpyxl.DEFUSEDXML
    path = tmp_path / "evil.xlsx"
    path.write_bytes(with_entity(doctype, entity))
    with pytest.raises(
        MyotrackError, match=r"evil\.xlsx, sheet patients: the workbook's XML declares"
    ):
        read_source(path)
    with pytest.raises(Exception) as caught:
        pd.read_excel(path, sheet_name=None, engine="openpyxl")
    causes = []
    err: BaseException | None = caught.value
    while err is not None:
        causes.append(err)
        err = err.__cause__ or err.__context__
    assert any(isinstance(e, DefusedXmlException) for e in causes), causes


def test_a_nul_byte_is_a_row_problem_not_a_cut_value(
    manager: Client, sites: dict[str, Any]
) -> None:
    data = zipped({"patients.csv": "patient_id,sex\nP1,F\nP2\x00X,M\n"})
    response = upload(manager, "nul.zip", data, sites["A"])
    assert response.status_code == 302
    preview = manager.get(response["Location"]).context["preview"]
    assert [(p.file, p.row, p.column, p.value) for p in preview.problems] == [
        ("nul.zip: patients.csv", 3, "patient_id", "P2\\x00X")
    ]
    assert "NUL byte" in preview.problems[0].rule


def test_a_good_zip_is_unpacked_tables_only(users: dict[str, Any], sites: dict[str, Any]) -> None:
    data = zipped({"cases/patients.csv": PATIENTS, "cases/readme.txt": "x", "__MACOSX/._x": "x"})
    preview = importer.stage(users["data_manager"], SimpleUploadedFile("c.zip", data), sites["A"])
    assert preview.ok and preview.patient_ids == ["P1", "P2"]
    folder = importer.staged_path(preview.token, preview.filename)
    assert sorted(p.name for p in folder.iterdir()) == ["patients.csv"]


def test_the_limits_are_read_from_the_environment(tmp_path: Path) -> None:
    names = {
        "MYOTRACK_IMPORT_MAX_UPLOAD_MB": ("IMPORT_MAX_UPLOAD_BYTES", "7", 7 * 1024 * 1024),
        "MYOTRACK_IMPORT_MAX_MEMBERS": ("IMPORT_MAX_MEMBERS", "9", 9),
        "MYOTRACK_IMPORT_MAX_UNPACKED_MB": ("IMPORT_MAX_UNPACKED_BYTES", "11", 11 * 1024 * 1024),
        "MYOTRACK_IMPORT_MAX_ROWS": ("IMPORT_MAX_ROWS", "2_000", 2000),
        "MYOTRACK_IMPORT_MAX_COLUMNS": ("IMPORT_MAX_COLUMNS", "40", 40),
        "MYOTRACK_IMPORT_MAX_CELL_CHARS": ("IMPORT_MAX_CELL_CHARS", "1000", 1000),
        "MYOTRACK_IMPORT_KEEP_HOURS": ("IMPORT_KEEP_HOURS", "3", 3),
    }
    env = {k: v for k, v in os.environ.items() if not k.startswith("DJANGO")}
    env.update({k: v[1] for k, v in names.items()}, MYOTRACK_HOME=str(tmp_path))
    code = (
        "import myotrack.web.settings as s; print("
        + ",".join(f"s.{v[0]}" for v in names.values())
        + ")"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
    )
    assert out.stdout.split() == [str(v[2]) for v in names.values()]
