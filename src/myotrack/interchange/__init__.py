"""Adapters between the contract and the systems centres already use: REDCap and FHIR R4.

Every adapter goes through the contract's own validation: a REDCap project or a FHIR export
is turned into text frames and read by :meth:`myotrack.tables.Dataset.from_frames`, so it is
checked by the same rules as a CSV folder, all or nothing, and its problems are told back in
the source's own terms (record, event, instrument, instance and field; or file, entry and
resource). Exports start from :meth:`~myotrack.tables.Dataset.to_text_frames` and list every
value the target cannot hold (:class:`~myotrack.interchange.losses.Loss`); nothing is dropped
silently.

- :mod:`myotrack.interchange.redcap`: myotrack's own REDCap project (data dictionary, records
  in the flat import format, reading them back) and mappings from existing projects.
- :mod:`myotrack.interchange.fhir`: one transaction Bundle per patient, and reading Bundles or
  an NDJSON bulk export back.
- :func:`read_any`: any source a command accepts (the contract's files, a REDCap folder, FHIR).
"""

from myotrack.interchange.sources import read_any

__all__ = ["read_any"]
