"""Writing a synthetic cohort: a CSV folder, or an Excel workbook while it fits in one."""

from __future__ import annotations

from pathlib import Path

from myotrack.synth.course import MIN_VISITS, SynthError
from myotrack.synth.parameters import value
from myotrack.tables import TABLES, Dataset, write_csv_folder, write_excel

#: Rows of one Excel worksheet (Excel 2007 and later), the header row included.
EXCEL_MAX_ROWS = 1_048_576
EXCEL_SUFFIXES = (".xlsx", ".xlsm")


def is_excel(path: Path) -> bool:
    return path.suffix.lower() in EXCEL_SUFFIXES


def _too_big(table: str, rows: int, path: Path) -> SynthError:
    return SynthError(
        f"{path}: the {table} sheet would need {rows:,} rows and an Excel sheet holds at most "
        f"{EXCEL_MAX_ROWS - 1:,} below its header; write a CSV folder instead "
        f"(-o {path.with_suffix('')}) or ask for fewer patients or visits"
    )


def check_target(path: Path, n_patients: int, visits_per_patient: int | None, force: bool) -> None:
    """Refuse, before generating, a target that exists or a workbook that cannot hold the cohort.

    The visit count is known exactly when ``visits_per_patient`` is given; otherwise the
    smallest possible count (every patient followed for the shortest follow-up) is checked here
    and the exact one by :func:`save`.
    """
    if path.exists() and not force and (path.is_file() or any(path.iterdir())):
        raise SynthError(f"{path} exists and is not empty; use --force to overwrite it")
    if path.exists() and path.is_dir() and is_excel(path):
        raise SynthError(f"{path} is a folder; a workbook must be a file")
    if is_excel(path):
        if n_patients + 1 > EXCEL_MAX_ROWS:
            raise _too_big("patients", n_patients, path)
        per_patient = visits_per_patient or int(
            value("monthly_visits") + 1 + (value("followup_min") - value("monthly_visits")) // 3
        )
        if n_patients * max(per_patient, MIN_VISITS) + 1 > EXCEL_MAX_ROWS:
            raise _too_big("visits", n_patients * per_patient, path)


def save(ds: Dataset, path: Path) -> Path:
    """Write ``ds`` as a workbook (``.xlsx``) or a CSV folder (any other path)."""
    if is_excel(path):
        for table in TABLES:
            rows = len(ds.table(table))
            if rows + 1 > EXCEL_MAX_ROWS:
                raise _too_big(table, rows, path)
        return write_excel(ds, path)
    return write_csv_folder(ds, path)
