"""The contract tables inside an Ibis backend: loading a dataset, mapping ids, a Spark session.

The criteria read the tables with the engine's columns (:func:`prepare.schemas`) and an integer
patient key. :func:`upload` hands a :class:`~myotrack.tables.Dataset` to a backend (as the
engine's Arrow tables, keys included); :func:`keyed` turns tables that already live in a
backend, with the contract's columns and text patient ids, into the same form inside it.
"""

from __future__ import annotations

import io
import uuid
from collections.abc import Callable, Collection, Mapping
from typing import Any

import ibis
import ibis.expr.datatypes as dt
import ibis.expr.types as ir
import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv

from myotrack.criteria.prepare import arrow_tables, schemas
from myotrack.errors import MyotrackError
from myotrack.measures.grades import parse_grade, upper_bounds
from myotrack.tables import Dataset
from myotrack.tables.database import row_order
from myotrack.tables.labs import LabError, LabValue, parse_lab
from myotrack.tables.schema import TABLES as CONTRACT
from myotrack.tables.spark import spark_session

__all__ = ["TABLES", "drop", "keyed", "spark_session", "store", "stored", "unique", "upload"]

#: The tables :func:`keyed` takes (observations are not read by the criteria).
TABLES = ("patients", "visits", "strength", "treatments", "events")


def unique(name: str) -> str:
    """A table name no other evaluation on the same connection uses."""
    return f"myotrack_{name}_{uuid.uuid4().hex[:12]}"


def _typed(table: pa.Table, name: str) -> pa.Table:
    """Columns left out by the column pruning (Arrow's null type) as nulls of the engine's type."""
    types = {"int64": pa.int64(), "float64": pa.float64(), "string": pa.string()}
    engine = schemas()[name]
    cols = [
        pa.nulls(len(table), types[engine[c]]) if pa.types.is_null(col.type) else col
        for c, col in zip(table.column_names, table.columns, strict=True)
    ]
    cols = [c.cast(c.type.value_type) if pa.types.is_dictionary(c.type) else c for c in cols]
    return pa.Table.from_arrays(cols, names=table.column_names)


def upload(
    con: Any, ds: Dataset, columns: Mapping[str, Collection[str]] | None = None
) -> tuple[dict[str, ir.Table], list[str]]:
    """The dataset's tables loaded into ``con`` under names of their own (dropped by the caller).

    Returns the tables by contract name, and the names created. PostgreSQL gets them by
    ``COPY`` (Ibis's own insert goes row by row), Spark as DataFrames from Arrow handed to its
    executors once (``localCheckpoint``), any other backend through Ibis's ``create_table``.

    Spark makes a DataFrame from Arrow a local relation: its rows are part of the plan of
    every query that reads it, sent to the executors again by each, and optimising a query
    over it works on those rows in the driver (the anchors of 10,000 synthetic patients:
    1.0-1.7 s, against 0.1-0.3 s over the stored rows). Stored once, the rows are read where
    they are (kept while the view is, then Spark's to clean up): at 10,000 patients the
    hand-written relapse + recovery query took 4.6 s instead of 7.3 s, the engine's
    evaluation of the two 12.7 s instead of 14.2 s (one run each).
    """
    out: dict[str, ir.Table] = {}
    created: list[str] = []
    for name, table in arrow_tables(ds, columns).items():
        data = _typed(table, name)
        uname = unique(name)
        if con.name == "postgres":
            out[name] = _copy_postgres(con, uname, data)
        elif con.name == "pyspark":
            from ibis.backends.pyspark.datatypes import PySparkSchema

            spark_schema = PySparkSchema.from_ibis(_schema(name))
            df = con._session.createDataFrame(data, schema=spark_schema)
            df = df.localCheckpoint(eager=True)
            df.createOrReplaceTempView(uname)
            out[name] = con.table(uname)
        else:
            out[name] = con.create_table(uname, data, temp=True)
        created.append(uname)
    return out, created


def _copy_postgres(con: Any, name: str, data: pa.Table) -> ir.Table:
    t = con.create_table(name, schema=_schema(_contract(name)), temp=True)
    buf = io.BytesIO()
    # every valid value quoted: an empty text stays '' and only a null is left empty (NULL)
    pacsv.write_csv(data, buf, pacsv.WriteOptions(include_header=False, quoting_style="all_valid"))
    cols = ", ".join(f'"{c}"' for c in data.column_names)
    with con.con.cursor() as cur, cur.copy(f'COPY "{name}" ({cols}) FROM STDIN (FORMAT csv)') as cp:
        cp.write(buf.getvalue())
    con.con.commit()
    return stored(con, t)


