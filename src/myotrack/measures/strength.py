"""The strength scores' one implementation: rules over columns, for a cohort in SQL or one visit.

The MRC sum, MMT-8 and Kendall 0-40 (sources in :mod:`myotrack.measures.mrc`) are computed here,
each exact when the grades allow and as the lowest and highest value the grades allow, by two
interpreters of the same rules:

- :func:`strength_scores`: an Ibis expression over a table of grades, one row per assessment;
  the criteria engine runs it in SQL over a whole cohort. Only portable operations are used
  (arrays, ``unnest``, conditional aggregates, ``CASE``): the same expression compiles for
  DuckDB, PostgreSQL and Spark.
- :func:`one_assessment`: the same rules on one assessment's grades, with NumPy; the functions
  of :mod:`myotrack.measures.mrc` (``mrc_sum``, ``mrc_range``, ...) are adapters of it.

What is written once: which muscle sides a row grades (:func:`targets_of`, :func:`slots_of`),
the reductions (``_aggregates`` per assessment and muscle, ``_SUMS`` per assessment) and every
formula (``_side_stages``, ``_target_stages``, ``_assessment_scores``). The formulas take
columns: Ibis values (null = unknown) or NumPy values (NaN = unknown), and use only operations
that mean the same on both (a comparison with an unknown is not true; no negation of one). A
property test runs both interpreters on random grades and requires equal results.

Input columns of :func:`strength_scores`: the key columns (``by``, default ``patient_id`` and
``day``: one assessment each), ``muscle`` (a vocabulary muscle, or a limb region of
:data:`~myotrack.measures.mrc.REGIONS`), ``side`` (``left``, ``right``, ``axial``, ``both``, or
empty / null when the source does not say) and the grade's bounds ``grade_low`` and
``grade_high`` (whole MRC grades, :attr:`~myotrack.measures.grades.MrcGrade.low` / ``high``) and
``grade_kendall_low`` and ``grade_kendall_high`` (the Kendall 0-10 scale). At most one row per
assessment, muscle and side (the reader's rule).

Exact scores (as :mod:`myotrack.measures.mrc` defines them) read only the rows that name the
muscle and its side (``left``, ``right``, ``axial``) and take each grade's lower end (a range
``1-2`` counts 1):

- ``mrc_sum``: the twelve MRC-sum muscle sides, null unless all twelve are graded;
  ``mrc_graded`` and ``mrc_partial``: how many of them are graded and the sum of those;
- ``mmt8``: the eight MMT-8 muscles on ``mmt8_side`` (right by default; a muscle not graded on
  that side is taken from the other; neck flexors axial, else right, else left);
  ``mmt8_bilateral`` (0-150) and ``kendall40`` need both sides of every muscle.

Ranges (``mrc_low``/``mrc_high`` 0-60, ``mmt8_low``/``mmt8_high`` 0-80,
``kendall40_low``/``kendall40_high`` 0-40) read every row:

1. *What a row says.* A row bounds each muscle it names (a region: each member muscle) on each
   side it applies to: its side, or both sides for ``both``. A row without a side speaks of
   one side, which is not known (rule 4). A grade is the interval [low, high] on each scale.
2. *Several rows for one muscle and side* (a region row and a muscle row, a ``both`` row and a
   ``left`` row): the muscle lies in the intersection of what they say. When rows disagree
   (the intersection is empty), the rows that name the muscle win over region rows; rows of
   equal standing that disagree (a ``both`` row and a ``left`` row, two regions) are each
   possibly right, so the muscle lies in the smallest interval holding all of them. Nothing
   raises. The rows of one muscle without a side are taken to speak of the same side.
3. *An ungraded side* contributes 0..5 (0..10 on the Kendall scale).
4. *A muscle graded on an unstated side* (interval U): for a score of both sides (MRC sum,
   Kendall 0-40) U is the left side's grade or the right side's; each possibility that agrees
   with that side's own rows (intersection not empty) is scored, and the range spans both.
   When neither side agrees, U is left out (the sided rows are more specific).
5. *MMT-8, one side*: each muscle reads the chosen side if anything grades it there, else the
   other side, else an unstated side, else 0..10 (IMACS Form 04: the right side unless it
   cannot be tested); neck flexors read axial, right, left, then an unstated side.

So an exact sum (every muscle side it needs graded with a single grade) has low == high == the
sum, and a grade that agrees with the patient's true strength can only narrow a range (the
MMT-8 range may move when a grade on the chosen side replaces the other side's). The exact
scores keep their convention for a range grade (its lower end) even where another row narrows
that range: beside a 'both' hip '2', a left hip '1-2' adds 1 to ``mrc_sum`` and 2 to
``mrc_low``.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from myotrack.measures._numbers import is_ibis
from myotrack.measures.errors import MeasureError
from myotrack.measures.grades import MrcGrade
from myotrack.measures.mrc import (
    AXIAL,
    KENDALL40_MAX,
    KENDALL40_MUSCLES,
    MMT8_MAX,
    MMT8_MUSCLES,
    MRC_SUM_MAX,
    MRC_SUM_MUSCLES,
    REGIONS,
)

if TYPE_CHECKING:
    import ibis.expr.types as ir

#: The grade columns :func:`strength_scores` reads besides the keys, with their types.
GRADE_COLUMNS: dict[str, str] = {
    "muscle": "string",
    "side": "string",
    "grade_low": "int64",
    "grade_high": "int64",
    "grade_kendall_low": "int64",
    "grade_kendall_high": "int64",
}
#: The scores, each with its columns.
SCORES: dict[str, tuple[str, ...]] = {
    "mrc": ("mrc_sum", "mrc_graded", "mrc_partial", "mrc_low", "mrc_high"),
    "mmt8": ("mmt8", "mmt8_low", "mmt8_high", "mmt8_bilateral"),
    "kendall40": ("kendall40", "kendall40_low", "kendall40_high"),
}
#: Every score column, in the order of :data:`SCORES`.
SCORE_COLUMNS: tuple[str, ...] = tuple(c for cols in SCORES.values() for c in cols)
#: The range of each score when nothing is graded (every muscle side 0..5).
UNGRADED_RANGES: dict[str, tuple[int, int]] = {
    "mrc": (0, MRC_SUM_MAX),
    "mmt8": (0, MMT8_MAX),
    "kendall40": (0, KENDALL40_MAX),
}
#: The scores of an assessment without a row: nothing graded (exact scores are unknown).
UNGRADED: dict[str, int | None] = {
    "mrc_sum": None,
    "mrc_graded": 0,
    "mrc_partial": 0,
    "mmt8": None,
    "mmt8_bilateral": None,
    "kendall40": None,
    **{f"{s}_low": r[0] for s, r in UNGRADED_RANGES.items()},
    **{f"{s}_high": r[1] for s, r in UNGRADED_RANGES.items()},
}

#: Every muscle a score reads, in a fixed order.
SCORED: tuple[str, ...] = tuple(
    dict.fromkeys((*MRC_SUM_MUSCLES, *MMT8_MUSCLES, *KENDALL40_MUSCLES))
)
NECK = MMT8_MUSCLES[0]
UNSTATED = "unstated"
#: Per scale: the grade columns of its lower and upper bound, the top of the scale, the sides
#: its scores read. 'w' is the whole MRC grade (MRC sum), 'k' the Kendall value (MMT-8, 0-40).
_SCALES: dict[str, tuple[str, str, int, tuple[str, ...]]] = {
    "w": ("grade_low", "grade_high", 5, ("left", "right", UNSTATED)),
    "k": ("grade_kendall_low", "grade_kendall_high", 10, ("left", "right", AXIAL, UNSTATED)),
}
_SCORE_SCALE = {"mrc": "w", "mmt8": "k", "kendall40": "k"}


# --- rule 1: what a row grades -----------------------------------------------------------


def is_region(muscle: str) -> bool:
    return muscle in REGIONS


def targets_of(muscle: str) -> tuple[str, ...]:
    """The muscles a row of ``muscle`` grades: a region's scored members, else the muscle."""
    if muscle in REGIONS:
        return tuple(m for m in REGIONS[muscle] if m in SCORED)
    return (muscle,)


