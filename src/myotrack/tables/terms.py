"""Vocabulary columns: drugs, muscles and regions, comorbidities, observation codes.

A written term resolves to its canonical name (any synonym in, the canonical name out). A term
that is not in the vocabulary is kept as written with a warning: the source is still read,
and nothing that needs the term's meaning (a drug's class, a muscle's place in a score) uses
it. Vocabularies themselves are in :mod:`myotrack.tables.vocab` and
:mod:`myotrack.tables.observations`.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd

from myotrack.tables import vocab
from myotrack.tables.observations import CODE_BY_NAME, canonical_code
from myotrack.tables.parsing import Distinct, blank_mask, strip_text, suggest
from myotrack.tables.problems import Collector, RawTable
from myotrack.tables.schema import Column


def _resolve(
    raw: RawTable,
    col: Column,
    text: pd.Series,
    out: Collector,
    canonical: Callable[[str], str | None],
    warning: Callable[[str], str],
) -> pd.Series:
    """Each cell's canonical term, or the cell as written with a warning when unknown."""
    d = Distinct(text)
    mapped = np.array(
        [None if b else canonical(t) for t, b in zip(d.texts, d.blank_texts, strict=True)],
        dtype=object,
    )
    unknown = ~d.blank_texts & np.array([m is None for m in mapped], dtype=bool)
    out.add_each(raw, unknown[d.codes], col.name, d.cells(), warning, severity="warning")
    result = np.where(unknown, d.texts, mapped)
    result[d.blank_texts] = None
    return d.rows(result)


def drug(raw: RawTable, col: Column, text: pd.Series, out: Collector) -> pd.Series:
    def warning(value: str) -> str:
        close = vocab.suggest_drugs(value)
        hint = f" (closest known names: {', '.join(close)})" if close else ""
        return f"'{value}' is not in the drug vocabulary{hint}; kept as written, class unknown"

    return _resolve(raw, col, text, out, vocab.canonical_drug, warning)


def muscle(raw: RawTable, col: Column, text: pd.Series, out: Collector) -> pd.Series:
    def warning(value: str) -> str:
        close = vocab.suggest_muscles(value)
        hint = f" (closest known names: {', '.join(close)})" if close else ""
        return f"'{value}' is not in the muscle vocabulary{hint}; kept as written, in no score"

    return _resolve(raw, col, text, out, vocab.canonical_muscle, warning)


def code(raw: RawTable, col: Column, text: pd.Series, out: Collector) -> pd.Series:
    def warning(value: str) -> str:
        hint = suggest(value.lower().replace(" ", "_"), tuple(CODE_BY_NAME))
        return f"'{value}' is not in the observation vocabulary{hint}; kept as written"

    return _resolve(raw, col, text, out, canonical_code, warning)


def term_list(raw: RawTable, col: Column, text: pd.Series, out: Collector) -> pd.Series:
    """A ';'-separated list; comorbidity terms are checked against their vocabulary."""
    stripped = strip_text(text).astype(object)
    blank = blank_mask(stripped)

    def norm(s: str) -> str:
        return ";".join(p.strip() for p in s.split(";") if p.strip())

    result = stripped.where(blank, stripped.map(norm, na_action="ignore"))
    if col.name == "comorbidities":
        cells = {cell: _comorbidities(str(cell)) for cell in pd.unique(result[~blank])}
        result = result.where(blank, result.map({c: v[0] for c, v in cells.items()}))
        unknown_terms = {v[0]: v[1] for v in cells.values()}
        flagged = [cell for cell, terms in unknown_terms.items() if terms]
        unknown = ~blank & result.isin(flagged).to_numpy(dtype=bool)
        out.add_each(
            raw,
            unknown,
            col.name,
            result,
            lambda cell: (
                "not in the comorbidity vocabulary: "
                + ", ".join(f"'{t}'{_closest(t)}" for t in unknown_terms[cell])
                + "; kept as written"
            ),
            severity="warning",
        )
    return result.where(~blank, None).astype(object)


def _comorbidities(cell: str) -> tuple[str, list[str]]:
    """The cell with each term canonical (unknown terms as written) and the unknown terms."""
    terms = [t for t in cell.split(";") if t]
    canonical = [vocab.canonical_comorbidity(t) for t in terms]
    written = [c if c is not None else t for c, t in zip(canonical, terms, strict=True)]
    return ";".join(written), [t for c, t in zip(canonical, terms, strict=True) if c is None]


def _closest(term: str) -> str:
    close = vocab.suggest_comorbidities(term)
    return f" (closest: {', '.join(close)})" if close else ""
