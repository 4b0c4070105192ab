"""GA4GH Phenopacket v2: one phenopacket per patient (:func:`write_phenopackets`), a cohort of
them (:func:`cohort`), and reading them back (:func:`read_phenopackets`).

Messages are built with the official ``phenopackets`` package (protobuf classes) and validated
by round-tripping each through JSON with ``google.protobuf.json_format``.
"""

from myotrack.interchange.phenopackets.read import is_phenopacket, read_phenopackets
from myotrack.interchange.phenopackets.write import (
    cohort,
    phenopacket,
    phenopackets,
    write_phenopackets,
)

__all__ = [
    "cohort",
    "is_phenopacket",
    "phenopacket",
    "phenopackets",
    "read_phenopackets",
    "write_phenopackets",
]