def slots_of(side: str | None) -> tuple[str, ...]:
    """The sides a row of ``side`` grades: both sides for 'both', 'unstated' when not said;
    none for a side that is not a side."""
    if side == "both":
        return ("left", "right")
    if side is None or side == "":
        return (UNSTATED,)
    return (side,) if side in ("left", "right", AXIAL) else ()


# --- the formulas, over Ibis or NumPy columns ----------------------------------------------


class _NumPy:
    """The column operations on NumPy values; NaN is unknown."""

    null = math.nan
    where = staticmethod(np.where)
    greatest = staticmethod(np.maximum)  # the rules use both only where neither is unknown
    least = staticmethod(np.minimum)

    @staticmethod
    def known(x: Any) -> Any:
        return ~np.isnan(x)

    @staticmethod
    def fill(x: Any, value: float) -> Any:
        return np.where(np.isnan(x), value, x)


class _Ibis:
    """The same operations on Ibis values; null is unknown."""

    def __init__(self) -> None:
        import ibis

        self.null = ibis.null("int64")
        self.where = ibis.ifelse
        self.greatest = ibis.greatest
        self.least = ibis.least

    @staticmethod
    def known(x: Any) -> Any:
        return x.notnull()

    @staticmethod
    def fill(x: Any, value: float) -> Any:
        return x.fill_null(value)


