"""The criteria engine: every criterion as Ibis expressions, executed by an Ibis backend.

DuckDB in-process by default (its connection never installs or loads extensions, so nothing
is ever downloaded); PostgreSQL, Spark or another Ibis backend where the data live
(:func:`evaluate` with ``backend=``, :func:`evaluate_tables`). One implementation serves one
patient (a web page) and a hundred thousand (benchmarks).
"""

from __future__ import annotations

import atexit
import dataclasses
import functools
import os
import pickle
import re
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import duckdb
import ibis
import ibis.expr.operations as ops
import ibis.expr.types as ir
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from myotrack.criteria import (
    ck,
    coreset,
    plans,
    portable,
    recovery,
    refractory,
    relapse,
    remission,
    response,
    rtx,
)
from myotrack.criteria.backends import drop, keyed, store, upload
from myotrack.criteria.base import NE, Criterion, Params
from myotrack.criteria.portable import normalise
from myotrack.criteria.prepare import arrow_tables, build_context, prepared, schemas
from myotrack.criteria.reads import read_columns, unbound_names
from myotrack.errors import MyotrackError, UnknownCriterion
from myotrack.tables import Dataset
from myotrack.tables.io import local_duckdb

_MODULES = (refractory, response, rtx, recovery, relapse, remission, ck, coreset)

#: Every criterion by id, in the order of the outcomes table.
CRITERIA: dict[str, Criterion] = {c.id: c for m in _MODULES for c in m.CRITERIA}
ORDER = (
    "refractory",
    "definite_response",
    "rtx_response",
    "favourable_recovery_6m",
    "favourable_recovery_12m",
    "relapse",
    "complete_remission",
    "full_strength_3m",
    "full_strength_6m",
    "full_strength_12m",
    "full_strength_last",
    "ck_normalisation",
    "tis",
    "imacs_doi",
)
assert set(ORDER) == set(CRITERIA), "every criterion has a place in the outcomes table"


def connect() -> duckdb.DuckDBPyConnection:
    """An in-process DuckDB connection that never installs or loads extensions."""
    return local_duckdb()


#: DuckDB's working memory in an evaluation of :func:`evaluate`, unless
#: :data:`MEMORY_VARIABLE` sets another: beyond it, its temporary tables and the intermediate
#: results of joins, aggregates and sorts go to a temporary folder on disk (removed after). A
#: 100,000-patient cohort's outcomes query would otherwise take some 1.7 GB on top of the
#: tables. A statement that cannot run within it (DuckDB cannot spill every operator) is run
#: again without the ceiling: a large cohort costs memory, not an error.
MEMORY_LIMIT = "700MB"

#: The environment variable that sets DuckDB's working memory (a machine with memory to spare
#: spills less: at 5 million visit rows the relapse tables take 1-2 s within 4 GB, 2-6 s
#: within 700 MB).
MEMORY_VARIABLE = "MYOTRACK_MEMORY_LIMIT"

#: A size as DuckDB reads one: a number and a unit of 1000 (KB ... TB) or 1024 (KiB ... TiB)
_SIZE = re.compile(r"\d+(\.\d+)?\s*[kmgt]i?b", re.IGNORECASE)

_T = TypeVar("_T")


def memory_limit() -> str:
    """DuckDB's working memory for an evaluation: :data:`MEMORY_VARIABLE` when set (a size:
    ``4GB``, ``1.5GiB``), else :data:`MEMORY_LIMIT`."""
    value = os.environ.get(MEMORY_VARIABLE, "").strip()
    if not value:
        return MEMORY_LIMIT
    if not _SIZE.fullmatch(value):
        raise MyotrackError(
            f"{MEMORY_VARIABLE}={value!r} is not a size: write a number and a unit, "
            f"such as 700MB, 4GB or 1.5GiB"
        )
    return value


def _ceiling(con: duckdb.DuckDBPyConnection, folder: str, limit: str) -> None:
    """Spill to ``folder`` beyond ``limit`` (documented DuckDB settings)."""
    con.execute("SET temp_directory = '{}'".format(folder.replace("'", "''")))
    con.execute(f"SET memory_limit = '{limit}'")


def _lift_ceiling(con: duckdb.DuckDBPyConnection) -> None:
    con.execute("RESET memory_limit")  # DuckDB's default: most of the machine's memory


