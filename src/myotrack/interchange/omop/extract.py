"""OMOP CDM v5.4 to the contract, as Ibis expressions that run in the CDM's own database.

What is read (the CDM's columns are :data:`READS`; nothing else is touched):

- **selection**: the persons with a condition among the given concepts (or a descendant of
  one, through ``concept_ancestor``) and/or a positive anti-HMGCR / anti-SRP result
  (:class:`Selection`);
- **day 0** (``patients.index_event``): the first record of a selection condition, or for a
  person selected by an antibody only, the first positive selection antibody test. The CDM
  does not hold the symptom onset, so day 0 is named, never assumed to be onset;
- **person**: sex (gender concept 8507 M, 8532 F, any other unknown); ``age_at_onset`` (age
  on day 0, whole years) from the birth date when the CDM has day and month of birth,
  else from the year of birth as the calendar year of day 0 minus the year of birth (the
  OHDSI convention; the true age may be one year less), marked by a warning;
  ``statin_exposure`` yes when a statin ingredient was dispensed on or before day 0, else
  unknown (a CDM's silence is not a 'no');
- **measurement**: the enzymes of the visits table by LOINC code (:mod:`.concepts`), in U/L
  or converted to it where the factor is exact (ukat/L x 60, nkat/L x 0.06, U/mL and kU/L x
  1000: :data:`.concepts.ENZYME_UNITS`, the unit's UCUM code read through ``concept``); a
  result in another unit or none is not read, and a warning counts the rows (another counts
  the converted ones); ``range_high``, in the result's unit, is the ULN;
  ``operator_concept_id`` (<, <=, >, >=) is kept as the value's bound. Two results of one
  enzyme on one day are one visit value: the highest (a warning counts them);
- **drug_exposure**: one course per exposure, by RxNorm ingredient (``concept_ancestor`` to
  a concept of class Ingredient) mapped by name to the drug vocabulary; immunoglobulin given
  subcutaneously is ``scig``. The end is ``verbatim_end_date`` where given, else
  ``drug_exposure_end_date``. Doses stay unknown (``quantity`` and ``sig`` do not say a dose
  reliably);
- **drug_era** (optional): where a person has no exposure to an ingredient but an era of it
  (a CDM that keeps only eras, or an exposure outside the mapped concepts), one course per
  era: its start and end, no route, ``schedule`` saying what an era is (:data:`ERA_SCHEDULE`:
  a continuous exposure in which drug-free gaps of up to 30 days were merged; its end often
  inferred from the days of supply). A warning counts them;
- **condition_occurrence**: comorbidities by ICD-10 code (the condition's source concept in
  ICD10 / ICD10CM, or the ICD-10 concepts that map to its standard concept), matched to the
  vocabulary's ICD-10 column at code, subcategory or category level;
- **measurement / observation**: antibody results (value concept positive / negative /
  borderline, or a number with its unit) as observations;
- **death**: a death event.

MRC grades, mRS and the other scores of a clinic are not in a CDM: those columns are simply
empty, and every criterion that needs them says so.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

import ibis
import ibis.expr.types as ir

from myotrack.errors import InvalidData, MyotrackError, Problem
from myotrack.interchange.omop import concepts
from myotrack.tables.schema import TABLES

#: The CDM columns the mapping reads, per table (each exists in the OMOP CDM v5.4 spec:
#: tests/data/omop/OMOP_CDMv5.4_Field_Level_subset.csv)
READS: dict[str, tuple[str, ...]] = {
    "person": (
        "person_id",
        "gender_concept_id",
        "year_of_birth",
        "month_of_birth",
        "day_of_birth",
        "birth_datetime",
    ),
    "measurement": (
        "person_id",
        "measurement_concept_id",
        "measurement_date",
        "operator_concept_id",
        "value_as_number",
        "value_as_concept_id",
        "unit_concept_id",
        "range_high",
    ),
    "observation": (
        "person_id",
        "observation_concept_id",
        "observation_date",
        "value_as_number",
        "value_as_concept_id",
        "unit_concept_id",
    ),
    "drug_exposure": (
        "person_id",
        "drug_concept_id",
        "drug_exposure_start_date",
        "drug_exposure_end_date",
        "verbatim_end_date",
        "route_concept_id",
    ),
    "drug_era": (
        "person_id",
        "drug_concept_id",
        "drug_era_start_date",
        "drug_era_end_date",
        "gap_days",
    ),
    "condition_occurrence": (
        "person_id",
        "condition_concept_id",
        "condition_start_date",
        "condition_source_concept_id",
    ),
    "death": ("person_id", "death_date"),
    "concept": ("concept_id", "concept_name", "vocabulary_id", "concept_class_id", "concept_code"),
    "concept_ancestor": ("ancestor_concept_id", "descendant_concept_id"),
    "concept_relationship": ("concept_id_1", "concept_id_2", "relationship_id"),
}
#: tables of the standardised vocabularies (``--vocab-schema``)
VOCABULARY_TABLES = ("concept", "concept_ancestor", "concept_relationship")
#: tables a CDM may lack (the mapping then reads nothing from them)
OPTIONAL_TABLES = ("death", "observation", "drug_era")

_SELECTABLE = ("anti_hmgcr", "anti_srp")
_SHOWN = {"anti_hmgcr": "anti-HMGCR", "anti_srp": "anti-SRP"}


@dataclass(frozen=True)
class Selection:
    """Which persons of the CDM are patients: a condition and/or a positive antibody test.

    ``condition_concepts``: standard condition concept ids (their descendants count too);
    ``antibodies``: observation codes (``anti_hmgcr``, ``anti_srp``) whose positive result
    selects; ``match``: ``all`` (both rules, when both are given) or ``any``.
    """

    condition_concepts: tuple[int, ...] = ()
    antibodies: tuple[str, ...] = ()
    match: Literal["all", "any"] = "any"

    def __post_init__(self) -> None:
        if not self.condition_concepts and not self.antibodies:
            raise MyotrackError(
                "an OMOP selection needs condition concepts (--condition-concepts) and/or "
                "antibodies (--antibodies anti_hmgcr,anti_srp)"
            )
        unknown = [a for a in self.antibodies if a not in _SELECTABLE]
        if unknown:
            raise MyotrackError(
                f"unknown selection antibody {', '.join(unknown)}; use {', '.join(_SELECTABLE)}"
            )
        if self.match not in ("all", "any"):
            raise MyotrackError(f"selection match is 'all' or 'any', not {self.match!r}")


#: positive anti-HMGCR or anti-SRP
DEFAULT_SELECTION = Selection(antibodies=_SELECTABLE)


@dataclass(frozen=True)
class Mapping:
    """The codes of the mapping (defaults: :mod:`.concepts`); a centre may pass its own."""

    lab_codes: dict[str, str] = field(default_factory=lambda: dict(concepts.LAB_CODES))
    antibody_codes: dict[str, str] = field(default_factory=lambda: dict(concepts.ANTIBODY_CODES))


@dataclass(frozen=True)
class Cdm:
    """A CDM: a connection, the schema of its clinical tables and of its vocabularies."""

    con: Any
    cdm_schema: str | None = None
    vocab_schema: str | None = None

    def _schema(self, table: str) -> str | None:
        if table in VOCABULARY_TABLES:
            return self.vocab_schema or self.cdm_schema
        return self.cdm_schema

    def where(self, table: str) -> str:
        schema = self._schema(table)
        return f"{schema}.{table}" if schema else table

    def table(self, name: str) -> ir.Table | None:
        try:
            return self.con.table(name, database=self._schema(name))
        except Exception:  # backends raise their own "not found" errors
            return None


@dataclass(frozen=True)
class Extract:
    """The contract tables of a CDM as Ibis expressions, with the counts warnings report."""

    tables: dict[str, ir.Table]
    checks: dict[str, ir.Scalar]


def _tables(cdm: Cdm) -> dict[str, ir.Table]:
    """The CDM tables the mapping reads, each with the columns of :data:`READS` (checked)."""
    problems: list[Problem] = []
    out: dict[str, ir.Table] = {}
    for name, cols in READS.items():
        t = cdm.table(name)
        if t is None:
            if name not in OPTIONAL_TABLES:
                problems.append(
                    Problem(cdm.where(name), None, None, None, "the CDM has no such table")
                )
            continue
        have = {c.lower(): c for c in t.columns}
        missing = [c for c in cols if c not in have]
        for c in missing:
            problems.append(
                Problem(cdm.where(name), None, c, None, "a column of OMOP CDM v5.4 is missing")
            )
        if not missing:
            out[name] = t.select(**{c: t[have[c]] for c in cols})
    if problems:
        raise InvalidData(problems)
    return out


def _codes(concept: ir.Table, vocabulary: str, codes: dict[str, str], name: str) -> ir.Table:
    table = ibis.memtable({"concept_code": list(codes), name: list(codes.values())})
    c = concept.filter(concept.vocabulary_id == vocabulary)
    return c.inner_join(table, c.concept_code == table.concept_code).select(
        concept_id=c.concept_id, **{name: table[name]}
    )


def _results(t: dict[str, ir.Table], mapping: Mapping) -> ir.Table:
    """Antibody results of measurement and observation: person, date, code, word, number."""
    concept = t["concept"]
    tests = _codes(concept, "LOINC", mapping.antibody_codes, "code")
    m = t["measurement"]
    parts = [
        m.select(
            person_id=m.person_id,
            concept_id=m.measurement_concept_id,
            date=m.measurement_date,
            number=m.value_as_number.cast("float64"),
            value_concept=m.value_as_concept_id,
            unit_concept=m.unit_concept_id,
        )
    ]
    if "observation" in t:
        o = t["observation"]
        parts.append(
            o.select(
                person_id=o.person_id,
                concept_id=o.observation_concept_id,
                date=o.observation_date,
                number=o.value_as_number.cast("float64"),
                value_concept=o.value_as_concept_id,
                unit_concept=o.unit_concept_id,
            )
        )
    rows = ibis.union(*parts) if len(parts) > 1 else parts[0]
    rows = rows.inner_join(tests, rows.concept_id == tests.concept_id)
    words = ibis.memtable(
        {"word": list(concepts.RESULT_WORDS), "result": list(concepts.RESULT_WORDS.values())}
    )
    named = concept.select(vc_id=concept.concept_id, vc_name=concept.concept_name.lower())
    rows = rows.left_join(named, rows.value_concept == named.vc_id)
    rows = rows.left_join(words, rows.vc_name == words.word)
    units = concept.select(u_id=concept.concept_id, unit=concept.concept_code)
    rows = rows.left_join(units, rows.unit_concept == units.u_id)
    return rows.select("person_id", "date", "code", "result", "number", "unit")


def _selected(t: dict[str, ir.Table], results: ir.Table, selection: Selection) -> ir.Table:
    """person_id, index date and index event of every selected person."""
    rules: list[ir.Table] = []
    if selection.condition_concepts:
        ids = list(selection.condition_concepts)
        a = t["concept_ancestor"]
        below = a.filter(a.ancestor_concept_id.isin(ids)).descendant_concept_id
        co = t["condition_occurrence"]
        hit = co.filter(co.condition_concept_id.isin(ids) | co.condition_concept_id.isin(below))
        rules.append(hit.group_by("person_id").aggregate(cond_date=hit.condition_start_date.min()))
    if selection.antibodies:
        pos = results.filter(
            results.code.isin(list(selection.antibodies)) & (results.result == "positive")
        )
        rules.append(pos.group_by("person_id").aggregate(ab_date=pos.date.min()))
    if len(rules) == 1:
        sel = rules[0]
    else:
        cond, ab = rules
        how = "inner" if selection.match == "all" else "outer"
        sel = cond.join(ab, cond.person_id == ab.person_id, how=how).select(
            person_id=ibis.coalesce(cond.person_id, ab.person_id),
            cond_date=cond.cond_date,
            ab_date=ab.ab_date,
        )
    cond_date = sel.cond_date if "cond_date" in sel.columns else ibis.null("date")
    ab_date = sel.ab_date if "ab_date" in sel.columns else ibis.null("date")
    names = " or ".join(_SHOWN[a] for a in selection.antibodies)
    return sel.select(
        person_id=sel.person_id,
        index_date=ibis.coalesce(cond_date, ab_date),
        index_event=ibis.cases(
            (cond_date.notnull(), "first record of the selection condition"),
            else_=f"first positive {names} test",
        ),
    )


def _count(condition: ir.BooleanValue) -> ir.IntegerValue:
    """1 where true, else 0 (PostgreSQL casts no boolean to bigint)."""
    return ibis.cases((condition, 1), else_=0)


def _day(date: ir.DateValue, index: ir.DateValue) -> ir.IntegerValue:
    return date.delta(index, unit="day").cast("int64")


def _patients(
    t: dict[str, ir.Table], sel: ir.Table, statins: ir.Table, comorbid: ir.Table
) -> tuple[ir.Table, ir.Scalar]:
    p = t["person"]
    j = p.inner_join(sel, p.person_id == sel.person_id)
    born = j.birth_datetime.date()
    by = ibis.coalesce(born.year(), j.year_of_birth)
    bm = ibis.coalesce(born.month(), j.month_of_birth)
    bd = ibis.coalesce(born.day(), j.day_of_birth)
    iy, im, iday = j.index_date.year(), j.index_date.month(), j.index_date.day()
    before = _count((im < bm) | ((im == bm) & (iday < bd)))
    age = ibis.cases((bm.notnull() & bd.notnull(), iy - by - before), else_=iy - by).cast("float64")
    base = j.select(
        person_id=j.person_id,
        sex=j.gender_concept_id.cases(*concepts.GENDER.items(), else_="unknown"),
        age_at_onset=age,
        year_only=(bm.isnull() | bd.isnull()),
        index_event=j.index_event,
    )
    base = base.left_join(statins, base.person_id == statins.person_id).select(
        *[base[c] for c in base.columns],
        statin_exposure=ibis.cases((statins.person_id.notnull(), "yes"), else_="unknown"),
    )
    base = base.left_join(comorbid, base.person_id == comorbid.person_id).select(
        *[base[c] for c in base.columns], comorbidities=comorbid.comorbidities
    )
    year_only = _count(base.year_only).sum()
    return (
        base.select(
            patient_id=base.person_id.cast("string"),
            sex=base.sex,
            age_at_onset=base.age_at_onset,
            statin_exposure=base.statin_exposure,
            comorbidities=base.comorbidities,
            index_event=base.index_event,
        ),
        year_only,
    )


def _ingredients(t: dict[str, ir.Table], sel: ir.Table) -> ir.Table:
    """Drug exposures of the selected persons by vocabulary drug, with their day 0; and the
    drug eras of an ingredient the person has no exposure of (:data:`ERA_SCHEDULE`)."""
    concept, anc = t["concept"], t["concept_ancestor"]
    names = concepts.ingredient_drugs()
    drugs = ibis.memtable({"ingredient": list(names), "drug": list(names.values())})
    ing = concept.filter(
        concept.vocabulary_id.isin(["RxNorm", "RxNorm Extension"])
        & (concept.concept_class_id == "Ingredient")
    )
    ing = ing.inner_join(drugs, ing.concept_name.lower() == drugs.ingredient).select(
        ingredient_id=ing.concept_id, drug=drugs.drug
    )
    links = anc.inner_join(ing, anc.ancestor_concept_id == ing.ingredient_id).select(
        concept_id=anc.descendant_concept_id, drug=ing.drug
    )
    de = t["drug_exposure"]
    de = de.inner_join(sel, de.person_id == sel.person_id)
    de = de.inner_join(links, de.drug_concept_id == links.concept_id)
    route = concept.select(r_id=concept.concept_id, r_name=concept.concept_name.lower())
    de = de.left_join(route, de.route_concept_id == route.r_id)
    routes = ibis.memtable(
        {"r_word": list(concepts.ROUTES), "route": list(concepts.ROUTES.values())}
    )
    de = de.left_join(routes, de.r_name == routes.r_word)
    exposures = de.select(
        person_id=de.person_id,
        index_date=de.index_date,
        drug=ibis.cases(
            ((de.drug == "ivig") & (de.r_name == "subcutaneous"), "scig"), else_=de.drug
        ),
        start=de.drug_exposure_start_date,
        end=ibis.coalesce(de.verbatim_end_date, de.drug_exposure_end_date),
        route=ibis.coalesce(de.route, de.r_name),
        schedule=ibis.null("string"),
    )
    if "drug_era" not in t:
        return exposures
    # an ingredient's era (drug_concept_id is the ingredient itself) is read only where the
    # person has no exposure to that ingredient: an era is made from the exposures
    er = t["drug_era"]
    er = er.inner_join(sel, er.person_id == sel.person_id)
    er = er.inner_join(ing, er.drug_concept_id == ing.ingredient_id)
    had = exposures.select(h_person="person_id", h_drug=_ingredient_of(exposures.drug))
    er = er.anti_join(had.distinct(), [er.person_id == had.h_person, er.drug == had.h_drug])
    gap = er.gap_days.cast("int64").cast("string")
    eras = er.select(
        person_id=er.person_id,
        index_date=er.index_date,
        drug=er.drug,
        start=er.drug_era_start_date,
        end=er.drug_era_end_date,
        route=ibis.null("string"),
        schedule=ibis.cases(
            (er.gap_days.notnull(), ibis.literal(ERA_SCHEDULE + "; drug-free days: ").concat(gap)),
            else_=ibis.literal(ERA_SCHEDULE),
        ),
    )
    return ibis.union(exposures, eras)


#: ``treatments.schedule`` of a course read from ``drug_era``. OMOP CDM v5.4: an era is a
#: span of time the person is assumed exposed to the ingredient; it starts with the first
#: exposure at least 31 days after the previous one and ends with the end of the last (an
#: end often inferred from the days of supply), exposures less than 31 days apart (a 30-day
#: persistence window) merged; ``gap_days`` is the sum of the drug-free days within it
ERA_SCHEDULE = (
    "OMOP drug era: a continuous exposure, drug-free gaps of up to 30 days merged, "
    "its end the end of the last exposure (often inferred from the days of supply)"
)


def _ingredient_of(drug: ir.StringValue) -> ir.StringValue:
    """The ingredient's drug of a course (``scig`` is immunoglobulin, as its era is)."""
    return ibis.cases((drug == "scig", "ivig"), else_=drug)  # type: ignore[no-any-return]


