"""The empty workbook with a data dictionary (``myotrack template PATH.xlsx``)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from myotrack.tables import vocab
from myotrack.tables.schema import TABLES


def _allowed(table: str, column: str, text: str) -> str:
    if column in ("drug", "treatment"):
        return "any of: " + "; ".join(
            f"{d.name} ({', '.join(d.synonyms)})" if d.synonyms else d.name for d in vocab.DRUGS
        )
    if column == "muscle":
        return "any of: " + ", ".join(vocab.MUSCLES)
    if column == "comorbidities":
        return "';'-separated, any of: " + ", ".join(vocab.COMORBIDITIES)
    if column == "grade":
        return "0-5 with + or - (4+, 3-), a range (1-2), or T (trace)"
    if column == "term":
        return "e.g. " + ", ".join(vocab.EVENT_TERMS)
    if table == "visits" and column == "ck":
        return ">= 0; may be written <N or >N as reported"
    return text


def dictionary_frame() -> pd.DataFrame:
    """One row per column of the contract: table, column, required, unit, allowed values, meaning."""
    rows = []
    for table, spec in TABLES.items():
        for c in spec.columns:
            rows.append(
                {
                    "table": table,
                    "column": c.name,
                    "required": "yes" if c.required else "no",
                    "unit": c.unit,
                    "allowed": _allowed(table, c.name, c.allowed_text()),
                    "description": c.description,
                }
            )
    return pd.DataFrame(rows)


def write_template(path: str | Path) -> Path:
    """An empty workbook: one sheet per table with its header, and the data dictionary."""
    p = Path(path)
    if p.suffix.lower() != ".xlsx":
        p = p.with_suffix(".xlsx")
    p.parent.mkdir(parents=True, exist_ok=True)
    with pd.ExcelWriter(p, engine="openpyxl") as writer:
        for name, spec in TABLES.items():
            pd.DataFrame(columns=list(spec.names)).to_excel(writer, sheet_name=name, index=False)
        dictionary_frame().to_excel(writer, sheet_name="data_dictionary", index=False)
    return p