def _within_memory(con: duckdb.DuckDBPyConnection, run: Callable[[], _T]) -> _T:
    """``run()``; once more without the memory ceiling if DuckDB runs out of memory (a failed
    statement changes nothing: each runs in a transaction of its own)."""
    try:
        return run()
    except duckdb.OutOfMemoryException:
        _lift_ceiling(con)
        return run()


def _close(con: duckdb.DuckDBPyConnection, spill: tempfile.TemporaryDirectory[str]) -> None:
    con.close()
    spill.cleanup()


@dataclass(frozen=True)
class Plan:
    """Every requested criterion as Ibis expressions on unbound tables, for one backend.

    ``tables``: derived tables stored first, in order (each may read the ones before);
    ``outcomes``: every criterion's part left-joined to the patients (one row per patient, in no
    particular order); ``coreset``: the core set pairs, scored in Python; ``columns``: per input
    table, the columns the plan reads (only those are loaded), read from the expressions
    (:func:`myotrack.criteria.reads.read_columns`); ``released``: per derived table, in the
    same order, the derived tables that no later one, nor the core set or the outcomes, reads
    (freed once it is stored). For DuckDB the same compiled to SQL once:
    ``prepared`` (name, SQL), ``outcomes_sql``, ``coreset_sql``. See docs/engine.md.
    """

    backend: str
    params: Params
    tables: tuple[tuple[str, ir.Table], ...]
    outcomes: ir.Table
    coreset: ir.Table | None
    criteria: tuple[str, ...]
    columns: dict[str, frozenset[str]]
    released: tuple[tuple[str, ...], ...] = ()
    prepared: tuple[tuple[str, str], ...] = ()
    outcomes_sql: str = ""
    coreset_sql: str | None = None


#: Backends whose plans are compiled to SQL once (then run as text on each evaluation).
SQL_BACKENDS = ("duckdb", "postgres")


def _sql(expr: ir.Table, dialect: str = "duckdb") -> str:
    return str(ibis.to_sql(expr, dialect=dialect))


def _outcomes(patients: ir.Table, parts: list[ir.Table]) -> ir.Table:
    """One table: every part (one row per patient at most) left-joined to the patients.

    Rows come in no particular order: sorting 100,000 wide rows in DuckDB costs more than
    putting them in the patients' order afterwards (:func:`_finish`).
    """
    pt = patients.select("patient_id")
    j = pt
    for part in parts:
        j = j.left_join(part, pt.patient_id == part.patient_id)
    return j.select(
        pt.patient_id, *[part[c] for part in parts for c in part.columns if c != "patient_id"]
    )


@functools.lru_cache(maxsize=64)
def plan(criteria: tuple[str, ...], params: Params, backend: str = "duckdb") -> Plan:
    """Build every requested criterion for ``backend`` (an Ibis backend's name) (cached)."""
    for cid in criteria:
        if cid not in CRITERIA:
            raise UnknownCriterion(f"unknown criterion {cid!r}; known: {', '.join(ORDER)}")
    with portable.building(backend):
        return _plan(criteria, params, backend)


