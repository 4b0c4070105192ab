"""The commands on database sources: --db URL --schema, --omop URL --cdm-schema, --backend."""

from __future__ import annotations

import io
import shutil
import subprocess
import sys
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from myotrack.tables import read_source
from tests.tables.test_database import COHORT, PG_URL, load_duckdb

from . import omop_cdm


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "myotrack.cli", *args], capture_output=True, text=True, timeout=600
    )


@pytest.fixture(scope="module")
def cohort_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("cli") / "cohort.duckdb"
    load_duckdb(path, read_source(COHORT), schema="registry_export")
    return path


@pytest.fixture(scope="module")
def cdm_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("cli") / "omop.duckdb"
    con = duckdb.connect(str(path))
    con.execute("CREATE SCHEMA cdm")
    for s in omop_cdm.statements("cdm"):
        con.execute(s)
    con.close()
    return path


def test_outcomes_from_a_database_schema(cohort_db: Path) -> None:
    """The same patients and the same yes / no / not_evaluable as from the folder."""
    r = run(
        "outcomes", "--db", f"duckdb:///{cohort_db}", "--schema", "registry_export", "-f", "csv"
    )
    assert r.returncode == 0, r.stderr
    db = pd.read_csv(io.StringIO(r.stdout), dtype=str).set_index("patient_id").sort_index()
    f = run("outcomes", str(COHORT), "-f", "csv")
    files = pd.read_csv(io.StringIO(f.stdout), dtype=str).set_index("patient_id").sort_index()
    plain = [c for c in files.columns if "__" not in c]
    pd.testing.assert_frame_equal(db[plain], files[plain])


def test_validate_a_database_schema(cohort_db: Path) -> None:
    r = run("validate", "--db", f"duckdb:///{cohort_db}", "--schema", "registry_export")
    assert r.returncode == 0, r.stderr
    assert "(schema registry_export): valid (17 patients" in r.stdout


def test_validate_a_bad_database_exits_1_without_traceback(tmp_path: Path) -> None:
    path = tmp_path / "bad.duckdb"
    con = duckdb.connect(str(path))
    con.execute("CREATE TABLE patients (patient_id VARCHAR, mrs_at_onset INTEGER, sex DATE)")
    con.close()
    r = run("validate", "--db", f"duckdb:///{path}")
    assert r.returncode == 1 and "Traceback" not in r.stderr
    assert "patients, column 'sex': the column's type is date; expected a text type" in r.stdout


def test_password_is_never_printed() -> None:
    r = run("outcomes", "--db", "postgresql://alice:hunter2@127.0.0.1:1/registry")
    assert r.returncode == 1 and "Traceback" not in r.stderr
    assert "hunter2" not in r.stderr + r.stdout
    assert "postgresql://alice:***@127.0.0.1:1/registry" in r.stderr


def test_outcomes_from_an_omop_cdm(cdm_db: Path) -> None:
    """Patients 1, 2 and 4 of the synthetic CDM (IMNM or a positive antibody)."""
    r = run(
        "outcomes",
        "--omop",
        f"duckdb:///{cdm_db}",
        "--cdm-schema",
        "cdm",
        "--condition-concepts",
        str(omop_cdm.IMNM),
        "--antibodies",
        "anti_hmgcr,anti_srp",
        "-f",
        "csv",
    )
    assert r.returncode == 0, r.stderr
    out = pd.read_csv(io.StringIO(r.stdout), dtype=str)
    assert sorted(out["patient_id"]) == ["1", "2", "4"]
    v = run("validate", "--omop", f"duckdb:///{cdm_db}", "--cdm-schema", "cdm")
    assert v.returncode == 0, v.stderr
    assert "valid (2 patients" in v.stdout  # the default selection: a positive antibody


def test_bad_selection_and_mixed_sources_are_messages(cdm_db: Path) -> None:
    r = run("outcomes", "--omop", f"duckdb:///{cdm_db}", "--condition-concepts", "IMNM")
    assert r.returncode == 1 and "concept ids are whole numbers" in r.stderr
    r = run("outcomes", str(COHORT), "--omop", f"duckdb:///{cdm_db}")
    assert r.returncode == 1 and "give one source" in r.stderr
    r = run("outcomes", str(COHORT), "--schema", "registry_export")
    assert r.returncode == 1 and "--schema goes with --db" in r.stderr


