"""The one error type of ``myotrack.measures``.

Scores are pure functions of numbers and grades; when an input breaks a rule (a grade that is
not a grade, a dose unit without the body weight it needs, a value outside its scale) they
raise :class:`MeasureError`, whose message names the value and the rule. It is a
``ValueError``, so callers that only know Python still catch it; the table readers and the
criteria turn it into a ``myotrack.errors.Problem`` with the file, row and column.
"""

from __future__ import annotations


class MeasureError(ValueError):
    """An input to a score breaks a rule; the message says which and how to fix it."""
