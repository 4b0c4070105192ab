"""The registry as the contract's tables: for the analysis pages and for every export.

:func:`dataset_for` is the one way registry rows become a :class:`~myotrack.tables.Dataset`
(validated by the readers' rules on the way): the six tables of the patients, and the
reference ranges of their sites, from which the reader gives an enzyme without its own ULN the
range of its site and laboratory, as it does for a file. Time is in days since each patient's
index date; calendar dates, names, record numbers and free-text notes stay in the registry
unless the export is identified.

:func:`export_bytes` writes the formats of the export page: ``zip`` (CSV files), ``xlsx``,
``redcap`` (a zip of myotrack's REDCap data dictionary and the records in REDCap's import
format) and ``fhir`` (a zip of one transaction Bundle per patient), all from
:func:`dataset_for` under the same rules; a REDCap or FHIR zip also holds the exporter's list
of what the format cannot hold (:data:`LOSSES`).
"""

from __future__ import annotations

import io
import json
import tempfile
import zipfile
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import pandas as pd
from django.db import models, transaction

from myotrack.interchange.losses import Loss
from myotrack.tables import Dataset, dictionary_frame
from myotrack.tables.io import DICTIONARY_SHEET
from myotrack.tables.schema import REFERENCE_RANGES

from .audit.models import Action
from .audit.services import record
from .collector import collector_paused
from .events.models import Event
from .observations.models import Observation
from .patients.models import Patient
from .policy import Perm, policy
from .records import Columns, frames_of_columns
from .spreadsheet import write_csv, write_workbook
from .treatments.models import Treatment
from .visits.models import ReferenceRange, StrengthGrade, Visit
from .workbook import LEVEL

#: Free-text columns left empty in de-identified data.
FREE_TEXT = {"treatments": ("note",), "events": ("note",), "observations": ("note",)}
IDENTIFIERS = "identifiers"
#: The export formats, as the export page names them.
FORMATS = ("zip", "xlsx", "redcap", "fhir")
#: The file of a REDCap or FHIR zip listing what the format could not hold.
LOSSES = "not_exported.txt"


def _columns(model: Any, fields: Sequence[str], patients: models.QuerySet[Patient]) -> Columns:
    """The rows of one table of these patients as columns of plain values (no model
    instances): ``patient_id`` and ``fields``, in patient id order, then as entered."""
    qs = (
        model.objects.filter(patient__in=patients)
        .order_by("patient__code", "pk")
        .values_list("patient__code", *fields)
    )
    return _as_columns(("patient_id", *fields), list(qs))


def _as_columns(names: Sequence[str], rows: list[tuple[object, ...]]) -> Columns:
    columns = list(zip(*rows, strict=True)) if rows else [() for _ in names]
    return Columns(len(rows), dict(zip(names, columns, strict=True)))


#: What a ``reference_ranges`` row is read from (the site by its name).
RANGE_FIELDS = ("site__name", "lab", "analyte", "uln", "source")


def reference_columns(patients: models.QuerySet[Patient]) -> Columns:
    """The reference ranges of the sites of these patients, as ``reference_ranges`` columns."""
    ranges = ReferenceRange.objects.filter(site__in=patients.values("site"))
    rows = ranges.order_by("site__name", "lab", "analyte").values_list(*RANGE_FIELDS)
    return _as_columns(("site", *RANGE_FIELDS[1:]), list(rows))


def patient_columns(live: models.QuerySet[Patient]) -> Columns:
    """These patients as columns of the ``patients`` table, in patient id order."""
    qs = live.order_by("code").values_list("code", "site__name", *Patient.CONTRACT_FIELDS)
    return _as_columns(("patient_id", "site", *Patient.CONTRACT_FIELDS), list(qs))


def dataset_for(patients: models.QuerySet[Patient], identified: bool = False) -> Dataset:
    """The six tables of these (live) patients and their sites' reference ranges (when any),
    validated; free text only when ``identified``."""
    return Dataset.from_frames(name="registry", **registry_frames(patients, identified))