def _plan(criteria: tuple[str, ...], params: Params, backend: str) -> Plan:
    wanted = set(criteria)
    derived = prepared(params)
    ctx = build_context(params, derived)
    parts: list[ir.Table] = []

    staged: list[tuple[str, ir.Table]] = []
    if "refractory" in wanted:
        # stored: its join of every course pair with every worsening is the largest of the
        # plan, and done apart from the others it needs none of their memory
        (ref,) = refractory.build(ctx)
        staged.append(("refractory_out", ref))
        parts.append(ibis.table(ref.schema(), name="refractory_out"))
    if "definite_response" in wanted:
        parts += response.build(ctx)
    if "rtx_response" in wanted:
        parts += rtx.build(ctx)
    parts += recovery.build(ctx, wanted)
    if wanted & {"relapse", "complete_remission"}:
        rows: ir.Table | None = None
        if not portable.row_lists():
            # the candidates are filtered from the stored rows instead of kept in a list
            r = relapse.rows(ctx)
            staged.append(("relapse_rows", r))
            rows = ibis.table(r.schema(), name="relapse_rows")
        # stored: read twice (for the comparisons and for the candidates' baselines)
        per = relapse.compared(ctx, rows)
        staged.append(("relapse_per", per))
        per_t = ibis.table(per.schema(), name="relapse_per")
        rel = relapse.build(ctx, per_t, rows)[0]
        staged.append(("relapse_out", rel))
        rel_t = ibis.table(rel.schema(), name="relapse_out")
        if "relapse" in wanted:
            parts.append(rel_t)
        if "complete_remission" in wanted:
            parts += remission.build(ctx, rel_t)
    if "ck_normalisation" in wanted:
        parts += ck.build(ctx)
    core = coreset.pairs(ctx) if wanted & {"tis", "imacs_doi"} else None
    outcomes = _outcomes(ctx.patients, parts)
    end: list[ir.Table] = [outcomes] + ([core] if core is not None else [])
    later = [e for _, e in staged] + end
    # a derived table is stored only when a later query, or a later derived table, reads it
    kept: list[tuple[str, ir.Table]] = []
    for name, expr in reversed(list(derived.items())):
        if name in unbound_names(later + [e for _, e in kept]):
            kept.insert(0, (name, expr))
    tables = tuple(kept) + tuple(staged)
    reads = read_columns([e for _, e in tables] + later)
    engine = schemas()
    columns = {
        t: frozenset(c for c in cols if c in reads.get(t, ()) or c == "patient_id")
        for t, cols in engine.items()
    }
    pl = Plan(
        backend,
        params,
        tables,
        outcomes,
        core,
        tuple(c for c in ORDER if c in wanted),
        columns,
        _released(tables, end),
    )
    if backend in SQL_BACKENDS:
        pl = dataclasses.replace(
            pl,
            prepared=tuple((name, _sql(e, backend)) for name, e in tables),
            outcomes_sql=_sql(outcomes, backend),
            coreset_sql=None if core is None else _sql(core, backend),
        )
    return pl


def _released(
    tables: tuple[tuple[str, ir.Table], ...], last_read: list[ir.Table]
) -> tuple[tuple[str, ...], ...]:
    """Per derived table, the derived tables read for the last time by it (see :class:`Plan`):
    a table read by the core set or the outcomes is kept to the end."""
    names = {name for name, _ in tables}
    last: dict[str, int] = {}
    for i, (_, expr) in enumerate(tables):
        for name in unbound_names([expr]) & names:
            last[name] = i
    for name in unbound_names(last_read) & names:
        last[name] = len(tables)
    return tuple(tuple(n for n, _ in tables if last.get(n) == i) for i in range(len(tables)))


@dataclass(frozen=True)
class Compiled:
    """A plan compiled to DuckDB SQL: all that :func:`evaluate` runs (plain values, so that
    another process can compile it: :func:`compile_ahead`)."""

    criteria: tuple[str, ...]
    columns: dict[str, frozenset[str]]
    released: tuple[tuple[str, ...], ...]
    prepared: tuple[tuple[str, str], ...]
    outcomes_sql: str
    coreset_sql: str | None


def compile_sql(criteria: tuple[str, ...], params: Params) -> Compiled:
    """The DuckDB plan of ``criteria`` as text (the plan is built and cached: :func:`plan`)."""
    pl = plan(criteria, params)
    return Compiled(
        pl.criteria, pl.columns, pl.released, pl.prepared, pl.outcomes_sql, pl.coreset_sql
    )


#: The file in which the compiler's process writes the plan, in a temporary folder of its own.
_PLAN_FILE = "plan.pickle"


@dataclass
class _Ahead:
    """A compiler process and the folder it writes the plan into."""

    worker: subprocess.Popen[bytes]
    folder: Path

    @property
    def plan_file(self) -> Path:
        return self.folder / _PLAN_FILE

    def close(self, stop: bool = False) -> None:
        if stop and self.worker.poll() is None:
            self.worker.kill()
        self.worker.wait()
        shutil.rmtree(self.folder, ignore_errors=True)


#: Plans being compiled in a process of their own (:func:`compile_ahead`), by criteria and
#: parameters.
_AHEAD: dict[tuple[tuple[str, ...], Params], _Ahead] = {}


