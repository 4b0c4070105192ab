"""Validation of the five tables: every rule, every problem, all at once.

The readers hand over raw text frames (every cell a string, empty = unknown) together with
the name the user knows each table by (``visits.csv`` or ``book.xlsx, sheet visits``) and the
row number of each record. ``check_and_convert`` turns them into typed frames of the contract,
collecting a :class:`~myotrack.errors.Problem` for every broken rule; the caller raises
:class:`~myotrack.errors.InvalidData` when any was found, so a source is used whole or not at all.

All checks are vectorised over columns (a 5-million-row visit table is checked in seconds);
only the rows that break a rule are visited one by one to describe them.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from myotrack.errors import Problem
from myotrack.measures.grades import GRADE_RULE, parse_grade
from myotrack.tables import vocab
from myotrack.tables.schema import CK_BOUND, TABLES, Column, TableSpec

#: at most this many problems are listed per column and rule; the rest are counted.
MAX_PER_RULE = 50


@dataclass(frozen=True)
class RawTable:
    """A table as read: text cells, the user-facing file label and the row numbers."""

    label: str
    frame: pd.DataFrame  # every column text: str objects or Arrow strings ('' = empty)
    rows: np.ndarray  # user-facing row number of each record


class _Collector:
    def __init__(self) -> None:
        self.problems: list[Problem] = []

    def add_many(
        self,
        raw: RawTable,
        mask: np.ndarray,
        column: str | None,
        rule: str,
        values: pd.Series | None = None,
    ) -> None:
        idx = np.flatnonzero(mask)
        if idx.size == 0:
            return
        for i in idx[:MAX_PER_RULE]:
            value = None if values is None else _plain(values.iloc[i])
            self.problems.append(Problem(raw.label, int(raw.rows[i]), column, value, rule))
        if idx.size > MAX_PER_RULE:
            self.problems.append(
                Problem(
                    raw.label,
                    None,
                    column,
                    None,
                    f"{idx.size - MAX_PER_RULE} more rows break the same rule: {rule}",
                )
            )

    def add(self, problem: Problem) -> None:
        self.problems.append(problem)

    def add_each(
        self,
        raw: RawTable,
        mask: np.ndarray,
        column: str,
        values: pd.Series,
        rule: Callable[[str], str],
    ) -> None:
        """One problem per bad row (rule worded per value), then a count of the rows not listed."""
        idx = np.flatnonzero(mask)
        for i in idx[:MAX_PER_RULE]:
            value = values.iloc[i]
            self.problems.append(
                Problem(raw.label, int(raw.rows[i]), column, value, rule(str(value)))
            )
        if idx.size > MAX_PER_RULE:
            self.problems.append(
                Problem(
                    raw.label,
                    None,
                    column,
                    None,
                    f"{idx.size - MAX_PER_RULE} more rows with unknown values in '{column}'",
                )
            )


def _plain(value: object) -> object:
    """A cell value as the user wrote it: text, or a plain int/float, never a numpy scalar."""
    if value is None or value is pd.NA or (isinstance(value, float) and np.isnan(value)):
        return None
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.floating):
        return int(value) if float(value).is_integer() else float(value)
    return value


def _blank(s: pd.Series) -> np.ndarray:
    """True where a (stripped) text cell is empty or missing."""
    return (s.isna() | (s == "")).fillna(True).to_numpy(dtype=bool)


def _strip(s: pd.Series) -> pd.Series:
    """Cells as stripped Arrow-backed text (vectorised; numbers keep their written form)."""
    if s.dtype == "string[pyarrow]":
        return s.str.strip()
    if pd.api.types.is_float_dtype(s.dtype):
        vals = s.to_numpy(dtype=float, na_value=np.nan)
        whole = np.isfinite(vals) & (vals == np.round(vals))
        out = pd.Series(vals.astype(object), index=s.index)
        out[whole] = vals[whole].astype(np.int64)
        out[np.isnan(vals)] = None
        s = out
    return pd.Series(s.to_numpy(dtype=object), index=s.index).astype("string[pyarrow]").str.strip()


#: A number written plainly: digits with an optional sign and decimal point, no exponent.
PLAIN_NUMBER = r"^[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)$"


def _numbers(stripped: pd.Series, blank: np.ndarray) -> np.ndarray:
    """The cells as numbers: NaN where blank or not a number; minus zero is zero.

    A number written plainly (:data:`PLAIN_NUMBER`) is parsed by Arrow, as Python's ``float``
    reads it (pandas' parser keeps only the first 17 digits, leading zeros included: it read
    '00000000000000000000.5' as 0); any other writing ('4.85e3', 'nan', '1,5') by pandas, whose
    verdict the messages follow. A column of plain numbers only, the usual case, is parsed in
    one vectorised pass, ten times faster than ``pd.to_numeric``.
    """
    text = pc.if_else(pa.array(blank), pa.scalar(None, pa.string()), pa.array(stripped.array))
    if not pc.any(pc.match_substring(text, "e", ignore_case=True)).as_py():
        try:
            numbers = pc.cast(text, pa.float64())
        except pa.ArrowInvalid:
            pass
        else:  # without an exponent, a finite number to Arrow is written plainly
            if pc.all(pc.is_finite(numbers)).as_py() is not False:
                return np.asarray(numbers.to_numpy(zero_copy_only=False), dtype=float) + 0.0
    parsed = pd.to_numeric(
        stripped.where(~pd.Series(blank, index=stripped.index), None), errors="coerce"
    )
    values = np.array(parsed.to_numpy(dtype=float, na_value=np.nan), dtype=float)
    plain = pc.fill_null(pc.match_substring_regex(text, PLAIN_NUMBER), False)
    if pc.any(plain).as_py():
        mask = np.asarray(plain.to_numpy(zero_copy_only=False), dtype=bool)
        values[mask] = pc.cast(pc.filter(text, plain), pa.float64()).to_numpy(zero_copy_only=False)
    return values + 0.0


def _suggest(word: str, options: tuple[str, ...] | list[str]) -> str:
    close = difflib.get_close_matches(word, list(options), n=3, cutoff=0.5)
    return f"; did you mean {' or '.join(repr(c) for c in close)}?" if close else ""


def _numeric(raw: RawTable, col: Column, text: pd.Series, out: _Collector) -> pd.Series:
    if pd.api.types.is_numeric_dtype(text.dtype) and not pd.api.types.is_bool_dtype(text.dtype):
        num = pd.Series(text.to_numpy(dtype=float, na_value=np.nan), index=text.index)
        blank = num.isna().to_numpy()
        bad = np.zeros(len(num), dtype=bool)
    else:
        stripped = _strip(text)
        blank = _blank(stripped)
        num = pd.Series(_numbers(stripped, blank), index=text.index)
        bad = ~blank & num.isna().to_numpy()
        what = "a whole number" if col.integer else "a number"
        out.add_many(
            raw,
            bad,
            col.name,
            f"{col.name} must be {what}" + (f" ({col.unit})" if col.unit else ""),
            text,
        )
    values = num.to_numpy(dtype=float, na_value=np.nan)
    with np.errstate(invalid="ignore"):
        huge = ~blank & ~bad & ~(np.abs(values) < (2**53 if col.integer else 1e15))
    out.add_many(raw, huge, col.name, f"{col.name} must be a finite number of sensible size", text)
    bad = bad | huge
    valid = ~blank & ~bad
    if col.integer:
        frac = valid & (np.abs(np.nan_to_num(values) % 1) > 0)
        out.add_many(raw, frac, col.name, f"{col.name} must be a whole number", text)
        valid &= ~frac
    if col.minimum is not None:
        low = valid & (values < col.minimum)
        rule = f"{col.name} must be {col.allowed_text()}" + (
            f" {col.unit}" if col.unit and col.maximum is None else ""
        )
        if col.name == "ck":
            rule = "CK cannot be negative"
        out.add_many(raw, low, col.name, rule, text)
        valid &= ~low
    if col.maximum is not None:
        high = valid & (values > col.maximum)
        out.add_many(
            raw,
            high,
            col.name,
            f"{col.name} must be {col.allowed_text()}" + (f" ({col.unit})" if col.unit else ""),
            text,
        )
        valid &= ~high
    result = pd.Series(np.where(valid, values, np.nan), index=text.index)
    if col.integer:
        return result.round().astype("Int64")
    return result.astype("float64")


def _enum(raw: RawTable, col: Column, text: pd.Series, out: _Collector) -> pd.Series:
    stripped = _strip(text)
    blank = _blank(stripped)
    lookup = {a.lower(): a for a in col.allowed}
    mapped = stripped.str.lower().map(lookup)
    bad = ~blank & mapped.isna().to_numpy()
    out.add_each(
        raw,
        bad,
        col.name,
        stripped,
        lambda v: f"{col.name} must be one of: {col.allowed_text()}{_suggest(v, col.allowed)}",
    )
    return mapped.where(~blank & ~bad, None).astype(object)


def _text(text: pd.Series) -> pd.Series:
    stripped = _strip(text)
    return pd.Series(stripped.to_numpy(dtype=object, na_value=None), index=text.index).where(
        ~_blank(stripped), None
    )


def _drug(raw: RawTable, col: Column, text: pd.Series, out: _Collector) -> pd.Series:
    stripped = _strip(text).astype(object)
    blank = _blank(stripped)
    uniques = pd.unique(stripped[~blank])
    mapping = {u: vocab.canonical_drug(u) for u in uniques}
    mapped = stripped.map(mapping)
    bad = ~blank & mapped.isna().to_numpy()

    def rule(value: str) -> str:
        close = vocab.suggest_drugs(value)
        hint = (
            f"; closest known names: {', '.join(close)}"
            if close
            else "; see 'myotrack template' for the drug list"
        )
        return f"unknown drug{hint}"

    out.add_each(raw, bad, col.name, stripped, rule)
    return mapped.where(~blank & ~bad, None).astype(object)


def _muscle(raw: RawTable, col: Column, text: pd.Series, out: _Collector) -> pd.Series:
    stripped = _strip(text).astype(object)
    blank = _blank(stripped)
    uniques = pd.unique(stripped[~blank])
    mapping = {u: vocab.canonical_muscle(u) for u in uniques}
    mapped = stripped.map(mapping)
    bad = ~blank & mapped.isna().to_numpy()
    out.add_each(
        raw,
        bad,
        col.name,
        stripped,
        lambda v: f"unknown muscle{_suggest(v.lower().replace(' ', '_'), vocab.MUSCLES)}",
    )
    return mapped.where(~blank & ~bad, None).astype(object)


def _list(raw: RawTable, col: Column, text: pd.Series, out: _Collector) -> pd.Series:
    stripped = _strip(text).astype(object)
    blank = _blank(stripped)

    def norm(s: str) -> str:
        return ";".join(p.strip() for p in s.split(";") if p.strip())

    result = stripped.where(blank, stripped.map(norm, na_action="ignore"))
    if col.name == "comorbidities":
        result = result.where(blank, result.str.lower())
        known = set(vocab.COMORBIDITIES)
        unknown_terms = {
            cell: [t for t in str(cell).split(";") if t and t not in known]
            for cell in pd.unique(result[~blank])
        }
        bad_cells = {cell for cell, terms in unknown_terms.items() if terms}
        bad = ~blank & result.isin(bad_cells).to_numpy()
        out.add_each(
            raw,
            bad,
            col.name,
            result,
            lambda cell: (
                "unknown comorbidity term(s) "
                + ", ".join(f"'{t}'{_suggest(t, vocab.COMORBIDITIES)}" for t in unknown_terms[cell])
            ),
        )
    return result.where(~blank, None).astype(object)


def _grades(
    raw: RawTable, col: Column, text: pd.Series, out: _Collector
) -> tuple[pd.Series, pd.DataFrame]:
    stripped = _strip(text).astype(object)
    blank = _blank(stripped)
    parsed: dict[str, tuple[int, int, float] | None] = {}
    for u in pd.unique(stripped[~blank]):
        try:
            g = parse_grade(u)
            parsed[u] = (g.whole, g.kendall, g.value)
        except ValueError:
            parsed[u] = None
    known = stripped.map({k: v is not None for k, v in parsed.items()})
    bad = ~blank & ~known.fillna(False).to_numpy(dtype=bool)
    out.add_many(raw, bad, col.name, f"grade outside the MRC scale: {GRADE_RULE}", text)
    ok = ~blank & ~bad
    good = {k: v for k, v in parsed.items() if v is not None}
    whole = stripped.map({k: v[0] for k, v in good.items()})
    ken = stripped.map({k: v[1] for k, v in good.items()})
    val = stripped.map({k: v[2] for k, v in good.items()})
    derived = pd.DataFrame(
        {
            "grade_whole": pd.array(whole.where(pd.Series(ok, index=whole.index)), dtype="Int64"),
            "grade_kendall": pd.array(ken.where(pd.Series(ok, index=ken.index)), dtype="Int64"),
            "grade_value": pd.to_numeric(
                val.where(pd.Series(ok, index=val.index)), errors="coerce"
            ).to_numpy(),
        },
        index=text.index,
    )
    return stripped.where(ok, None).astype(object), derived


def _split_ck(raw: RawTable, text: pd.Series) -> tuple[pd.Series, pd.Series]:
    if pd.api.types.is_numeric_dtype(text.dtype):
        return text, pd.Series([""] * len(text), index=text.index, dtype=object)
    stripped = _strip(text)
    first = stripped.str.slice(0, 1)
    is_bound = first.isin(["<", ">"]).fillna(False)
    bound = first.where(is_bound, "").fillna("")
    number = stripped.where(~is_bound, stripped.str.slice(1).str.strip())
    return number, bound.astype(object)


def distinct_codes(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Each value as a code into the distinct values, which end with None (missing values' code)."""
    codes, uniques = pd.factorize(values)
    distinct = np.empty(len(uniques) + 1, dtype=object)
    distinct[:-1] = uniques
    distinct[-1] = None
    return np.where(codes < 0, len(uniques), codes), distinct


