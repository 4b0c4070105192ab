"""A workbook of text sheets, written as SpreadsheetML (ECMA-376) column by column.

Every cell is an inline string (``t="inlineStr"``), as openpyxl's write-only mode writes one;
a cell of the second style (``s="1"``) carries Excel's quote prefix, so that editing it keeps it
text. A sheet is made a block of rows at a time: each column's cells of the block as one list,
then the rows joined, so that a cohort of 300,000 visits is written in seconds instead of the
half minute a cell-by-cell writer takes, with memory for one block.

The caller gives each sheet as columns of text (empty is an empty string) and the rows to
quote; what may not be in a workbook (control characters, a formula) is the caller's to remove
(:mod:`myotrack.web.spreadsheet`).
"""

from __future__ import annotations

import re
import zipfile
from collections.abc import Collection, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from xml.sax.saxutils import quoteattr

from openpyxl.utils import get_column_letter

#: The longest text a cell holds (Excel's limit; openpyxl cuts longer text there too).
MAX_TEXT = 32_767
#: Excel's longest sheet name.
MAX_SHEET_NAME = 31
#: Rows made at once.
BLOCK = 20_000
#: zlib's level for the parts: 3 compresses a sheet of cells in less than half the time of
#: the default 6, the file about 15% larger.
LEVEL = 3
#: Leading or trailing white space (kept with ``xml:space="preserve"``) among cells joined by
#: NUL, which no cell holds (control characters are removed before); ``\s`` is what
#: ``str.strip`` removes, the ASCII part of which is looked for as plain text first.
_SPACE = re.compile(r"\s\x00|\x00\s")
_ASCII_SPACE = " \t\n\r\x0b\x0c\x1c\x1d\x1e\x1f"

_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_PKG_REL = "http://schemas.openxmlformats.org/package/2006/relationships"
_SHEET_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"

_STYLES = (
    f'<styleSheet xmlns="{_MAIN}">'
    '<fonts count="1"><font><sz val="11"/><name val="Calibri"/><family val="2"/></font></fonts>'
    '<fills count="2"><fill><patternFill patternType="none"/></fill>'
    '<fill><patternFill patternType="gray125"/></fill></fills>'
    '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>'
    '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
    '<cellXfs count="2"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>'
    '<xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0" quotePrefix="1"/></cellXfs>'
    '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>'
    "</styleSheet>"
)


@dataclass(frozen=True)
class TextSheet:
    """One sheet: its columns of text, the header first (of equal length; empty is ``""``),
    and the 0-based rows of each column whose cell carries the quote prefix."""

    name: str
    columns: Sequence[Sequence[str]]
    quoted: Sequence[Collection[int]]


