"""Writing many new rows at once, each with its 'create' audit record (for imports).

The ORM's ``bulk_create`` spends most of its time turning each value into SQL one by one (and
building a model instance per row); an import of 10,000 patients has some 400,000 rows of up to
60 columns. Here each model's fields are looked at once, the rows are plain tuples handed to
the driver in batches (``executemany``; ``COPY`` on PostgreSQL), and the new ids are reserved
first: from the table's sequence on PostgreSQL, above the table's largest id on SQLite (whose
writer holds the database's write lock for the whole transaction). The audit records are the ones
:func:`myotrack.web.audit.services.record` writes for a saved instance: its snapshot (every
data field, foreign keys as ids) as ``after``, its patient and site. The caller holds the
transaction: everything or nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from django.db import connection, models
from django.utils import timezone

from .audit.models import Action, AuditRecord
from .audit.services import _SKIP, _plain

#: Rows per ``executemany``.
BATCH = 2000

Adapter = Callable[[object], object]


def _identity(value: object) -> object:
    return value


def _adapter(field: models.Field) -> Adapter:
    """How a Python value of this field goes to the database driver."""
    ops = connection.ops
    if isinstance(field, models.JSONField):
        encoder = field.encoder
        return lambda v: None if v is None else ops.adapt_json_value(v, encoder)
    if isinstance(field, models.DateTimeField):
        return ops.adapt_datetimefield_value
    if isinstance(field, models.DateField):
        return ops.adapt_datefield_value
    simple = (
        models.CharField,
        models.TextField,
        models.IntegerField,
        models.FloatField,
        models.BooleanField,
        models.ForeignKey,
        models.AutoField,
        models.BigAutoField,
    )
    if isinstance(field, simple):
        return _identity
    return lambda v: field.get_db_prep_save(v, connection)


_PLAIN = (str, int, bool, type(None))


def _snap(value: object) -> object:
    """:func:`~myotrack.web.audit.services._plain`, at once for the common values."""
    if value.__class__ in _PLAIN:
        return value
    if value.__class__ is float:
        return None if value != value else value  # NaN is unknown
    return _plain(value)


def _fields(model: type[models.Model]) -> list[models.Field]:
    return list(model._meta.concrete_fields)


def reserve_ids(model: type[models.Model], n: int) -> list[int]:
    """``n`` new ids of the model's table, in increasing order (inside the caller's
    transaction)."""
    if n == 0:
        return []
    table = model._meta.db_table
    pk = model._meta.pk.column
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
                [connection.ops.quote_name(table), pk, n],
            )
            return sorted(int(r[0]) for r in cursor.fetchall())
        if connection.vendor != "sqlite":
            raise NotImplementedError(f"bulk writes on {connection.vendor}")
        cursor.execute(
            f"SELECT MAX({connection.ops.quote_name(pk)}) FROM {connection.ops.quote_name(table)}"
        )
        largest = cursor.fetchone()[0] or 0
        cursor.execute("SELECT seq FROM sqlite_sequence WHERE name = %s", [table])
        row = cursor.fetchone()
        start = max(int(largest), int(row[0]) if row else 0) + 1
    return list(range(start, start + n))


def _insert(table: str, columns: Sequence[str], rows: list[tuple[object, ...]]) -> None:
    quote = connection.ops.quote_name
    if connection.vendor == "postgresql":
        # COPY: the rows stream to the server, with no round trip per row
        names = ", ".join(quote(c) for c in columns)
        with connection.cursor() as wrapper:
            raw = wrapper.cursor  # psycopg's own cursor
            with raw.copy(f"COPY {quote(table)} ({names}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
        return
    sql = (
        f"INSERT INTO {quote(table)} ({', '.join(quote(c) for c in columns)}) "
        f"VALUES ({', '.join(['%s'] * len(columns))})"
    )
    with connection.cursor() as cursor:
        for start in range(0, len(rows), BATCH):
            cursor.executemany(sql, rows[start : start + BATCH])


def create_rows(
    user: Any,
    model: type[models.Model],
    rows: Sequence[Mapping[str, object]],
    summary: str = "",
    site_of_patient: Mapping[int, int] | None = None,
) -> list[int]:
    """Insert new rows of ``model`` (field attname -> Python value as the instance would hold
    it; a field not given takes its default) and their 'create' audit records, in the order
    given; return their ids. ``site_of_patient`` gives the site of a row's patient."""
    if not rows:
        return []
    fields = _fields(model)
    pk = model._meta.pk
    ids = reserve_ids(model, len(rows))
    defaults = {f.attname: f.get_default() for f in fields if f is not pk}
    names = [f.attname for f in fields]
    adapters = [_adapter(f) for f in fields]
    kept = [f.attname for f in fields if f.name not in _SKIP]
    label = model._meta.label_lower
    is_patient = label == "patients.patient"
    sites = site_of_patient or {}
    authenticated = getattr(user, "is_authenticated", False)
    user_id = user.pk if authenticated else None
    username = user.get_username() if authenticated else ""
    at = connection.ops.adapt_datetimefield_value(timezone.now())
    action = str(Action.CREATE)
    note = summary[:300]
    adapt_json = _adapter(AuditRecord._meta.get_field("after"))
    values: list[tuple[object, ...]] = []
    audits: list[tuple[object, ...]] = []
    for pk_value, given in zip(ids, rows, strict=True):
        full = {**defaults, **given, pk.attname: pk_value}
        values.append(tuple(a(full[n]) for a, n in zip(adapters, names, strict=True)))
        after = {n: _snap(full[n]) for n in kept}
        patient_pk = pk_value if is_patient else full.get("patient_id")
        site_pk = full.get("site_id")
        if site_pk is None and patient_pk is not None:
            site_pk = sites.get(int(str(patient_pk)))
        audits.append(
            (
                at,
                user_id,
                username,
                action,
                label,
                pk_value,
                patient_pk,
                site_pk,
                None,
                adapt_json(after),
                note,
            )
        )
    _insert(model._meta.db_table, [f.column for f in fields], values)
    _insert(
        AuditRecord._meta.db_table,
        [
            "at",
            "user_id",
            "username",
            "action",
            "model",
            "object_id",
            "patient_pk",
            "site_pk",
            "before",
            "after",
            "summary",
        ],
        audits,
    )
    return ids
