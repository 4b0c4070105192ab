"""Build workbook.xlsx from the chart/ CSV files (one sheet per table, same column names).

SYNTHETIC test data: see README.md. Run from anywhere:

    python tests/data/clinic/make_workbook.py

Cells that are plain numbers (``4500``, ``70``, ``2``) are written as numbers, as a clinician
typing into Excel would get them; everything else (``~3 months``, ``normal``, ``4/5``, ``4+``,
``mg/kg/day``) is written as text, exactly as in the CSV.
"""

from __future__ import annotations

import csv
import re
from pathlib import Path

from openpyxl import Workbook

HERE = Path(__file__).resolve().parent
CHART = HERE / "chart"
SHEETS = (
    "patients",
    "visits",
    "strength",
    "treatments",
    "events",
    "observations",
    "reference_ranges",
)
TEXT_COLUMNS = {"patient_id", "site", "lab", "grade"}
INTEGER = re.compile(r"^-?\d+$")
DECIMAL = re.compile(r"^-?\d+\.\d+$")


def cell(column: str, text: str) -> str | int | float | None:
    if text == "":
        return None
    if column in TEXT_COLUMNS:
        return text
    if INTEGER.match(text):
        return int(text)
    if DECIMAL.match(text):
        return float(text)
    return text


def main() -> None:
    book = Workbook()
    book.remove(book.active)
    for name in SHEETS:
        path = CHART / f"{name}.csv"
        if not path.exists():
            continue
        with path.open(newline="", encoding="utf-8") as f:
            rows = list(csv.reader(f))
        sheet = book.create_sheet(name)
        header = rows[0]
        sheet.append(header)
        for row in rows[1:]:
            sheet.append([cell(col, value) for col, value in zip(header, row, strict=True)])
    book.save(HERE / "workbook.xlsx")


if __name__ == "__main__":
    main()
