"""The criteria run in the registry's own PostgreSQL database, on its own tables.

:func:`engine_tables` gives the tables the criteria read as Ibis expressions over the
registry's tables, on Django's own connection (in its transaction: what the request has
written is what is evaluated): the live rows of the patients of a queryset (the queryset's
own SQL, so the sites a user may see and every other filter are those of the queryset), with
the columns the engine reads (:attr:`myotrack.criteria.engine.Plan.columns`) valued as
:func:`myotrack.web.export.dataset_for` values them once validated. The registry stores the
validated rows (canonical names, each enzyme as its number, bound and word, each day with its
range), so little is left to do, and it is done here, in SQL:

- an empty text is unknown (NULL), but an enzyme's bound and word stay text ('' when none);
  a bound goes with a number and a word with no number, as when the value is written out;
- an enzyme given (a number or a word) without its ULN takes the ULN of the reference range
  of the patient's site and the visit's laboratory, else of the site's range for every
  laboratory (:func:`myotrack.tables.references.apply_reference_ranges`);
- ``strength.grade`` is handed over as written (the engine parses the distinct grades), and
  ``treatments.entry`` is the course's row id (the order of entry within a patient).

:func:`evaluate_in_database` evaluates them with :func:`myotrack.criteria.evaluate_tables`:
nothing leaves the database but the results. The tests compare both paths cell by cell, for
every table the criteria read and for the outcomes.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import ibis
import ibis.expr.types as ir
from django.db import connection, models

from myotrack.criteria import ORDER, Outcomes, evaluate_tables, plan
from myotrack.criteria.backends import GRADE_COLUMNS
from myotrack.criteria.base import Params
from myotrack.criteria.engine import Plan
from myotrack.criteria.prepare import schemas
from myotrack.tables.schema import ENZYMES

from ..events.models import Event
from ..patients.models import Patient
from ..treatments.models import Treatment
from ..visits.models import ReferenceRange, StrengthGrade, Visit

#: The registry's model of each table the criteria read.
MODELS: dict[str, type[models.Model]] = {
    "patients": Patient,
    "visits": Visit,
    "strength": StrengthGrade,
    "treatments": Treatment,
    "events": Event,
}
#: Text columns kept as text when empty: each enzyme's bound and word.
LAB_TEXT = frozenset(f"{e}_{part}" for e in ENZYMES for part in ("bound", "state"))
#: Columns the engine reads that are not fields of the models: the grades parsed from
#: ``grade`` (by the engine), the order of entry of the courses.
DERIVED = {"strength": GRADE_COLUMNS, "treatments": ("entry",)}


def available() -> bool:
    """Whether the registry's database can run the criteria (PostgreSQL)."""
    return connection.vendor == "postgresql"


@contextmanager
def backend() -> Iterator[Any]:
    """An Ibis PostgreSQL backend on Django's connection (its transaction included)."""
    connection.ensure_connection()
    yield ibis.postgres.from_connection(connection.connection)


def database_plan(params: Params) -> Plan:
    """Every criterion built for the registry's database (cached per process by
    :func:`myotrack.criteria.plan`: :func:`~.outcomes.prepare` builds it as the server starts)."""
    return plan(tuple(ORDER), params, "postgres")


def _columns(params: Params) -> dict[str, list[str]]:
    """Per table, the columns the criteria read (the patient's id apart)."""
    reads = database_plan(params).columns
    engine = schemas()
    return {
        name: [c for c in engine[name] if c in reads[name] and c != "patient_id"] for name in MODELS
    }


def _field(model: type[models.Model], name: str) -> str:
    return str(model._meta.get_field(name).column)  # type: ignore[union-attr]


#: The temporary table of the patients evaluated (a session's own).
SELECTED = "myotrack_selected"


@contextmanager
def selected(con: Any, patients: models.QuerySet[Patient]) -> Iterator[ir.Table]:
    """The live patients of the queryset (``pk``, ``code``, ``site_id``), by the queryset's own
    SQL (its site filters too), stored and analysed for the evaluation: PostgreSQL then knows
    how many they are (one patient's rows are read by their index), which it cannot tell
    from the queryset's filters."""
    live = patients.filter(deleted_at__isnull=True).order_by().values("pk", "code", "site_id")
    sql, params = live.query.sql_with_params()
    query = connection.ops.compose_sql(sql, params)
    drop = f'DROP TABLE IF EXISTS pg_temp."{SELECTED}"'
    with con.begin() as cur:
        cur.execute(drop)
        cur.execute(
            f'CREATE TEMPORARY TABLE "{SELECTED}" AS '
            f"SELECT * FROM ({query}) AS chosen (pk, code, site_id)"
        )
        cur.execute(f'ANALYZE "{SELECTED}"')
    try:
        yield con.table(SELECTED)
    finally:
        with con.begin() as cur:
            cur.execute(drop)


