"""The contract tables in a database: PostgreSQL, a DuckDB file, or any Ibis backend.

A database source holds the tables of the contract (``patients`` required; ``visits``,
``strength``, ``treatments``, ``events``, ``observations`` and ``reference_ranges`` as it has
them) under their contract names, in one schema, with the contract's column names:

    myotrack outcomes --db postgresql://user@host/registry --schema registry_export
    myotrack outcomes --db duckdb:///data/cohort.duckdb
    myotrack outcomes --db spark://spark-master:7077 --schema registry --backend spark

Two things are read from it:

- :func:`contract_tables`: the tables as Ibis expressions on the database's own connection,
  every contract column present (an absent optional column is a typed NULL) with the
  contract's type, after checking each column's database type against
  :mod:`myotrack.tables.schema` (a wrong type is an error naming table, column, found type
  and expected type). Columns outside the contract are not read (a warning names them).
- :func:`read_database`: a :class:`~myotrack.tables.Dataset`, validated by the same rules as a
  CSV folder (:func:`~myotrack.tables.dataset.build`), all or nothing; a problem names the
  table and the row's patient and day, since database rows have no row number.

A password in a URL never appears in a message: :func:`redact` replaces it everywhere it is
shown, including in the text of a driver's own error.
"""

from __future__ import annotations

import urllib.parse
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import ibis
import ibis.expr.datatypes as dt
import ibis.expr.types as ir
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from myotrack.errors import InvalidData, MyotrackError, Problem, SourceNotFound
from myotrack.tables.dataset import Dataset
from myotrack.tables.problems import RawTable
from myotrack.tables.schema import REFERENCE_RANGES, TABLES, Column, TableSpec
from myotrack.tables.spark import connect_spark, is_spark_url
from myotrack.tables.validate import check_and_convert

__all__ = [
    "DatabaseError",
    "DatabaseSource",
    "connect",
    "contract_tables",
    "convert_tables",
    "dataset_of",
    "expected_type",
    "read_database",
    "redact",
    "run_in_database",
    "validate_database",
    "write_database",
]

#: the tables a database source may hold, in reading order
READABLE: tuple[TableSpec, ...] = (*TABLES.values(), REFERENCE_RANGES)

#: the Ibis backends the criteria may run on (``--backend``)
BACKENDS = ("duckdb", "postgres", "spark")


class DatabaseError(MyotrackError):
    """A database source cannot be opened or read (its URL shown without the password)."""


def redact(url: str) -> str:
    """The URL with its password (if any) replaced by ``***``."""
    try:
        parts = urllib.parse.urlsplit(url)
    except ValueError:
        return "<unreadable database URL>"
    if parts.password is None:
        return url
    host = parts.hostname or ""
    if parts.port is not None:
        host += f":{parts.port}"
    user = urllib.parse.quote(parts.username or "", safe="")
    return urllib.parse.urlunsplit(parts._replace(netloc=f"{user}:***@{host}"))


def _secret(url: str) -> str | None:
    try:
        return urllib.parse.urlsplit(url).password
    except ValueError:
        return None


def _clean(text: str, url: str) -> str:
    """A driver's message without the URL's password (raw or percent-encoded)."""
    secret = _secret(url)
    if not secret:
        return text
    for form in {secret, urllib.parse.unquote(secret), urllib.parse.quote(secret, safe="")}:
        if form:
            text = text.replace(form, "***")
    return text


def _duckdb_path(url: str) -> Path | None:
    if not url.lower().startswith("duckdb://"):
        return None
    rest = url[len("duckdb://") :].split("?", 1)[0]
    return Path(rest) if rest and rest != ":memory:" else None