def _schema(name: str) -> ibis.Schema:
    return ibis.schema({c: dt.dtype(t) for c, t in schemas()[name].items()})


def _contract(uname: str) -> str:
    return uname.split("_")[1]


def store(con: Any, expr: ir.Table) -> tuple[ir.Table, Callable[[], None]]:
    """``expr`` computed once and stored in ``con`` for the later queries of an evaluation.

    Returns the stored table and the call that releases it. Spark: the rows are computed
    (``localCheckpoint``) and a later query reads them as a table of its own, not as the plan
    that made them: Spark analyses a cached DataFrame's whole plan again in every query that
    reads it (several times in a query that reads it more than once), which cost seconds per
    query. Elsewhere Ibis's ``cache`` (a temporary table; on PostgreSQL analysed).
    """
    if con.name == "pyspark":
        # the in-memory tables it reads, registered as Ibis does before it runs a query: no
        # public call does only this; ibis is pinned to 12.x (pyproject), and a change would
        # fail loudly (AttributeError) in the Spark tests, never silently
        con._run_pre_execute_hooks(expr)
        df = con._session.sql(con.compile(expr)).localCheckpoint(eager=True)
        name = unique("stored")
        df.createOrReplaceTempView(name)

        def release() -> None:
            # only the view: Spark frees a local checkpoint's rows once its JVM has collected
            # the plan holding them (``DataFrame.unpersist`` frees nothing of it)
            con._session.catalog.dropTempView(name)

        return con.table(name), release
    t = expr.cache()
    return stored(con, t), t.release


def stored(con: Any, table: ir.Table) -> ir.Table:
    """``table`` (just stored by the engine) ready to be read: PostgreSQL never analyses a
    temporary table by itself, and without statistics it plans joins over them as if empty."""
    if con.name == "postgres":
        with con.con.cursor() as cur:
            cur.execute(f'ANALYZE "{table.get_name()}"')
        con.con.commit()
    return table


def drop(con: Any, names: Collection[str]) -> None:
    """Drop the tables :func:`upload` created."""
    for n in names:
        if con.name == "pyspark":
            con._session.catalog.dropTempView(n)
        else:
            con.drop_table(n, force=True)


def keyed(con: Any, tables: Mapping[str, ir.Table]) -> tuple[dict[str, ir.Table], ir.Table]:
    """Tables with the contract's columns and text ids as the engine reads them, in the backend.

    ``patients`` is required; any other table may be absent (then empty). A column the engine
    reads and a table lacks is null (unknown). Each patient gets an integer key (its place in
    the order of the ids); ``strength`` grades are parsed by the same grammar as the readers'
    (the distinct grades are read, parsed here and joined back); ``treatments.entry`` (order of
    entry, breaking ties between courses started the same day) is taken from the table when it
    has it, else the courses' order as :func:`myotrack.tables.database.read_database` reads
    them (patient, start day, line, drug, then every other column).

    Returns the tables by contract name and the patients' ids by key (``pid``, ``key``; cached:
    the caller releases it).
    """
    if "patients" not in tables:
        raise MyotrackError("evaluate_tables needs a 'patients' table")
    unknown = set(tables) - set(TABLES) - {"observations"}
    if unknown:
        raise MyotrackError(
            f"evaluate_tables takes the tables {', '.join(TABLES)}; not {', '.join(sorted(unknown))}"
        )
    engine = schemas()
    pt = tables["patients"]
    if "patient_id" not in pt.columns:
        raise MyotrackError("the patients table has no 'patient_id' column")
    ids = pt.select(pid=pt.patient_id.cast("string")).distinct()
    ids = ids.mutate(key=ibis.row_number().over(order_by=ids.pid).cast("int64"))
    # the in-memory tables the patients read (an OMOP extract's codes), registered first:
    # Ibis's cache does not register them on Spark
    con._run_pre_execute_hooks(ids)
    ids = ids.cache()
    out: dict[str, ir.Table] = {}
    for name in TABLES:
        cols = engine[name]
        t = tables.get(name)
        if t is None:
            out[name] = ibis.memtable(
                pa.table({c: pa.array([], type=_pa_type(k)) for c, k in cols.items()})
            )
            continue
        if "patient_id" not in t.columns:
            raise MyotrackError(f"the {name} table has no 'patient_id' column")
        if name == "strength":
            t = _graded(con, t)
        if name == "visits":
            t = _labs(con, t, cols)
        if name == "treatments" and "entry" not in t.columns:
            # the order in which read_database gives the courses (by the contract's columns)
            order = row_order(name, [c for c in t.columns if c in CONTRACT[name].names])
            t = t.mutate(entry=ibis.row_number().over(order_by=order))
        j = t.inner_join(ids, t.patient_id.cast("string") == ids.pid)
        values = {
            c: (j.key if c == "patient_id" else j[c].cast(k) if c in t.columns else ibis.null(k))
            for c, k in cols.items()
        }
        out[name] = j.select(**values)
    return out, ids