def _typed(value: ir.Value, kind: str) -> ir.Value:
    """A stored value with the engine's type; an empty text is unknown."""
    return value.cast("string").nullif("") if kind == "string" else value.cast(kind)


def _ranges(con: Any) -> ir.Table:
    """Each site and laboratory's ULN per enzyme (one column per enzyme)."""
    rr = con.table(ReferenceRange._meta.db_table)
    site, lab = _field(ReferenceRange, "site"), _field(ReferenceRange, "lab")
    return rr.group_by(site=rr[site], lab=rr[lab]).aggregate(
        **{e: rr.uln.max(where=rr.analyte == e) for e in ENZYMES}
    )


def _visits(con: Any, t: ir.Table, chosen: ir.Table, cols: list[str]) -> ir.Table:
    """The visits with each enzyme's bound and word as written out, and a ULN from the
    reference ranges of the patient's site where the visit gives none."""
    p = chosen.select(p_pk="pk", p_site="site_id")
    v = t.inner_join(p, t[_field(Visit, "patient")] == p.p_pk)
    ranges = _ranges(con)
    own = ranges.rename(**{f"own_{e}": e for e in ENZYMES}, own_site="site", own_lab="lab")
    every = ranges.filter(ranges.lab == "").rename(
        **{f"all_{e}": e for e in ENZYMES}, all_site="site"
    )
    v = v.left_join(own, (v.p_site == own.own_site) & (v.lab == own.own_lab))
    v = v.left_join(every, v.p_site == every.all_site)
    values: dict[str, ir.Value] = {}
    for c in cols:
        enzyme = c.rsplit("_", 1)[0]
        if c in LAB_TEXT:
            number = v[enzyme]
            keep = number.notnull() if c.endswith("_bound") else number.isnull()
            values[c] = ibis.ifelse(keep, v[c], ibis.literal("")).cast("string")
        elif c.endswith("_uln") and enzyme in ENZYMES:
            given = v[enzyme].notnull() | (v[f"{enzyme}_state"] != "")
            found = v[f"own_{enzyme}"].coalesce(v[f"all_{enzyme}"])
            values[c] = v[c].coalesce(ibis.ifelse(given, found, ibis.null("float64")))
        else:
            values[c] = _typed(v[_field(Visit, c)], schemas()["visits"][c])
    return v.select(patient_pk=v[_field(Visit, "patient")], **values)


def engine_tables(con: Any, chosen: ir.Table, params: Params | None = None) -> dict[str, ir.Table]:
    """The tables the criteria read for the patients ``chosen`` (:func:`selected`; see the
    module), as Ibis expressions on ``con`` (:func:`backend`), by contract name."""
    cols = _columns(params or Params())
    engine = schemas()
    pt = con.table(Patient._meta.db_table)
    key = str(Patient._meta.pk.column)  # type: ignore[union-attr]
    ids = chosen.select(c_pk="pk")
    pt = pt.inner_join(ids, pt[key] == ids.c_pk)
    codes = chosen.select(p_pk="pk", p_code="code")
    out: dict[str, ir.Table] = {
        "patients": pt.select(
            patient_id=pt[_field(Patient, "code")].cast("string"),
            **{c: _typed(pt[_field(Patient, c)], engine["patients"][c]) for c in cols["patients"]},
        ).view()
    }
    for name, model in MODELS.items():
        if name == "patients":
            continue
        t = con.table(model._meta.db_table)
        t = t.filter(t.deleted_at.isnull())
        wanted = [c for c in cols[name] if c not in DERIVED.get(name, ())]
        if name == "visits":
            rows = _visits(con, t, chosen, wanted)
        else:
            rows = t.select(
                patient_pk=t[_field(model, "patient")],
                **{c: _typed(t[_field(model, c)], engine[name][c]) for c in wanted},
                **({"grade": t.grade.cast("string")} if name == "strength" else {}),
                **(
                    {"entry": t[str(model._meta.pk.column)].cast("int64")}
                    if name == "treatments"
                    else {}
                ),
            )
        joined = rows.inner_join(codes, rows.patient_pk == codes.p_pk)
        # a relation of its own (a join's projection would be joined into by the engine)
        out[name] = joined.select(
            patient_id=joined.p_code.cast("string"),
            **{c: joined[c] for c in rows.columns if c != "patient_pk"},
        ).view()
    return out


def evaluate_in_database(
    patients: models.QuerySet[Patient], params: Params | None = None
) -> Outcomes:
    """Every criterion for the live patients of ``patients``, run in the registry's database
    (one row per patient, in patient id order)."""
    with backend() as con, selected(con, patients) as chosen:
        return evaluate_tables(con, engine_tables(con, chosen, params), params=params)
