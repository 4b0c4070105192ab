"""The criteria give the same outcomes table on DuckDB, PostgreSQL and Spark.

The cohort: 2,000 synthetic patients (``myotrack.synth.generate``, seed 11) and every published
case (the evidence base, ``myotrack.evidence.load_evidence``, and ``tests/data/published``),
evaluated at once: every column of every criterion, 'why' and 'reason' texts included, must be
identical to the in-process DuckDB engine's. Few large tests: a Spark session costs ~10 s and
each evaluation on it a couple of minutes on this machine.
"""

from __future__ import annotations

import functools
import gc
import re
import weakref
from pathlib import Path
from typing import Any

import ibis
import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

from myotrack.criteria import ORDER, Params, engine, evaluate, evaluate_tables, plan
from myotrack.criteria.backends import drop, upload
from myotrack.criteria.engine import connect
from myotrack.criteria.prepare import arrow_tables, schemas
from myotrack.criteria.reads import read_columns, unbound_names
from myotrack.errors import MyotrackError
from myotrack.evidence.base import load_evidence
from myotrack.synth import generate
from myotrack.tables import Dataset, read_source
from myotrack.tables.spark import LOCAL_PAGE_SIZE, local_driver_memory

PUBLISHED = Path(__file__).resolve().parents[1] / "data" / "published"
#: The second parameter set: the other relapse baseline, and an anchor of its own.
OTHER = Params(relapse_baseline="pretreatment", anchor="rituximab", relapse_ck_multiple=2.0)


@functools.cache
def published() -> Dataset:
    """Every published case once: the evidence base, then the test records it does not hold."""
    evidence = load_evidence()
    known = set(evidence.patient_ids)
    more = [read_source(p) for p in sorted(PUBLISHED.iterdir()) if p.is_dir()]
    more = [d.subset([i for i in d.patient_ids if i not in known]) for d in more]
    return Dataset.concat([evidence, *[d for d in more if d.patient_ids]], name="published")


@functools.cache
def cohort() -> Dataset:
    return Dataset.concat([generate(2000, seed=11), published()], name="cohort")


@functools.cache
def reference(params: Params = Params()) -> pd.DataFrame:
    return evaluate(cohort(), params=params).frame


def assert_same(got: pd.DataFrame, want: pd.DataFrame, backend: str) -> None:
    """Same columns in the same order, same types, same values (null is null)."""
    assert list(got.columns) == list(want.columns), backend
    for c in want.columns:
        g, w = got[c], want[c]
        assert str(g.dtype) == str(w.dtype), f"{backend}: {c} is {g.dtype}, not {w.dtype}"
        gv = g.astype(object).where(g.notna(), None).tolist()
        wv = w.astype(object).where(w.notna(), None).tolist()
        bad = [i for i, (x, y) in enumerate(zip(gv, wv, strict=True)) if x != y]
        assert not bad, (
            f"{backend}: {c} differs for {len(bad)} patients, e.g. "
            f"{want['patient_id'].iloc[bad[0]]}: {gv[bad[0]]!r} instead of {wv[bad[0]]!r}"
        )


def test_the_cohort_holds_every_outcome_value() -> None:
    """The comparison means something: every criterion takes each of its values somewhere."""
    frame = reference()
    assert len(frame) > 2000
    for cid in ORDER:
        assert set(frame[cid]) == {"yes", "no", "not_evaluable"}, cid


@pytest.mark.postgres
def test_postgres_gives_the_duckdb_outcomes(postgres_backend: object) -> None:
    for params in (Params(), OTHER):
        got = evaluate(cohort(), params=params, backend=postgres_backend).frame
        assert_same(got, reference(params), "postgres")


@pytest.mark.spark
def test_a_local_spark_session_has_the_memory_it_was_given(spark_backend: Any) -> None:
    """The page size and heap that let a whole cohort's evaluation fit (``spark_session``)
    reach the Java runtime: both are read only when it starts."""
    session = spark_backend._session
    assert session.conf.get("spark.buffer.pageSize") == LOCAL_PAGE_SIZE
    want = local_driver_memory()
    if want is not None:
        heap = session.sparkContext._jvm.java.lang.Runtime.getRuntime().maxMemory()
        assert heap >= 0.8 * int(want.removesuffix("m")) * 2**20, (heap, want)


