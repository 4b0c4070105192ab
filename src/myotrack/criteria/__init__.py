"""Outcome criteria of the published papers and the field's standards, run by one engine."""

from myotrack.criteria.backends import spark_session
from myotrack.criteria.base import NE, NO, YES, Criterion, Params
from myotrack.criteria.engine import (
    CRITERIA,
    ORDER,
    Outcomes,
    compile_ahead,
    evaluate,
    evaluate_tables,
    plan,
)

__all__ = [
    "CRITERIA",
    "NE",
    "NO",
    "ORDER",
    "YES",
    "Criterion",
    "Outcomes",
    "Params",
    "compile_ahead",
    "evaluate",
    "evaluate_tables",
    "plan",
    "spark_session",
]
