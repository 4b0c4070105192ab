"""The operations whose form differs between Ibis backends, each chosen in this one place.

The criteria are built once per backend (:func:`myotrack.criteria.engine.plan`); while they are
built, :func:`building` names the backend, and every operation below picks its form from it.
The portable Ibis form is the default; a backend-specific form is used only where it was
measured faster (docs/engine.md, 'Where backends differ'):

- :func:`arg_min` / :func:`arg_max`: 'the value at the row with the smallest (largest) key',
  a null value kept, rows with a null key skipped. Portable: Ibis's ``argmin``/``argmax``
  (PostgreSQL: the first element of an ordered ``ARRAY_AGG``; Spark: ``MIN_BY``/``MAX_BY``).
  DuckDB: its plain aggregate ``arg_min_null``/``arg_max_null`` (Ibis's form there is an
  ordered ``FIRST``, several times slower on large groups, and keeps rows with a null key).
- :func:`pick_fields`: several columns of that one row. DuckDB: one ``arg_max`` of a struct
  (one key comparison per row); elsewhere one aggregate per column (PostgreSQL cannot read
  the fields of an anonymous record).
- :func:`row_lists`: whether a table may hold a list of structs (DuckDB and Spark do;
  PostgreSQL cannot store an array of anonymous records).
- :func:`repeated`: how many of a patient's relapse days are also the day before another
  one's (the size of the intersection of two per-patient lists). DuckDB: ``list_intersect``;
  elsewhere a join of the days to themselves.
- :func:`rounded`: a number rounded to some decimals, ties away from zero, as the number reads
  in decimals (0.345 -> 0.35): PostgreSQL and Spark round the decimal reading; DuckDB rounds
  the binary double (0.34499999999999997 -> 0.34) unless cast to a decimal first.
- :func:`normalise`: one rule for the values a backend hands back (types, NaN and None).

Struct sort keys (``{'start_day': ..., 'entry': ...}``) compare field by field on all three
backends; the engine only ever builds them from fields that are never null, where they agree.
"""

from __future__ import annotations

import contextlib
import contextvars
import functools
from collections.abc import Callable, Iterator, Mapping

import ibis
import ibis.expr.datatypes as dt
import ibis.expr.types as ir
import pyarrow as pa
import pyarrow.compute as pc

#: The backends the criteria are tested on; any other Ibis backend gets the portable forms.
BACKENDS = ("duckdb", "postgres", "pyspark")

_BACKEND: contextvars.ContextVar[str] = contextvars.ContextVar(
    "myotrack_criteria_backend", default="duckdb"
)


@contextlib.contextmanager
def building(backend: str) -> Iterator[None]:
    """Build criteria for ``backend`` (an Ibis backend's ``name``) inside this block."""
    token = _BACKEND.set(backend)
    try:
        yield
    finally:
        _BACKEND.reset(token)


def backend() -> str:
    """The backend the criteria being built are for (default: DuckDB)."""
    return _BACKEND.get()


@functools.cache
def _duckdb_arg(name: str, arg: dt.DataType, key: dt.DataType) -> Callable[..., ir.Value]:
    def fn(arg, key):  # type: ignore[no-untyped-def]  # the signature is given below
        ...

    return ibis.udf.agg.builtin(fn, name=name, signature=((arg, key), arg))  # type: ignore[no-any-return]


def arg_min(x: ir.Value, key: ir.Value, where: ir.BooleanValue | None = None) -> ir.Value:
    """``x`` at the row with the smallest ``key`` (null keys skipped, a null ``x`` kept)."""
    if backend() == "duckdb":
        return _duckdb_arg("arg_min_null", x.type(), key.type())(x, key, where=where)
    return x.argmin(key, where=_key_known(key, where))


def arg_max(x: ir.Value, key: ir.Value, where: ir.BooleanValue | None = None) -> ir.Value:
    """``x`` at the row with the largest ``key`` (see :func:`arg_min`)."""
    if backend() == "duckdb":
        return _duckdb_arg("arg_max_null", x.type(), key.type())(x, key, where=where)
    return x.argmax(key, where=_key_known(key, where))