@pytest.mark.spark
def test_spark_reads_uploaded_tables_from_its_executors_not_from_the_plan(
    spark_backend: Any,
) -> None:
    """An uploaded table is read as stored rows (its optimised plan a ``LogicalRDD``), not as
    a ``LocalRelation`` whose rows every query would carry; it holds the dataset, and is gone
    once dropped."""
    ds = published()
    tables, created = upload(spark_backend, ds, None)
    session = spark_backend._session
    try:
        for name, table in tables.items():
            df = session.table(table.get_name())
            assert df._jdf.queryExecution().optimizedPlan().nodeName() == "LogicalRDD", name
            assert df.count() == len(ds.table(name)), name
    finally:
        drop(spark_backend, created)
    assert not any(session.catalog.tableExists(n) for n in created)


@pytest.mark.spark
def test_spark_gives_the_duckdb_outcomes(spark_backend: object) -> None:
    got = evaluate(cohort(), backend=spark_backend).frame
    assert_same(got, reference(), "spark")


def test_the_outcomes_in_arrow_are_the_frame_converted() -> None:
    """``Outcomes.arrow``, which the CSV writers take instead of the frame, is the frame as
    ``pa.Table.from_pandas`` converts it (types included): every criterion, a few with the
    core set's columns and without, in-process and through Ibis."""
    runs = (
        {},
        {"criteria": ("relapse", "tis")},
        {"criteria": ("imacs_doi", "full_strength_6m")},
        {"backend": ibis.duckdb.connect()},
    )
    for kwargs in runs:
        got = evaluate(cohort(), **kwargs)  # type: ignore[arg-type]
        assert got.arrow is not None
        want = pa.Table.from_pandas(got.frame, preserve_index=False)
        assert got.arrow.schema.remove_metadata() == want.schema.remove_metadata(), kwargs
        assert got.arrow.equals(want), kwargs


def test_duckdb_through_ibis_gives_the_same_outcomes() -> None:
    """The path every other backend takes (tables uploaded, derived tables cached), on DuckDB."""
    con = ibis.duckdb.connect()
    for params in (Params(), OTHER):
        assert_same(evaluate(cohort(), params=params, backend=con).frame, reference(params), "ibis")