def _treatments(exposures: ir.Table) -> ir.Table:
    e = exposures.filter(~exposures.drug.isin(list(concepts.EXPOSURES)))
    return e.select(
        patient_id=e.person_id.cast("string"),
        drug=e.drug,
        start_day=_day(e.start, e.index_date),
        end_day=_day(e.end, e.index_date),
        route=e.route,
        schedule=e.schedule,
    ).distinct()


def _statins(exposures: ir.Table) -> ir.Table:
    e = exposures.filter(
        exposures.drug.isin(list(concepts.EXPOSURES)) & (exposures.start <= exposures.index_date)
    )
    return e.select("person_id").distinct()


def _comorbidities(t: dict[str, ir.Table], sel: ir.Table) -> ir.Table:
    concept, rel = t["concept"], t["concept_relationship"]
    icd = concept.filter(concept.vocabulary_id.isin(["ICD10", "ICD10CM"])).select(
        icd_id=concept.concept_id, code=concept.concept_code
    )
    co = t["condition_occurrence"]
    co = co.inner_join(sel, co.person_id == sel.person_id).select(
        "person_id", "condition_concept_id", "condition_source_concept_id"
    )
    by_source = co.inner_join(icd, co.condition_source_concept_id == icd.icd_id).select(
        co.person_id, icd.code
    )
    maps = rel.filter(rel.relationship_id == "Maps to")
    by_map = (
        co.inner_join(maps, co.condition_concept_id == maps.concept_id_2)
        .inner_join(icd, maps.concept_id_1 == icd.icd_id)
        .select(co.person_id, icd.code)
    )
    codes = ibis.union(by_source, by_map, distinct=True)
    terms = concepts.icd10_terms()
    vocab = ibis.memtable({"icd10": list(terms), "term": list(terms.values())})
    full, sub, cat = (
        vocab.select(**{f"icd_{k}": vocab.icd10, f"term_{k}": vocab.term}) for k in "abc"
    )
    j = codes.left_join(full, codes.code == full.icd_a)
    j = j.left_join(sub, j.code.substr(0, 5) == sub.icd_b)
    j = j.left_join(cat, j.code.substr(0, 3) == cat.icd_c)
    mapped = j.select(person_id=j.person_id, term=ibis.coalesce(j.term_a, j.term_b, j.term_c))
    mapped = mapped.filter(mapped.term.notnull()).distinct()
    # the terms sorted, then joined: an ordered group_concat is not portable (Spark has none)
    return mapped.group_by("person_id").aggregate(
        comorbidities=mapped.term.collect().sort().join(";")
    )


