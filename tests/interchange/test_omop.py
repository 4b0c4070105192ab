"""OMOP CDM v5.4 as a source: the synthetic CDM of ``omop_cdm.py`` on DuckDB and PostgreSQL
(``MYOTRACK_TEST_POSTGRES_URL``), every expected value worked out by hand from its rows."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from typing import Any

import ibis
import pandas as pd
import pytest

from myotrack.errors import InvalidData, MyotrackError
from myotrack.interchange.omop import READS, Cdm, Selection, extract, read_omop

from . import omop_cdm

PG_URL = os.environ.get("MYOTRACK_TEST_POSTGRES_URL", "").strip()
BOTH = Selection(condition_concepts=(omop_cdm.IMNM,), antibodies=("anti_hmgcr", "anti_srp"))


def _duckdb() -> Any:
    con = ibis.connect("duckdb://")
    con.raw_sql("CREATE SCHEMA cdm")
    for s in omop_cdm.statements("cdm"):
        con.raw_sql(s)
    return con


@pytest.fixture(params=["duckdb", "postgres"])
def cdm(request: pytest.FixtureRequest) -> Iterator[Cdm]:
    if request.param == "duckdb":
        yield Cdm(_duckdb(), "cdm")
        return
    if not PG_URL:
        pytest.skip("MYOTRACK_TEST_POSTGRES_URL is not set (scripts/postgres.sh start)")
    con = ibis.connect(PG_URL)
    schema = f"cdm_{uuid.uuid4().hex[:8]}"
    con.raw_sql(f"CREATE SCHEMA {schema}")
    try:
        for s in omop_cdm.statements(schema):
            con.raw_sql(s)
        yield Cdm(con, schema)
    finally:
        con.raw_sql(f"DROP SCHEMA {schema} CASCADE")


def test_every_column_the_mapping_reads_is_in_the_v54_spec() -> None:
    spec = {t: {c for c, _, _ in cols} for t, cols in omop_cdm.spec().items()}
    for table, cols in READS.items():
        assert table in spec, table
        assert set(cols) <= spec[table], (table, set(cols) - spec[table])


def test_patients(cdm: Cdm) -> None:
    """Person 1: IMNM on 2020-03-01, born 1960-05-10: 59 years; atorvastatin from 2019:
    statin yes; hypertension (ICD10CM I10 source) and type 2 diabetes (E11.9 maps to its
    SNOMED concept). Person 2: anti-SRP positive only, born 1950 (year only): 2021 - 1950 = 71;
    an atorvastatin era from 2020-01-01, before day 0: statin yes. Person 4: a descendant of
    IMNM on 2022-01-01, born 1980-12-31: 41; statin after day 0: unknown. Person 3 has neither:
    not selected."""
    ds = read_omop(cdm, BOTH)
    p = ds.patients.set_index("patient_id")
    assert list(p.index) == ["1", "2", "4"]
    assert list(p["sex"]) == ["F", "M", "unknown"]
    assert list(p["age_at_onset"]) == [59.0, 71.0, 41.0]
    assert list(p["statin_exposure"]) == ["yes", "yes", "unknown"]
    assert p.loc["1", "comorbidities"] == "hypertension;type_2_diabetes"
    assert pd.isna(p.loc["2", "comorbidities"]) or p.loc["2", "comorbidities"] in ("", None)
    assert list(p["antibody"].fillna("")) == ["HMGCR", "SRP", ""]
    assert p.loc["1", "index_event"] == "first record of the selection condition"
    assert p.loc["2", "index_event"] == "first positive anti-HMGCR or anti-SRP test"
    rules = [w.rule for w in ds.warnings]
    assert any(r.startswith("1 patient(s) have no full birth date") for r in rules)


def test_visits(cdm: Cdm) -> None:
    """Person 1, day 0: CK 8000 and 7500 U/L on one day: the highest (8000, ULN 200), ALT 150
    (ULN 40); 2020-04-01 = day 31: CK 0.5 ukat/L, range high 3.3: x 60 = 30 U/L, ULN 198 (as
    the decimal product reads, not 197.99999999999997); 2020-06-01 = day 92: CK '<200', ULN
    200. Person 3's CK is not read (not selected)."""
    ds = read_omop(cdm, BOTH)
    v = ds.visits
    assert list(v["patient_id"]) == ["1", "1", "1"]
    assert list(v["day"]) == [0, 31, 92]
    assert list(v["ck"]) == [8000.0, 30.0, 200.0]
    assert list(v["ck_bound"]) == ["", "", "<"]
    assert list(v["ck_uln"]) == [200.0, 198.0, 200.0]
    assert v["alt"].iloc[0] == 150.0 and v["alt_uln"].iloc[0] == 40.0
    assert pd.isna(v["alt"].iloc[1]) and v["mrs"].isna().all() and v["mrc_sum"].isna().all()
    rules = {w.rule for w in ds.warnings}
    assert any(r.startswith("1 enzyme result(s) were converted to U/L from ukat/L") for r in rules)
    assert not any("were not read" in r for r in rules)
    assert any(r.startswith("1 enzyme result(s) had another result") for r in rules)