def connect(url: str) -> Any:
    """An Ibis connection to ``url``; :class:`DatabaseError` (password hidden) when it fails.

    A DuckDB file must exist (DuckDB would create an empty one); it is opened read-only. A
    Spark URL (``spark://HOST:PORT``, ``spark:local[*]``, :mod:`myotrack.tables.spark`) is a
    Spark session whose catalog holds the tables.
    """
    if is_spark_url(url):
        try:
            return connect_spark(url)
        except MyotrackError:
            raise
        except ImportError as err:
            raise DatabaseError(
                f"{redact(url)}: a Spark source needs pyspark: pip install 'myotrack[spark]' "
                "(and a Java runtime)"
            ) from err
        except Exception as err:  # the JVM's own errors (no Java, a master that does not answer)
            raise DatabaseError(
                f"cannot start Spark for {redact(url)} ({type(err).__name__}: "
                f"{_clean(str(err), url).strip()[:300]})"
            ) from None
    path = _duckdb_path(url)
    if path is not None:
        if not path.is_file():
            raise SourceNotFound(f"{redact(url)}: no such DuckDB file")
        if "read_only" not in url:
            url += ("&" if "?" in url else "?") + "read_only=true"
    try:
        return ibis.connect(url)
    except Exception as err:  # every driver has its own errors; the message is what matters
        raise DatabaseError(
            f"cannot connect to {redact(url)}: {_clean(str(err), url).strip()}"
        ) from None


@dataclass(frozen=True)
class DatabaseSource:
    """Where the contract tables are: a connection, the schema holding them, a display name."""

    con: Any
    schema: str | None = None
    name: str = "database"

    def table(self, name: str) -> ir.Table | None:
        """The table ``name`` of the schema, or None when the database has no such table."""
        try:
            return self.con.table(name, database=self.schema)
        except Exception:  # backends raise their own "not found" errors
            return None

    def where(self, table: str) -> str:
        return f"{self.schema}.{table}" if self.schema else table


# --- types ------------------------------------------------------------------------------------

_TEXT_KINDS = ("text", "enum", "list", "grade", "drug", "muscle", "unit", "code")


def expected_type(col: Column) -> str:
    """The database types a contract column may have, as the messages say them."""
    if col.kind in ("int", "day"):
        return "an integer type"
    if col.kind == "float":
        return "a numeric type (integer, float, decimal)"
    if col.kind == "lab":
        return "a numeric type, or text for values written with a bound or a word (<200, normal)"
    return "a text type"


def _accepts(col: Column, found: dt.DataType) -> bool:
    if found.is_null():
        return True
    if col.kind in ("int", "day"):
        return found.is_integer()
    if col.kind == "float":
        return found.is_integer() or found.is_floating() or found.is_decimal()
    if col.kind == "lab":
        return found.is_integer() or found.is_floating() or found.is_decimal() or found.is_string()
    return found.is_string()


def _contract_type(col: Column, found: dt.DataType | None) -> dt.DataType:
    if col.kind in ("int", "day"):
        return dt.int64
    if col.kind == "float":
        return dt.float64
    if col.kind == "lab":
        return dt.string if found is not None and found.is_string() else dt.float64
    return dt.string


def _checked(
    source: DatabaseSource, spec: TableSpec, table: ir.Table, problems: list[Problem]
) -> ir.Table:
    """The table with every contract column, typed; type and column problems collected."""
    label = source.where(spec.name)
    schema = table.schema()
    found = {name.lower(): name for name in schema.names}
    columns: dict[str, ir.Value] = {}
    for col in spec.columns:
        actual = found.get(col.name)
        if actual is None:
            if col.required:
                problems.append(
                    Problem(label, None, col.name, None, f"required column '{col.name}' is missing")
                )
            columns[col.name] = ibis.null(_contract_type(col, None))
            continue
        typ = schema[actual]
        if not _accepts(col, typ):
            problems.append(
                Problem(
                    label,
                    None,
                    col.name,
                    None,
                    f"the column's type is {typ}; expected {expected_type(col)}",
                )
            )
            continue
        columns[col.name] = table[actual].cast(_contract_type(col, typ))
    extra = sorted(set(found) - set(spec.names))
    if extra:
        problems.append(
            Problem(
                label,
                None,
                None,
                ", ".join(extra),
                "columns outside the contract; not read",
                severity="warning",
            )
        )
    return table.select(**columns)