def test_backend_must_be_where_the_tables_are(cohort_db: Path) -> None:
    r = run(
        "outcomes", "--db", f"duckdb:///{cohort_db}", "--schema", "registry_export",
        "--backend", "postgres",
    )  # fmt: skip
    assert r.returncode == 1 and "Traceback" not in r.stderr
    assert "the source is a duckdb database" in r.stderr


def test_outcomes_computed_inside_postgres(pg_schema: str) -> None:
    """``--backend postgres``: the criteria run in the source database, and every column
    (values, reasons, 'why' texts) equals the in-process engine's on the same tables."""
    import ibis

    from myotrack.tables.database import write_database

    write_database(read_source(COHORT), ibis.connect(PG_URL), pg_schema)
    args = ("outcomes", "--db", PG_URL, "--schema", pg_schema, "-f", "csv")
    inside = run(*args, "--backend", "postgres")
    assert inside.returncode == 0, inside.stderr
    here = run(*args)
    assert here.returncode == 0, here.stderr
    a = pd.read_csv(io.StringIO(inside.stdout), dtype=str).set_index("patient_id").sort_index()
    b = pd.read_csv(io.StringIO(here.stdout), dtype=str).set_index("patient_id").sort_index()
    pd.testing.assert_frame_equal(a, b)


@pytest.mark.spark
def test_outcomes_computed_in_spark() -> None:
    """``--backend spark``: the tables loaded into a local Spark session; the same table."""
    pytest.importorskip("pyspark")
    if shutil.which("java") is None:
        pytest.skip("no Java runtime (scripts/test.sh installs one)")
    args = ("outcomes", str(COHORT), "--criteria", "relapse,ck_normalisation", "-f", "csv", "-q")
    spark = run(*args, "--backend", "spark", "--spark-master", "local[2]")
    assert spark.returncode == 0, spark.stderr
    assert spark.stdout == run(*args).stdout


_WRITE_SPARK = """
import sys

from myotrack.tables import read_source
from myotrack.tables.database import write_database
from myotrack.tables.spark import connect_spark

con = connect_spark(sys.argv[1])
session = con._session
session.sql("CREATE DATABASE registry")
write_database(read_source(sys.argv[2]), con, "registry")
session.stop()
"""


@pytest.mark.spark
def test_sources_read_by_name_in_a_spark_catalog(tmp_path: Path, cohort_db: Path) -> None:
    """Contract tables written as tables of a Spark catalog by one session
    (a local Hive metastore in the warehouse folder) are found by name by the next: validate
    reads them, and ``--backend spark`` evaluates the criteria inside that session, giving
    every column the same tables give from a DuckDB file in-process. (A database table has no
    order of entry: courses started the same day are ordered by drug, as in every database.)"""
    pytest.importorskip("pyspark")
    if shutil.which("java") is None:
        pytest.skip("no Java runtime (scripts/test.sh installs one)")
    url = f"spark:local[2]?warehouse={tmp_path / 'warehouse'}"
    root = Path(__file__).resolve().parents[2]
    wrote = subprocess.run(
        [sys.executable, "-c", _WRITE_SPARK, url, str(COHORT)],
        capture_output=True,
        text=True,
        timeout=600,
        cwd=root,
    )
    assert wrote.returncode == 0, wrote.stderr[-3000:]

    v = run("validate", "--db", url, "--schema", "registry")
    assert v.returncode == 0, v.stderr[-3000:]
    assert "valid (17 patients" in v.stdout

    only = ("--criteria", "relapse,ck_normalisation,favourable_recovery_6m", "-f", "csv", "-q")
    inside = run("outcomes", "--db", url, "--schema", "registry", "--backend", "spark", *only)
    assert inside.returncode == 0, inside.stderr[-3000:]
    db = run("outcomes", "--db", f"duckdb:///{cohort_db}", "--schema", "registry_export", *only)
    assert db.returncode == 0, db.stderr
    a = pd.read_csv(io.StringIO(inside.stdout), dtype=str).set_index("patient_id").sort_index()
    b = pd.read_csv(io.StringIO(db.stdout), dtype=str).set_index("patient_id").sort_index()
    pd.testing.assert_frame_equal(a, b)