def registry_frames(
    patients: models.QuerySet[Patient], identified: bool = False
) -> dict[str, pd.DataFrame]:
    """The tables of :func:`dataset_for` as read, before they are validated (what a process
    without the database needs to make the dataset)."""
    live = patients.filter(deleted_at__isnull=True)
    tables: dict[str, Columns] = {
        "patients": patient_columns(live),
        "visits": _columns(Visit, Visit.STORED_FIELDS, live),
        "strength": _columns(StrengthGrade, StrengthGrade.CONTRACT_FIELDS, live),
        "treatments": _columns(Treatment, Treatment.CONTRACT_FIELDS, live),
        "events": _columns(Event, Event.CONTRACT_FIELDS, live),
        "observations": _columns(Observation, Observation.CONTRACT_FIELDS, live),
    }
    ranges = reference_columns(live)
    if ranges.length:
        tables[REFERENCE_RANGES.name] = ranges
    if not identified:
        for table, names in FREE_TEXT.items():
            part = tables[table]
            blank = {n: [None] * part.length for n in names}
            tables[table] = Columns(part.length, {**part.values, **blank})
        # what day 0 is may be written with a date; kept only for published (cited) cases
        patients_ = tables["patients"]
        kept = [
            event if source else None
            for event, source in zip(
                patients_.get("index_event"), patients_.get("source"), strict=True
            )
        ]
        tables["patients"] = Columns(patients_.length, {**patients_.values, "index_event": kept})
    return frames_of_columns(tables)


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
    """The patients the user may see among ``patients`` as a .zip of CSV files, an .xlsx
    workbook, a REDCap project's dictionary and records (``redcap``) or FHIR Bundles
    (``fhir``), as a .zip; identified data (an ``identifiers`` table, notes, and in FHIR the
    calendar dates of the index dates) only with that right. Audited."""
    if fmt not in FORMATS:
        raise ValueError(f"unknown export format {fmt!r}")
    policy.require(user, Perm.EXPORT_IDENTIFIED if identified else Perm.EXPORT)
    visible = patients.filter(pk__in=policy.patients(user).values("pk"))
    with collector_paused():
        ds, data = _export(visible, fmt, identified)
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


def _export(visible: models.QuerySet[Patient], fmt: str, identified: bool) -> tuple[Dataset, bytes]:
    """The dataset of these patients and the file of the format."""
    ds = dataset_for(visible, identified=identified)
    tables = ds.to_text_frames()
    extra = {IDENTIFIERS: identifiers_frame(visible)} if identified else {}
    with tempfile.TemporaryDirectory(prefix="myotrack-export-") as tmp:
        if fmt in ("redcap", "fhir"):
            data = _interchange_zip(ds, tables, fmt, visible, identified, extra, Path(tmp))
        elif fmt == "xlsx":
            sheets = {**tables, DICTIONARY_SHEET: dictionary_frame(), **extra}
            data = write_workbook(sheets, Path(tmp) / "registry.xlsx").read_bytes()
        else:
            buffer = io.BytesIO()
            with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
                for name, frame in sorted({**tables, **extra}.items()):
                    path = write_csv(frame, Path(tmp) / f"{name}.csv")
                    archive.write(path, path.name)
            data = buffer.getvalue()
    return ds, data


def _interchange_zip(
    ds: Dataset,
    tables: Mapping[str, pd.DataFrame],
    fmt: str,
    patients: models.QuerySet[Patient],
    identified: bool,
    extra: dict[str, pd.DataFrame],
    tmp: Path,
) -> bytes:
    """A REDCap project (dictionary + records) or one FHIR Bundle per patient, zipped, with
    the list of what the format could not hold and, when identified, the identifiers;
    ``tables`` are the text frames of ``ds``."""
    from myotrack.interchange.sources import REDCAP_DICTIONARY, REDCAP_RECORDS

    files: dict[str, bytes] = {}
    if fmt == "redcap":
        from myotrack.interchange.redcap import project_dictionary
        from myotrack.interchange.redcap.dictionary import dictionary_csv
        from myotrack.interchange.redcap.records import records_csv

        text, losses, cells = records_csv(ds, include_notes=identified, text_frames=tables)
        files[REDCAP_DICTIONARY] = dictionary_csv(project_dictionary()).encode("utf-8")
        files[REDCAP_RECORDS] = text.encode("utf-8")
    else:
        from myotrack.interchange.fhir import bundles
        from myotrack.interchange.fhir.write import patient_resource_id

        dates = (
            {p.code: p.index_date for p in patients.filter(deleted_at__isnull=True) if p.index_date}
            if identified
            else None
        )
        made, losses, cells = bundles(ds, index_dates=dates or None, include_notes=identified)
        for pid, bundle in made.items():
            text = json.dumps(bundle, indent=1, ensure_ascii=False) + "\n"
            files[f"{patient_resource_id(pid)}.json"] = text.encode("utf-8")
    files[LOSSES] = losses_text(fmt, losses, cells).encode("utf-8")
    for name, frame in extra.items():
        files[f"{name}.csv"] = write_csv(frame, tmp / f"{name}.csv").read_bytes()
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=LEVEL) as archive:
        for name, body in files.items():
            archive.writestr(name, body)
    return buffer.getvalue()


def losses_text(fmt: str, losses: Sequence[Loss], cells: int) -> str:
    """What the exporter could not hold, one line each (the exporter's own words)."""
    target = "REDCap" if fmt == "redcap" else "FHIR"
    if not losses:
        return f"{target}: every one of the {cells} values was written.\n"
    lines = [f"{target}: {len(losses)} of the {cells} values could not be held as written:"]
    lines += [f"- {loss}" for loss in losses]
    return "\n".join(lines) + "\n"