_IBIS: list[_Ibis] = []


def _ops(*values: object) -> Any:
    """The operations for these values: Ibis when any of them is an Ibis value."""
    if any(is_ibis(v) for v in values):
        if not _IBIS:
            _IBIS.append(_Ibis())
        return _IBIS[0]
    return _NumPy


Get = Callable[[str], Any]
#: A step of formulas: new columns from the columns before it (``get``). Each interpreter
#: stores a stage's columns before the next stage reads them, so that a formula reads a
#: column where it would otherwise repeat another formula (the SQL stays small).
Stage = Callable[[Get], dict[str, Any]]


def _side_stages(scales: Sequence[str]) -> list[Stage]:
    """Rule 2 on each muscle side, from the reductions of :func:`_aggregates`."""

    def levels(get: Get) -> dict[str, Any]:
        # rows of one standing: their intersection, or their hull when it is empty
        out = {}
        for scale, slot, level in _each(scales, ("m", "r")):
            key = f"{scale}{level}_{{}}_{slot}"
            ilo, ihi = get(key.format("ilo")), get(key.format("ihi"))
            xp = _ops(ilo, ihi)
            agree = ilo <= ihi
            out[key.format("lo")] = xp.where(agree, ilo, get(key.format("hlo")))
            out[key.format("hi")] = xp.where(agree, ihi, get(key.format("hhi")))
        return out

    def meet(get: Get) -> dict[str, Any]:
        # rows naming the muscle and region rows: do they agree?
        out = {}
        for scale, slot in _each(scales):
            m_lo, r_lo = get(f"{scale}m_lo_{slot}"), get(f"{scale}r_lo_{slot}")
            xp = _ops(m_lo, r_lo)
            x_lo = xp.greatest(m_lo, r_lo)
            x_hi = xp.least(get(f"{scale}m_hi_{slot}"), get(f"{scale}r_hi_{slot}"))
            out[f"{scale}x_lo_{slot}"], out[f"{scale}x_hi_{slot}"] = x_lo, x_hi
            out[f"{scale}_agree_{slot}"] = xp.known(m_lo) & xp.known(r_lo) & (x_lo <= x_hi)
        return out

    def side(get: Get) -> dict[str, Any]:
        # the intersection when they agree, else the rows naming the muscle (else the regions')
        out = {}
        for scale, slot in _each(scales):
            agree, m_lo = get(f"{scale}_agree_{slot}"), get(f"{scale}m_lo_{slot}")
            xp = _ops(agree, m_lo)
            named = xp.known(m_lo)
            for bound in ("lo", "hi"):
                out[f"{scale}_{bound}_{slot}"] = xp.where(
                    agree,
                    get(f"{scale}x_{bound}_{slot}"),
                    xp.where(
                        named, get(f"{scale}m_{bound}_{slot}"), get(f"{scale}r_{bound}_{slot}")
                    ),
                )
        return out

    return [levels, meet, side]


def _each(scales: Sequence[str], *more: Sequence[str]) -> list[tuple[str, ...]]:
    """(scale, side, ...) for every side each scale reads."""
    out: list[tuple[str, ...]] = [(scale, slot) for scale in scales for slot in _SCALES[scale][3]]
    for values in more:
        out = [(*t, v) for t in out for v in values]
    return out


