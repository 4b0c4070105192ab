"""Which tables a set of Ibis expressions reads, and which of their columns.

Read from the expressions themselves (their operation graph), not from a backend's plan: each
column reference (``ops.Field``) is followed through the relations that pass columns on
unchanged (filters, sorts, joins' table references, unnests, ...) to the unbound table it
comes from. A projection's, aggregation's or join's output column is made of expressions whose
own references are followed in turn. Where a relation needs every column (``DISTINCT``, set
operations, a dropped-null row test, an expression's own output) all of them count.
"""

from __future__ import annotations

from collections.abc import Iterable

import ibis.expr.operations as ops
import ibis.expr.types as ir


def unbound_names(exprs: Iterable[ir.Table]) -> set[str]:
    """The names of the unbound tables the expressions read."""
    return {t.name for e in exprs for t in e.op().find(ops.UnboundTable)}


def read_columns(exprs: Iterable[ir.Table]) -> dict[str, frozenset[str]]:
    """Per unbound table the expressions read, the columns they read from it."""
    used: dict[str, set[str]] = {}
    seen: set[tuple[ops.Relation, str]] = set()

    def resolve(rel: ops.Relation, name: str) -> None:
        stack = [(rel, name)]
        while stack:
            r, n = stack.pop()
            if (r, n) in seen:
                continue
            seen.add((r, n))
            if isinstance(r, ops.UnboundTable):
                used.setdefault(r.name, set()).add(n)
            elif isinstance(r, ops.Project | ops.Aggregate | ops.JoinChain):
                continue  # made of expressions whose own fields are followed
            elif isinstance(r, ops.Set):
                stack += [(r.left, n), (r.right, n)]
            elif isinstance(r, ops.SQLStringView):
                stack += [(r.parent, c) for c in r.parent.schema.names]
            elif hasattr(r, "parent") and isinstance(r.parent, ops.Relation):
                stack.append((r.parent, n))

    for e in exprs:
        root = e.op()
        for t in root.find(ops.UnboundTable):
            used.setdefault(t.name, set())
        for c in root.schema.names:
            resolve(root, c)
        for rel in root.find((ops.Distinct, ops.Set, ops.DropNull, ops.SQLStringView)):
            for c in rel.schema.names:
                resolve(rel, c)
        for field in root.find(ops.Field):
            resolve(field.rel, field.name)
    return {t: frozenset(cols) for t, cols in used.items()}