def compile_ahead(criteria: Iterable[str] | None = None, params: Params | None = None) -> None:
    """Compile the DuckDB plan of an evaluation to come in a process of its own, now.

    Building and compiling every criterion takes some 3 s of Python; a caller about to read a
    large source (the ``outcomes`` command) starts it first, so that it runs beside the read
    on a second core, and the :func:`evaluate` that follows takes it. The process is this
    Python running :mod:`myotrack.criteria.ahead` with ``-P`` (no folder of the caller's, the
    current one included, is searched for modules); it is sent the criteria and parameters,
    writes the plan's text to a file of a temporary folder and ends. If it fails or dies, or
    what it wrote cannot be read, :func:`evaluate` compiles the plan itself; a plan nobody took
    is removed, and a process still running stopped, when this process ends.
    """
    p = params or Params()
    key = (tuple(ORDER) if criteria is None else tuple(criteria), p)
    if key in _AHEAD or any(cid not in CRITERIA for cid in key[0]):
        return  # an unknown criterion is named by evaluate
    if _kept(*key) is not None:
        return  # compiled by an earlier process
    folder = Path(tempfile.mkdtemp(prefix="myotrack-plan-"))
    try:
        worker = subprocess.Popen(
            [sys.executable, "-P", "-m", "myotrack.criteria.ahead", str(folder / _PLAN_FILE)],
            stdin=subprocess.PIPE,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
    except OSError:  # no process to be had: evaluate compiles the plan
        shutil.rmtree(folder, ignore_errors=True)
        return
    ahead = _Ahead(worker, folder)
    assert worker.stdin is not None
    try:
        worker.stdin.write(pickle.dumps(key))
        worker.stdin.close()
    except OSError:  # it ended at once
        ahead.close(stop=True)
        return
    _AHEAD[key] = ahead


@atexit.register
def _stop_ahead() -> None:
    while _AHEAD:
        _, ahead = _AHEAD.popitem()
        ahead.close(stop=True)


def _compiled(criteria: tuple[str, ...], params: Params) -> Compiled:
    """The compiled plan: from :func:`compile_ahead`'s process when one was started (and kept
    in the cache), else :func:`_kept_or_compiled`."""
    ahead = _AHEAD.pop((criteria, params), None)
    got = None if ahead is None else _taken(ahead)
    if got is None:
        return _kept_or_compiled(criteria, params)
    plans.save(plans.key(criteria, params), _as_json(got))
    return got


@functools.lru_cache(maxsize=64)
def _kept_or_compiled(criteria: tuple[str, ...], params: Params) -> Compiled:
    """The plan from the cache (:mod:`myotrack.criteria.plans`), else compiled here and kept
    there; once per process (a server's later evaluations read no file)."""
    got = _kept(criteria, params)
    if got is None:
        got = compile_sql(criteria, params)
        plans.save(plans.key(criteria, params), _as_json(got))
    return got


def _taken(ahead: _Ahead) -> Compiled | None:
    """What the compiler's process wrote, if it ended well and wrote a plan; it is gone after."""
    try:
        if ahead.worker.wait() == 0:
            got = pickle.loads(ahead.plan_file.read_bytes())  # written by our own child
            if isinstance(got, Compiled):
                return got
    except Exception:  # nothing usable: compiled here, which says what is wrong
        pass
    finally:
        ahead.close(stop=True)
    return None


def _kept(criteria: tuple[str, ...], params: Params) -> Compiled | None:
    """The plan in the cache, if one is kept and has a plan's shape (else None: compiled)."""
    got = plans.load(plans.key(criteria, params))
    if got is None:
        return None
    try:
        compiled = Compiled(
            _texts(got["criteria"]),
            {_text(t): frozenset(_texts(cols)) for t, cols in got["columns"].items()},
            tuple(_texts(names) for names in got["released"]),
            tuple((_text(name), _text(sql)) for name, sql in got["prepared"]),
            _text(got["outcomes_sql"]),
            None if got["coreset_sql"] is None else _text(got["coreset_sql"]),
        )
    except (KeyError, TypeError, ValueError, AttributeError):
        return None
    whole = len(compiled.released) == len(compiled.prepared)  # one entry per derived table
    return compiled if whole and compiled.criteria == criteria else None


def _text(value: object) -> str:
    if not isinstance(value, str):
        raise TypeError(f"not a text: {value!r}")
    return value


def _texts(values: object) -> tuple[str, ...]:
    if not isinstance(values, list):
        raise TypeError(f"not a list: {values!r}")
    return tuple(_text(v) for v in values)


def _as_json(compiled: Compiled) -> dict[str, Any]:
    """The plan as plain JSON values (read back by :func:`_kept`)."""
    return {
        "criteria": list(compiled.criteria),
        "columns": {t: sorted(cols) for t, cols in compiled.columns.items()},
        "released": [list(names) for names in compiled.released],
        "prepared": [list(pair) for pair in compiled.prepared],
        "outcomes_sql": compiled.outcomes_sql,
        "coreset_sql": compiled.coreset_sql,
    }


@dataclass(frozen=True)
class Outcomes:
    """The outcomes table: one row per patient, a column per criterion, detail columns after.

    ``arrow``: the same table in Arrow, as ``pa.Table.from_pandas(frame, preserve_index=False)``
    gives it, when the engine made the outcomes (None otherwise): the CSV writers take it
    instead of converting every text again. It is the frame as returned; a caller that changes
    ``frame`` uses ``frame`` alone.
    """

    frame: pd.DataFrame
    criteria: tuple[str, ...]
    arrow: pa.Table | None = dataclasses.field(default=None, repr=False, compare=False)

    def why(self, patient_id: str) -> dict[str, dict[str, object]]:
        """For one patient: per criterion, its value, reason, deciding rows and details."""
        row = self.frame[self.frame["patient_id"] == patient_id]
        if row.empty:
            raise KeyError(patient_id)
        r = row.iloc[0]
        result: dict[str, dict[str, object]] = {}
        for cid in self.criteria:
            details = {
                c.split("__", 1)[1]: _plain(r[c])
                for c in self.frame.columns
                if c.startswith(cid + "__")
            }
            result[cid] = {"value": r[cid], **details}
        return result

    def counts(self) -> pd.DataFrame:
        """yes / no / not_evaluable counts per criterion."""
        rows = []
        for cid in self.criteria:
            vc = self.frame[cid].value_counts()
            rows.append({"criterion": cid, **{k: int(vc.get(k, 0)) for k in ("yes", "no", NE)}})
        return pd.DataFrame(rows)


def _plain(v: object) -> object:
    if v is None or v is pd.NA or (isinstance(v, float) and pd.isna(v)):
        return None
    if hasattr(v, "item"):
        return v.item()  # numpy scalar
    return v


def evaluate(
    ds: Dataset,
    criteria: Iterable[str] | None = None,
    params: Params | None = None,
    ids: Iterable[str] | None = None,
    backend: Any = None,
    *,
    handed_over: bool = False,
) -> Outcomes:
    """Evaluate criteria for every patient of ``ds`` (or the patients ``ids``).

    ``backend``: an Ibis connection (``ibis.postgres.connect(...)``, ``ibis.pyspark.connect(
    spark_session())``, ``ibis.duckdb.connect()``) to run the criteria in; the dataset's tables
    are loaded into it under names of their own for the evaluation and dropped after. Default:
    a private in-process DuckDB.

    ``handed_over``: the caller keeps no other reference to ``ds`` (``evaluate(read_source(
    path), handed_over=True)``), so that the in-process DuckDB copies a large cohort's tables
    (compressed) and the dataset is freed while the criteria run: less memory, some time
    more. Otherwise DuckDB reads the dataset's tables where they are. The in-process DuckDB
    works within :func:`memory_limit` (``MYOTRACK_MEMORY_LIMIT``, else 700 MB).
    """
    if ids is not None:
        ds = ds.subset(ids)
    p = params or Params()
    wanted = tuple(ORDER) if criteria is None else tuple(criteria)
    if backend is not None:
        pl = plan(wanted, p, backend.name)
        tables, created = upload(backend, ds, pl.columns)
        try:
            keys = pd.Series(np.arange(len(ds.patients)))
            return _run(backend, pl, tables, keys, ds.patients["patient_id"].to_numpy(dtype=object))
        finally:
            drop(backend, created)
    limit = memory_limit()
    compiled = _compiled(wanted, p)
    patient_ids = ds.patients["patient_id"].to_numpy(dtype=object)
    keys = pd.Series(np.arange(len(patient_ids)))
    inputs = arrow_tables(ds, compiled.columns)
    # from here on only the Arrow tables: a dataset handed over (``handed_over``) is freed as
    # its tables are copied into DuckDB
    del ds
    con = connect()
    spill = tempfile.TemporaryDirectory(prefix="myotrack-engine-")
    # one worker per evaluation: scores the core set while DuckDB (which releases the GIL) runs
    # the outcomes query, and closes the connection while the results are converted
    pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="myotrack-engine")
    scoring: Future[pd.DataFrame] | None = None
    try:
        _ceiling(con, spill.name, limit)
        _within_memory(con, functools.partial(_load, con, inputs, copy=handed_over))
        for (name, sql), done in zip(compiled.prepared, compiled.released, strict=True):
            stored = f'CREATE TEMP TABLE "{name}" AS {sql}'
            _within_memory(con, functools.partial(con.execute, stored))
            for read in done:  # its memory is the later queries'
                con.execute(f'DROP TABLE "{read}"')
        if compiled.coreset_sql is not None:
            coreset_sql = compiled.coreset_sql
            pairs = _within_memory(con, lambda: con.execute(coreset_sql).df())
            immuno = con.execute("SELECT patient_id FROM immuno").df()
            scoring = pool.submit(coreset.finish, pairs, immuno, keys, p)
        result = _within_memory(con, lambda: con.sql(compiled.outcomes_sql).to_arrow_table())
        core = scoring.result() if scoring is not None else None
    finally:
        if scoring is not None:
            scoring.cancel()
        # freeing a large cohort's tables takes a while: done while the results are converted
        pool.submit(_close, con, spill)
        pool.shutdown(wait=False)
    return _finish(result, core, compiled, patient_ids)