def _pa_type(kind: str) -> pa.DataType:
    return {"int64": pa.int64(), "float64": pa.float64()}.get(kind, pa.string())


def _labs(con: Any, t: ir.Table, engine: Mapping[str, str]) -> ir.Table:
    """``t`` with each laboratory column the engine reads that is written as text ('<200',
    '4,500', 'normal'; an OMOP extract writes a value with its operator) read by the readers'
    grammar (:func:`myotrack.tables.labs.parse_lab`): the distinct texts are read, parsed here
    and joined back as the number and, where the engine reads them, ``<lab>_bound`` and
    ``<lab>_state``. A column of numbers is taken as it is."""
    labs = [
        c.name
        for c in CONTRACT["visits"].columns
        if c.kind == "lab"
        and c.name in engine
        and c.name in t.columns
        and t[c.name].type().is_string()
        and f"{c.name}_bound" not in t.columns
    ]
    for name in labs:
        written = t[name].strip()
        texts = con.to_pyarrow(t.select(v=written).distinct())["v"].to_pylist()
        texts = sorted(v for v in texts if v)
        values: list[LabValue] = []
        for v in texts:
            try:
                values.append(parse_lab(v))
            except LabError as err:
                raise MyotrackError(f"visits.{name}: {err}") from err
        parsed = {
            f"{name}__text": pa.array(texts, type=pa.string()),
            f"{name}__value": pa.array([v.value for v in values], type=pa.float64()),
            f"{name}__bound": pa.array([v.bound for v in values], type=pa.string()),
            f"{name}__state": pa.array([v.state for v in values], type=pa.string()),
        }
        lookup = ibis.memtable(pa.table(parsed))
        j = t.left_join(lookup, written == lookup[f"{name}__text"])
        read = {name: j[f"{name}__value"]}
        read |= {
            f"{name}_{k}": j[f"{name}__{k}"] for k in ("bound", "state") if f"{name}_{k}" in engine
        }
        t = j.select(*[c for c in t.columns if c != name], **read)
    return t


#: The columns parsed from ``strength.grade`` (the readers' names).
GRADE_COLUMNS = ("grade_whole", "grade_kendall", "grade_value", "grade_high", "grade_kendall_high")


def _graded(con: Any, t: ir.Table) -> ir.Table:
    """``t`` with the grade columns the engine reads, parsed from ``grade`` where absent."""
    if all(c in t.columns for c in GRADE_COLUMNS) or "grade" not in t.columns:
        return t
    texts = con.to_pyarrow(t.select(g=t.grade.cast("string")).distinct())["g"].to_pylist()
    texts = sorted(str(g).strip() for g in texts if g is not None and str(g).strip())
    whole, kendall, value = [], [], []
    for g in texts:
        try:
            parsed = parse_grade(g)
        except ValueError as err:
            raise MyotrackError(f"strength.grade {g!r} is outside the MRC scale: {err}") from err
        whole.append(parsed.whole)
        kendall.append(parsed.kendall)
        value.append(parsed.value)
    w, k, v = (np.asarray(x, dtype=np.float64) for x in (whole, kendall, value))
    high, kendall_high = upper_bounds(np.asarray(texts, dtype=object), w, k, v)
    lookup = ibis.memtable(
        pa.table(
            {
                "g_text": pa.array(texts, type=pa.string()),
                "grade_whole": pa.array(w.astype(np.int64)),
                "grade_kendall": pa.array(k.astype(np.int64)),
                "grade_value": pa.array(v),
                "grade_high": pa.array(high.astype(np.int64)),
                "grade_kendall_high": pa.array(kendall_high.astype(np.int64)),
            }
        )
    )
    j = t.left_join(lookup, t.grade.cast("string").strip() == lookup.g_text)
    keep = [c for c in t.columns if c not in GRADE_COLUMNS]
    return j.select(*keep, *GRADE_COLUMNS)