def test_enzyme_in_a_unit_without_an_exact_factor_is_not_read() -> None:
    """A CK in U/mL is 1000 U/L (2.5 U/mL on day 32: 2500); one in a unit of no exact factor to
    U/L (mg/dL, a mass) or without a unit is not read, and the warning counts both."""
    con = _duckdb()
    con.raw_sql(
        "INSERT INTO cdm.concept (concept_id, concept_name, domain_id, vocabulary_id, "
        "concept_class_id, concept_code, valid_start_date, valid_end_date) VALUES (2000000012, "
        "'milligram per deciliter', 'Unit', 'UCUM', 'Unit', 'mg/dL', '1970-01-01', '2099-12-31')"
    )
    rows = [(101, "2020-04-02", 2.5, omop_cdm.UML), (102, "2020-04-03", 9, 2000000012)]
    rows.append((103, "2020-04-04", 700, None))
    for mid, day, value, unit in rows:
        con.raw_sql(
            "INSERT INTO cdm.measurement (measurement_id, person_id, measurement_concept_id, "
            "measurement_date, measurement_type_concept_id, value_as_number, unit_concept_id) "
            f"VALUES ({mid}, 1, {omop_cdm.CK}, '{day}', 0, {value}, {unit or 'NULL'})"
        )
    ds = read_omop(Cdm(con, "cdm"), BOTH)
    v = ds.visits
    assert list(v["day"]) == [0, 31, 32, 92]
    assert v["ck"].iloc[2] == 2500.0 and pd.isna(v["ck_uln"].iloc[2])
    rules = {w.rule for w in ds.warnings}
    assert any(r.startswith("2 enzyme result(s) without a unit, or in a unit that") for r in rules)
    assert any(r.startswith("2 enzyme result(s) were converted to U/L") for r in rules)