def _shared(s: pd.Series) -> pd.Series:
    """The same text with one string object per distinct value.

    A table of 5 million rows then holds each patient id once instead of 50 times over, and
    the criteria engine finds each patient's run of rows by comparing addresses.
    """
    codes, distinct = distinct_codes(s.to_numpy(dtype=object))
    return pd.Series(distinct[codes], index=s.index, dtype=object)


def _empty(col: Column, n: int, index: pd.Index) -> pd.Series:
    if col.kind in ("int", "day"):
        return pd.Series(pd.array([None] * n, dtype="Int64"), index=index)
    if col.kind in ("float", "lab"):
        return pd.Series(np.full(n, np.nan), index=index)
    return pd.Series([None] * n, index=index, dtype=object)


def _convert_table(spec: TableSpec, raw: RawTable, out: _Collector) -> pd.DataFrame:
    frame = raw.frame
    columns: dict[str, pd.Series] = {}
    n = len(frame)
    present = set(frame.columns)
    extra: pd.DataFrame | None = None
    for col in spec.columns:
        if col.name not in present:
            if col.required:
                out.add(
                    Problem(
                        raw.label, None, col.name, None, f"required column '{col.name}' is missing"
                    )
                )
            columns[col.name] = _empty(col, n, frame.index)
            if spec.name == "visits" and col.name == "ck":
                columns[CK_BOUND] = pd.Series([""] * n, index=frame.index, dtype=object)
            if col.kind == "grade":
                extra = pd.DataFrame(
                    {
                        "grade_whole": pd.array([None] * n, dtype="Int64"),
                        "grade_kendall": pd.array([None] * n, dtype="Int64"),
                        "grade_value": np.full(n, np.nan),
                    },
                    index=frame.index,
                )
            continue
        text = frame[col.name]
        if col.required:
            out.add_many(raw, _blank(_strip(text)), col.name, f"{col.name} is required")
        if spec.name == "visits" and col.name == "ck":
            text, bound = _split_ck(raw, text)
            columns[CK_BOUND] = bound.astype(object)
        if col.kind in ("int", "float", "day", "lab"):
            columns[col.name] = _numeric(raw, col, text, out)
        elif col.kind in ("enum", "unit"):
            columns[col.name] = _enum(raw, col, text, out)
        elif col.kind == "drug":
            columns[col.name] = _drug(raw, col, text, out)
        elif col.kind == "muscle":
            columns[col.name] = _muscle(raw, col, text, out)
        elif col.kind == "list":
            columns[col.name] = _list(raw, col, text, out)
        elif col.kind == "grade":
            columns[col.name], extra = _grades(raw, col, text, out)
        else:
            columns[col.name] = _text(text)
    if CK_BOUND in columns:
        lonely = (columns[CK_BOUND] != "").to_numpy() & columns["ck"].isna().to_numpy()
        out.add_many(
            raw, lonely, "ck", "a bound ('<' or '>') needs a number, e.g. <200", columns[CK_BOUND]
        )
    for name, column in columns.items():
        if column.dtype == object:
            columns[name] = _shared(column)
    result = pd.DataFrame(columns, index=frame.index, copy=False)  # no block consolidation
    if extra is not None:
        result = pd.concat([result, extra], axis=1)
    return result.reset_index(drop=True)