def _target_stages(scales: Sequence[str], side: str) -> list[Stage]:
    """Rules 3-5 and the exact scores' grades, per muscle, from its sides."""
    other = "left" if side == "right" else "right"

    def parts(get: Get) -> dict[str, Any]:
        # each side's bounds, 0..top when ungraded; the unstated grade on either side
        out: dict[str, Any] = {"_neck": get("_target") == NECK}
        for scale in scales:
            top = _SCALES[scale][2]
            u_lo, u_hi = get(f"{scale}_lo_{UNSTATED}"), get(f"{scale}_hi_{UNSTATED}")
            xp = _ops(u_lo, u_hi)
            out[f"{scale}_has_u"] = xp.known(u_lo) & xp.known(u_hi)
            for s in ("left", "right"):
                lo = xp.fill(get(f"{scale}_lo_{s}"), 0)
                hi = xp.fill(get(f"{scale}_hi_{s}"), top)
                out[f"{scale}_{s}_lo"], out[f"{scale}_{s}_hi"] = lo, hi
                out[f"{scale}_u{s}_lo"] = xp.greatest(lo, xp.fill(u_lo, 0))
                out[f"{scale}_u{s}_hi"] = xp.least(hi, xp.fill(u_hi, top))
        return out

    def options(get: Get) -> dict[str, Any]:
        # rule 4: the unstated grade is the left side's, or the right side's, where it agrees
        out = {}
        for scale in scales:
            for s in ("left", "right"):
                out[f"{scale}_u{s}_ok"] = get(f"{scale}_has_u") & (
                    get(f"{scale}_u{s}_lo") <= get(f"{scale}_u{s}_hi")
                )
        return out

    def target(get: Get) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for scale in scales:
            left_ok, right_ok = get(f"{scale}_uleft_ok"), get(f"{scale}_uright_ok")
            xp = _ops(left_ok, right_ok, get(f"{scale}_left_lo"))
            for bound, pick in (("lo", xp.least), ("hi", xp.greatest)):
                a, c = get(f"{scale}_left_{bound}"), get(f"{scale}_right_{bound}")
                ua, uc = get(f"{scale}_uleft_{bound}"), get(f"{scale}_uright_{bound}")
                out[f"{scale}_{bound}"] = xp.where(
                    left_ok & right_ok,
                    pick(ua + c, a + uc),
                    xp.where(left_ok, ua + c, xp.where(right_ok, a + uc, a + c)),
                )
        if "w" in scales:
            left, right = get("w_named_left"), get("w_named_right")
            xp = _ops(left, right)
            out["n_named"] = xp.where(xp.known(left), 1, 0) + xp.where(xp.known(right), 1, 0)
            out["named"] = xp.fill(left, 0) + xp.fill(right, 0)
        if "k" in scales:
            neck = get("_neck")
            named = {s: get(f"k_named_{s}") for s in ("left", "right", AXIAL)}
            xp = _ops(neck, *named.values())
            # rule 5: the first side graded
            limb = _first_graded(get, (side, other, UNSTATED))
            neck_ = _first_graded(get, (AXIAL, "right", "left", UNSTATED))
            out["one_lo"] = xp.where(neck, neck_[0], limb[0])
            out["one_hi"] = xp.where(neck, neck_[1], limb[1])
            neck_named = xp.where(
                xp.known(named[AXIAL]),
                named[AXIAL],
                xp.where(xp.known(named["right"]), named["right"], named["left"]),
            )
            limb_named = xp.where(xp.known(named[side]), named[side], named[other])
            out["k_pair"] = named["left"] + named["right"]
            out["k_one"] = xp.where(neck, neck_named, limb_named)
            out["k_bilateral"] = xp.where(neck, neck_named, named["left"] + named["right"])
        return out

    return [parts, options, target]


def _first_graded(get: Get, order: Sequence[str]) -> tuple[Any, Any]:
    """Rule 5: Kendall bounds of the first side in ``order`` that is graded; else 0..10."""
    lo: Any = 0
    hi: Any = _SCALES["k"][2]
    for slot in reversed(order):
        s_lo, s_hi = get(f"k_lo_{slot}"), get(f"k_hi_{slot}")
        xp = _ops(s_lo, s_hi)
        graded = xp.known(s_lo)
        lo, hi = xp.where(graded, s_lo, lo), xp.where(graded, s_hi, hi)
    return lo, hi