def test_treatments(cdm: Cdm) -> None:
    """Person 1: prednisone 2020-03-02..2020-09-01 = days 1..184 (oral), IVIG 2020-03-10 = day
    9 (IV), rituximab 2020-05-01 = day 61 (its verbatim end, not the derived 2020-05-31); its
    prednisone era is not read (it has the exposures). Person 2, eras only (day 0 2021-07-15):
    prednisone 2021-07-20..2021-12-31 = days 5..169, rituximab 2021-08-01..15 = days 17..31, no
    route, the schedule saying what an era is (with the 12 drug-free days where given).
    Person 4: immunoglobulin SC on 2022-02-01 = day 31: scig. Statins are no course. No dose."""
    from myotrack.interchange.omop.extract import ERA_SCHEDULE

    ds = read_omop(cdm, BOTH)
    t = ds.treatments
    got = sorted(
        zip(
            t["patient_id"],
            t["drug"],
            t["start_day"],
            t["end_day"],
            t["route"].fillna(""),
            t["schedule"].fillna(""),
            strict=True,
        )
    )
    assert got == [
        ("1", "ivig", 9, 9, "IV", ""),
        ("1", "prednisone", 1, 184, "oral", ""),
        ("1", "rituximab", 61, 61, "IV", ""),
        ("2", "prednisone", 5, 169, "", ERA_SCHEDULE + "; drug-free days: 12"),
        ("2", "rituximab", 17, 31, "", ERA_SCHEDULE),
        ("4", "scig", 31, 31, "SC", ""),
    ]
    assert t["dose"].isna().all()
    rules = {w.rule for w in ds.warnings}
    assert any(r.startswith("2 treatment course(s) were read from drug_era") for r in rules)


def test_a_cdm_without_drug_era_reads_the_exposures_only() -> None:
    con = _duckdb()
    con.raw_sql("DROP TABLE cdm.drug_era")
    ds = read_omop(Cdm(con, "cdm"), BOTH)
    assert sorted(set(ds.treatments["patient_id"])) == ["1", "4"]
    assert list(ds.patients["statin_exposure"]) == ["yes", "unknown", "unknown"]


def test_observations_and_events(cdm: Cdm) -> None:
    """Person 1: anti-HMGCR positive on 2020-02-20 = day -10. Person 2 (day 0 2021-07-15):
    anti-SRP positive (observation table), anti-HMGCR 5 U/mL (a number, kept with its unit);
    died 2022-01-15 = day 184."""
    ds = read_omop(cdm, BOTH)
    o = ds.observations
    got = sorted(
        zip(o["patient_id"], o["day"], o["code"], o["value"], o["unit"].fillna(""), strict=True)
    )
    assert [g[:3] for g in got] == [
        ("1", -10, "anti_hmgcr"),
        ("2", 0, "anti_hmgcr"),
        ("2", 0, "anti_srp"),
    ]
    assert got[0][3] == "positive" and got[2][3] == "positive"
    assert float(got[1][3]) == 5.0 and got[1][4] == "U/mL"
    e = ds.events
    assert list(zip(e["patient_id"], e["day"], e["kind"], strict=True)) == [("2", 184, "death")]


def test_selection_rules(cdm: Cdm) -> None:
    """Conditions only: persons 1 and 4 (4 by a descendant concept); both rules required:
    person 1 only; antibodies only: persons 1 and 2, person 1's day 0 then being the positive
    anti-HMGCR test (2020-02-20), so that CK of 2020-03-01 is day 10 (2020-04-01: 41)."""
    only_cond = read_omop(cdm, Selection(condition_concepts=(omop_cdm.IMNM,)))
    assert only_cond.patient_ids == ["1", "4"]
    both = Selection(condition_concepts=(omop_cdm.IMNM,), antibodies=("anti_srp",), match="all")
    assert read_omop(cdm, both).patient_ids == []
    all_hmgcr = Selection(
        condition_concepts=(omop_cdm.IMNM,), antibodies=("anti_hmgcr",), match="all"
    )
    assert read_omop(cdm, all_hmgcr).patient_ids == ["1"]
    ab = read_omop(cdm, Selection(antibodies=("anti_hmgcr", "anti_srp")))
    assert ab.patient_ids == ["1", "2"]
    assert list(ab.visits["day"]) == [10, 41, 102]


def test_outcomes_run_on_the_extract(cdm: Cdm) -> None:
    """The criteria run on the Dataset; what a CDM cannot hold (mRS, MRC) is not evaluable.
    Run in the CDM's database on the extract's expressions (CK written with its operator,
    '<200', read by the readers' grammar there), they give the same table."""
    from myotrack.criteria import evaluate
    from myotrack.tables.database import run_in_database

    frame = evaluate(read_omop(cdm, BOTH)).frame
    out = frame.set_index("patient_id")
    assert out.loc["1", "favourable_recovery_6m"] == "not_evaluable"
    inside = run_in_database(cdm.con, extract(cdm, BOTH).tables).frame
    pd.testing.assert_frame_equal(inside, frame)


