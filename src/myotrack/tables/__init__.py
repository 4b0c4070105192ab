"""The five-table contract: schema, vocabularies, validation, readers and writers."""

from myotrack.tables.dataset import Dataset
from myotrack.tables.io import (
    raw_tables,
    read_source,
    validate_source,
    write_csv_folder,
    write_excel,
)
from myotrack.tables.schema import TABLE_NAMES, TABLES
from myotrack.tables.template import dictionary_frame, write_template

__all__ = [
    "TABLES",
    "TABLE_NAMES",
    "Dataset",
    "dictionary_frame",
    "raw_tables",
    "read_source",
    "validate_source",
    "write_csv_folder",
    "write_excel",
    "write_template",
]