#: Per score, the sums over its muscles (name -> (per-muscle column or None to count the
#: muscles with a row, 'sum' or 'count' of known values, muscles)).
_SUMS: dict[str, dict[str, tuple[str | None, str, tuple[str, ...]]]] = {
    "mrc": {
        "mrc_graded": ("n_named", "sum", MRC_SUM_MUSCLES),
        "mrc_partial": ("named", "sum", MRC_SUM_MUSCLES),
        "mrc_lo": ("w_lo", "sum", MRC_SUM_MUSCLES),
        "mrc_hi": ("w_hi", "sum", MRC_SUM_MUSCLES),
        "mrc_n": (None, "count", MRC_SUM_MUSCLES),
    },
    "kendall40": {
        "k40": ("k_pair", "sum", KENDALL40_MUSCLES),
        "k40_n": ("k_pair", "count", KENDALL40_MUSCLES),
        "k40_lo": ("k_lo", "sum", KENDALL40_MUSCLES),
        "k40_hi": ("k_hi", "sum", KENDALL40_MUSCLES),
        "k40_m": (None, "count", KENDALL40_MUSCLES),
    },
    "mmt8": {
        "m8": ("k_one", "sum", MMT8_MUSCLES),
        "m8_n": ("k_one", "count", MMT8_MUSCLES),
        "m8_lo": ("one_lo", "sum", MMT8_MUSCLES),
        "m8_hi": ("one_hi", "sum", MMT8_MUSCLES),
        "m8_m": (None, "count", MMT8_MUSCLES),
        "bil": ("k_bilateral", "sum", MMT8_MUSCLES),
        "bil_n": ("k_bilateral", "count", MMT8_MUSCLES),
    },
}


def _assessment_scores(get: Get, scores: Iterable[str]) -> dict[str, Any]:
    """The score columns of an assessment from the sums over its muscles (rule 3 for the
    muscles without a row: 0..5 per side)."""
    out: dict[str, Any] = {}

    def total(name: str) -> Any:
        value = get(name)
        return _ops(value).fill(value, 0)

    def exact_if(count: str, needed: int, value: str) -> Any:
        n = total(count)
        xp = _ops(n)
        return xp.where(n == needed, total(value), xp.null)

    def high(name: str, present: str, muscles: int, per_muscle: int) -> Any:
        return total(name) + per_muscle * (muscles - total(present))

    if "mrc" in scores:
        sides = 2 * len(MRC_SUM_MUSCLES)
        out["mrc_sum"] = exact_if("mrc_graded", sides, "mrc_partial")
        out["mrc_graded"] = total("mrc_graded")
        out["mrc_partial"] = total("mrc_partial")
        out["mrc_low"] = total("mrc_lo")
        out["mrc_high"] = high("mrc_hi", "mrc_n", len(MRC_SUM_MUSCLES), 2 * _SCALES["w"][2])
    if "mmt8" in scores:
        n = len(MMT8_MUSCLES)
        out["mmt8"] = exact_if("m8_n", n, "m8")
        out["mmt8_low"] = total("m8_lo")
        out["mmt8_high"] = high("m8_hi", "m8_m", n, _SCALES["k"][2])
        out["mmt8_bilateral"] = exact_if("bil_n", n, "bil")
    if "kendall40" in scores:
        n = len(KENDALL40_MUSCLES)
        out["kendall40"] = exact_if("k40_n", n, "k40")
        out["kendall40_low"] = total("k40_lo")
        out["kendall40_high"] = high("k40_hi", "k40_m", n, 2 * _SCALES["k"][2])
    return out


#: The side values a row may have, and the sides each grades (rule 1); None: not stated.
SIDE_VALUES: tuple[str | None, ...] = ("left", "right", AXIAL, "both", None)


