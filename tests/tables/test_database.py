"""The contract tables read from a database (a DuckDB file here; PostgreSQL with
``MYOTRACK_TEST_POSTGRES_URL``): the same Dataset as the CSV folder, the same rules, messages
that name table, column, type, patient and day, and never a password."""

from __future__ import annotations

import os
from pathlib import Path

import duckdb
import ibis
import pandas as pd
import pytest

from myotrack.criteria import evaluate
from myotrack.errors import InvalidData, SourceNotFound
from myotrack.tables import Dataset, read_source
from myotrack.tables.database import (
    DatabaseError,
    DatabaseSource,
    connect,
    contract_tables,
    read_database,
    redact,
    run_in_database,
    validate_database,
    write_database,
)

COHORT = Path(__file__).resolve().parents[2] / "examples" / "cohort17"
PG_URL = os.environ.get("MYOTRACK_TEST_POSTGRES_URL", "").strip()


def load_duckdb(path: Path, ds: Dataset, schema: str = "main") -> None:
    """Write ``ds`` into a DuckDB file with :func:`write_database`."""
    con = ibis.connect(f"duckdb:///{path}")
    con.raw_sql(f"CREATE SCHEMA IF NOT EXISTS {schema}")
    write_database(ds, con, schema)
    con.disconnect()


@pytest.fixture(scope="module")
def cohort_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("db") / "cohort.duckdb"
    load_duckdb(path, read_source(COHORT), schema="registry_export")
    return path


def _source(path: Path, schema: str | None = "registry_export") -> DatabaseSource:
    url = f"duckdb:///{path}"
    return DatabaseSource(connect(url), schema, redact(url))


def test_database_reads_the_same_dataset_as_the_folder(cohort_db: Path) -> None:
    """examples/cohort17 written to a DuckDB schema reads back to the same tables and the same
    outcomes as the CSV folder."""
    files = read_source(COHORT)
    db = read_database(_source(cohort_db))
    for name in ("patients", "visits", "strength", "treatments", "events", "observations"):
        pd.testing.assert_frame_equal(
            db.to_text_frames()[name].reset_index(drop=True),
            _sorted(files.to_text_frames()[name], name),
            check_dtype=False,
        )
    _same_outcomes(files, db)


def _same_outcomes(files: Dataset, db: Dataset) -> None:
    """Same outcomes when the rows come in the same order (a database has no order of its own,
    and courses starting on the same day are told in the order given)."""
    text = {n: _sorted(f, n) for n, f in files.to_text_frames().items()}
    ordered = Dataset.from_frames(files.name, **text)
    a = evaluate(ordered).frame.sort_values("patient_id").reset_index(drop=True)
    b = evaluate(db).frame.sort_values("patient_id").reset_index(drop=True)
    pd.testing.assert_frame_equal(a, b)


def _sort_keys(name: str) -> list[str]:
    from myotrack.tables.database import _ORDER

    return list(_ORDER[name])


def _sorted(frame: pd.DataFrame, name: str) -> pd.DataFrame:
    """The folder's rows in the database's order (patient, then day as a number)."""
    keys = _sort_keys(name)
    tmp = frame.copy()
    sort_cols = []
    for k in keys:
        if k not in tmp.columns:
            continue
        num = pd.to_numeric(tmp[k].replace("", None), errors="coerce")
        if num.notna().any() and k != "patient_id":
            tmp[f"__{k}"] = num
        else:
            tmp[f"__{k}"] = tmp[k].replace("", None)
        sort_cols.append(f"__{k}")
    tmp = tmp.sort_values(sort_cols, kind="stable", na_position="last")
    return tmp[frame.columns].reset_index(drop=True)


def test_tables_are_ibis_expressions_with_the_contract_columns(cohort_db: Path) -> None:
    from myotrack.tables.schema import TABLES

    tables = contract_tables(_source(cohort_db))
    for name, spec in TABLES.items():
        assert tables[name].columns == spec.names
    schema = tables["visits"].schema()
    assert schema["day"].is_integer() and schema["ck_uln"].is_floating()
    assert schema["ck"].is_string()  # written with bounds in this source: kept as text
    assert schema["patient_id"].is_string()
    ids = tables["patients"].patient_id.execute().tolist()
    assert sorted(ids) == sorted(read_source(COHORT).patient_ids)


def test_wrong_type_names_table_column_found_and_expected(tmp_path: Path) -> None:
    path = tmp_path / "bad.duckdb"
    con = duckdb.connect(str(path))
    con.execute("create table patients (patient_id varchar, age_at_onset varchar)")
    con.execute("create table visits (patient_id varchar, day date, ck double)")
    con.close()
    with pytest.raises(InvalidData) as err:
        contract_tables(_source(path, None))
    text = str(err.value)
    assert "patients, column 'age_at_onset': the column's type is string; expected a numeric" in (
        text
    )
    assert "visits, column 'day': the column's type is date; expected an integer type" in text


def test_missing_patients_table_and_required_column(tmp_path: Path) -> None:
    path = tmp_path / "none.duckdb"
    con = duckdb.connect(str(path))
    con.execute("create table visits (day integer, ck double)")
    con.close()
    problems = validate_database(_source(path, None))
    text = "\n".join(map(str, problems))
    assert "no table 'patients'" in text
    assert "visits, column 'patient_id': required column 'patient_id' is missing" in text