def _in_units(value: ir.Value, factor: ir.FloatingValue) -> ir.FloatingValue:
    """``value`` times the exact ``factor`` to U/L (:data:`.concepts.ENZYME_UNITS`), as the
    decimal product reads (:data:`.concepts.CONVERTED_DECIMALS`); U/L values unchanged."""
    v = value.cast("float64")
    product = (v * factor).round(concepts.CONVERTED_DECIMALS).cast("float64")
    return ibis.cases((factor == 1.0, v), else_=product)  # type: ignore[no-any-return]


def _visits(
    t: dict[str, ir.Table], sel: ir.Table, mapping: Mapping
) -> tuple[ir.Table, dict[str, ir.Scalar]]:
    concept = t["concept"]
    tests = _codes(concept, "LOINC", mapping.lab_codes, "analyte")
    m = t["measurement"]
    m = m.inner_join(sel, m.person_id == sel.person_id)
    m = m.inner_join(tests, m.measurement_concept_id == tests.concept_id)
    m = m.filter(m.value_as_number.notnull())
    unit = concept.select(u_id=concept.concept_id, unit=concept.concept_code)
    op = concept.select(o_id=concept.concept_id, op_name=concept.concept_name)
    m = m.left_join(unit, m.unit_concept_id == unit.u_id).left_join(
        op, m.operator_concept_id == op.o_id
    )
    factors = ibis.memtable(
        {"f_unit": list(concepts.ENZYME_UNITS), "factor": list(concepts.ENZYME_UNITS.values())}
    )
    m = m.left_join(factors, m.unit == factors.f_unit)
    known = m.factor.notnull()
    other_unit = _count(~known).sum()
    converted = _count(known & (m.factor != 1.0)).sum()
    m = m.filter(known)
    rows = m.select(
        person_id=m.person_id,
        day=_day(m.measurement_date, m.index_date),
        analyte=m.analyte,
        value=_in_units(m.value_as_number, m.factor),
        bound=ibis.cases((m.op_name.isin(["<", "<=", ">", ">="]), m.op_name), else_=""),
        # range_high is in the result's unit (OMOP CDM v5.4)
        uln=_in_units(m.range_high, m.factor),
    )
    w = ibis.window(
        group_by=[rows.person_id, rows.day, rows.analyte],
        order_by=[ibis.desc(rows.value), ibis.desc(rows.uln)],
    )
    ranked = rows.mutate(rk=ibis.row_number().over(w))
    repeated = _count(ranked.rk > 0).sum()
    one = ranked.filter(ranked.rk == 0)
    written = one.bound.concat(one.value.cast("string"))
    aggs: dict[str, ir.Value] = {}
    for enzyme in ("ck", "ldh", "hbdh", "aldolase", "alt", "ast"):
        here = one.analyte == enzyme
        aggs[enzyme] = ibis.cases((here, written)).max()
        aggs[f"{enzyme}_uln"] = ibis.cases((here, one.uln)).max()
    visits = one.group_by(["person_id", "day"]).aggregate(**aggs)
    visits = visits.mutate(patient_id=visits.person_id.cast("string")).drop("person_id")
    return visits, {"other_unit": other_unit, "converted": converted, "repeated": repeated}