def contract_tables(
    source: DatabaseSource, warnings: list[Problem] | None = None
) -> dict[str, ir.Table]:
    """The contract tables of ``source`` as Ibis expressions on its connection.

    Every table of the contract is returned (one the database lacks is an empty table with
    the contract's columns); ``patients`` must exist. Raises :class:`InvalidData` naming every
    missing required table or column and every column of a wrong type; warnings (columns not
    read) are appended to ``warnings`` when given.
    """
    problems: list[Problem] = []
    out: dict[str, ir.Table] = {}
    for spec in READABLE:
        table = source.table(spec.name)
        if table is None:
            if spec.name == "patients":
                problems.append(
                    Problem(
                        source.where("patients"),
                        None,
                        None,
                        None,
                        f"no table 'patients' in {source.name}"
                        + (f" (schema {source.schema})" if source.schema else "")
                        + ": the patients table is required",
                    )
                )
            continue
        out[spec.name] = _checked(source, spec, table, problems)
    errors = [p for p in problems if not p.is_warning]
    if errors:
        raise InvalidData(errors)
    if warnings is not None:
        warnings.extend(p for p in problems if p.is_warning)
    for spec in READABLE:
        if spec.name not in out and spec.name != REFERENCE_RANGES.name:
            out[spec.name] = _empty(spec)
    return out


def _empty(spec: TableSpec) -> ir.Table:
    return ibis.memtable(
        pd.DataFrame({c.name: pd.Series([], dtype=object) for c in spec.columns}),
        schema=ibis.schema({c.name: _contract_type(c, None) for c in spec.columns}),
    )


# --- the Dataset ------------------------------------------------------------------------------

#: the columns that order a table's rows (database rows have no order of their own)
_ORDER = {
    "patients": ("patient_id",),
    "visits": ("patient_id", "day"),
    "strength": ("patient_id", "day", "muscle", "side"),
    "treatments": ("patient_id", "start_day", "line", "drug"),
    "events": ("patient_id", "day", "sequence", "kind"),
    "observations": ("patient_id", "day", "sequence", "code"),
    "reference_ranges": ("site", "lab", "analyte"),
}


def row_order(name: str, columns: Sequence[str]) -> list[str]:
    """The columns that order the rows of table ``name`` read from a database: its keys
    (:data:`_ORDER`), then every other column, so that ties too come in the same order on every
    run and backend (Ibis puts missing values last on every backend). The criteria number the
    courses of a treatment table in the database by the same order
    (:func:`myotrack.criteria.backends.keyed`): evaluated in the database or read from it, two
    courses started the same day are told apart alike."""
    keys = [c for c in _ORDER.get(name, ()) if c in columns]
    return keys + [c for c in columns if c not in keys]


#: the day column that locates a row in a message
_DAY = {
    "visits": "day",
    "strength": "day",
    "treatments": "start_day",
    "events": "day",
    "observations": "day",
}


def _fetch(name: str, expr: ir.Table, label: str) -> pd.DataFrame:
    """The rows of ``expr`` in the order of patient and day (then of every other column, so
    that the order is the same on every run and backend), every cell as the text a CSV file
    would hold ('' for NULL; 3, not 3.0), cast by Arrow column by column."""
    try:
        table = expr.order_by(row_order(name, expr.columns)).to_pyarrow()
    except Exception as err:  # a driver's own error: say which table it was reading
        raise DatabaseError(f"reading {label} failed: {str(err).strip()}") from None
    text = pa.table(
        {
            n: pc.fill_null(pc.cast(c, pa.string()), "")
            for n, c in zip(table.column_names, table.columns, strict=True)
        }
    )
    return text.to_pandas(types_mapper={pa.string(): pd.StringDtype("pyarrow")}.get)


def _located(
    problems: list[Problem], where: Mapping[str, tuple[str, pd.DataFrame]]
) -> list[Problem]:
    """Problems with a row number told as the row's table, patient and day instead."""
    out = []
    for p in problems:
        found = where.get(p.file)
        if found is None or p.row is None or p.row < 2 or p.row - 2 >= len(found[1]):
            out.append(p)
            continue
        name, frame = found
        i = p.row - 2
        row = frame.iloc[i]
        parts = []
        if "patient_id" in frame.columns and row["patient_id"] != "":
            parts.append(f"patient {row['patient_id']!r}")
        day = _DAY.get(name)
        if day and day in frame.columns and row[day] != "":
            parts.append(f"{day} {row[day]}")
        if not parts:
            parts.append(f"record {i + 1} in the order of {', '.join(_ORDER[name])}")
        out.append(
            Problem(f"{p.file} ({', '.join(parts)})", None, p.column, p.value, p.rule, p.severity)
        )
    return out