def _aggregates(scales: Iterable[str]) -> dict[str, tuple[str, str, str, str]]:
    """The reductions per assessment and muscle: name -> (max or min, grade column, rows,
    side). Rows: 'm' those naming the muscle, 'r' region rows, 'named' those naming the
    muscle and this very side (the exact scores' grade); side: the side they grade."""
    out: dict[str, tuple[str, str, str, str]] = {}
    for scale, slot in _each(tuple(scales)):
        lo, hi = _SCALES[scale][:2]
        for level in ("m", "r"):
            out[f"{scale}{level}_ilo_{slot}"] = ("max", lo, level, slot)
            out[f"{scale}{level}_ihi_{slot}"] = ("min", hi, level, slot)
            out[f"{scale}{level}_hlo_{slot}"] = ("min", lo, level, slot)
            out[f"{scale}{level}_hhi_{slot}"] = ("max", hi, level, slot)
        out[f"{scale}_named_{slot}"] = ("max", lo, "named", slot)
    return out


def _scales(scores: Iterable[str]) -> tuple[str, ...]:
    unknown = [s for s in scores if s not in SCORES]
    if unknown:
        raise MeasureError(f"unknown score {unknown[0]!r}; use {', '.join(SCORES)}")
    return tuple(dict.fromkeys(_SCORE_SCALE[s] for s in scores))


def _check_side(side: str) -> str:
    if side not in ("right", "left"):
        raise MeasureError(f"the MMT-8 side is 'right' or 'left', not {side!r}")
    return side


# --- the cohort: an Ibis expression --------------------------------------------------------


def strength_scores(
    rows: ir.Table,
    by: Sequence[str] = ("patient_id", "day"),
    scores: Sequence[str] = tuple(SCORES),
    mmt8_side: str = "right",
) -> ir.Table:
    """Per assessment (each distinct ``by``) with a row, the columns of ``scores`` (int64).

    An assessment without rows scores :data:`UNGRADED`. ``scores``: names of :data:`SCORES`
    (fewer scores, a smaller query).
    """
    import ibis

    side = _check_side(mmt8_side)
    scales = _scales(scores)
    by = list(by)
    # rule 1: one row per grade row and muscle it grades; the sides it grades are conditions
    target = ibis.cases(
        *[
            (rows.muscle == r, ibis.literal(list(targets_of(r)), type="array<string>"))
            for r in REGIONS
            if targets_of(r)
        ],
        else_=ibis.array([rows.muscle]),
    )
    t = rows.mutate(_region=rows.muscle.isin(tuple(REGIONS)), _target=target).unnest("_target")
    unstated = t.side.isnull() | (t.side == "")
    grades = {
        slot: ibis.or_(
            *[unstated if v is None else (t.side == v) for v in SIDE_VALUES if slot in slots_of(v)]
        )
        for slot in dict.fromkeys(s for v in SIDE_VALUES for s in slots_of(v))
    }
    standing = {"m": ~t._region, "r": t._region, "named": ~t._region}
    aggs = {}
    for name, (fn, col, kind, slot) in _aggregates(scales).items():
        on = standing[kind] & (t.side == slot if kind == "named" else grades[slot])
        aggs[name] = getattr(t[col], fn)(where=on)
    g = t.group_by([*by, "_target"]).aggregate(**aggs)
    stages = [*_side_stages(scales), *_target_stages(scales, side)]
    summed = {col for score in scores for col, _, _ in _SUMS[score].values() if col}
    for stage, later in zip(stages, _read_later(stages, [*aggs, "_target"], summed), strict=True):
        new = stage(g.__getitem__)
        # each step keeps only the columns a later step reads: a small query to plan
        g = g.select(
            *by,
            "_target",
            *(c for c in g.columns if c in later and c not in new and c != "_target"),
            **{c: v for c, v in new.items() if c in later},
        )
    sums: dict[str, ir.Value] = {}
    for score in scores:
        for name, (summed_col, how, muscles) in _SUMS[score].items():
            on = g._target.isin(muscles)
            if summed_col is None:
                sums[name] = on.ifelse(1, 0).sum()
            elif how == "count":
                sums[name] = (on & g[summed_col].notnull()).ifelse(1, 0).sum()
            else:
                sums[name] = g[summed_col].sum(where=on)
    s = g.group_by(by).aggregate(**sums)
    out = _assessment_scores(s.__getitem__, scores)
    return s.select(*by, **{c: out[c].cast("int64") for c in _columns(scores)})


