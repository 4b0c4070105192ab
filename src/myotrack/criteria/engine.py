"""The criteria engine: every criterion as one Ibis expression, executed by DuckDB in-process.

One implementation serves one patient (a web page) and a hundred thousand (benchmarks). The
DuckDB connection never installs or loads extensions, so nothing is ever downloaded.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import ibis
import ibis.expr.types as ir
import pandas as pd

from myotrack.criteria import ck, coreset, recovery, refractory, relapse, remission, response, rtx
from myotrack.criteria.base import NE, Criterion, Params
from myotrack.criteria.prepare import build_context
from myotrack.errors import UnknownCriterion
from myotrack.tables import Dataset

_MODULES = (refractory, response, rtx, recovery, relapse, remission, ck, coreset)

#: Every criterion by id, in the order of the outcomes table.
CRITERIA: dict[str, Criterion] = {c.id: c for m in _MODULES for c in m.CRITERIA}
ORDER = (
    "refractory", "definite_response", "rtx_response", "favourable_recovery_6m", "favourable_recovery_12m",
    "relapse", "complete_remission", "full_strength_3m", "full_strength_6m", "full_strength_12m",
    "full_strength_last", "ck_normalisation", "tis", "imacs_doi",
)
assert set(ORDER) == set(CRITERIA), "every criterion has a place in the outcomes table"


def connect() -> ibis.BaseBackend:
    return ibis.duckdb.connect(autoinstall_known_extensions=False, autoload_known_extensions=False)


@dataclass(frozen=True)
class Outcomes:
    """The outcomes table: one row per patient, a column per criterion, detail columns after."""

    frame: pd.DataFrame
    criteria: tuple[str, ...]

    def why(self, patient_id: str) -> dict[str, dict[str, object]]:
        """For one patient: per criterion, its value, reason, deciding rows and details."""
        row = self.frame[self.frame["patient_id"] == patient_id]
        if row.empty:
            raise KeyError(patient_id)
        r = row.iloc[0]
        result: dict[str, dict[str, object]] = {}
        for cid in self.criteria:
            details = {c.split("__", 1)[1]: _plain(r[c]) for c in self.frame.columns if c.startswith(cid + "__")}
            result[cid] = {"value": r[cid], **details}
        return result

    def counts(self) -> pd.DataFrame:
        """yes / no / not_evaluable counts per criterion."""
        rows = []
        for cid in self.criteria:
            vc = self.frame[cid].value_counts()
            rows.append({"criterion": cid, **{k: int(vc.get(k, 0)) for k in ("yes", "no", NE)}})
        return pd.DataFrame(rows)


def _plain(v: object) -> object:
    if v is None or v is pd.NA or (isinstance(v, float) and pd.isna(v)):
        return None
    if hasattr(v, "item"):
        return v.item()  # numpy scalar
    return v


def expression(ds: Dataset, criteria: Iterable[str] | None = None, params: Params | None = None) -> ir.Table:
    """The Ibis expression of the outcomes table (for inspection or other backends)."""
    p = params or Params()
    wanted = list(ORDER) if criteria is None else list(criteria)
    for cid in wanted:
        if cid not in CRITERIA:
            raise UnknownCriterion(f"unknown criterion {cid!r}; known: {', '.join(ORDER)}")
    ctx = build_context(ds, p)
    parts: list[ir.Table] = []
    parts += refractory.build(ctx) if "refractory" in wanted else []
    parts += response.build(ctx) if "definite_response" in wanted else []
    parts += rtx.build(ctx) if "rtx_response" in wanted else []
    parts += [t for t in recovery.build(ctx) if any(c in wanted for c in t.columns if "__" not in c and c != "patient_id")]
    rel = relapse.build(ctx)[0]
    if "relapse" in wanted:
        parts.append(rel)
    parts += remission.build(ctx, rel) if "complete_remission" in wanted else []
    parts += ck.build(ctx) if "ck_normalisation" in wanted else []
    parts += [t for t in coreset.build(ctx) if any(c in wanted for c in t.columns if "__" not in c and c != "patient_id")]
    result = ctx.patients.select("patient_id")
    for part in parts:
        result = result.left_join(part, "patient_id").select(~ibis.selectors.matches("_right$"))
    keep = [c for c in result.columns if c == "patient_id" or c.split("__", 1)[0] in wanted]
    return result.select(*keep)


def evaluate(
    ds: Dataset,
    criteria: Iterable[str] | None = None,
    params: Params | None = None,
    ids: Iterable[str] | None = None,
) -> Outcomes:
    """Evaluate criteria for every patient of ``ds`` (or the patients ``ids``)."""
    if ids is not None:
        ds = ds.subset(ids)
    wanted = tuple(ORDER) if criteria is None else tuple(criteria)
    expr = expression(ds, wanted, params)
    frame = connect().to_pandas(expr)
    order = {pid: i for i, pid in enumerate(ds.patients["patient_id"])}
    frame = frame.sort_values("patient_id", key=lambda s: s.map(order)).reset_index(drop=True)
    cols = ["patient_id"]
    for cid in (c for c in ORDER if c in wanted):
        cols.append(cid)
    for cid in (c for c in ORDER if c in wanted):
        cols += sorted(c for c in frame.columns if c.startswith(cid + "__"))
    frame = frame[cols]
    for cid in wanted:
        frame[cid] = frame[cid].fillna(NE)
    for c in frame.columns:
        if c.endswith(("_day", "__count", "days_from_anchor")) and frame[c].dtype != object:
            frame[c] = pd.to_numeric(frame[c]).round().astype("Int64")
    return Outcomes(frame, tuple(c for c in ORDER if c in wanted))
