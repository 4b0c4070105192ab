"""A CDM read as a validated :class:`~myotrack.tables.Dataset` (the criteria then run
in-process), through the same rules as every other source."""

from __future__ import annotations

from myotrack.errors import Problem
from myotrack.interchange.omop.extract import DEFAULT_SELECTION, Cdm, Mapping, Selection, extract
from myotrack.tables import Dataset
from myotrack.tables.database import DatabaseError, convert_tables, dataset_of

_CHECKS = {
    "year_only": (
        "person",
        "year_of_birth",
        "{n} patient(s) have no full birth date: age_at_onset is the calendar year of day 0 "
        "minus the year of birth (the true age may be one year less)",
    ),
    "other_unit": (
        "measurement",
        "unit_concept_id",
        "{n} enzyme result(s) without a unit, or in a unit that does not convert exactly to "
        "U/L, were not read (read: U/L, [IU]/L, mU/mL; converted: ukat/L x 60, nkat/L x 0.06, "
        "U/mL and kU/L x 1000)",
    ),
    "converted": (
        "measurement",
        "unit_concept_id",
        "{n} enzyme result(s) were converted to U/L from ukat/L (x 60), nkat/L (x 0.06), U/mL "
        "or kU/L (x 1000); their ULN (range_high) with them",
    ),
    "eras": (
        "drug_era",
        None,
        "{n} treatment course(s) were read from drug_era (no drug_exposure of that ingredient): "
        "an era is a continuous exposure in which drug-free gaps of up to 30 days were merged, "
        "its end often inferred from the days of supply; schedule says so",
    ),
    "repeated": (
        "measurement",
        "measurement_date",
        "{n} enzyme result(s) had another result of the same enzyme on the same day: each "
        "visit keeps the highest",
    ),
}


def omop_warnings(cdm: Cdm, counts: dict[str, object]) -> list[Problem]:
    """The counts of :class:`~.extract.Extract` told as warnings (counts only, no values)."""
    out = []
    for name, scalar in counts.items():
        try:
            n = int(scalar.execute() or 0)  # type: ignore[attr-defined]
        except Exception as err:
            raise DatabaseError(f"reading the CDM failed: {str(err).strip()}") from None
        if n:
            table, column, rule = _CHECKS[name]
            out.append(Problem(cdm.where(table), None, column, None, rule.format(n=n), "warning"))
    return out


def read_omop(
    cdm: Cdm,
    selection: Selection = DEFAULT_SELECTION,
    mapping: Mapping | None = None,
    name: str = "OMOP CDM",
) -> Dataset:
    """The selected persons of the CDM as a Dataset; InvalidData lists every problem."""
    ex = extract(cdm, selection, mapping)
    frames, problems = convert_tables(ex.tables, lambda table: f"OMOP {table}")
    return dataset_of(frames, omop_warnings(cdm, ex.checks) + problems, name)