def check_columns(spec: TableSpec, raw: RawTable, out: _Collector) -> None:
    known = set(spec.names)
    seen: set[str] = set()
    for name in raw.frame.columns:
        if name in seen:
            out.add(Problem(raw.label, 1, str(name), None, "the column appears twice; keep one"))
        seen.add(str(name))
        if name not in known:
            out.add(
                Problem(
                    raw.label,
                    1,
                    str(name),
                    None,
                    f"unknown column for table '{spec.name}'{_suggest(str(name), spec.names)}",
                )
            )


def check_and_convert(
    raws: Mapping[str, RawTable],
) -> tuple[dict[str, pd.DataFrame], list[Problem]]:
    """Typed contract frames for every table and the list of problems (empty when valid)."""
    out = _Collector()
    frames: dict[str, pd.DataFrame] = {}
    if "patients" not in raws:
        out.add(
            Problem(
                "patients",
                None,
                None,
                None,
                "the patients table is required (patients.csv or a 'patients' sheet)",
            )
        )
    for name, spec in TABLES.items():
        raw = raws.get(name)
        if raw is None:
            raw = RawTable(
                name,
                pd.DataFrame({c: pd.Series([], dtype=object) for c in spec.names}),
                np.array([], dtype=int),
            )
        check_columns(spec, raw, out)
        if raw.frame.columns.duplicated().any():
            raw = RawTable(raw.label, raw.frame.loc[:, ~raw.frame.columns.duplicated()], raw.rows)
        frames[name] = _convert_table(spec, raw, out)
    rows = {name: (raws[name].rows if name in raws else np.array([], dtype=int)) for name in TABLES}
    labels = {name: (raws[name].label if name in raws else name) for name in TABLES}
    _cross_checks(frames, rows, labels, out)
    return frames, out.problems


