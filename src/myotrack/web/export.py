"""The registry as the contract's tables: for the analysis pages and for every export.

:func:`dataset_for` is the one way registry rows become a :class:`~myotrack.tables.Dataset`
(validated by the readers' rules on the way): the six tables of the patients, and the
reference ranges of their sites, from which the reader gives an enzyme without its own ULN the
range of its site and laboratory, as it does for a file. Time is in days since each patient's
index date; calendar dates, names, record numbers and free-text notes stay in the registry
unless the export is identified.
"""

from __future__ import annotations

import io
import tempfile
import zipfile
from pathlib import Path
from typing import Any

import pandas as pd
from django.db import models, transaction

from myotrack.tables import Dataset, dictionary_frame
from myotrack.tables.io import DICTIONARY_SHEET
from myotrack.tables.schema import REFERENCE_RANGES

from .audit.models import Action
from .audit.services import record
from .events.models import Event
from .observations.models import Observation
from .patients.models import Patient
from .policy import Perm, policy
from .records import frames_of
from .spreadsheet import write_csv, write_workbook
from .treatments.models import Treatment
from .visits.models import ReferenceRange, StrengthGrade, Visit

#: Free-text columns left empty in de-identified data.
FREE_TEXT = {"treatments": ("note",), "events": ("note",), "observations": ("note",)}
IDENTIFIERS = "identifiers"


def _rows(model: Any, patients: models.QuerySet[Patient]) -> list[dict[str, object]]:
    qs = (
        model.objects.filter(patient__in=patients)
        .select_related("patient")
        .order_by("patient__code", "pk")
    )
    return [obj.row() for obj in qs]


def reference_rows(patients: models.QuerySet[Patient]) -> list[dict[str, object]]:
    """The reference ranges of the sites of these patients, as ``reference_ranges`` rows."""
    ranges = ReferenceRange.objects.filter(site__in=patients.values("site")).select_related("site")
    return [r.row() for r in ranges.order_by("site__name", "lab", "analyte")]


def dataset_for(patients: models.QuerySet[Patient], identified: bool = False) -> Dataset:
    """The six tables of these (live) patients and their sites' reference ranges (when any),
    validated; free text only when ``identified``."""
    live = patients.filter(deleted_at__isnull=True)
    tables: dict[str, list[dict[str, object]]] = {
        "patients": [p.row() for p in live.select_related("site").order_by("code")],
        "visits": _rows(Visit, live),
        "strength": _rows(StrengthGrade, live),
        "treatments": _rows(Treatment, live),
        "events": _rows(Event, live),
        "observations": _rows(Observation, live),
    }
    ranges = reference_rows(live)
    if ranges:
        tables[REFERENCE_RANGES.name] = ranges
    if not identified:
        for table, columns in FREE_TEXT.items():
            for row in tables[table]:
                for column in columns:
                    row[column] = None
        # what day 0 is may be written with a date; kept only for published (cited) cases
        for row in tables["patients"]:
            if not row.get("source"):
                row["index_event"] = None
    return Dataset.from_frames(name="registry", **frames_of(tables))


def identifiers_frame(patients: models.QuerySet[Patient]) -> pd.DataFrame:
    """What identifies each patient: name, record number, index date and notes."""
    live = patients.filter(deleted_at__isnull=True).order_by("code")
    return pd.DataFrame(
        [
            {
                "patient_id": p.code,
                "name": p.name,
                "record_number": p.record_number,
                "index_date": p.index_date.isoformat() if p.index_date else "",
                "notes": p.notes,
            }
            for p in live
        ],
        columns=["patient_id", "name", "record_number", "index_date", "notes"],
    )


def export_bytes(
    user: Any, patients: models.QuerySet[Patient], fmt: str = "zip", identified: bool = False
) -> bytes:
    """The patients the user may see among ``patients`` as a .zip of CSV files or an .xlsx
    workbook; identified data (an ``identifiers`` table, notes) only with that right. Audited."""
    policy.require(user, Perm.EXPORT_IDENTIFIED if identified else Perm.EXPORT)
    visible = patients.filter(pk__in=policy.patients(user).values("pk"))
    ds = dataset_for(visible, identified=identified)
    tables = ds.to_text_frames()
    extra = {IDENTIFIERS: identifiers_frame(visible)} if identified else {}
    with tempfile.TemporaryDirectory(prefix="myotrack-export-") as tmp:
        if fmt == "xlsx":
            sheets = {**tables, DICTIONARY_SHEET: dictionary_frame(), **extra}
            data = write_workbook(sheets, Path(tmp) / "registry.xlsx").read_bytes()
        else:
            buffer = io.BytesIO()
            with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
                for name, frame in sorted({**tables, **extra}.items()):
                    path = write_csv(frame, Path(tmp) / f"{name}.csv")
                    archive.write(path, path.name)
            data = buffer.getvalue()
    pks = list(visible.values_list("pk", "site_id"))
    with transaction.atomic():
        record(
            user,
            Action.EXPORT,
            patient_pk=pks[0][0] if len(pks) == 1 else None,
            site_pk=pks[0][1] if len({s for _, s in pks}) == 1 else None,
            after={"patients": ds.patient_ids, "format": fmt, "identified": identified},
            summary=f"exported {len(ds.patient_ids)} patients ({'identified' if identified else 'de-identified'}, {fmt})",
        )
    return data