#: The in-memory database the engine's input tables are copied into, compressed (DuckDB's
#: documented in-memory compression, DuckDB 1.4 and later: ``ATTACH ':memory:' (COMPRESS)``,
#: applied at each ``CHECKPOINT``).
_INPUTS = "myotrack_inputs"

#: Rows copied (and compressed) at a time: DuckDB holds at most this many uncompressed.
_BATCH = 500_000

#: Input tables of a dataset handed over are read where they are below this many bytes in all
#: (Arrow's count), not copied: copying costs time (0.1 s at 10,000 synthetic patients, 1.5 s
#: at 100,000) and saves little memory below it.
COPY_ABOVE = 256 * 2**20


def _load(con: duckdb.DuckDBPyConnection, tables: dict[str, pa.Table], copy: bool) -> None:
    """The Arrow tables as tables of ``con`` under their names: registered (read in place)
    unless ``copy`` and :data:`COPY_ABOVE` bytes or more in all; else each copied into a
    compressed in-memory database of ``con`` and removed from ``tables`` once copied.

    The copies are compressed, so that DuckDB holds the input tables in a fraction of their
    Arrow size and within its memory ceiling, and the Arrow tables (with the dataset, if
    nothing else holds it) are freed one by one. The derived tables stay temporary tables (not
    compressed: each is read soon after it is made). Run again after an out-of-memory error,
    a table already copied is not copied again."""
    if not copy or sum(t.get_total_buffer_size() for t in tables.values()) < COPY_ABOVE:
        for name, table in tables.items():
            con.register(name, table)
        return
    if not con.execute(
        "SELECT 1 FROM duckdb_databases() WHERE database_name = ?", [_INPUTS]
    ).fetchall():
        con.execute(f"ATTACH ':memory:' AS {_INPUTS} (COMPRESS)")
        con.execute(f"USE {_INPUTS}")
    for name in list(tables):
        table = tables[name]
        for start in range(0, max(len(table), 1), _BATCH):
            con.register("myotrack_input", table.slice(start, _BATCH))
            try:
                if start == 0:
                    con.execute(f'CREATE OR REPLACE TABLE "{name}" AS FROM myotrack_input')
                else:
                    con.execute(f'INSERT INTO "{name}" FROM myotrack_input')
            finally:
                con.unregister("myotrack_input")
            con.execute(f"CHECKPOINT {_INPUTS}")
        del tables[name], table