def _mask_problems(
    out: _Collector,
    label: str,
    rows: np.ndarray,
    mask: np.ndarray,
    column: str | None,
    rule: str,
    values: pd.Series | None = None,
) -> None:
    raw = RawTable(label, pd.DataFrame(), rows)
    out.add_many(raw, mask, column, rule, values)


def _cross_checks(
    frames: dict[str, pd.DataFrame],
    rows: dict[str, np.ndarray],
    labels: dict[str, str],
    out: _Collector,
) -> None:
    pts = frames["patients"]
    ids = pts["patient_id"]
    dup = ids.notna().to_numpy() & ids.duplicated(keep="first").to_numpy()
    _mask_problems(
        out,
        labels["patients"],
        rows["patients"],
        dup,
        "patient_id",
        "duplicate patient_id: each patient appears once in the patients table",
        ids,
    )
    known = set(ids.dropna())
    for name in ("visits", "strength", "treatments", "events", "observations"):
        f = frames[name]
        pid = f["patient_id"]
        unknown = pid.notna().to_numpy() & ~pid.isin(known).to_numpy()
        _mask_problems(
            out,
            labels[name],
            rows[name],
            unknown,
            "patient_id",
            "unknown patient: this patient_id is not in the patients table",
            pid,
        )

    v = frames["visits"]
    ck_given = v["ck"].notna().to_numpy()
    no_uln = ck_given & v["ck_uln"].isna().to_numpy()
    _mask_problems(
        out,
        labels["visits"],
        rows["visits"],
        no_uln,
        "ck_uln",
        "ULN missing where CK is given: record the laboratory's upper limit of normal with every CK",
        v["ck"],
    )
    for enz in ("ldh", "hbdh", "aldolase", "alt", "ast"):
        miss = v[enz].notna().to_numpy() & v[f"{enz}_uln"].isna().to_numpy()
        _mask_problems(
            out,
            labels["visits"],
            rows["visits"],
            miss,
            f"{enz}_uln",
            f"ULN missing where {enz} is given",
            v[enz],
        )
    key = v[["patient_id", "day"]]
    dupv = key.notna().all(axis=1).to_numpy() & key.duplicated(keep="first").to_numpy()
    _mask_problems(
        out,
        labels["visits"],
        rows["visits"],
        dupv,
        "day",
        "a second visit of the same patient on the same day: merge them into one row",
        v["day"],
    )

    s = frames["strength"]
    skey = s[["patient_id", "day", "muscle"]].assign(side=s["side"].fillna(""))
    dups = (
        s[["patient_id", "day", "muscle"]].notna().all(axis=1).to_numpy()
        & skey.duplicated(keep="first").to_numpy()
    )
    _mask_problems(
        out,
        labels["strength"],
        rows["strength"],
        dups,
        "grade",
        "a second grade for the same patient, day, muscle and side",
        s["grade"],
    )

    t = frames["treatments"]
    start = t["start_day"].astype("Float64").to_numpy(dtype=float, na_value=np.nan)
    end = t["end_day"].astype("Float64").to_numpy(dtype=float, na_value=np.nan)
    with np.errstate(invalid="ignore"):
        before = end < start
    _mask_problems(
        out,
        labels["treatments"],
        rows["treatments"],
        before,
        "end_day",
        "end_day is before start_day",
        t["end_day"],
    )
    no_unit = t["dose"].notna().to_numpy() & t["dose_unit"].isna().to_numpy()
    _mask_problems(
        out,
        labels["treatments"],
        rows["treatments"],
        no_unit,
        "dose_unit",
        "dose_unit is required where a dose is given",
        t["dose"],
    )