def _key_known(key: ir.Value, where: ir.BooleanValue | None) -> ir.BooleanValue:
    known = key.notnull()
    return known if where is None else where & known


def pick_fields(
    fields: Mapping[str, ir.Value],
    key: ir.Value,
    where: ir.BooleanValue | None = None,
    largest: bool = False,
) -> dict[str, ir.Value]:
    """Per group, the ``fields`` of the one row with the smallest (``largest``: largest) key.

    ``key`` must be unique within a group. DuckDB picks the row once as a struct (for three or
    more fields a quarter faster than one aggregate per field); elsewhere each field is its own
    aggregate with the same key, so all come from the same row.
    """
    arg = arg_max if largest else arg_min
    if backend() == "duckdb" and len(fields) > 2:
        row = arg(ibis.struct(dict(fields)), key, where=where)
        return {name: row[name] for name in fields}
    return {name: arg(value, key, where=where) for name, value in fields.items()}


def row_lists() -> bool:
    """Whether a stored table may hold a list of structs on the backend being built for."""
    return backend() in ("duckdb", "pyspark")


def _intersect(a, b):  # type: ignore[no-untyped-def]  # the signature is given below
    """DuckDB's ``list_intersect`` (Ibis's ``intersect`` compiles to a lambda DuckDB deprecates)."""


_INT_LIST = dt.Array(dt.int64)
_list_intersect = ibis.udf.scalar.builtin(
    _intersect, name="list_intersect", signature=((_INT_LIST, _INT_LIST), _INT_LIST)
)


def repeated(h: ir.Table, day: str, previous: str) -> ir.Table:
    """Per patient of ``h`` (one row per distinct ``day``): ``repeated``, how many rows'
    ``previous`` day is the ``day`` of another row of the same patient."""
    if backend() == "duckdb":
        n = _list_intersect(h[day].collect(), h[previous].collect()).length()
        return h.group_by("patient_id").aggregate(repeated=n.fill_null(0))
    days = h.select(r_patient="patient_id", r_day=day)
    j = h.left_join(days, [h.patient_id == days.r_patient, h[previous] == days.r_day])
    return j.group_by("patient_id").aggregate(repeated=j.r_day.notnull().ifelse(1, 0).sum())


def rounded(x: ir.NumericValue, digits: int) -> ir.FloatingValue:
    """``x`` rounded to ``digits`` decimals, ties away from zero, as a double (see above)."""
    if backend() == "duckdb":
        # ten decimals hold every double of the criteria's range exactly enough to round
        return x.cast(dt.Decimal(38, 10)).round(digits).cast("float64")  # type: ignore[no-any-return]
    return x.round(digits).cast("float64")  # type: ignore[no-any-return]


def normalise(table: pa.Table, *, text_null: str | None = None) -> pa.Table:
    """The values a backend hands back, as every backend's results are compared and returned.

    Integers (DuckDB's ``HUGEINT`` sums, PostgreSQL's ``NUMERIC``, Spark's ``int32`` counts) are
    64-bit integers; floats are doubles with NaN as null; text is plain (not dictionary,
    not large) strings; booleans stay booleans. ``text_null``, when given, fills null text.
    """
    out: dict[str, pa.Array] = {}
    for name, col in zip(table.column_names, table.columns, strict=True):
        typ = col.type
        if pa.types.is_dictionary(typ):
            col = col.cast(typ.value_type)
            typ = col.type
        if pa.types.is_decimal(typ):
            col = pc.cast(col, pa.int64() if typ.scale == 0 else pa.float64())
            typ = col.type
        if pa.types.is_integer(typ) and typ != pa.int64():
            col = pc.cast(col, pa.int64())
        elif pa.types.is_floating(typ):
            col = pc.cast(col, pa.float64())
            col = pc.if_else(pc.is_nan(col), pa.scalar(None, pa.float64()), col)
            # (is_nan of a null is null, and if_else keeps the null)
        elif pa.types.is_large_string(typ) or pa.types.is_string_view(typ):
            col = pc.cast(col, pa.string())
        if text_null is not None and pa.types.is_string(col.type):
            col = pc.fill_null(col, text_null)
        out[name] = col
    return pa.table(out)