def convert_tables(
    tables: Mapping[str, ir.Table], label: Callable[[str], str] = str
) -> tuple[dict[str, pd.DataFrame], list[Problem]]:
    """Typed contract frames of Ibis tables holding contract columns, and every problem.

    The rows are fetched in the order of patient and day, turned into the text a CSV file
    would hold and validated by :func:`~myotrack.tables.validate.check_and_convert`; a row's
    problem names its table (``label(name)``), patient and day.
    """
    raws: dict[str, RawTable] = {}
    where: dict[str, tuple[str, pd.DataFrame]] = {}
    for name, expr in tables.items():
        shown = label(name)
        frame = _fetch(name, expr, shown)
        raws[name] = RawTable(shown, frame, np.arange(2, len(frame) + 2))
        where[shown] = (name, frame)
    frames, problems = check_and_convert(raws)
    return frames, _located(problems, where)


def dataset_of(frames: dict[str, pd.DataFrame], problems: list[Problem], name: str) -> Dataset:
    """The Dataset of converted frames, or :class:`InvalidData` when a problem is an error."""
    if any(not p.is_warning for p in problems):
        raise InvalidData(problems)
    ranges = frames.pop(REFERENCE_RANGES.name, None)
    return Dataset(**frames, name=name, warnings=tuple(problems), reference_ranges=ranges)


def _converted(
    source: DatabaseSource,
) -> tuple[dict[str, pd.DataFrame] | None, list[Problem]]:
    warnings: list[Problem] = []
    try:
        tables = contract_tables(source, warnings)
    except InvalidData as err:
        return None, err.problems
    frames, problems = convert_tables(tables, source.where)
    return frames, warnings + problems


def validate_database(source: DatabaseSource) -> list[Problem]:
    """Every problem of a database source, errors and warnings (no errors: it is valid)."""
    return _converted(source)[1]


def read_database(source: DatabaseSource) -> Dataset:
    """The source as a validated Dataset; :class:`InvalidData` lists every problem."""
    frames, problems = _converted(source)
    if frames is None:
        raise InvalidData(problems)
    return dataset_of(frames, problems, source.name)


def write_database(
    ds: Dataset, con: Any, schema: str | None = None, overwrite: bool = False
) -> list[str]:
    """Write the contract tables of ``ds`` into ``schema`` of ``con`` (an Ibis connection).

    The tables are typed as :func:`contract_tables` reads them: day and count columns
    integers, measures floats, enzyme values text as written (``<200``, ``normal``: the bound
    or word is kept), the rest text; an empty cell is NULL. The reference ranges are written
    when the dataset has them. Returns the names of the tables written.
    """
    written = []
    specs = {spec.name: spec for spec in READABLE}
    for name, frame in ds.to_text_frames().items():
        spec = specs[name]
        cols: dict[str, pd.Series] = {}
        for col in spec.columns:
            text = frame[col.name].astype(object).where(frame[col.name] != "", None)
            if col.kind in ("int", "day"):
                cols[col.name] = pd.to_numeric(text).astype("Int64")
            elif col.kind == "float":
                cols[col.name] = pd.to_numeric(text).astype("float64")
            else:
                cols[col.name] = text.astype(pd.StringDtype("pyarrow"))
        con.create_table(name, pd.DataFrame(cols), database=schema, overwrite=overwrite)
        written.append(name)
    return written


# --- criteria where the data are -------------------------------------------------------------


def backend_name(con: Any) -> str:
    """The backend of a connection as ``--backend`` names it."""
    name = str(getattr(con, "name", ""))
    return {"pyspark": "spark", "postgres": "postgres", "duckdb": "duckdb"}.get(name, name)


def run_in_database(
    con: Any,
    tables: Mapping[str, ir.Table],
    criteria: list[str] | None = None,
    params: Any = None,
) -> Any:
    """The outcomes of ``tables`` (the six contract tables as Ibis tables on ``con``),
    computed by the criteria engine on that backend
    (:func:`myotrack.criteria.engine.evaluate_tables`)."""
    from myotrack.criteria.engine import evaluate_tables

    return evaluate_tables(con, {n: tables[n] for n in TABLES}, criteria=criteria, params=params)
