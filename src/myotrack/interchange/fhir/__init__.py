"""FHIR R4: one transaction Bundle per patient (:func:`write_fhir`), read back (:func:`read_fhir`).

Resources are validated with the ``fhir.resources`` package's R4B models: the package's R4
(4.0.1) models need pydantic 1, and R4B (4.3.0) is R4 unchanged for every resource type
myotrack writes (Patient, Condition, Observation, MedicationStatement, AdverseEvent, Bundle).
"""

from myotrack.interchange.fhir.read import read_fhir, read_index_dates
from myotrack.interchange.fhir.write import bundles, write_fhir

__all__ = ["bundles", "read_fhir", "read_index_dates", "write_fhir"]