def test_expressions_have_the_contract_columns(cdm: Cdm) -> None:
    from myotrack.tables.schema import TABLES

    ex = extract(cdm, BOTH)
    for name, spec in TABLES.items():
        assert ex.tables[name].columns == spec.names


def test_missing_cdm_column_is_named() -> None:
    con = _duckdb()
    con.raw_sql("ALTER TABLE cdm.measurement DROP COLUMN range_high")
    with pytest.raises(InvalidData) as err:
        read_omop(Cdm(con, "cdm"), BOTH)
    assert "cdm.measurement, column 'range_high': a column of OMOP CDM v5.4 is missing" in str(
        err.value
    )


def test_a_selection_needs_a_rule() -> None:
    with pytest.raises(MyotrackError, match="needs condition concepts"):
        Selection()
    with pytest.raises(MyotrackError, match="unknown selection antibody"):
        Selection(antibodies=("anti_jo1",))


def test_vocabulary_schema_apart() -> None:
    """Vocabulary tables in their own schema (--vocab-schema) give the same extract."""
    con = _duckdb()
    con.raw_sql("CREATE SCHEMA vocab")
    for t in ("concept", "concept_ancestor", "concept_relationship"):
        con.raw_sql(f"CREATE TABLE vocab.{t} AS SELECT * FROM cdm.{t}")
        con.raw_sql(f"DROP TABLE cdm.{t}")
    ds = read_omop(Cdm(con, "cdm", "vocab"), BOTH)
    assert ds.patient_ids == ["1", "2", "4"]


@pytest.mark.spark
def test_a_cdm_in_spark_reads_and_evaluates_as_on_duckdb(
    spark_backend: Any, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """The same CDM in a Spark catalog (``--omop spark:...``): the extraction runs in Spark and
    gives the DuckDB CDM's tables (the values above, worked out by hand), CK read with its
    operator ('<' 200) included; the criteria evaluated in Spark on the extract give the
    outcomes the in-process engine gives on DuckDB's, 'why' texts included."""
    from ibis.backends.pyspark.datatypes import PySparkSchema

    from myotrack.criteria import evaluate
    from myotrack.tables.database import run_in_database

    duck = _duckdb()
    session = spark_backend._session
    name = f"cdm_{uuid.uuid4().hex[:8]}"
    folder = tmp_path_factory.mktemp("spark-cdm") / name
    session.sql(f"CREATE DATABASE {name} LOCATION '{folder}'")
    try:
        for (table,) in duck.raw_sql(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = 'cdm'"
        ).fetchall():
            t = duck.table(table, database="cdm")
            rows = [tuple(r.values()) for r in t.to_pyarrow().to_pylist()]
            frame = session.createDataFrame(rows, PySparkSchema.from_ibis(t.schema()))
            frame.write.saveAsTable(f"{name}.{table}")
        spark_cdm, duck_cdm = Cdm(spark_backend, name), Cdm(duck, "cdm")
        read, expected = read_omop(spark_cdm, BOTH), read_omop(duck_cdm, BOTH)
        for table in ("patients", "visits", "strength", "treatments", "events", "observations"):
            pd.testing.assert_frame_equal(read.table(table), expected.table(table))
        assert "<" in set(read.visits["ck_bound"])
        inside = run_in_database(spark_backend, extract(spark_cdm, BOTH).tables)
        pd.testing.assert_frame_equal(inside.frame, evaluate(expected).frame)
    finally:
        session.sql(f"DROP DATABASE IF EXISTS {name} CASCADE")