def evaluate_tables(
    con: Any,
    tables: Mapping[str, ir.Table],
    criteria: Iterable[str] | None = None,
    params: Params | None = None,
) -> Outcomes:
    """Evaluate criteria on tables that already live in the backend ``con``.

    ``tables``: Ibis tables of ``con`` by contract name (``patients`` required; ``visits``,
    ``strength``, ``treatments``, ``events`` when there are any), with the contract's column
    names and text ``patient_id`` (see docs/engine.md). Nothing is fetched but the results (and
    the distinct strength grades, parsed by the readers' grammar). One row per patient, in the
    order of the ids.
    """
    p = params or Params()
    pl = plan(tuple(ORDER) if criteria is None else tuple(criteria), p, con.name)
    given, ids = keyed(con, tables)
    try:
        ordered = con.to_pyarrow(ids.order_by("key"))
        keys = pd.Series(ordered["key"].to_numpy())
        pids = ordered["pid"].to_numpy(zero_copy_only=False)
        if con.name == "postgres" and pl.prepared:
            return _run_sql(con, pl, given, keys, pids)
        return _run(con, pl, given, keys, pids)
    finally:
        ids.release()


def _run(
    con: Any, pl: Plan, given: Mapping[str, ir.Table], keys: pd.Series, patient_ids: np.ndarray
) -> Outcomes:
    """The plan run in ``con`` on ``given`` (the engine's tables there): derived tables stored
    (:func:`myotrack.criteria.backends.store`), each released once no later step reads it."""
    bound = dict(given)
    releases: dict[str, Callable[[], None]] = {}
    try:
        for (name, expr), done in zip(pl.tables, pl.released, strict=True):
            t, releases[name] = store(con, _bind(expr, bound))
            bound[name] = t
            for read in done:  # no later step reads it
                releases.pop(read)()
        core = None
        if pl.coreset is not None:
            pairs = _frame(con.to_pyarrow(_bind(pl.coreset, bound)))
            immuno = _frame(con.to_pyarrow(bound["immuno"].select("patient_id")))
            core = coreset.finish(pairs, immuno, keys, pl.params)
        result = con.to_pyarrow(_bind(pl.outcomes, bound))
    finally:
        for release in releases.values():
            release()
    return _finish(result, core, pl, patient_ids, keys)