def _escape(text: str) -> str:
    """Character data as ElementTree (and so openpyxl) writes it."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _cell(ref: str, text: str, quoted: bool) -> str:
    """One cell, every rule applied (the long way, for the few cells that need one)."""
    text = text[:MAX_TEXT]
    style = ' s="1"' if quoted else ""
    stripped = text.strip()
    space = ' xml:space="preserve"' if stripped and stripped != text else ""
    return f'<c r="{ref}"{style} t="inlineStr"><is><t{space}>{_escape(text)}</t></is></c>'


def _needs_more(joined: str) -> bool:
    """Whether any of the cells joined by NUL needs more than ``<t>text</t>``: markup
    characters, or leading or trailing white space."""
    if "&" in joined or "<" in joined or ">" in joined:
        return True
    if joined.isascii():
        spaces = [c for c in _ASCII_SPACE if c in joined]  # one character is found at once
        return any(f"{c}\x00" in joined or f"\x00{c}" in joined for c in spaces)
    return _SPACE.search(joined) is not None


def _cells(letter: str, first: int, texts: Sequence[str], quoted: Collection[int]) -> list[str]:
    """The cells of one column for rows ``first``, ``first + 1``, ...; ``quoted`` by index in
    ``texts``; an empty text is no cell."""
    long = max(map(len, texts), default=0) > MAX_TEXT
    if quoted or long or _needs_more("\x00" + "\x00".join(texts) + "\x00"):
        return [
            _cell(f"{letter}{first + i}", t, i in quoted) if t else "" for i, t in enumerate(texts)
        ]
    return [
        f'<c r="{letter}{n}" t="inlineStr"><is><t>{t}</t></is></c>' if t else ""
        for n, t in enumerate(texts, first)
    ]


def _sheet_xml(sheet: TextSheet) -> Iterator[str]:
    """The worksheet part, a block of rows at a time."""
    yield f'<worksheet xmlns="{_MAIN}"><sheetData>'
    letters = [get_column_letter(j + 1) for j in range(len(sheet.columns))]
    rows = len(sheet.columns[0]) if sheet.columns else 0
    for start in range(0, rows, BLOCK):
        stop = min(start + BLOCK, rows)
        block = [
            _cells(x, start + 1, c[start:stop], {i - start for i in q if start <= i < stop})
            for x, c, q in zip(letters, sheet.columns, sheet.quoted, strict=True)
        ]
        yield "".join(
            f'<row r="{n}">{"".join(cells)}</row>'
            for n, cells in enumerate(zip(*block, strict=True), start + 1)
        )
    yield "</sheetData></worksheet>"


def _package(sheets: Sequence[TextSheet]) -> dict[str, str]:
    """Every part besides the worksheets: content types, relationships, workbook, styles."""
    types = "".join(
        f'<Override PartName="/xl/worksheets/sheet{i}.xml" ContentType="{_SHEET_TYPE}"/>'
        for i in range(1, len(sheets) + 1)
    )
    rels = "".join(
        f'<Relationship Id="rId{i}" Type="{_REL}/worksheet" Target="worksheets/sheet{i}.xml"/>'
        for i in range(1, len(sheets) + 1)
    )
    names = "".join(
        f'<sheet name={quoteattr(s.name)} sheetId="{i}" r:id="rId{i}"/>'
        for i, s in enumerate(sheets, 1)
    )
    return {
        "[Content_Types].xml": (
            '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            f'<Default Extension="rels" ContentType="{"application/vnd.openxmlformats-package.relationships+xml"}"/>'
            '<Default Extension="xml" ContentType="application/xml"/>'
            '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
            '<Override PartName="/xl/styles.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>'
            f"{types}</Types>"
        ),
        "_rels/.rels": (
            f'<Relationships xmlns="{_PKG_REL}">'
            f'<Relationship Id="rId1" Type="{_REL}/officeDocument" Target="xl/workbook.xml"/>'
            "</Relationships>"
        ),
        "xl/workbook.xml": (
            f'<workbook xmlns="{_MAIN}" xmlns:r="{_REL}"><sheets>{names}</sheets></workbook>'
        ),
        "xl/_rels/workbook.xml.rels": (
            f'<Relationships xmlns="{_PKG_REL}">{rels}'
            f'<Relationship Id="rId{len(sheets) + 1}" Type="{_REL}/styles" Target="styles.xml"/>'
            "</Relationships>"
        ),
        "xl/styles.xml": _STYLES,
    }


def write_text_workbook(sheets: Sequence[TextSheet], path: Path) -> Path:
    """The sheets as one .xlsx file at ``path``."""
    if not sheets:
        raise ValueError("a workbook holds at least one sheet")
    for sheet in sheets:
        if not 0 < len(sheet.name) <= MAX_SHEET_NAME or re.search(r"[\\/?*:\[\]]", sheet.name):
            raise ValueError(f"{sheet.name!r} cannot name a sheet")
    head = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=LEVEL) as archive:
        for name, body in _package(sheets).items():
            archive.writestr(name, head + body)
        for i, sheet in enumerate(sheets, 1):
            with archive.open(f"xl/worksheets/sheet{i}.xml", "w", force_zip64=True) as part:
                part.write(head.encode("utf-8"))
                for text in _sheet_xml(sheet):
                    part.write(text.encode("utf-8"))
    return path
