"""The criteria engine: every criterion as one Ibis expression, executed by DuckDB in-process.

One implementation serves one patient (a web page) and a hundred thousand (benchmarks). The
DuckDB connection never installs or loads extensions, so nothing is ever downloaded.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Iterable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import duckdb
import ibis
import ibis.expr.types as ir
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from myotrack.criteria import ck, coreset, recovery, refractory, relapse, remission, response, rtx
from myotrack.criteria.base import NE, Criterion, Params
from myotrack.criteria.prepare import arrow_tables, build_context, prepared, schemas
from myotrack.errors import UnknownCriterion
from myotrack.tables import Dataset

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
    con = duckdb.connect(
        config={"autoinstall_known_extensions": False, "autoload_known_extensions": False}
    )
    con.execute("SET enable_progress_bar = false")  # a library prints nothing
    return con


#: One worker: scores the core set while DuckDB (which releases the GIL) runs a query, and
#: closes the connection while the results are converted.
_POOL = ThreadPoolExecutor(max_workers=1, thread_name_prefix="myotrack-engine")


@dataclass(frozen=True)
class Plan:
    """The compiled SQL of one evaluation.

    ``prepared``: derived tables materialised first, in order; ``outcomes``: one query joining
    every criterion's part to the patients (one row per patient, in no particular order);
    ``coreset``: the core set pairs, scored in Python; ``columns``: per input table, the columns
    DuckDB reads (only those are converted). See docs/engine.md.
    """

    prepared: tuple[tuple[str, str], ...]
    outcomes: str
    coreset: str | None
    criteria: tuple[str, ...]
    columns: dict[str, frozenset[str]]


def _sql(expr: ir.Table) -> str:
    return str(ibis.to_sql(expr, dialect="duckdb"))


def _outcomes_query(parts: list[str]) -> str:
    """One query: every part (one row per patient at most) left-joined to the patients.

    Rows come in no particular order: sorting 100,000 wide rows in DuckDB costs more than
    putting them in the patients' order afterwards (:func:`evaluate`).
    """
    select = ", ".join(
        ["pt.patient_id"] + [f"p{i}.* EXCLUDE (patient_id)" for i in range(len(parts))]
    )
    joins = "\n".join(
        f"LEFT JOIN (\n{sql}\n) AS p{i} ON p{i}.patient_id = pt.patient_id"
        for i, sql in enumerate(parts)
    )
    return f"SELECT {select}\nFROM patients AS pt\n{joins}"


_DUCK_TYPES = {"int64": "BIGINT", "float64": "DOUBLE", "string": "VARCHAR"}


def _columns(
    prepared: Iterable[tuple[str, str]], queries: Iterable[str]
) -> dict[str, frozenset[str]]:
    """Per input table, the columns DuckDB reads to run the plan (its own projection pushdown).

    Asked of DuckDB once per plan, on empty tables: ``EXPLAIN`` names each table scan's
    projected and filtered columns. Only those are converted for an evaluation.
    """
    tables = schemas()
    used: dict[str, set[str]] = {t: {"patient_id"} for t in tables}
    con = connect()
    # the tables are empty: without statistics DuckDB cannot prove any part of the plan empty
    con.execute("SET disabled_optimizers = 'statistics_propagation, empty_result_pullup'")
    try:
        for t, cols in tables.items():
            spec = ", ".join(f'"{c}" {_DUCK_TYPES[k]}' for c, k in cols.items())
            con.execute(f'CREATE TABLE "{t}" ({spec})')
        sqls = []
        for name, sql in prepared:
            sqls.append(sql)
            con.execute(f'CREATE TEMP TABLE "{name}" AS {sql}')
        for sql in [*sqls, *queries]:
            (_, text), *_ = con.execute(f"EXPLAIN (FORMAT json) {sql}").fetchall()
            for node in _scans(json.loads(text)):
                info = node.get("extra_info", {})
                table = str(info.get("Table", "")).rsplit(".", 1)[-1].strip('"')
                if table not in tables:
                    continue
                filters = str(info.get("Filters", ""))
                projected = set(info.get("Projections", tables[table]))
                used[table] |= projected | {c for c in tables[table] if c in filters}
    finally:
        con.close()
    return {t: frozenset(c for c in tables[t] if c in used[t]) for t in tables}


def _scans(node: object) -> Iterable[dict[str, Any]]:
    if isinstance(node, list):
        for n in node:
            yield from _scans(n)
    elif isinstance(node, dict):
        if node.get("name") == "SEQ_SCAN":
            yield node
        yield from _scans(node.get("children", []))


@functools.lru_cache(maxsize=64)
def plan(criteria: tuple[str, ...], params: Params) -> Plan:
    """Build every requested criterion on unbound tables and compile it to SQL (cached)."""
    for cid in criteria:
        if cid not in CRITERIA:
            raise UnknownCriterion(f"unknown criterion {cid!r}; known: {', '.join(ORDER)}")
    wanted = set(criteria)
    derived = prepared(params)
    ctx = build_context(params, derived)
    parts: list[ir.Table] = []

    if "refractory" in wanted:
        parts += refractory.build(ctx)
    if "definite_response" in wanted:
        parts += response.build(ctx)
    if "rtx_response" in wanted:
        parts += rtx.build(ctx)
    parts += recovery.build(ctx, wanted)
    staged: list[tuple[str, str]] = []
    if wanted & {"relapse", "complete_remission"}:
        # stored: read twice (for the comparisons and for the candidates' baselines)
        per = relapse.compared(ctx)
        staged.append(("relapse_per", _sql(per)))
        rel = relapse.build(ctx, ibis.table(per.schema(), name="relapse_per"))[0]
        staged.append(("relapse_out", _sql(rel)))
        rel_t = ibis.table(rel.schema(), name="relapse_out")
        if "relapse" in wanted:
            parts.append(rel_t)
        if "complete_remission" in wanted:
            parts += remission.build(ctx, rel_t)
    if "ck_normalisation" in wanted:
        parts += ck.build(ctx)
    core = _sql(coreset.pairs(ctx)) if wanted & {"tis", "imacs_doi"} else None
    outcomes = _outcomes_query([_sql(p) for p in parts])
    later = [sql for _, sql in staged] + [outcomes] + ([core] if core else [])
    compiled = [(name, _sql(expr)) for name, expr in derived.items()]
    # a derived table is materialised only when a later query, or a later derived table, reads it
    kept: list[tuple[str, str]] = []
    for name, sql in reversed(compiled):
        if any(f'"{name}"' in s for s in later + [k for _, k in kept]):
            kept.insert(0, (name, sql))
    prep = tuple(kept) + tuple(staged)
    return Plan(
        prep,
        outcomes,
        core,
        tuple(c for c in ORDER if c in wanted),
        _columns(prep, [outcomes, *([core] if core else [])]),
    )


@dataclass(frozen=True)
class Outcomes:
    """The outcomes table: one row per patient, a column per criterion, detail columns after."""

    frame: pd.DataFrame
    criteria: tuple[str, ...]

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
) -> Outcomes:
    """Evaluate criteria for every patient of ``ds`` (or the patients ``ids``)."""
    if ids is not None:
        ds = ds.subset(ids)
    p = params or Params()
    pl = plan(tuple(ORDER) if criteria is None else tuple(criteria), p)
    con = connect()
    scoring: Future[pd.DataFrame] | None = None
    try:
        for name, table in arrow_tables(ds, pl.columns).items():
            con.register(name, table)
        for name, sql in pl.prepared:
            con.execute(f"CREATE TEMP TABLE {name} AS {sql}")
        if pl.coreset is not None:
            # the core set is scored in Python while DuckDB runs the outcomes query
            pairs = con.execute(pl.coreset).df()
            immuno = con.execute("SELECT patient_id FROM immuno").df()
            keys = pd.Series(np.arange(len(ds.patients)))
            scoring = _POOL.submit(coreset.finish, pairs, immuno, keys, p)
        result = con.sql(pl.outcomes).to_arrow_table()
        core = scoring.result() if scoring is not None else None
    finally:
        if scoring is not None:
            scoring.cancel()
        # freeing a large cohort's tables takes a while: done while the results are converted
        _POOL.submit(con.close)
    # one row per patient (the key is the patient's row in the patients table), in that order
    result = result.combine_chunks().take(np.argsort(result.column("patient_id").to_numpy()))
    fixed: dict[str, pa.Array] = {}
    for c, col in zip(result.column_names, result.columns, strict=True):
        if c in pl.criteria:
            col = pc.fill_null(col, NE)
        elif pa.types.is_decimal(col.type):  # DuckDB sums integers to HUGEINT
            col = pc.cast(col, pa.int64())
        elif c.endswith(_INTEGER_DETAILS) and pa.types.is_floating(col.type):
            col = pc.cast(pc.round(col), pa.int64())
        fixed[c] = col
    # integers stay nullable integers, text is object with None
    converted = pa.table(fixed).to_pandas(types_mapper=_INT64.get, split_blocks=True)
    columns: dict[str, pd.Series] = dict(converted.items())
    if core is not None:
        columns |= {str(c): s for c, s in core.items() if c != "patient_id"}
    out: dict[str, object] = {
        "patient_id": ds.patients["patient_id"].to_numpy(dtype=object, copy=True)
    }
    for cid in pl.criteria:
        out[cid] = _values(columns[cid])
    for cid in pl.criteria:
        for c in sorted(c for c in columns if c.startswith(cid + "__")):
            out[c] = _values(columns[c])
    # copy=False: the columns are not copied into one block per type
    return Outcomes(pd.DataFrame(out, copy=False), pl.criteria)


def _values(s: pd.Series) -> object:
    """A column's values as they are: NumPy arrays as such (pandas scans wrapped ones for NA)."""
    return s.array if isinstance(s.dtype, pd.api.extensions.ExtensionDtype) else s.to_numpy()


_INT64 = {pa.int64(): pd.Int64Dtype()}
#: Detail columns that are whole numbers even when computed as doubles.
_INTEGER_DETAILS = ("_day", "__count", "days_from_anchor")