def test_duckdb_beyond_its_memory_ceiling_gives_the_same_outcomes(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A ceiling too low for a statement: the statement runs again without it, same outcomes."""
    lifted: list[object] = []
    lift = engine._lift_ceiling
    monkeypatch.setattr(engine, "MEMORY_LIMIT", "1MB")
    monkeypatch.setattr(engine, "_lift_ceiling", lambda con: (lifted.append(con), lift(con)))
    assert_same(evaluate(cohort()).frame, reference(), "duckdb, 1 MB")
    assert len(lifted) >= 1


@pytest.mark.parametrize(
    ("setting", "seen"), [(None, "667.5 MiB"), ("64GB", "59.6 GiB"), (" 1.5gib ", "1.5 GiB")]
)
def test_duckdb_works_within_the_memory_the_variable_sets(
    monkeypatch: pytest.MonkeyPatch, setting: str | None, seen: str
) -> None:
    """``MYOTRACK_MEMORY_LIMIT`` (else 700 MB) is DuckDB's ceiling while the criteria run, as
    DuckDB reports its setting (700 MB = 667.5 MiB; units of 1000 and of 1024, any case)."""
    if setting is None:
        monkeypatch.delenv(engine.MEMORY_VARIABLE, raising=False)
    else:
        monkeypatch.setenv(engine.MEMORY_VARIABLE, setting)
    limits: list[str] = []
    load = engine._load

    def spy(con: Any, tables: dict[str, pa.Table], copy: bool) -> None:
        limits.append(con.execute("SELECT current_setting('memory_limit')").fetchall()[0][0])
        load(con, tables, copy)

    monkeypatch.setattr(engine, "_load", spy)
    evaluate(published(), criteria=["relapse"])
    assert limits == [seen]


@pytest.mark.parametrize("setting", ["12", "lots", "1G", "-1GB", "4 GB of it", "0x10MB"])
def test_a_memory_setting_that_is_not_a_size_is_refused_naming_the_variable(
    monkeypatch: pytest.MonkeyPatch, setting: str
) -> None:
    monkeypatch.setenv(engine.MEMORY_VARIABLE, setting)
    with pytest.raises(
        MyotrackError, match=rf"MYOTRACK_MEMORY_LIMIT='{re.escape(setting)}' is not a size"
    ):
        evaluate(published(), criteria=["relapse"])


def test_duckdb_copies_its_inputs_in_parts_and_frees_the_dataset_handed_over(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The input tables copied into DuckDB a few thousand rows at a time (compressed, with a
    checkpoint after each part), the dataset handed over freed before they are, the derived
    tables dropped after their last reader: the same outcomes."""
    make = lambda: Dataset.concat([generate(300, seed=11), published()], name="small")  # noqa: E731
    want = evaluate(make()).frame
    freed: list[bool] = []
    load = engine._load

    def spy(con: Any, tables: dict[str, pa.Table], copy: bool) -> None:
        gc.collect()
        freed.append(handed() is None)
        load(con, tables, copy)
        assert tables == {}  # each table is let go once copied

    monkeypatch.setattr(engine, "COPY_ABOVE", 0)
    monkeypatch.setattr(engine, "_BATCH", 2_000)
    monkeypatch.setattr(engine, "_load", spy)
    given = [make()]
    assert len(given[0].visits) > 3 * engine._BATCH  # copied in several parts
    handed = weakref.ref(given[0])
    assert_same(evaluate(given.pop(), handed_over=True).frame, want, "duckdb, copied in parts")
    assert freed == [True]


def test_duckdb_reads_the_tables_of_a_dataset_the_caller_keeps_in_place(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Not handed over, the dataset's tables are registered, not copied (the copy would only
    cost time: the dataset stays); handed over, they are copied (and let go)."""
    left: list[tuple[int, int]] = []
    load = engine._load

    def spy(con: Any, tables: dict[str, pa.Table], copy: bool) -> None:
        given = len(tables)
        load(con, tables, copy)
        left.append((given, len(tables)))

    monkeypatch.setattr(engine, "COPY_ABOVE", 0)
    monkeypatch.setattr(engine, "_load", spy)
    ds = Dataset.concat([generate(50, seed=3), published()], name="kept")
    kept = evaluate(ds).frame
    ((given, registered),) = left
    assert registered == given > 0  # every table registered, none copied
    assert_same(evaluate(ds, handed_over=True).frame, kept, "duckdb, copied")
    assert left[1] == (given, 0)


@pytest.mark.parametrize(
    "criteria", [tuple(ORDER), ("relapse",), ("refractory",), ("complete_remission", "tis")]
)
def test_a_derived_table_is_released_after_its_last_reader(criteria: tuple[str, ...]) -> None:
    """Released once, by the last derived table that reads it; never one that a later one,
    the core set or the outcomes read (they would fail); the rest are kept to the end."""
    pl = plan(criteria, Params())
    names = [n for n, _ in pl.tables]
    end = unbound_names([pl.outcomes] + ([pl.coreset] if pl.coreset is not None else []))
    released = [n for done in pl.released for n in done]
    assert len(released) == len(set(released))
    assert set(released) == set(names) - end
    for i, ((_, expr), done) in enumerate(zip(pl.tables, pl.released, strict=True)):
        later = unbound_names([e for _, e in pl.tables[i + 1 :]]) | end
        assert set(done) <= unbound_names([expr]) - later
    assert released, "a plan with nothing to release tests nothing"


def _contract_tables(con: object, ds: Dataset) -> dict[str, ibis.Table]:
    """The dataset's tables inside ``con`` as a database would hold them: the contract's columns,
    text patient ids, grades as written (the engine parses them), the order of entry given."""
    out = {}
    for name in ("patients", "visits", "strength", "treatments", "events"):
        frame = ds.table(name).copy()
        if name == "strength":
            frame = frame.drop(columns=[c for c in frame.columns if c.startswith("grade_")])
        if name == "treatments":
            frame["entry"] = np.arange(len(frame))
        keep = [c for c in frame.columns if c in schemas()[name]]
        table = pa.Table.from_pandas(frame[keep], preserve_index=False)
        table = pa.table(
            {
                c: col.cast(pa.string()) if pa.types.is_null(col.type) else col
                for c, col in zip(table.column_names, table.columns, strict=True)
            }
        )
        out[name] = con.create_table(f"contract_{name}", table, overwrite=True)  # type: ignore[attr-defined]
    return out


def test_evaluate_tables_reads_tables_already_in_duckdb() -> None:
    con = ibis.duckdb.connect()
    got = evaluate_tables(con, _contract_tables(con, cohort())).frame
    want = reference().sort_values("patient_id", kind="stable").reset_index(drop=True)
    assert_same(got, want, "evaluate_tables")


@pytest.mark.postgres
def test_evaluate_tables_reads_tables_already_in_postgres(postgres_backend: object) -> None:
    ds = published()
    got = evaluate_tables(postgres_backend, _contract_tables(postgres_backend, ds)).frame
    want = evaluate(ds).frame.sort_values("patient_id", kind="stable").reset_index(drop=True)
    assert_same(got, want, "evaluate_tables on postgres")


# --- the columns loaded are the columns the criteria read ------------------------------------


def _duckdb(ds: Dataset, criteria: tuple[str, ...], all_columns: bool) -> pd.DataFrame:
    """The plan's SQL run on the dataset with the columns it reads (or with every column)."""
    pl = plan(criteria, Params())
    con = connect()
    try:
        for name, table in arrow_tables(ds, None if all_columns else pl.columns).items():
            con.register(name, table)
        for name, sql in pl.prepared:
            con.execute(f'CREATE TEMP TABLE "{name}" AS {sql}')
        out: pd.DataFrame = (
            con.sql(pl.outcomes_sql).df().sort_values("patient_id").reset_index(drop=True)
        )
        return out
    finally:
        con.close()


@pytest.mark.parametrize("cid", [c for c in ORDER if c not in ("tis", "imacs_doi")])
def test_every_column_a_criterion_reads_is_loaded(cid: str) -> None:
    """Each criterion alone, with only the columns its plan says it reads, gives what it gives
    with every column loaded: a column read but not loaded would be null and change it."""
    ds = Dataset.concat([generate(300, seed=5), published()])
    pruned = _duckdb(ds, (cid,), all_columns=False)
    full = _duckdb(ds, (cid,), all_columns=True)
    pd.testing.assert_frame_equal(pruned, full)
    loaded = plan((cid,), Params()).columns
    assert sum(map(len, loaded.values())) < sum(map(len, schemas().values())), "nothing pruned"


def test_core_set_columns_are_loaded() -> None:
    pl = plan(("tis", "imacs_doi"), Params())
    for c in ("physician_global", "patient_global", "mmt8", "haq", "extramuscular_global"):
        assert c in pl.columns["visits"]
    for e in ("ck", "aldolase", "ldh", "alt", "ast"):
        assert {e, f"{e}_uln"} <= pl.columns["visits"]


def test_columns_are_followed_through_filters_joins_and_renames() -> None:
    t = ibis.table({"patient_id": "int64", "x": "string", "k": "int64", "w": "boolean"}, name="t")
    u = ibis.table({"patient_id": "int64", "y": "string", "z": "float64"}, name="u")
    f = t.filter(t.w)
    agg = f.group_by("patient_id").aggregate(top=f.x.max())
    j = agg.left_join(u.select("patient_id", renamed="y"), "patient_id")
    assert read_columns([j]) == {"t": {"patient_id", "w", "x"}, "u": {"patient_id", "y"}}
    # DISTINCT reads every column it keeps
    d = u.select("patient_id", "z").distinct().count().as_table()
    assert read_columns([d]) == {"u": {"patient_id", "z"}}


def test_stored_relapse_rows_hold_what_a_candidate_carries() -> None:
    """Where the candidates are filtered from stored rows (no lists of structs: PostgreSQL,
    Spark), the stored table holds the assessments with what a candidate carries and the
    conditions, not every assessment column (the others would be written and never read)."""
    from myotrack.criteria.relapse import _CANDIDATE

    pl = plan(("relapse",), Params(), "postgres")
    rows = dict(pl.tables)["relapse_rows"]
    assert set(rows.columns) == {"patient_id", "c_after", "c_high", "c_open", *_CANDIDATE}
    assert not {"mrs", "prednisone_mg_day", "mrc_full", "upper_min"} & set(rows.columns)
