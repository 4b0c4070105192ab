"""Any source a command accepts: the contract's own files, a REDCap folder or FHIR files.

- a folder holding ``redcap_dictionary.csv`` and ``redcap_records.csv`` (and, for a project
  not built by myotrack, ``redcap_mapping.toml``): a REDCap project
  (:func:`myotrack.interchange.redcap.read_redcap`);
- a ``.json`` file (a FHIR Bundle), an ``.ndjson`` file, or a folder of them with no
  ``patients.csv``: FHIR R4 (:func:`myotrack.interchange.fhir.read_fhir`);
- a GA4GH phenopacket ``.json`` (or a Cohort, or a folder of them):
  :func:`myotrack.interchange.phenopackets.read_phenopackets`;
- anything else: :func:`myotrack.tables.read_source` (CSV folder, .zip, .xlsx).
"""

from __future__ import annotations

from pathlib import Path

from myotrack.tables import Dataset, read_source
from myotrack.tables.problems import Progress

REDCAP_DICTIONARY = "redcap_dictionary.csv"
REDCAP_RECORDS = "redcap_records.csv"
REDCAP_MAPPING = "redcap_mapping.toml"


def is_redcap_folder(path: Path) -> bool:
    return (
        path.is_dir() and (path / REDCAP_DICTIONARY).is_file() and (path / REDCAP_RECORDS).is_file()
    )


def is_fhir(path: Path) -> bool:
    if path.is_file():
        return path.suffix.lower() in (".json", ".ndjson")
    if path.is_dir() and not (path / "patients.csv").exists():
        return any(p.suffix.lower() in (".json", ".ndjson") for p in path.iterdir())
    return False


def read_any(path: str | Path, progress: Progress | None = None) -> Dataset:
    """Read and validate any source (see the module docstring); InvalidData lists every problem.

    ``progress`` is passed to :func:`myotrack.tables.read_source` for the contract's own files.
    """
    p = Path(path)
    if is_redcap_folder(p):
        from myotrack.interchange.redcap import read_redcap

        mapping = p / REDCAP_MAPPING
        return read_redcap(
            p / REDCAP_DICTIONARY, p / REDCAP_RECORDS, mapping if mapping.is_file() else None
        )
    from myotrack.interchange.phenopackets.read import is_phenopacket

    if is_phenopacket(p):
        from myotrack.interchange.phenopackets import read_phenopackets

        return read_phenopackets(p)
    if is_fhir(p):
        from myotrack.interchange.fhir import read_fhir

        return read_fhir(p)
    return read_source(p, progress)
