"""Any source a command accepts: the contract's own files, a REDCap folder or FHIR files.

- a folder holding ``redcap_dictionary.csv`` and ``redcap_records.csv`` (and, for a project
  not built by myotrack, ``redcap_mapping.toml``): a REDCap project
  (:func:`myotrack.interchange.redcap.read_redcap`);
- a ``.json`` file (a FHIR Bundle), an ``.ndjson`` file, or a folder of them with no
  ``patients.csv``: FHIR R4 (:func:`myotrack.interchange.fhir.read_fhir`);
- a GA4GH phenopacket ``.json`` (or a Cohort, or a folder of them):
  :func:`myotrack.interchange.phenopackets.read_phenopackets`;
- anything else: :func:`myotrack.tables.read_source` (CSV folder, .zip, .xlsx).

Beyond files, :class:`SourceSpec` names contract tables in a database (``--db URL --schema``,
:mod:`myotrack.tables.database`) or an OMOP CDM (``--omop URL --cdm-schema``,
:mod:`myotrack.interchange.omop`), either of them possibly in a Spark catalog (a ``spark:``
URL, :mod:`myotrack.tables.spark`); :func:`read_spec` reads any of them.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from myotrack.errors import InvalidData, MyotrackError, Problem
from myotrack.tables import Dataset, read_source
from myotrack.tables.database import (
    DatabaseSource,
    connect,
    contract_tables,
    read_database,
    redact,
    validate_database,
)
from myotrack.tables.problems import Progress

if TYPE_CHECKING:
    import ibis.expr.types as ir

    from myotrack.interchange.omop import Cdm, Selection

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


@dataclass(frozen=True)
class SourceSpec:
    """What a command reads: files (``path``), contract tables in a database (``db`` and
    ``schema``) or an OMOP CDM (``omop``, ``cdm_schema``, ``vocab_schema``, ``selection``)."""

    path: Path | None = None
    db: str | None = None
    schema: str | None = None
    omop: str | None = None
    cdm_schema: str | None = None
    vocab_schema: str | None = None
    selection: Selection | None = None

    def __post_init__(self) -> None:
        given = [n for n in ("path", "db", "omop") if getattr(self, n) is not None]
        if len(given) != 1:
            raise MyotrackError(
                "give one source: a file or folder, --db URL (contract tables in a database) "
                "or --omop URL (an OMOP CDM)"
            )
        if self.schema is not None and self.db is None:
            raise MyotrackError("--schema goes with --db (an OMOP CDM takes --cdm-schema)")
        if (self.cdm_schema or self.vocab_schema) and self.omop is None:
            raise MyotrackError("--cdm-schema and --vocab-schema go with --omop")

    @property
    def in_spark(self) -> bool:
        """Whether the source's tables live in a Spark catalog (``--db`` / ``--omop spark:...``)."""
        from myotrack.tables.spark import is_spark_url

        url = self.db if self.db is not None else self.omop
        return url is not None and is_spark_url(url)

    @property
    def label(self) -> str:
        if self.db is not None:
            return redact(self.db) + (f" (schema {self.schema})" if self.schema else "")
        if self.omop is not None:
            shown = redact(self.omop)
            return f"OMOP CDM {shown}" + (f" (schema {self.cdm_schema})" if self.cdm_schema else "")
        return str(self.path)

    def database(self) -> DatabaseSource:
        assert self.db is not None
        return DatabaseSource(connect(self.db), self.schema, self.label)

    def cdm(self) -> Cdm:
        from myotrack.interchange.omop import Cdm

        assert self.omop is not None
        return Cdm(connect(self.omop), self.cdm_schema, self.vocab_schema)


def read_spec(spec: SourceSpec, progress: Progress | None = None) -> Dataset:
    """The Dataset of any source (files, database tables, OMOP CDM); InvalidData lists every
    problem."""
    if spec.db is not None:
        return read_database(spec.database())
    if spec.omop is not None:
        from myotrack.interchange.omop import DEFAULT_SELECTION, read_omop

        return read_omop(spec.cdm(), spec.selection or DEFAULT_SELECTION, name=spec.label)
    assert spec.path is not None
    return read_any(spec.path, progress)


def spec_problems(spec: SourceSpec, progress: Progress | None = None) -> list[Problem]:
    """Every problem of a source (errors and warnings), as ``myotrack validate`` lists them."""
    if spec.db is not None:
        return validate_database(spec.database())
    if spec.path is not None and not (is_redcap_folder(spec.path) or is_fhir(spec.path)):
        from myotrack.tables import validate_source

        return validate_source(spec.path, progress=progress)
    try:
        return list(read_spec(spec).warnings)
    except InvalidData as exc:
        return exc.problems


def spec_tables(spec: SourceSpec) -> tuple[Any, dict[str, ir.Table]]:
    """The connection and the contract tables of a database or OMOP source as Ibis tables
    there (for criteria that run where the data are)."""
    if spec.db is not None:
        source = spec.database()
        return source.con, contract_tables(source)
    if spec.omop is not None:
        from myotrack.interchange.omop import DEFAULT_SELECTION, extract

        cdm = spec.cdm()
        return cdm.con, extract(cdm, spec.selection or DEFAULT_SELECTION).tables
    raise MyotrackError(
        "criteria run on a database backend only for a database source (--db or --omop)"
    )
