"""Every reason a criterion can give, read from the criterion itself.

A criterion's ``<id>__reason`` column is an Ibis expression: cases and if-else of literal texts
and of concatenations of literals with values (a day, a drug, a count). Walking it gives one
:class:`Template` per branch: the literal text kept, every other part a placeholder. The core
set criteria (TIS, IMACS DOI) word their reasons in Python from the format strings
:data:`myotrack.criteria.coreset.REASONS`, read here the same way (a field the parameters
give, :func:`myotrack.criteria.coreset.reason_parameters`, written with its value; every
other field a placeholder).

Because the templates are read from the expressions the engine runs, they follow the code: a
reason the engine gives that matches none of its criterion's templates means the reading here
has fallen behind the code (see ``tests/criteria/test_reasons.py``).
"""

from __future__ import annotations

import functools
import itertools
import re
import string
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

import ibis.expr.operations as ops
import ibis.expr.types as ir

from myotrack.criteria import coreset
from myotrack.criteria.base import Params
from myotrack.criteria.engine import ORDER, plan
from myotrack.errors import UnknownCriterion

#: A part of a template that is not literal text (a value written into the reason).
HOLE = None
#: The most templates one expression is expanded into (a product of many branches is cut here:
#: the rest of that expression becomes one placeholder).
_MOST = 256


@dataclass(frozen=True)
class Template:
    """One form of a reason: literal texts and placeholders (``None``), in order."""

    parts: tuple[str | None, ...]

    def __str__(self) -> str:
        return "".join("{}" if p is HOLE else p for p in self.parts)

    @functools.cached_property
    def pattern(self) -> re.Pattern[str]:
        """The regular expression a reason of this form matches in full."""
        return re.compile(
            "".join("(.*?)" if p is HOLE else re.escape(p) for p in self.parts), re.DOTALL
        )

    def literal_length(self) -> int:
        return sum(len(p) for p in self.parts if p is not HOLE)

    def matches(self, reason: str) -> bool:
        return self.pattern.fullmatch(reason) is not None


def _template(parts: Iterable[str | None]) -> Template:
    """Adjacent literals joined, adjacent placeholders merged, empty literals dropped."""
    out: list[str | None] = []
    for p in parts:
        if p == "":
            continue
        if out and p is not HOLE and out[-1] is not HOLE:
            out[-1] = f"{out[-1]}{p}"
        elif not (out and p is HOLE and out[-1] is HOLE):
            out.append(p)
    return Template(tuple(out))


def from_format(text: str, known: Mapping[str, object] | None = None) -> Template:
    """A template from a format string: its literal text kept, a field of ``known`` written
    with its value, every other field a placeholder."""
    parts: list[str | None] = []
    for literal, field, spec, _ in string.Formatter().parse(text):
        parts.append(literal)
        if field is not None:
            given = (known or {}).get(field, HOLE)
            parts.append(HOLE if given is HOLE else format(given, spec or ""))
    return _template(parts)


Forms = list[tuple[str | None, ...]]


class _Reader:
    """Expands a string-valued expression into its forms, following columns through the
    relations they come from (and through the stored tables of the plan, by name)."""

    def __init__(self, stored: dict[str, ops.Relation]) -> None:
        self.stored = stored

    def forms(self, op: ops.Value) -> Forms:
        if isinstance(op, ops.Literal):
            return [(str(op.value),)] if isinstance(op.value, str) else [(HOLE,)]
        if isinstance(op, ops.StringConcat):
            out: Forms = [()]
            for arg in op.arg:
                out = [a + b for a, b in itertools.product(out, self.forms(arg))]
                if len(out) > _MOST:
                    return [(HOLE,)]
            return out
        if isinstance(op, ops.SearchedCase | ops.SimpleCase):
            return self._union([*op.results, op.default])
        if isinstance(op, ops.IfElse):
            return self._union([op.true_expr, op.false_null_expr])
        if _picks(op):  # one row's value of a group (arg-min, first, a max of texts)
            return self.forms(op.arg)
        if isinstance(op, ops.Field):
            source = self._column(op.rel, op.name)
            if source is not None:
                return self.forms(source)
        return [(HOLE,)]

    def _union(self, branches: Sequence[ops.Value]) -> Forms:
        out: Forms = []
        for b in branches:
            out += [f for f in self.forms(b) if f not in out]
        return out if len(out) <= _MOST else [(HOLE,)]

    def _column(self, rel: ops.Relation, name: str) -> ops.Value | None:
        """The expression that makes column ``name`` of ``rel``, where the plan says it."""
        if isinstance(rel, ops.JoinReference | ops.SelfReference):
            return self._column(rel.parent, name)
        if isinstance(rel, ops.Project | ops.JoinChain):
            return rel.values.get(name)  # type: ignore[no-any-return]
        if isinstance(rel, ops.Aggregate):
            return rel.groups.get(name, rel.metrics.get(name))  # type: ignore[no-any-return]
        if isinstance(rel, ops.UnboundTable):
            stored = self.stored.get(rel.name)
            return None if stored is None else self._column(stored, name)
        parent = getattr(rel, "parent", None)  # a filter, a sort, dropped columns ...
        if isinstance(parent, ops.Relation) and name in parent.schema:
            return self._column(parent, name)
        return None


def expression_templates(
    expr: ir.Value | ops.Value, stored: Mapping[str, ir.Table] | None = None
) -> list[Template]:
    """The forms of a string expression (an empty text is no form); a column of a stored
    (unbound) table is followed into ``stored``'s expression of that name."""
    reader = _Reader({name: t.op() for name, t in (stored or {}).items()})
    op = expr if isinstance(expr, ops.Value) else expr.op()
    found: list[Template] = []
    for form in reader.forms(op):
        t = _template(form)
        if t.parts and t not in found:
            found.append(t)
    return found


@functools.lru_cache(maxsize=8)
def _read(params: Params) -> dict[str, tuple[Template, ...]]:
    pl = plan(tuple(ORDER), params)
    stored = dict(pl.tables)
    out: dict[str, tuple[Template, ...]] = {}
    values = pl.outcomes.op().values
    for cid in pl.criteria:
        column = f"{cid}__reason"
        if column in values:
            out[cid] = tuple(expression_templates(values[column], stored))
    known = coreset.reason_parameters(params)
    for cid in ("tis", "imacs_doi"):
        out[cid] = tuple(from_format(t, known) for t in coreset.REASONS[cid])
    return out


def _picks(op: ops.Value) -> bool:
    """A reduction whose text is one row's ``arg`` (not a concatenation of several)."""
    return (
        isinstance(op, ops.Reduction)
        and not isinstance(op, ops.GroupConcat)
        and op.dtype.is_string()
        and isinstance(getattr(op, "arg", None), ops.Value)
    )


def possible_reasons(criterion_id: str, params: Params | None = None) -> list[Template]:
    """Every form of reason criterion ``criterion_id`` can give (an empty reason is none)."""
    if criterion_id not in ORDER:
        raise UnknownCriterion(f"unknown criterion {criterion_id!r}; known: {', '.join(ORDER)}")
    return list(_read(params or Params()).get(criterion_id, ()))


def template_of(reason: str, templates: Sequence[Template]) -> Template | None:
    """The template of ``templates`` that ``reason`` matches in full (the one with the most
    literal text when several do: a placeholder matches any text), or None."""
    found = [t for t in templates if t.matches(reason)]
    return max(found, key=Template.literal_length, default=None)


__all__ = [
    "HOLE",
    "Template",
    "expression_templates",
    "from_format",
    "possible_reasons",
    "template_of",
]