def test_row_problems_name_the_table_patient_and_day(tmp_path: Path) -> None:
    path = tmp_path / "rows.duckdb"
    con = duckdb.connect(str(path))
    con.execute("create table patients (patient_id varchar, sex varchar, created_by varchar)")
    con.execute("insert into patients values ('P1', 'F', 'x'), ('P2', 'Q', 'y')")
    con.execute("create table visits (patient_id varchar, day integer, ck double, mrs integer)")
    con.execute("insert into visits values ('P1', 0, 4000, 2), ('P1', 30, -5, 9)")
    con.close()
    problems = validate_database(_source(path, None))
    errors = {str(p) for p in problems if not p.is_warning}
    warnings = {str(p) for p in problems if p.is_warning}
    assert any(e.startswith("patients (patient 'P2'), column 'sex': value 'Q'") for e in errors)
    assert any(
        e.startswith("visits (patient 'P1', day 30), column 'ck': value '-5'") for e in errors
    )
    assert any(
        e.startswith("visits (patient 'P1', day 30), column 'mrs': value '9'") for e in errors
    )
    assert warnings == {"patients: value 'created_by': columns outside the contract; not read"}
    with pytest.raises(InvalidData):
        read_database(_source(path, None))


def test_password_never_shown() -> None:
    url = "postgresql://alice:s3cr%40t@127.0.0.1:1/registry"
    assert redact(url) == "postgresql://alice:***@127.0.0.1:1/registry"
    with pytest.raises(DatabaseError) as err:
        connect(url)
    assert "s3cr" not in str(err.value) and "***" in str(err.value)


def test_duckdb_file_must_exist(tmp_path: Path) -> None:
    with pytest.raises(SourceNotFound, match="no such DuckDB file"):
        connect(f"duckdb:///{tmp_path / 'absent.duckdb'}")
    assert not (tmp_path / "absent.duckdb").exists()


def test_run_in_database_matches_the_in_process_engine(cohort_db: Path) -> None:
    source = _source(cohort_db)
    tables = contract_tables(source)
    result = run_in_database(source.con, tables)
    expected = evaluate(read_database(source)).frame
    pd.testing.assert_frame_equal(
        result.frame.sort_values("patient_id").reset_index(drop=True),
        expected.sort_values("patient_id").reset_index(drop=True),
    )


def test_postgres_schema_reads_the_same_dataset(pg_schema: str) -> None:
    con = ibis.connect(PG_URL)
    files = read_source(COHORT)
    assert write_database(files, con, pg_schema) == [
        "patients",
        "visits",
        "strength",
        "treatments",
        "events",
        "observations",
    ]
    db = read_database(DatabaseSource(connect(PG_URL), pg_schema, redact(PG_URL)))
    for name in ("patients", "visits", "treatments", "observations"):
        pd.testing.assert_frame_equal(
            db.to_text_frames()[name], _sorted(files.to_text_frames()[name], name)
        )
    _same_outcomes(files, db)


@pytest.mark.parametrize("seed", [1, 7])
def test_synthetic_cohorts_round_trip_through_a_database(tmp_path: Path, seed: int) -> None:
    """write_database then read_database gives the synthetic cohort's tables back, row for
    row (in the database's order of patient and day)."""
    from myotrack.synth import generate

    ds = generate(40, seed, 14)
    path = tmp_path / "synth.duckdb"
    load_duckdb(path, ds)
    back = read_database(_source(path, None))
    for name in ("patients", "visits", "strength", "treatments", "events", "observations"):
        pd.testing.assert_frame_equal(
            back.to_text_frames()[name], _sorted(ds.to_text_frames()[name], name)
        )


def test_courses_started_the_same_day_are_told_apart_alike_in_and_out_of_the_database(
    tmp_path: Path,
) -> None:
    """Two high-dose glucocorticoid courses started the same day (line 1 prednisone, line 2
    methylprednisolone) either of which makes the patient refractory: the deciding course is
    the first in the order of entry, and a database has no order of its own. Read from the
    database (patient, start day, line, drug, ...) and evaluated in it, the courses are numbered
    alike, so the 'why' names the same course (prednisone, line 1; not the first by name)."""
    folder = tmp_path / "ties"
    folder.mkdir()
    (folder / "patients.csv").write_text("patient_id,weight_kg\nP1,60\n")
    (folder / "treatments.csv").write_text(
        "patient_id,drug,start_day,end_day,line,dose,dose_unit,schedule\n"
        "P1,azathioprine,10,400,3,100,mg,daily\n"
        "P1,methylprednisolone,0,90,2,1,mg/kg,daily\n"
        "P1,prednisone,0,90,1,1,mg/kg,daily\n"
    )
    (folder / "visits.csv").write_text("patient_id,day,mrc_sum\nP1,0,50\nP1,60,58\nP1,120,52\n")
    path = tmp_path / "ties.duckdb"
    load_duckdb(path, read_source(folder))
    source = _source(path, None)
    inside = run_in_database(source.con, contract_tables(source), criteria=["refractory"])
    read = evaluate(read_database(source), criteria=["refractory"])
    assert inside.frame["refractory"].tolist() == ["yes"]
    assert inside.frame["refractory__why"].tolist() == read.frame["refractory__why"].tolist()
    assert "after prednisone and azathioprine" in inside.frame["refractory__why"].iloc[0]