def _run_sql(
    con: Any, pl: Plan, given: Mapping[str, ir.Table], keys: pd.Series, patient_ids: np.ndarray
) -> Outcomes:
    """The plan's SQL (compiled once per plan) run in PostgreSQL: the engine's tables and the
    derived ones stored as temporary tables under the plan's names (a session's own), in a
    transaction of their own or a savepoint of the caller's, dropped at the end. Compiling
    the plan's expressions on every evaluation would cost seconds; one patient's evaluation
    is then a few statements."""
    made: list[str] = []
    try:
        for name, table in given.items():
            _drop_temporary(con, [name])
            con.create_table(name, obj=table, temp=True)
            made.append(name)
            _analyse(con, name)
        for (name, sql), done in zip(pl.prepared, pl.released, strict=True):
            _drop_temporary(con, [name])
            with con.begin() as cur:
                cur.execute(f'CREATE TEMPORARY TABLE "{name}" AS {sql}')
            made.append(name)
            _analyse(con, name)
            _drop_temporary(con, done)  # no later step reads them
        core = None
        if pl.coreset is not None and pl.coreset_sql is not None:
            pairs = _frame(_fetch(con, pl.coreset_sql, pl.coreset.schema()))
            key = ibis.schema({"patient_id": dict(pl.tables)["immuno"].schema()["patient_id"]})
            immuno = _frame(_fetch(con, 'SELECT "patient_id" FROM "immuno"', key))
            core = coreset.finish(pairs, immuno, keys, pl.params)
        result = _fetch(con, pl.outcomes_sql, pl.outcomes.schema())
    finally:
        _drop_temporary(con, reversed(made))
    return _finish(result, core, pl, patient_ids, keys)


def _analyse(con: Any, name: str) -> None:
    """Statistics for a temporary table (PostgreSQL never gathers them by itself)."""
    with con.begin() as cur:
        cur.execute(f'ANALYZE "{name}"')


def _drop_temporary(con: Any, names: Iterable[str]) -> None:
    with con.begin() as cur:
        for name in names:
            cur.execute(f'DROP TABLE IF EXISTS pg_temp."{name}"')


def _fetch(con: Any, sql: str, schema: ibis.Schema) -> pa.Table:
    """The rows of ``sql`` as an Arrow table of ``schema``'s types."""
    with con.begin() as cur:
        rows = cur.execute(sql).fetchall()
    arrow = schema.to_pyarrow()
    if not rows:
        return arrow.empty_table()
    batch = pa.RecordBatch.from_struct_array(pa.array(rows, type=schema.as_struct().to_pyarrow()))
    return pa.Table.from_batches([batch]).rename_columns(list(schema.names)).cast(arrow)


