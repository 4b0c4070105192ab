"""OMOP CDM v5.4 as a source: the contract tables as Ibis expressions over a CDM, run in the
CDM's own database (PostgreSQL, DuckDB, Spark ...).

- :func:`extract`: the contract tables of the selected persons as Ibis expressions;
- :func:`read_omop`: the same as a validated Dataset;
- :class:`Selection`: which persons are patients (condition concepts, antibody results);
- :mod:`.concepts`: the LOINC, gender, RxNorm and ICD-10 codes the mapping reads.

The mapping, what it reads and what it leaves unknown are in :mod:`.extract`.
"""

from myotrack.interchange.omop.extract import (
    DEFAULT_SELECTION,
    READS,
    Cdm,
    Extract,
    Mapping,
    Selection,
    extract,
)
from myotrack.interchange.omop.read import read_omop

__all__ = [
    "DEFAULT_SELECTION",
    "READS",
    "Cdm",
    "Extract",
    "Mapping",
    "Selection",
    "extract",
    "read_omop",
]