def _observations(results: ir.Table, sel: ir.Table) -> ir.Table:
    r = results.inner_join(sel, results.person_id == sel.person_id)
    number = r.number.cast("string")
    r = r.select(
        patient_id=r.person_id.cast("string"),
        day=_day(r.date, r.index_date),
        code=r.code,
        value=ibis.coalesce(r.result, number),
        unit=ibis.cases((r.result.isnull() & r.number.notnull(), r.unit)),
    )
    return r.filter(r.value.notnull()).distinct()


def _events(t: dict[str, ir.Table], sel: ir.Table) -> ir.Table | None:
    if "death" not in t:
        return None
    d = t["death"]
    d = d.inner_join(sel, d.person_id == sel.person_id)
    return d.select(
        patient_id=d.person_id.cast("string"),
        day=_day(d.death_date, d.index_date),
        kind=ibis.literal("death"),
    )


def _contract(name: str, table: ir.Table | None) -> ir.Table:
    """``table`` with every contract column of ``name`` (absent ones typed NULL), in order."""
    from myotrack.tables.database import _contract_type

    cols = {}
    for col in TABLES[name].columns:
        typ = _contract_type(col, None)
        if table is not None and col.name in table.columns:
            value = table[col.name]
            cols[col.name] = value if col.kind == "lab" else value.cast(typ)
        else:
            cols[col.name] = ibis.null(typ)
    if table is None:
        return ibis.memtable({c: [] for c in cols}, schema={c: v.type() for c, v in cols.items()})
    return table.select(**cols)


def extract(
    cdm: Cdm, selection: Selection = DEFAULT_SELECTION, mapping: Mapping | None = None
) -> Extract:
    """The contract tables of the selected persons of ``cdm`` as Ibis expressions."""
    mapping = mapping or Mapping()
    t = _tables(cdm)
    results = _results(t, mapping)
    sel = _selected(t, results, selection)
    exposures = _ingredients(t, sel)
    patients, year_only = _patients(t, sel, _statins(exposures), _comorbidities(t, sel))
    visits, counts = _visits(t, sel, mapping)
    treatments = _treatments(exposures)
    counts["eras"] = _count(treatments.schedule.startswith(ERA_SCHEDULE)).sum()
    tables = {
        "patients": _contract("patients", patients),
        "visits": _contract("visits", visits),
        "strength": _contract("strength", None),
        "treatments": _contract("treatments", treatments),
        "events": _contract("events", _events(t, sel)),
        "observations": _contract("observations", _observations(results, sel)),
    }
    return Extract(tables, {"year_only": year_only, **counts})
