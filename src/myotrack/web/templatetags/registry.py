"""Template filters of the registry: words for identifiers, numbers without a spurious '.0',
days with their range."""

from __future__ import annotations

from django import template

register = template.Library()


@register.filter
def words(value: object) -> str:
    """'not_evaluable' -> 'not evaluable'."""
    return "" if value is None else str(value).replace("_", " ")


@register.filter
def num(value: object) -> str:
    """9000.0 -> '9000', 1.25 -> '1.25', None -> ''."""
    if value is None:
        return ""
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else f"{value:g}"
    return str(value)


@register.filter
def days(obj: object, field: str) -> str:
    """A row's day as stored: '120', or '135 (120..150)' when uncertain; '' when unknown."""
    day = getattr(obj, field, None)
    if day is None:
        return ""
    earliest = getattr(obj, f"{field}_earliest", None)
    latest = getattr(obj, f"{field}_latest", None)
    if earliest is None and latest is None:
        return str(day)
    low = "" if earliest is None else str(earliest)
    high = "" if latest is None else str(latest)
    return f"{day} ({low}..{high})"


@register.filter
def counted(pairs: object) -> str:
    """[('yes', 2), ('no', 1), ('partial', 0)] -> '2 yes, 1 no' (pairs whose count is 0 left out)."""
    items = list(pairs) if isinstance(pairs, list | tuple) else []
    return ", ".join(f"{n} {str(label).replace('_', ' ')}" for label, n in items if n)
