"""REDCap: myotrack's own project (dictionary, records) and mappings from existing projects."""

from myotrack.interchange.redcap.check import check_dictionary
from myotrack.interchange.redcap.dictionary import Field, read_dictionary, write_dictionary
from myotrack.interchange.redcap.mapping import RedcapMapping, load_mapping
from myotrack.interchange.redcap.project import project_dictionary, setup_tables
from myotrack.interchange.redcap.records import export_records, read_redcap, write_records

__all__ = [
    "Field",
    "RedcapMapping",
    "check_dictionary",
    "export_records",
    "load_mapping",
    "project_dictionary",
    "read_dictionary",
    "read_redcap",
    "setup_tables",
    "write_dictionary",
    "write_records",
]