def _frame(table: pa.Table) -> pd.DataFrame:
    return normalise(table).to_pandas(types_mapper=_INT64.get)


def _bind(expr: ir.Table, tables: Mapping[str, ir.Table]) -> ir.Table:
    """``expr`` with each unbound table replaced by the backend's table of that name."""
    mapping = {op: tables[op.name].op() for op in expr.op().find(ops.UnboundTable)}
    return expr.op().replace(mapping).to_expr()  # type: ignore[no-any-return]


def _finish(
    result: pa.Table,
    core: pd.DataFrame | None,
    pl: Plan | Compiled,
    patient_ids: np.ndarray,
    keys: pd.Series | None = None,
) -> Outcomes:
    """The outcomes table from a backend's result: one row per patient in the patients' order,
    values normalised once (:func:`myotrack.criteria.portable.normalise`)."""
    result = normalise(result.combine_chunks())
    key = result.column("patient_id").to_numpy()
    if keys is None:  # the key is the patient's row in the patients table
        order = np.argsort(key)
    else:
        where = pd.Index(key).get_indexer(keys.to_numpy())
        order = where
    result = result.take(order)
    fixed: dict[str, pa.Array] = {}
    for c, col in zip(result.column_names, result.columns, strict=True):
        if c in pl.criteria:
            col = pc.fill_null(col, NE)
        elif c.endswith(_INTEGER_DETAILS) and pa.types.is_floating(col.type):
            col = pc.cast(pc.round(col), pa.int64())
        fixed[c] = col
    # integers stay nullable integers, text is object with None
    converted = pa.table(fixed).to_pandas(types_mapper=_INT64.get, split_blocks=True)
    columns: dict[str, pd.Series] = dict(converted.items())
    made = {c: a for c, a in fixed.items() if c != "patient_id"}  # the frame's, unless the core's
    if core is not None:
        if keys is not None:  # the core set comes in the keys' order: the patients' order
            core = core.reset_index(drop=True)
        for c, s in core.items():
            if c != "patient_id":
                columns[str(c)] = s
                made.pop(str(c), None)
    out: dict[str, object] = {"patient_id": np.asarray(patient_ids, dtype=object).copy()}
    for cid in pl.criteria:
        out[cid] = _values(columns[cid])
    for cid in pl.criteria:
        for c in sorted(c for c in columns if c.startswith(cid + "__")):
            out[c] = _values(columns[c])
    # copy=False: the columns are not copied into one block per type
    frame = pd.DataFrame(out, copy=False)
    return Outcomes(frame, pl.criteria, _as_arrow(frame, made))


def _as_arrow(frame: pd.DataFrame, made: Mapping[str, pa.Array]) -> pa.Table:
    """``frame`` in Arrow as ``pa.Table.from_pandas`` converts it: the columns ``made`` from
    the backend's (normalised) Arrow results as they are, which converting their pandas
    columns back gives again (text, 64-bit integers, doubles without NaN, booleans; a column
    of Python objects that are all missing converts to Arrow's null type), and the others (the
    patient ids, the core set's) converted."""
    names = [str(c) for c in frame.columns]
    # the patient ids are never made: there is always a column to convert
    converted = pa.Table.from_pandas(
        frame[[c for c in names if c not in made]], preserve_index=False
    )
    columns = []
    for c in names:
        if c not in made:
            columns.append(converted.column(c))
        elif made[c].null_count == len(made[c]) and frame[c].dtype == object:
            columns.append(pa.nulls(len(made[c])))
        else:
            columns.append(made[c])
    return pa.table(columns, names=names)


def _values(s: pd.Series) -> object:
    """A column's values as they are: NumPy arrays as such (pandas scans wrapped ones for NA)."""
    return s.array if isinstance(s.dtype, pd.api.extensions.ExtensionDtype) else s.to_numpy()


_INT64 = {pa.int64(): pd.Int64Dtype()}
#: Detail columns that are whole numbers even when computed as doubles.
_INTEGER_DETAILS = ("_day", "__count", "days_from_anchor")