def _noting(values: Mapping[str, Any], read: set[str]) -> Get:
    """A getter of ``values`` that adds each name it is asked for to ``read``."""

    def get(name: str) -> Any:
        read.add(name)
        return values[name]

    return get


def _read_later(stages: Sequence[Stage], inputs: Sequence[str], final: set[str]) -> list[set[str]]:
    """After each stage, the columns a later stage (or ``final``) reads: found by running the
    stages once on one row of NumPy values and noting what each reads."""
    values: dict[str, Any] = {c: np.array([math.nan]) for c in inputs}
    values["_target"] = np.array([NECK], dtype=object)
    reads: list[set[str]] = []
    for stage in stages:
        read: set[str] = set()
        values |= stage(_noting(values, read))
        reads.append(read)
    out: list[set[str]] = []
    later = set(final)
    for read in reversed(reads):
        out.append(set(later))
        later |= read
    return out[::-1]


def _columns(scores: Iterable[str]) -> tuple[str, ...]:
    wanted = set(scores)
    return tuple(c for name, cols in SCORES.items() if name in wanted for c in cols)


# --- one assessment: the same rules with NumPy ---------------------------------------------

#: A grade row of one assessment: muscle, side (None = not stated), low, high, Kendall low, high.
GradeRow = tuple[str, str | None, int, int, int, int]
_GRADE_INDEX = {c: i for i, c in enumerate(list(GRADE_COLUMNS)[2:])}


def one_assessment(
    rows: Sequence[GradeRow], scores: Sequence[str] = tuple(SCORES), mmt8_side: str = "right"
) -> dict[str, int | None]:
    """The columns of ``scores`` for one assessment's grade rows, by the rules of
    :func:`strength_scores`: each step's reductions done here, its formulas shared (on NumPy
    arrays over the assessment's muscle sides, then its muscles)."""
    side = _check_side(mmt8_side)
    scales = _scales(scores)
    if not rows:
        return {c: UNGRADED[c] for c in _columns(scores)}
    # rule 1: each muscle's rows by the side they grade and their standing (the reductions)
    per_side: dict[tuple[str, str], dict[str, list[Sequence[int]]]] = {}
    for muscle, row_side, *grade in rows:
        standing = "r" if is_region(muscle) else "m"
        for target in targets_of(muscle):
            for slot in slots_of(row_side):
                groups = per_side.setdefault((target, slot), {"m": [], "r": [], "named": []})
                groups[standing].append(grade)
                if standing == "m" and row_side == slot:
                    groups["named"].append(grade)
    targets = list(dict.fromkeys(t for t, _ in per_side))
    empty: dict[str, list[Sequence[int]]] = {"m": [], "r": [], "named": []}
    step: dict[str, np.ndarray] = {"_target": np.array(targets, dtype=object)}
    for name, (fn, col, kind, slot) in _aggregates(scales).items():
        i = _GRADE_INDEX[col]
        reduce = max if fn == "max" else min
        found = [per_side.get((t, slot), empty)[kind] for t in targets]
        step[name] = np.array(
            [reduce(g[i] for g in f) if f else math.nan for f in found], dtype=np.float64
        )
    for stage in [*_side_stages(scales), *_target_stages(scales, side)]:
        step |= stage(step.__getitem__)
    # the sums over each score's muscles (an empty sum is unknown, as in SQL)
    sums: dict[str, float] = {}
    for score in scores:
        for name, (summed, how, muscles) in _SUMS[score].items():
            on = np.isin(targets, muscles)
            if summed is None:
                sums[name] = float(on.sum())
                continue
            values = step[summed][on]
            known = values[~np.isnan(values)]
            if how == "count":
                sums[name] = float(known.size)
            else:
                sums[name] = float(known.sum()) if known.size else math.nan
    out = _assessment_scores(sums.__getitem__, scores)
    return {c: None if math.isnan(out[c]) else round(float(out[c])) for c in _columns(scores)}


def grade_rows(grades: Mapping[tuple[str, str], MrcGrade]) -> list[GradeRow]:
    """``{(muscle, side): MrcGrade}`` as grade rows (side '': not stated)."""
    return [
        (m, s or None, g.low, g.high, g.kendall_low, g.kendall_high) for (m, s), g in grades.items()
    ]
