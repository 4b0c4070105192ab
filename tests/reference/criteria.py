"""Reference implementation of every myotrack criterion, one patient at a time.

Plain Python over one patient's rows (no Ibis, no SQL, no group-bys across patients), written
from the definitions alone:

- the criteria: DOMAIN.md section 4 and the seed papers (001 Methods and Table 4 footnote b,
  002 Methods and Tables 2-3, 004 Methods 1.4 and 1.6.2), the 2016 ACR/EULAR response
  criteria and the IMACS 2004 definition of improvement (scored with
  :mod:`myotrack.measures`);
- how partial records are read: DOMAIN.md section 9 (three values; bounds; regions;
  qualitative labs; uncertain days; the relapse, remission, refractory and definite-response
  rules);
- the data shape: the contract (``/work/briefs/contract-v2.md``) and
  :mod:`myotrack.tables.schema`;
- the parameters: :class:`myotrack.criteria.Params` (field names and defaults only) and the
  ids, anchors and windows printed by ``myotrack criteria``.

Three values everywhere: a condition is ``True``, ``False`` or ``None`` (unknown). A criterion
is ``yes`` when its conditions are known true, ``no`` when a deciding condition is known false,
and ``not_evaluable`` only when the unknown could change the answer; the ``__reason`` column
names the missing fact (or, for ``no``, what failed).

Conventions used by every criterion (each is a judgement call; the source line is named):

- **Days.** A day is a span ``[earliest, latest]`` (exact: one day). A comparison between two
  spans is known only when it holds for every pair of days in them. 'After the anchor' is
  strictly after the anchor's start day; 'before' (baseline) is on or before it (a visit on
  the day a therapy starts is its pre-treatment assessment).
- **Assessments.** Visit rows and strength rows with the same day (same day, earliest and
  latest) form one assessment. A recorded ``visits.mrc_sum`` is used as written; otherwise the
  MRC sum is the range the graded muscles allow (contract v2, Strength: 'an ungraded muscle:
  0..5').
- **Strength rows.** ``side`` both = each side; left/right = that side; empty = one side,
  which one is not known (both possibilities are followed; for 002's weakest grade of an
  extremity it is the muscle's grade, :meth:`Strength.min_grade`); a region (a key of
  :data:`myotrack.measures.mrc.REGIONS`) bounds each member muscle; several bounds of one
  muscle side intersect (contradictory bounds widen to their hull instead); a side-unstated
  row is not placed on a side whose stated grade it contradicts, when another side is free.
- **Windows.** 'At N months' is the assessment closest to N x ``month_days`` after the anchor
  within +/- ``window_days`` (Params; ``myotrack criteria``: window_days = 45); with uncertain
  days every assessment that could be the closest one is looked at, and the answer is given
  only when they all agree and one surely lies in the window.
- **Treatments and events are complete lists.** A drug without a course row was not given, an
  event without a row did not happen (the record decides what it says; DOMAIN.md section 9).
- **Anchors.** 'First immunotherapy' is the earliest start among courses of every vocabulary
  class but ``other`` (statins). A course without a start day may have started first, so the
  anchor is then unbounded below (unless ``treatments.line`` puts it after a dated course);
  with no dated course there is no anchor (not evaluable). ``Params.anchor`` replaces the
  anchor of every anchored criterion (Params docstring: "every time-based criterion").

Each criterion's own judgement calls are in its docstring.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from itertools import product
from typing import Any

import pandas as pd

from myotrack.criteria import Params
from myotrack.measures import bounds, grades, imacs, mrc, steroids, tis
from myotrack.measures.coreset import HIGHER_IS_BETTER, MEASURES, CoreSetScales
from myotrack.measures.errors import MeasureError
from myotrack.tables import Dataset, vocab

YES, NO, NE = "yes", "no", "not_evaluable"

#: Every criterion id, in the order of ``myotrack criteria``.
CRITERIA: tuple[str, ...] = (
    "refractory",
    "definite_response",
    "rtx_response",
    "favourable_recovery_6m",
    "favourable_recovery_12m",
    "full_strength_3m",
    "full_strength_6m",
    "full_strength_12m",
    "full_strength_last",
    "relapse",
    "complete_remission",
    "ck_normalisation",
    "tis",
    "imacs_doi",
)
#: Detail columns of each criterion (besides ``<id>`` and ``<id>__reason``).
DETAILS: dict[str, tuple[str, ...]] = {
    "refractory": (),
    "definite_response": ("strength", "taper", "nonresponder"),
    "rtx_response": ("strength", "ck"),
    "favourable_recovery_6m": ("day",),
    "favourable_recovery_12m": ("day",),
    "full_strength_3m": ("day",),
    "full_strength_6m": ("day",),
    "full_strength_12m": ("day",),
    "full_strength_last": ("day",),
    "relapse": ("first_day", "count"),
    "complete_remission": (),
    "ck_normalisation": ("day",),
    "tis": ("score", "score_low", "score_high", "category"),
    "imacs_doi": (),
}

#: Seed 001 Methods: "at least one immunosuppressant (including methotrexate, azathioprine, and
#: mycophenolate mofetil) or intravenous immunoglobulin". DOMAIN.md section 9: the list is
#: examples, a parameter whose default is this list; calcineurin inhibitors are an option
#: (pass ``second_agents=DEFAULT_SECOND_AGENTS + CALCINEURIN_INHIBITORS``).
DEFAULT_SECOND_AGENTS: tuple[str, ...] = ("methotrexate", "azathioprine", "mycophenolate", "ivig")
CALCINEURIN_INHIBITORS: tuple[str, ...] = ("cyclosporine", "tacrolimus")

#: Drug classes that are not immunotherapy (vocabulary class ``other``: statins). A drug
#: outside the vocabulary (class ``unknown``) may or may not be one: it can only make the
#: anchor less certain, never define it.
NOT_IMMUNOTHERAPY_CLASSES = frozenset({"other"})
#: Escalation therapies (seed 002 'escalation therapy'; DOMAIN.md section 1: "Typical ladder:
#: corticosteroids + a steroid-sparing agent -> IVIg and/or rituximab -> plasma exchange,
#: high-dose cyclophosphamide, autologous haematopoietic cell transplantation, belimumab and
#: other experimental options"): every class beyond the first rung. Cancer chemotherapy,
#: antimalarials and statins are not escalation therapy of the myopathy.
FIRST_LINE_CLASSES = frozenset(
    {"glucocorticoid", "steroid_sparing", "antimalarial", "chemotherapy", "other"}
)
#: Enzymes of the core set (IMACS core set, Miller 2001: "CK, aldolase, LDH, ALT, AST"; the
#: 2016 criteria score the most abnormal one). HBDH is not a core-set enzyme.
CORE_ENZYMES: tuple[str, ...] = ("ck", "aldolase", "ldh", "alt", "ast")
#: Above this many side-unstated strength rows on one day, those rows are ignored (wider
#: ranges, never a wrong answer) instead of following every side assignment.
MAX_EITHER_SIDE_ROWS = 8

Truth = bool | None


# --------------------------------------------------------------------------------------------
# three-valued logic
# --------------------------------------------------------------------------------------------


def all3(values: Iterable[Truth]) -> Truth:
    """AND: False as soon as one is False, True when all are True, else unknown."""
    vals = list(values)
    if any(v is False for v in vals):
        return False
    if all(v is True for v in vals):
        return True
    return None


def any3(values: Iterable[Truth]) -> Truth:
    """OR: True as soon as one is True, False when all are False, else unknown."""
    vals = list(values)
    if any(v is True for v in vals):
        return True
    if all(v is False for v in vals):
        return False
    return None


def not3(value: Truth) -> Truth:
    return None if value is None else not value


def agree(values: Iterable[Truth]) -> Truth:
    """The common value of several possibilities, unknown when they differ (or are none)."""
    vals = list(values)
    if vals and all(v is True for v in vals):
        return True
    if vals and all(v is False for v in vals):
        return False
    return None


def word(value: Truth) -> str:
    return {True: YES, False: NO, None: NE}[value]


def tri_text(value: Truth) -> str:
    return {True: "yes", False: "no", None: "unknown"}[value]


# --------------------------------------------------------------------------------------------
# plain values out of pandas rows
# --------------------------------------------------------------------------------------------


def clean(value: Any) -> Any:
    """A cell as a plain Python value; None for any missing marker."""
    if value is None:
        return None
    try:
        if pd.isna(value):
            return None
    except (TypeError, ValueError):
        pass
    if isinstance(value, str):
        return value if value.strip() else None
    if hasattr(value, "item"):
        value = value.item()
    return value


def records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    return [{k: clean(v) for k, v in row.items()} for row in frame.to_dict("records")]


# --------------------------------------------------------------------------------------------
# days
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Span:
    """Where a day lies: lo..hi inclusive (None = unbounded on that side)."""

    lo: float | None
    hi: float | None
    day: float | None = None  # the day as stored (the middle of a range)

    @property
    def exact(self) -> bool:
        return self.lo is not None and self.lo == self.hi

    def text(self) -> str:
        if self.exact:
            return f"day {num(self.lo)}"
        lo = "?" if self.lo is None else num(self.lo)
        hi = "?" if self.hi is None else num(self.hi)
        if self.day is not None:
            return f"day {num(self.day)} ({lo}..{hi})"
        return f"day {lo}..{hi}"


def num(x: float | None) -> str:
    if x is None:
        return "?"
    x = float(x)
    return str(int(x)) if x.is_integer() else f"{x:.4g}"


def row_span(row: dict[str, Any], col: str) -> Span | None:
    """The span of a day column with its ``_earliest`` / ``_latest`` companions."""
    day, early, late = row.get(col), row.get(f"{col}_earliest"), row.get(f"{col}_latest")
    if day is None and early is None and late is None:
        return None
    lo = early if early is not None else day
    hi = late if late is not None else day
    return Span(lo, hi, day)


def before(a: Span | None, b: Span | None) -> Truth:
    """a strictly before b."""
    if a is None or b is None:
        return None
    if a.hi is not None and b.lo is not None and a.hi < b.lo:
        return True
    if a.lo is not None and b.hi is not None and a.lo >= b.hi:
        return False
    return None


def after(a: Span | None, b: Span | None) -> Truth:
    """a strictly after b."""
    return before(b, a)


def offset(d: Span, a: Span) -> Span:
    """The possible values of d - a."""
    lo = None if d.lo is None or a.hi is None else d.lo - a.hi
    hi = None if d.hi is None or a.lo is None else d.hi - a.lo
    return Span(lo, hi)


def within(s: Span, lo: float, hi: float) -> Truth:
    if s.lo is not None and s.hi is not None and s.lo >= lo and s.hi <= hi:
        return True
    if (s.hi is not None and s.hi < lo) or (s.lo is not None and s.lo > hi):
        return False
    return None


def at_least(s: Span, lo: float) -> Truth:
    """Every value of s is >= lo (True), none is (False), or unknown."""
    if s.lo is not None and s.lo >= lo:
        return True
    if s.hi is not None and s.hi < lo:
        return False
    return None


def at_most(s: Span, hi: float) -> Truth:
    if s.hi is not None and s.hi <= hi:
        return True
    if s.lo is not None and s.lo > hi:
        return False
    return None


# --------------------------------------------------------------------------------------------
# laboratory values
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Lab:
    """One enzyme at one visit as the reader stores it."""

    name: str
    value: float | None
    bound: str
    state: str
    uln: float | None
    day: Span

    @property
    def units(self) -> bounds.Interval:
        """U/L interval (bounds.interval), lower end never unbounded (a level is >= 0)."""
        iv = bounds.interval(self.value, self.bound, self.state, self.uln)
        low = 0.0 if iv.low is None else iv.low
        low_open = iv.low_open if iv.low is not None else False
        return bounds.Interval(low, iv.high, low_open, iv.high_open)

    @property
    def ulns(self) -> bounds.Interval:
        """Multiples of the ULN (bounds.uln_interval): unknown without a ULN for a number."""
        return bounds.uln_interval(self.value, self.bound, self.state, self.uln)

    def compare_uln(self, relation: bounds.Relation, multiple: float) -> Truth:
        return bounds.compare(self.ulns, relation, multiple)

    def text(self) -> str:
        shown = self.state or f"{self.bound}{num(self.value)}"
        uln = f" (ULN {num(self.uln)})" if self.uln is not None else " (no ULN)"
        return f"{self.name.upper()} {shown}{uln} on {self.day.text()}"

    def missing_uln(self) -> bool:
        return self.uln is None and not self.state


def lab_of(row: dict[str, Any], name: str, day: Span) -> Lab | None:
    value = row.get(name)
    state = row.get(f"{name}_state") or ""
    if value is None and not state:
        return None
    return Lab(name, value, row.get(f"{name}_bound") or "", state, row.get(f"{name}_uln"), day)


def iv_greater(a: bounds.Interval, b: bounds.Interval) -> Truth:
    """a > b for every value of both (True), for none (False), or unknown."""
    if (
        a.low is not None
        and b.high is not None
        and (a.low > b.high or (a.low == b.high and (a.low_open or b.high_open)))
    ):
        return True
    b_low = 0.0 if b.low is None else b.low
    if a.high is not None and a.high <= b_low:
        return False
    return None


def iv_min(members: Sequence[bounds.Interval], sure: Sequence[bounds.Interval]) -> bounds.Interval:
    """The minimum of a set whose possible members are ``members`` and sure ones ``sure``: at
    least the lowest possible value, at most the lowest upper end of a sure member."""
    low = min((0.0 if m.low is None else m.low) for m in members)
    finite = [s.high for s in sure if s.high is not None]
    return bounds.Interval(low, min(finite) if finite else None)


def iv_hull(items: Sequence[bounds.Interval]) -> bounds.Interval:
    low = min((0.0 if m.low is None else m.low) for m in items)
    highs = [m.high for m in items]
    high = None if any(h is None for h in highs) else max(h for h in highs if h is not None)
    return bounds.Interval(low, high)


# --------------------------------------------------------------------------------------------
# strength
# --------------------------------------------------------------------------------------------

LIMB_SIDES = ("left", "right")
AXIAL_MUSCLES = frozenset({"neck_flexors", "neck_extensors"})


@dataclass(frozen=True)
class Bound:
    """Whole-grade bounds (MRC) and Kendall 0-10 bounds of one muscle side."""

    lo: int
    hi: int
    klo: int
    khi: int

    def meet(self, other: Bound) -> Bound:
        lo, hi = max(self.lo, other.lo), min(self.hi, other.hi)
        if lo > hi:
            lo, hi = min(self.lo, other.lo), max(self.hi, other.hi)
        klo, khi = max(self.klo, other.klo), min(self.khi, other.khi)
        if klo > khi:
            klo, khi = min(self.klo, other.klo), max(self.khi, other.khi)
        return Bound(lo, hi, klo, khi)


UNGRADED = Bound(0, 5, 0, 10)


@dataclass(frozen=True)
class GradeRow:
    members: tuple[str, ...]
    side: str | None  # left, right, axial, both, or None (one side, not stated)
    bound: Bound


def grade_row(row: dict[str, Any]) -> GradeRow | None:
    muscle = row.get("muscle")
    if muscle is None:
        return None
    members = mrc.REGIONS.get(muscle, (muscle,))
    lo, hi = row.get("grade_low"), row.get("grade_high")
    text = row.get("grade")
    try:
        parsed = grades.parse_grade(text)
    except grades.GradeError:
        return None
    if lo is None:
        lo = parsed.low
    if hi is None:
        hi = parsed.high
    klo = parsed.kendall
    khi = grades.parse_grade(parsed.upper).kendall if parsed.upper is not None else parsed.kendall
    side = row.get("side")
    if side is None and muscle in AXIAL_MUSCLES:
        side = "axial"
    return GradeRow(tuple(members), side, Bound(int(lo), int(hi), klo, khi))


Cells = dict[tuple[str, str], Bound]


def _put(cells: Cells, key: tuple[str, str], b: Bound) -> None:
    cells[key] = cells[key].meet(b) if key in cells else b


@dataclass
class Strength:
    """The strength rows of one assessment: fixed cells and side-unstated rows."""

    fixed: Cells = field(default_factory=dict)
    either: list[GradeRow] = field(default_factory=list)

    def add(self, g: GradeRow) -> None:
        if g.side is None:
            self.either.append(g)
            return
        sides = LIMB_SIDES if g.side == "both" else (g.side,)
        for m in g.members:
            for s in sides:
                _put(self.fixed, (m, s), g.bound)

    def touches(self, muscles: Iterable[str]) -> bool:
        wanted = set(muscles)
        return any(m in wanted and s in LIMB_SIDES for (m, s) in self.fixed) or any(
            wanted.intersection(g.members) for g in self.either
        )

    def assignments(self, muscles: Iterable[str]) -> Iterable[Cells]:
        """Every way the side-unstated rows touching ``muscles`` can be placed."""
        wanted = set(muscles)
        rows = [g for g in self.either if wanted.intersection(g.members)]
        if not rows or len(rows) > MAX_EITHER_SIDE_ROWS:
            yield self.fixed
            return
        placed: list[tuple[bool, Cells]] = []
        for choice in product(LIMB_SIDES, repeat=len(rows)):
            cells = dict(self.fixed)
            consistent = True
            for g, side in zip(rows, choice, strict=True):
                for m in g.members:
                    old = cells.get((m, side))
                    if old is not None and max(old.lo, g.bound.lo) > min(old.hi, g.bound.hi):
                        consistent = False
                    _put(cells, (m, side), g.bound)
            placed.append((consistent, cells))
        # a placement that contradicts a grade stated for that side is not a reading of the
        # record (right hip flexors 4 and hip flexors 5 on an unstated side: the 5 is the
        # left); contradictory bounds widen to their hull only when no placement is consistent
        kept = [cells for ok, cells in placed if ok] or [cells for _, cells in placed]
        yield from kept

    def graded(self, muscles: Iterable[str]) -> int:
        return sum(1 for m in muscles for s in LIMB_SIDES if (m, s) in self.fixed)

    def mrc_range(self) -> tuple[int, int]:
        """Lowest and highest MRC sum (0-60) the grades allow."""
        los, his = [], []
        for cells in self.assignments(mrc.MRC_SUM_MUSCLES):
            cs = [cells.get((m, s), UNGRADED) for m in mrc.MRC_SUM_MUSCLES for s in LIMB_SIDES]
            los.append(sum(c.lo for c in cs))
            his.append(sum(c.hi for c in cs))
        return min(los), max(his)

    def min_grade(self, muscles: Sequence[str]) -> tuple[int, int]:
        """Range of the weakest whole grade over ``muscles`` on both sides."""
        # A muscle graded without a side (contract, Strength: the record does not say which)
        # has that grade as the muscle's grade: seed 002 reports one grade per muscle without
        # a side ("Deltoid strength, min" before therapy, "at last visit" after) and decides
        # its patients on those grades, so its weakest grade is that grade, or a stated side
        # that is weaker; the muscle's other sides are not taken as ungraded.
        unstated: dict[str, Bound] = {}
        for g in self.either:
            for m in g.members:
                if m in muscles:
                    unstated[m] = unstated[m].meet(g.bound) if m in unstated else g.bound
        los, his = [], []
        for m in muscles:
            if m in unstated:
                u = unstated[m]
                stated = [self.fixed[(m, s)] for s in LIMB_SIDES if (m, s) in self.fixed]
                los.append(min([u.lo, *(c.lo for c in stated)]))
                his.append(min([u.hi, *(c.hi for c in stated)]))
            else:
                cs = [self.fixed.get((m, s), UNGRADED) for s in LIMB_SIDES]
                los.append(min(c.lo for c in cs))
                his.append(min(c.hi for c in cs))
        return min(los), min(his)

    def mmt8_range(self) -> tuple[int, int] | None:
        """MMT-8 (0-80, Kendall) range: right side, the left when the right is not graded
        (IMACS Form 04, as :func:`myotrack.measures.mrc.mmt8`); neck flexors axial."""
        if not self.touches(mrc.MMT8_MUSCLES) and not any(
            m == "neck_flexors" for (m, _s) in self.fixed
        ):
            return None
        los, his = [], []
        for cells in self.assignments(mrc.MMT8_MUSCLES):
            lo = hi = 0
            for m in mrc.MMT8_MUSCLES:
                order = ("axial", "right", "left") if m == "neck_flexors" else ("right", "left")
                c = next((cells[(m, s)] for s in order if (m, s) in cells), UNGRADED)
                lo += c.klo
                hi += c.khi
            los.append(lo)
            his.append(hi)
        return min(los), max(his)


# --------------------------------------------------------------------------------------------
# one patient's record
# --------------------------------------------------------------------------------------------

VISIT_FIELDS = (
    "mrc_sum",
    "mmt8",
    "mrs",
    "prednisone_mg_day",
    "physician_global",
    "patient_global",
    "extramuscular_global",
    "haq",
    "weight_kg",
)


@dataclass
class Assessment:
    key: tuple[Any, Any, Any]
    span: Span
    values: dict[str, Any] = field(default_factory=dict)
    labs: dict[str, Lab] = field(default_factory=dict)
    strength: Strength = field(default_factory=Strength)

    @property
    def day(self) -> float:
        return self.span.day if self.span.day is not None else (self.span.lo or 0)

    def text(self) -> str:
        return self.span.text()

    @property
    def ck(self) -> Lab | None:
        return self.labs.get("ck")

    @property
    def has_mrc(self) -> bool:
        return self.values.get("mrc_sum") is not None or self.strength.touches(mrc.MRC_SUM_MUSCLES)

    def mrc(self) -> tuple[float, float]:
        if self.values.get("mrc_sum") is not None:
            v = float(self.values["mrc_sum"])
            return v, v
        lo, hi = self.strength.mrc_range()
        return float(lo), float(hi)

    def mrc_text(self) -> str:
        lo, hi = self.mrc()
        if lo == hi:
            return f"MRC sum {num(lo)} on {self.text()}"
        graded = self.strength.graded(mrc.MRC_SUM_MUSCLES)
        return (
            f"MRC sum on {self.text()} known only as {num(lo)}..{num(hi)} "
            f"({graded} of 12 muscle sides graded on a stated side)"
        )

    def mmt8(self) -> tuple[float, float] | None:
        if self.values.get("mmt8") is not None:
            v = float(self.values["mmt8"])
            return v, v
        r = self.strength.mmt8_range()
        return None if r is None else (float(r[0]), float(r[1]))


@dataclass(frozen=True)
class Course:
    drug: str
    drug_class: str
    start: Span | None
    end: Span | None
    line: int | None
    row: dict[str, Any]

    def text(self) -> str:
        when = self.start.text() if self.start is not None else "no start day"
        return f"{self.drug} ({when})"


@dataclass
class Record:
    patient: dict[str, Any]
    assessments: list[Assessment]
    courses: list[Course]
    events: list[dict[str, Any]]
    visit_weights: list[float]


def build_record(tables: dict[str, list[dict[str, Any]]]) -> Record:
    by_key: dict[tuple[Any, Any, Any], Assessment] = {}

    def get(row: dict[str, Any]) -> Assessment:
        key = (row.get("day"), row.get("day_earliest"), row.get("day_latest"))
        if key not in by_key:
            span = row_span(row, "day")
            assert span is not None  # day is required in visits and strength
            by_key[key] = Assessment(key, span)
        return by_key[key]

    weights: list[float] = []
    for row in tables.get("visits", []):
        a = get(row)
        for f in VISIT_FIELDS:
            if a.values.get(f) is None and row.get(f) is not None:
                a.values[f] = row[f]
        for name in ("ck", "ldh", "hbdh", "aldolase", "alt", "ast"):
            lab = lab_of(row, name, a.span)
            if lab is not None and name not in a.labs:
                a.labs[name] = lab
        if row.get("weight_kg") is not None:
            weights.append(float(row["weight_kg"]))
    for row in tables.get("strength", []):
        g = grade_row(row)
        if g is not None:
            get(row).strength.add(g)
    courses = []
    for row in tables.get("treatments", []):
        drug = row.get("drug")
        if drug is None:
            continue
        courses.append(
            Course(
                drug,
                vocab.drug_class(drug),
                row_span(row, "start_day"),
                row_span(row, "end_day"),
                row.get("line"),
                row,
            )
        )
    assessments = sorted(by_key.values(), key=lambda a: (a.day, a.span.lo or 0, a.span.hi or 0))
    patients = tables.get("patients", [])
    return Record(
        patients[0] if patients else {},
        assessments,
        courses,
        list(tables.get("events", [])),
        weights,
    )


# --------------------------------------------------------------------------------------------
# anchors
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Anchor:
    span: Span | None  # None: no usable start day
    label: str
    missing: str = ""  # why there is no anchor


def _line_excludes(c: Course, dated: Sequence[Course], first: bool) -> bool:
    """An undated course cannot be the first (last) when a dated course has a lower (higher)
    line: ``treatments.line`` is the order of the courses (schema)."""
    if c.line is None:
        return False
    lines = [d.line for d in dated if d.line is not None]
    return any(line < c.line for line in lines) if first else any(line > c.line for line in lines)


def pick_start(sure: Sequence[Course], maybe: Sequence[Course], first: bool, label: str) -> Anchor:
    """The start day of the first (``first``) or the latest course among ``sure`` courses, as
    a span. An undated course (unless its ``line`` rules it out) and a course that may be of
    the kind (``maybe``: a drug outside the vocabulary) can only widen it: the first start may
    be earlier than every dated one (unbounded below), the latest later (unbounded above)."""
    if not sure:
        return Anchor(None, label, f"no {label} course")
    dated = [c for c in sure if c.start is not None and None not in (c.start.lo, c.start.hi)]
    if not dated:
        return Anchor(None, label, f"the {label} course ({sure[0].drug}) has no start day")
    undated = [c for c in sure if c not in dated and not _line_excludes(c, dated, first)]
    los = [float(c.start.lo) for c in dated]  # type: ignore[union-attr,arg-type]
    his = [float(c.start.hi) for c in dated]  # type: ignore[union-attr,arg-type]
    lo: float | None = min(los) if first else max(los)
    hi: float | None = min(his) if first else max(his)
    for c in maybe:
        if c.start is None:
            undated.append(c)
        elif first:
            lo = None if lo is None or c.start.lo is None else min(lo, c.start.lo)
        else:
            hi = None if hi is None or c.start.hi is None else max(hi, c.start.hi)
    if undated:
        lo, hi = (None, hi) if first else (lo, None)
    pick = (min if first else max)(dated, key=lambda c: c.start.lo)  # type: ignore[union-attr]
    span = Span(lo, hi, pick.start.day)  # type: ignore[union-attr]
    return Anchor(span, f"{label} ({pick.drug}, {span.text()})")


def immunotherapy_anchor(rec: Record) -> Anchor:
    sure = [c for c in rec.courses if c.drug_class not in NOT_IMMUNOTHERAPY_CLASSES | {"unknown"}]
    maybe = [c for c in rec.courses if c.drug_class == "unknown"]
    return pick_start(sure, maybe, True, "first immunotherapy")


def anchor_for(rec: Record, params: Params, default: Callable[[Record], Anchor]) -> Anchor:
    """Params.anchor: "a drug (any synonym) whose first course anchors every time-based
    criterion instead of each criterion's default anchor" (Params docstring)."""
    if params.anchor:
        drug = vocab.canonical_drug(params.anchor) or params.anchor
        sure = [c for c in rec.courses if c.drug == drug]
        return pick_start(sure, [], True, f"first {drug}")
    return default(rec)


def rituximab_anchor(rec: Record) -> Anchor:
    return pick_start([c for c in rec.courses if c.drug == "rituximab"], [], True, "rituximab")


def escalation_anchor(rec: Record) -> Anchor:
    """The escalation therapy started last, each drug counted from its first course: 002
    judges the response 'after the therapy', i.e. after it began, so a re-dose or a
    maintenance course of a drug given earlier is not a new anchor (002 patient 4: rituximab
    before and again after HiCy; the anchor is HiCy)."""
    label = "latest escalation therapy"
    sure = [
        c
        for c in rec.courses
        if c.drug_class not in FIRST_LINE_CLASSES and c.drug_class != "unknown"
    ]
    maybe = [c for c in rec.courses if c.drug_class == "unknown"]
    if not sure:
        return Anchor(None, label, f"no {label} course")
    drugs: dict[str, list[Course]] = {}
    for c in sure:
        drugs.setdefault(c.drug, []).append(c)
    firsts = {d: pick_start(cs, [], True, d) for d, cs in drugs.items()}
    dated = {d: a.span for d, a in firsts.items() if a.span is not None}
    if not dated:
        return Anchor(None, label, f"the {label} course ({sure[0].drug}) has no start day")
    dated_lines = [
        c.line for d in dated for c in drugs[d] if c.line is not None and c.start is not None
    ]
    los = [sp.lo for sp in dated.values() if sp.lo is not None]
    lo: float | None = max(los) if los else None
    hi: float | None = max(float(sp.hi) for sp in dated.values())  # type: ignore[arg-type]
    for d, cs in drugs.items():
        if d in dated:
            continue
        # a drug without a dated course may have begun last, unless a dated course of
        # another drug comes after its first course (treatments.line)
        lines = [c.line for c in cs]
        if None in lines or not dated_lines or min(lines) >= max(dated_lines):  # type: ignore[type-var]
            hi = None
    for c in maybe:
        if c.start is None or c.start.hi is None:
            hi = None
        elif hi is not None:
            hi = max(hi, c.start.hi)
    pick = max(dated, key=lambda d: dated[d].lo if dated[d].lo is not None else -math.inf)
    first = min(
        (c for c in drugs[pick] if c.start is not None),
        key=lambda c: c.start.lo if c.start.lo is not None else -math.inf,  # type: ignore[union-attr]
    )
    span = Span(lo, hi, first.start.day)  # type: ignore[union-attr]
    return Anchor(span, f"{label} ({pick}, {span.text()})")


# --------------------------------------------------------------------------------------------
# choosing assessments
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Choice:
    """The assessments that could be the one a criterion looks at.

    ``sure``: one of them certainly exists (otherwise there may be none); ``candidates``: all
    that could be the chosen one."""

    candidates: tuple[Assessment, ...]
    sure: bool

    @property
    def empty(self) -> bool:
        return not self.candidates


def choose_last(items: Sequence[Assessment], member: Callable[[Assessment], Truth]) -> Choice:
    m = {id(a): member(a) for a in items}
    possible = [a for a in items if m[id(a)] is not False]
    sure = [a for a in items if m[id(a)] is True]
    cands = tuple(a for a in possible if not any(before(a.span, s.span) is True for s in sure))
    return Choice(cands, bool(sure))


def choose_first(items: Sequence[Assessment], member: Callable[[Assessment], Truth]) -> Choice:
    m = {id(a): member(a) for a in items}
    possible = [a for a in items if m[id(a)] is not False]
    sure = [a for a in items if m[id(a)] is True]
    cands = tuple(a for a in possible if not any(before(s.span, a.span) is True for s in sure))
    return Choice(cands, bool(sure))


def _distance(o: Span, target: float) -> tuple[float, float]:
    """Smallest and largest possible |offset - target| (inf when unbounded)."""
    lo = -math.inf if o.lo is None else o.lo
    hi = math.inf if o.hi is None else o.hi
    dmin = 0.0 if lo <= target <= hi else min(abs(lo - target), abs(hi - target))
    return dmin, max(abs(lo - target), abs(hi - target))


def choose_closest(
    items: Sequence[Assessment], anchor: Span, target: float, width: float
) -> Choice:
    """The assessment closest to ``target`` days after the anchor within +/- ``width``."""
    offs = {id(a): offset(a.span, anchor) for a in items}
    inside = {id(a): within(offs[id(a)], target - width, target + width) for a in items}
    possible = [a for a in items if inside[id(a)] is not False]
    sure = [a for a in items if inside[id(a)] is True]
    if not sure:
        return Choice(tuple(possible), False)
    bound = min(_distance(offs[id(s)], target)[1] for s in sure)
    cands = tuple(a for a in possible if _distance(offs[id(a)], target)[0] <= bound)
    return Choice(cands, True)


# --------------------------------------------------------------------------------------------
# results
# --------------------------------------------------------------------------------------------


@dataclass
class Result:
    value: Truth
    reason: str
    details: dict[str, Any] = field(default_factory=dict)


def window_text(months: float, params: Params, anchor: Anchor) -> str:
    return (
        f"{num(months)} months ({num(months * params.month_days)} +/- {params.window_days} "
        f"days) after the {anchor.label}"
    )


def judge(choice: Choice, fn: Callable[[Assessment], Truth]) -> Truth:
    """The value of ``fn`` at the chosen assessment: known when every candidate agrees and
    one surely exists."""
    if choice.empty or not choice.sure:
        return None
    return agree(fn(a) for a in choice.candidates)


# --------------------------------------------------------------------------------------------
# conditions shared by several criteria
# --------------------------------------------------------------------------------------------


def mrc_is_60(a: Assessment) -> Truth:
    lo, hi = a.mrc()
    if lo >= mrc.MRC_SUM_MAX:
        return True
    if hi < mrc.MRC_SUM_MAX:
        return False
    return None


def previous_mrc(rec: Record, b: Assessment) -> Choice:
    """The MRC assessment just before ``b`` (seed 004: "from previous assessment")."""
    items = [x for x in rec.assessments if x is not b and x.has_mrc]
    possible = [x for x in items if before(x.span, b.span) is not False]
    sure = [x for x in items if before(x.span, b.span) is True]
    cands = tuple(
        x
        for x in possible
        if not any(
            y is not x and before(x.span, y.span) is True and before(y.span, b.span) is True
            for y in items
        )
    )
    return Choice(cands, bool(sure))


def mrc_drop(x: Assessment, b: Assessment, more_than: float, strict: bool) -> Truth:
    """MRC sum at x minus at b: > more_than (strict) or >= more_than."""
    xlo, xhi = x.mrc()
    blo, bhi = b.mrc()
    worst, best = xlo - bhi, xhi - blo
    if (worst > more_than) if strict else (worst >= more_than):
        return True
    if (best <= more_than) if strict else (best < more_than):
        return False
    return None


# --------------------------------------------------------------------------------------------
# relapse (seed 004 Methods 1.4)
# --------------------------------------------------------------------------------------------


def relapse(rec: Record, params: Params) -> Result:
    """Seed 004 Methods 1.4: "The relapse criteria were that the serum creatine kinase (CK)
    returned to above the patient's baseline level, rose to more than three times the
    reference upper limit and over 1 point MRC-sum score drop from previous assessment."

    - Each follow-up assessment (strictly after the anchor, with a CK or an MRC sum) is a
      candidate; all three conditions are read at that one assessment (same day).
    - Baseline (Params.relapse_baseline): ``nadir`` = the lowest CK from the anchor day up to
      the candidate (``myotrack criteria``: "nadir since immunotherapy"); ``pretreatment`` =
      the last CK on or before the anchor within ``baseline_lookback_days``.
    - CK > relapse_ck_multiple x ULN (needs the ULN, or a qualitative word); MRC drop >
      relapse_mrc_drop from the previous assessment with an MRC sum.
    - Reported relapses (Params.accept_reported_relapse; DOMAIN.md section 9): count when
      clinical (``relapse_type`` clinical / both / not stated), not when biochemical; one
      without a day is still a relapse during follow-up; a dated one counts when it is after
      the anchor.
    - Every qualifying assessment is one relapse (the definition is per assessment); a
      reported relapse on the day of a measured one is the same relapse.
    - 'no' needs at least one follow-up assessment with a CK or an MRC sum.
    """
    anchor = anchor_for(rec, params, immunotherapy_anchor)
    a_span = anchor.span
    votes: list[tuple[Truth, str, Span | None]] = []  # (value, reason, day)
    followup = False
    for b in rec.assessments:
        if b.ck is None and not b.has_mrc:
            continue
        if a_span is None:
            votes.append((None, anchor.missing, b.span))
            continue
        is_after = after(b.span, a_span)
        if is_after is False:
            continue
        if is_after is True:
            followup = True
        parts: list[tuple[Truth, str]] = [
            (is_after, f"{b.text()} may be on or before the {anchor.label}")
        ]
        parts.extend(_relapse_ck(rec, params, b, a_span, anchor))
        parts.append(_relapse_mrc(rec, params, b))
        value = all3(v for v, _ in parts)
        why = next((r for v, r in parts if v is None), "") if value is None else ""
        if value is False:
            why = next(r for v, r in parts if v is False)
        votes.append((value, why, b.span))
    if params.accept_reported_relapse:
        for ev in rec.events:
            if ev.get("kind") != "relapse_reported":
                continue
            if ev.get("relapse_type") == "biochemical":
                continue
            span = row_span(ev, "day")
            if span is None:
                votes.append((True, "a reported clinical relapse (no day given)", None))
                continue
            if a_span is None:
                v: Truth = None
                why = f"reported relapse on {span.text()}: {anchor.missing}"
            else:
                v = after(span, a_span)
                why = f"the reported relapse on {span.text()} may be before the {anchor.label}"
                if v is False:
                    why = f"the reported relapse on {span.text()} is before the {anchor.label}"
            votes.append((v, why, span))
    value = any3(v for v, _, _ in votes)
    details: dict[str, Any] = {"first_day": None, "count": None}
    if value is True:
        # Count: one relapse per qualifying assessment; a reported relapse on the same day
        # (same span) is the same one; an undated reported relapse is one more. First day:
        # only when certain (no undated relapse, no possibly earlier one, an exact day).
        dated = [d for v, _, d in votes if v is True and d is not None]
        undated = sum(1 for v, _, d in votes if v is True and d is None)
        details["count"] = len({(d.lo, d.hi) for d in dated}) + undated
        if not dated:
            return Result(True, "a reported clinical relapse (no day given)", details)
        first = min(dated, key=lambda d: -math.inf if d.lo is None else d.lo)
        doubt = any(
            v is not False
            and d is not None
            and (d.lo, d.hi) != (first.lo, first.hi)
            and before(first, d) is not True
            for v, _, d in votes
        )
        if undated == 0 and first.exact and not doubt:
            details["first_day"] = first.lo
        return Result(True, f"relapse on {first.text()}", details)
    if value is None:
        reason = next(r for v, r, _ in votes if v is None)
        return Result(None, reason, details)
    if not followup:
        why = anchor.missing if a_span is None else f"no CK or MRC sum after the {anchor.label}"
        return Result(None, why, details)
    details["count"] = 0
    return Result(False, f"no assessment after the {anchor.label} met all three", details)


def _relapse_ck(
    rec: Record, params: Params, b: Assessment, a_span: Span, anchor: Anchor
) -> list[tuple[Truth, str]]:
    ck = b.ck
    if ck is None:
        return [(None, f"no CK on {b.text()}")]
    high = ck.compare_uln("above", params.relapse_ck_multiple)
    if high is None:
        if ck.missing_uln():
            why_high = f"no ULN (reference range) for the CK on {b.text()}"
        else:
            why_high = f"{ck.text()} may or may not be > {num(params.relapse_ck_multiple)}x ULN"
    else:
        why_high = f"{ck.text()} is not > {num(params.relapse_ck_multiple)}x ULN"
    others = [x for x in rec.assessments if x is not b and x.ck is not None]
    if params.relapse_baseline == "nadir":
        member = {
            id(x): all3([not3(before(x.span, a_span)), before(x.span, b.span)]) for x in others
        }
        possible = [x.ck.units for x in others if member[id(x)] is not False]  # type: ignore[union-attr]
        sure = [x.ck.units for x in others if member[id(x)] is True]  # type: ignore[union-attr]
        if not sure:
            above: Truth = None
            why_above = f"no CK between the {anchor.label} and {b.text()} (no nadir)"
        else:
            nadir = iv_min(possible, sure)
            above = iv_greater(ck.units, nadir)
            why_above = (
                f"{ck.text()} is not above the nadir since the {anchor.label}"
                if above is False
                else f"{ck.text()} may or may not be above the nadir since the {anchor.label}"
            )
    else:
        lookback = params.baseline_lookback_days

        def in_base(x: Assessment) -> Truth:
            return all3([not3(after(x.span, a_span)), _lookback(x.span, a_span, lookback)])

        choice = choose_last(others, in_base)
        if choice.empty or not choice.sure:
            above = None
            why_above = f"no pretreatment CK in the {lookback} days before the {anchor.label}"
        else:
            base = iv_hull([x.ck.units for x in choice.candidates])  # type: ignore[union-attr]
            above = iv_greater(ck.units, base)
            why_above = f"{ck.text()} compared with the pretreatment CK"
    return [(above, why_above), (high, why_high)]


def _lookback(x: Span, a: Span, lookback: float) -> Truth:
    """x >= a - lookback for every day of both."""
    if x.lo is not None and a.hi is not None and x.lo >= a.hi - lookback:
        return True
    if x.hi is not None and a.lo is not None and x.hi < a.lo - lookback:
        return False
    return None


def _relapse_mrc(rec: Record, params: Params, b: Assessment) -> tuple[Truth, str]:
    if not b.has_mrc:
        return None, f"no MRC sum on {b.text()}"
    prev = previous_mrc(rec, b)
    if prev.empty or not prev.sure:
        return None, f"no MRC sum before {b.text()} to compare with"
    value = agree(mrc_drop(x, b, params.relapse_mrc_drop, strict=True) for x in prev.candidates)
    if value is None:
        return None, (
            f"the MRC sum drop to {b.text()} is not known ({b.mrc_text()}; previous: "
            f"{', '.join(x.mrc_text() for x in prev.candidates)})"
        )
    if value is False:
        return False, f"MRC sum on {b.text()} did not drop by > {num(params.relapse_mrc_drop)}"
    return True, ""


# --------------------------------------------------------------------------------------------
# complete remission, full strength, recovery, CK normalisation (seed 004)
# --------------------------------------------------------------------------------------------


def _follow_up(anchor: Anchor) -> Callable[[Assessment], Truth]:
    """Seed 004 1.4: "MRC-sum score assessments occurred at intervals: initial, 3-month,
    6-month, 12-month, and final follow-up": the final follow-up is an assessment after the
    start of immunotherapy (the initial one, at presentation, is not follow-up)."""
    return lambda a: after(a.span, anchor.span)


def complete_remission(rec: Record, params: Params, rel: Result) -> Result:
    """Seed 004 Methods 1.4: "an MRC-sum score of 60 (normal strength), CK below 1.5 times the
    upper limit normal, and no relapses during the follow-up period"; DOMAIN.md section 9:
    judged at the last follow-up. Judgement call: the MRC sum is read at the last assessment
    with an MRC sum and the CK at the last assessment with a CK (004 1.4: "MRC-sum score
    assessments occurred at intervals: initial, 3-month, 6-month, 12-month, and final
    follow-up"; 1.6.2 "In the latest follow-up, 10 patients achieved full MRC-sum scores")."""
    parts: list[tuple[Truth, str]] = []
    anchor = anchor_for(rec, params, immunotherapy_anchor)
    follow_up = _follow_up(anchor)
    mrcs = [a for a in rec.assessments if a.has_mrc]
    if not mrcs:
        parts.append((None, "no MRC sum recorded"))
    elif anchor.span is None:
        parts.append((None, anchor.missing))
    else:
        last = choose_last(mrcs, follow_up)
        v = judge(last, mrc_is_60)
        said = "; ".join(a.mrc_text() for a in last.candidates)
        parts.append((v, f"{said} at the last follow-up" if said else "no MRC sum after the start"))
    cks = [a for a in rec.assessments if a.ck is not None]
    if not cks:
        parts.append((None, "no CK recorded"))
    elif anchor.span is None:
        parts.append((None, anchor.missing))
    else:
        last = choose_last(cks, follow_up)
        m = params.remission_ck_multiple
        v = judge(last, lambda a: a.ck.compare_uln("below", m))  # type: ignore[union-attr]
        cand = last.candidates
        if not cand:
            why = "no CK after the start"
        elif v is None and any(a.ck.missing_uln() for a in cand):  # type: ignore[union-attr]
            why = f"no ULN for the last CK ({cand[0].ck.text()})"  # type: ignore[union-attr]
        else:
            why = f"last CK {', '.join(a.ck.text() for a in cand)} vs < {num(m)}x ULN"  # type: ignore[union-attr]
        parts.append((v, why))
    parts.append((not3(rel.value), f"relapse: {word(rel.value)} ({rel.reason})"))
    value = all3(v for v, _ in parts)
    if value is True:
        return Result(True, "MRC sum 60, CK below the limit and no relapse")
    pick = False if value is False else None
    return Result(value, next(r for v, r in parts if v is pick))


def full_strength_at(rec: Record, params: Params, months: float) -> Result:
    """Seed 004 Methods 1.4 / Table 1: full MRC-sum score (60) at 3, 6 and 12 months after
    starting immunotherapy (anchor: first immunotherapy start, ``myotrack criteria``)."""
    anchor = anchor_for(rec, params, immunotherapy_anchor)
    if anchor.span is None:
        return Result(None, anchor.missing, {"day": None})
    items = [a for a in rec.assessments if a.has_mrc]
    target = months * params.month_days
    choice = choose_closest(items, anchor.span, target, params.window_days)
    where = window_text(months, params, anchor)
    if choice.empty:
        return Result(None, f"no MRC sum at {where}", {"day": None})
    if not choice.sure:
        return Result(
            None,
            f"the MRC sum on {choice.candidates[0].text()} may fall outside {where}",
            {"day": None},
        )
    value = judge(choice, mrc_is_60)
    day = choice.candidates[0].day if len(choice.candidates) == 1 else None
    text = "; ".join(a.mrc_text() for a in choice.candidates)
    if value is None and len(choice.candidates) > 1:
        text = f"several assessments could be the one at {where}: {text}"
    return Result(value, text, {"day": day})


def full_strength_last(rec: Record, params: Params) -> Result:
    """Seed 004 Table 1 "Full MRC-sum score at ... last follow up": the last follow-up
    assessment with an MRC sum (after the start of immunotherapy, :func:`_follow_up`)."""
    items = [a for a in rec.assessments if a.has_mrc]
    if not items:
        return Result(None, "no MRC sum recorded", {"day": None})
    anchor = anchor_for(rec, params, immunotherapy_anchor)
    if anchor.span is None:
        return Result(None, anchor.missing, {"day": None})
    choice = choose_last(items, _follow_up(anchor))
    if choice.empty:
        return Result(None, f"no MRC sum after the {anchor.label}", {"day": None})
    value = judge(choice, mrc_is_60)
    day = choice.candidates[0].day if len(choice.candidates) == 1 else None
    text = "; ".join(a.mrc_text() for a in choice.candidates)
    if value is None and len(choice.candidates) > 1:
        text = f"the order of the last assessments is uncertain: {text}"
    return Result(value, text, {"day": day})


def favourable_recovery(rec: Record, params: Params, months: float) -> Result:
    """Seed 004 Methods 1.4: "a score below 2 meant favorable recovery" (mRS 0-1), at 6 and 12
    months after starting immunotherapy."""
    anchor = anchor_for(rec, params, immunotherapy_anchor)
    if anchor.span is None:
        return Result(None, anchor.missing, {"day": None})
    items = [a for a in rec.assessments if a.values.get("mrs") is not None]
    choice = choose_closest(items, anchor.span, months * params.month_days, params.window_days)
    where = window_text(months, params, anchor)
    if choice.empty:
        return Result(None, f"no mRS at {where}", {"day": None})
    if not choice.sure:
        return Result(
            None,
            f"the mRS on {choice.candidates[0].text()} may fall outside {where}",
            {"day": None},
        )
    value = judge(choice, lambda a: int(a.values["mrs"]) <= 1)
    day = choice.candidates[0].day if len(choice.candidates) == 1 else None
    text = "; ".join(f"mRS {a.values['mrs']} on {a.text()}" for a in choice.candidates)
    if value is None:
        text = f"several mRS could be the one at {where}: {text}"
    return Result(value, text, {"day": day})


def ck_normalisation(rec: Record, params: Params) -> Result:
    """Seed 004 1.6.2 ("the median time taken for CK levels to return to normal"); DOMAIN.md
    section 9: 'normal' means at or below the laboratory's ULN. Yes when a CK after the anchor
    is known <= ULN; no when every CK after it is known above; the day is the first normal CK
    after the anchor when that is certain (no earlier one could be normal, exact day)."""
    anchor = anchor_for(rec, params, immunotherapy_anchor)
    if anchor.span is None:
        return Result(None, anchor.missing, {"day": None})
    votes: list[tuple[Truth, Assessment, str]] = []
    sure_after = False
    for a in rec.assessments:
        if a.ck is None:
            continue
        post = after(a.span, anchor.span)
        if post is False:
            continue
        sure_after = sure_after or post is True
        normal = a.ck.compare_uln("at_most", 1.0)
        if normal is None and a.ck.missing_uln():
            why = f"no ULN (reference range) for the CK on {a.text()}"
        elif normal is None:
            why = f"{a.ck.text()} may or may not be <= ULN"
        else:
            why = f"{a.ck.text()}"
        if post is None:
            why = f"the CK on {a.text()} may be before the {anchor.label}"
        votes.append((all3([post, normal]), a, why))
    value = any3(v for v, _, _ in votes)
    if not votes or (value is False and not sure_after):
        return Result(None, f"no CK after the {anchor.label}", {"day": None})
    if value is True:
        hits = [a for v, a, _ in votes if v is True]
        first = min(hits, key=lambda a: -math.inf if a.span.lo is None else a.span.lo)
        earlier = any(
            v is not False and a is not first and before(first.span, a.span) is not True
            for v, a, _ in votes
        )
        day = first.span.lo if first.span.exact and not earlier else None
        return Result(True, f"{first.ck.text()} after the {anchor.label}", {"day": day})  # type: ignore[union-attr]
    if value is False:
        return Result(False, f"every CK after the {anchor.label} is above the ULN", {"day": None})
    return Result(None, next(r for v, _, r in votes if v is None), {"day": None})


# --------------------------------------------------------------------------------------------
# refractory (seed 001)
# --------------------------------------------------------------------------------------------


def _daily_factor(row: dict[str, Any], params: Params) -> Fraction | None:
    per = row.get("dose_per")
    if per == "day":
        return Fraction(1)
    if per == "week":
        return Fraction(1, 7)
    if per == "month":
        return 1 / Fraction(str(params.month_days))
    schedule = (row.get("schedule") or "").lower()
    if per in (None, "administration") and ("daily" in schedule or "every day" in schedule):
        return Fraction(1)
    return None


def gc_per_kg(c: Course, rec: Record, params: Params) -> tuple[Span | None, str]:
    """Prednisone-equivalent mg/kg/day of a glucocorticoid course, as a range (None: unknown).

    A dose per kg is already per kg (an unnamed glucocorticoid counts as prednisone at the
    stated dose, DOMAIN.md section 9 and :mod:`myotrack.measures.steroids`); a dose in mg needs
    the body weight: ``patients.weight_kg``, else the range of the visit weights."""
    row = c.row
    dose = row.get("dose")
    if dose is None:
        return None, f"no dose for {c.text()}"
    try:
        factor = Fraction(str(steroids.prednisone_per_mg(c.drug)))
    except MeasureError:  # corticotropin: no prednisone equivalent
        return None, f"no prednisone equivalent for {c.drug}"
    daily = _daily_factor(row, params)
    if daily is None:
        return None, f"the dose of {c.text()} is not stated per day"
    unit = row.get("dose_unit")
    amount = Fraction(str(float(dose))) * factor * daily
    if unit in ("mg/kg", "g/kg"):
        v = amount * (1000 if unit == "g/kg" else 1)
        return Span(float(v), float(v)), ""
    if unit not in ("mg", "g"):
        return None, f"the dose unit of {c.text()} ({unit}) cannot be read as mg/kg/day"
    mg = amount * (1000 if unit == "g" else 1)
    w = rec.patient.get("weight_kg")
    weights = [float(w)] if w is not None else rec.visit_weights
    if not weights:
        return None, f"no body weight to read {num(float(mg))} mg/day of {c.drug} per kg"
    lo = mg / Fraction(str(max(weights)))
    hi = mg / Fraction(str(min(weights)))
    return Span(float(lo), float(hi)), ""


def _frac_at_least(s: Span, limit: float) -> Truth:
    return at_least(s, limit)


def refractory(
    rec: Record, params: Params, second_agents: Sequence[str] = DEFAULT_SECOND_AGENTS
) -> Result:
    """Seed 001 Methods: "Refractory was defined as disease worsening after treatment with
    high-dose glucocorticoids (equivalent of prednisone 1.0 mg/kg/day for at least 1 month)
    and at least one immunosuppressant (including methotrexate, azathioprine, and
    mycophenolate mofetil) or intravenous immunoglobulin."

    Yes when some worsening lies at least ``refractory_gc_days`` after the start of a
    glucocorticoid course of >= ``refractory_gc_mg_per_kg`` mg/kg/day that lasted
    >= ``refractory_gc_days`` days (end - start + 1: ``end_day`` is the last day of the course,
    schema), and strictly after the start of a second agent. Worsening (``myotrack criteria``:
    "MRC sum drop >= 1 or reported relapse"): an MRC sum drop >= ``refractory_mrc_drop`` from
    the previous MRC assessment, a ``worsening`` event, or a reported relapse that is not only
    biochemical (001 requires clinical worsening; DOMAIN.md section 9: "'no improvement' is not
    worsening", so ``improvement`` events, a reported response 'no' or a stop for inefficacy do
    not count). 'after treatment with' is the paper's wording: the worsening need not fall
    inside the course. An open end day leaves the duration unknown."""
    gcs = [c for c in rec.courses if c.drug_class == "glucocorticoid"]
    agents = set(second_agents)
    seconds = [c for c in rec.courses if c.drug in agents]
    # a drug the vocabulary does not know ('immunotherapy', a name kept with a warning) may be a
    # glucocorticoid or a second agent: either, its dose and kind unknown
    unnamed = [c for c in rec.courses if c.drug_class == vocab.UNKNOWN_CLASS]
    gcs += unnamed
    seconds += unnamed
    unrecorded = None
    if not [c for c in gcs if c not in unnamed]:
        # A visit's prednisone dose shows a glucocorticoid course the treatment table does not
        # hold (it is then not the complete list): a course started on or before that visit,
        # its dose and length unknown (never guess: 'no glucocorticoid course' is not a fact).
        dosed = [
            a
            for a in rec.assessments
            if a.values.get("prednisone_mg_day") is not None
            and float(a.values["prednisone_mg_day"]) > 0
        ]
        if dosed:
            by = min(a.span.hi for a in dosed if a.span.hi is not None)
            unrecorded = Course("prednisone", "glucocorticoid", Span(None, by), None, None, {})
            gcs.append(unrecorded)
    if not gcs:
        return Result(False, "no glucocorticoid course")
    if not seconds:
        return Result(False, f"no course of {', '.join(second_agents)}")
    days = params.refractory_gc_days
    gc_facts: list[tuple[Course, Truth, str]] = []
    for c in gcs:
        if c is unrecorded:
            gc_facts.append((c, None, "a glucocorticoid at visits, its course not recorded"))
            continue
        if c in unnamed:
            gc_facts.append((c, None, f"{c.drug}: not a drug the vocabulary knows"))
            continue
        per_kg, why = gc_per_kg(c, rec, params)
        dose_ok = None if per_kg is None else _frac_at_least(per_kg, params.refractory_gc_mg_per_kg)
        if per_kg is not None:
            why = (
                f"{c.text()} is {num(per_kg.lo)}..{num(per_kg.hi)} mg/kg/day "
                f"vs >= {num(params.refractory_gc_mg_per_kg)}"
            )
        if c.start is None:
            dur: Truth = None
            dwhy = f"{c.text()} has no start day"
        elif c.end is None:
            dur = None
            dwhy = f"{c.text()} has no end day (duration unknown)"
        else:
            d = offset(c.end, c.start)
            d = Span(None if d.lo is None else d.lo + 1, None if d.hi is None else d.hi + 1)
            dur = at_least(d, days)
            dwhy = f"{c.text()} lasted {num(d.lo)}..{num(d.hi)} days vs >= {days}"
        gc_facts.append((c, all3([dose_ok, dur]), why if dose_ok is not True else dwhy))
    worsenings = _worsenings(rec, params)
    votes: list[tuple[Truth, str]] = []
    followup = False
    for c, gc_ok, gc_why in gc_facts:
        for s in seconds:
            for w_value, w_span, w_why in worsenings:
                t_gc = _after_days(w_span, c.start, days)
                t_s = after(w_span, s.start) if w_span is not None else None
                s_ok: Truth = None if s in unnamed else True
                parts = [
                    (gc_ok, gc_why),
                    (s_ok, f"{s.drug}: not a drug the vocabulary knows"),
                    (t_gc, f"{w_why}: timing vs {days} days of {c.text()}"),
                    (t_s, f"{w_why}: timing vs the start of {s.text()}"),
                    (w_value, w_why),
                ]
                v = all3(p for p, _ in parts)
                pick = None if v is None else False
                why = "" if v is True else next(r for p, r in parts if p is pick)
                votes.append((v, why))
            for a in rec.assessments:
                if a.has_mrc and all3([_after_days(a.span, c.start, days), after(a.span, s.start)]):
                    followup = True
    value = any3(v for v, _ in votes)
    if value is True:
        return Result(True, "worsening after high-dose glucocorticoid and a second agent")
    if value is None:
        return Result(None, next(r for v, r in votes if v is None))
    if not any(ok is not False for _, ok, _ in gc_facts):
        return Result(False, gc_facts[0][2])
    if not followup:
        undated = [s for s in seconds if s.start is None]
        if len(undated) == len(seconds):
            return Result(None, f"{undated[0].text()}: the second agent has no start day")
        return Result(
            None,
            f"no MRC sum after {days} days of glucocorticoid and the start of a second agent",
        )
    return Result(False, "no worsening after high-dose glucocorticoid and a second agent")


def _after_days(w: Span | None, start: Span | None, days: int) -> Truth:
    """w >= start + days for every day of both."""
    if w is None or start is None:
        return None
    if w.lo is not None and start.hi is not None and w.lo >= start.hi + days:
        return True
    if w.hi is not None and start.lo is not None and w.hi < start.lo + days:
        return False
    return None


def _worsenings(rec: Record, params: Params) -> list[tuple[Truth, Span | None, str]]:
    out: list[tuple[Truth, Span | None, str]] = []
    for b in rec.assessments:
        if not b.has_mrc:
            continue
        prev = previous_mrc(rec, b)
        if prev.empty:
            continue
        drops = [mrc_drop(x, b, params.refractory_mrc_drop, strict=False) for x in prev.candidates]
        if not prev.sure:
            # b may have no MRC sum before it (then no drop at b): a drop is never certain,
            # and there is none when no candidate could give one
            v = False if all(d is False for d in drops) else None
            out.append((v, b.span, f"no certain MRC sum before {b.text()}"))
            continue
        v = agree(drops)
        out.append((v, b.span, f"MRC sum drop to {b.text()} ({b.mrc_text()})"))
    for ev in rec.events:
        kind = ev.get("kind")
        if kind == "worsening" or (
            kind == "relapse_reported" and ev.get("relapse_type") != "biochemical"
        ):
            span = row_span(ev, "day")
            where = span.text() if span is not None else "no day given"
            out.append((True, span, f"reported {kind.replace('_reported', '')} ({where})"))
    return out


# --------------------------------------------------------------------------------------------
# definite response (seed 002) and rituximab response (seed 001)
# --------------------------------------------------------------------------------------------


def definite_response(rec: Record, params: Params) -> Result:
    """Seed 002 Methods: "Definite responders were defined as those who both (1) improved by at
    least 2 grades in either the upper or lower extremities and (2) were able to taper their
    prednisone dose below 10 mg/d. Nonresponders were defined as patients who received therapy
    without improved muscle strength or ability to taper prednisone."

    Judgement calls:
    - before = the weakest whole grade of the extremity's muscles (Params.response_upper /
      lower_muscles) over both sides and over the assessments in the
      ``baseline_lookback_days`` up to the anchor (002 Table 2 "Before therapy ... Deltoid
      strength, min"); after = the weakest grade over both sides at the last assessment after
      the anchor grading those muscles (002 Table 3 "Deltoid strength (at last visit)").
    - the taper is judged at follow-up (DOMAIN.md section 9): the last prednisone dose recorded
      after the anchor, on or after the last strength follow-up (002 Table 3 "Current
      prednisone dose"); without a strength follow-up there is no follow-up to judge it at.
    - non-responder: both conditions known false (DOMAIN.md section 9)."""
    anchor = anchor_for(rec, params, escalation_anchor)
    details: dict[str, Any] = {"strength": "unknown", "taper": "unknown", "nonresponder": NE}
    if anchor.span is None:
        return Result(None, anchor.missing, details)
    a = anchor.span
    lookback = params.baseline_lookback_days
    need = params.response_grades
    groups = (
        ("upper", tuple(params.response_upper_muscles)),
        ("lower", tuple(params.response_lower_muscles)),
    )
    improved: list[tuple[Truth, str]] = []
    followups: list[Assessment] = []
    follow_sure = False
    for name, muscles in groups:
        items = [x for x in rec.assessments if x.strength.touches(muscles)]
        base_member = {
            id(x): all3([not3(after(x.span, a)), _lookback(x.span, a, lookback)]) for x in items
        }
        possible = [x for x in items if base_member[id(x)] is not False]
        sure = [x for x in items if base_member[id(x)] is True]
        label = "/".join(muscles)
        last = choose_last(items, lambda x: after(x.span, a))
        followups.extend(last.candidates)
        follow_sure = follow_sure or last.sure
        if not sure:
            improved.append(
                (None, f"no grade of the {label} in the {lookback} days before the {anchor.label}")
            )
            continue
        before_lo = min(x.strength.min_grade(muscles)[0] for x in possible)
        before_hi = min(x.strength.min_grade(muscles)[1] for x in sure)
        if last.empty or not last.sure:
            improved.append((None, f"no grade of the {label} after the {anchor.label}"))
            continue

        v = agree(
            _grades_up(x.strength.min_grade(muscles), (before_lo, before_hi), need)
            for x in last.candidates
        )
        after_text = ", ".join(
            f"{x.strength.min_grade(muscles)[0]}..{x.strength.min_grade(muscles)[1]} on {x.text()}"
            for x in last.candidates
        )
        improved.append(
            (
                v,
                f"{name} extremity ({label}) weakest grade before {before_lo}..{before_hi}, "
                f"after {after_text}",
            )
        )
    strength = any3(v for v, _ in improved)
    taper, taper_why = _taper(rec, params, a, anchor, followups, follow_sure)
    details = {
        "strength": tri_text(strength),
        "taper": tri_text(taper),
        "nonresponder": word(all3([not3(strength), not3(taper)])),
    }
    value = all3([strength, taper])
    if value is True:
        return Result(True, "improved >= 2 grades and tapered below the limit", details)
    if value is False:
        if strength is False:
            return Result(False, "; ".join(r for _, r in improved), details)
        return Result(False, taper_why, details)
    if strength is None:
        return Result(None, next(r for v, r in improved if v is None), details)
    return Result(None, taper_why, details)


def _grades_up(after_: tuple[int, int], before_: tuple[int, int], need: int) -> Truth:
    """after - before >= need for every grade the ranges allow."""
    if after_[0] - before_[1] >= need:
        return True
    if after_[1] - before_[0] < need:
        return False
    return None


def _taper(
    rec: Record,
    params: Params,
    a: Span,
    anchor: Anchor,
    followups: Sequence[Assessment],
    follow_sure: bool,
) -> tuple[Truth, str]:
    limit = params.response_prednisone_below
    if not followups or not follow_sure:
        return None, (
            f"the taper is judged at follow-up: no strength assessment after the {anchor.label}"
        )
    doses = [x for x in rec.assessments if x.values.get("prednisone_mg_day") is not None]
    last = choose_last(doses, lambda x: after(x.span, a))
    if last.empty or not last.sure:
        return None, f"no prednisone dose after the {anchor.label}"

    def at_follow_up(x: Assessment) -> Truth:
        # the dose of the follow-up assessment itself is at follow-up, whatever its day range
        return all3(True if x is f else not3(before(x.span, f.span)) for f in followups)

    vals = []
    for x in last.candidates:
        when = at_follow_up(x)
        if when is not True:
            return None, (
                f"no prednisone dose at or after the strength follow-up "
                f"({', '.join(f.text() for f in followups)})"
            )
        vals.append(float(x.values["prednisone_mg_day"]) < limit)
    v = agree(vals)
    text = ", ".join(
        f"{num(x.values['prednisone_mg_day'])} mg/day on {x.text()}" for x in last.candidates
    )
    return v, f"prednisone {text} vs < {num(limit)} mg/day"


def rtx_response(rec: Record, params: Params) -> Result:
    """Seed 001 Table 4 footnote b: "Response is defined as strength increased 2 points or CK
    levels declined by 10-fold within 6 months."

    Judgement calls: strength is the MRC sum (0-60; the registry's strength score, DOMAIN.md
    section 2) and '2 points' a rise of >= rtx_strength_points; the CK fold is baseline /
    follow-up >= rtx_ck_fold; baseline = the last value on or before the anchor within
    ``baseline_lookback_days`` (``myotrack criteria``: baseline_lookback_days = 120); within 6
    months = strictly after the anchor and at most ``rtx_window_days`` after it. Either
    condition decides 'yes'; 'no' needs both known false, so both need a baseline and a
    follow-up value in the window."""
    anchor = anchor_for(rec, params, rituximab_anchor)
    details: dict[str, Any] = {"strength": "unknown", "ck": "unknown"}
    if anchor.span is None:
        return Result(None, anchor.missing, details)
    a = anchor.span
    lookback = params.baseline_lookback_days
    window = params.rtx_window_days

    def in_base(x: Assessment) -> Truth:
        return all3([not3(after(x.span, a)), _lookback(x.span, a, lookback)])

    def in_window(x: Assessment) -> Truth:
        return all3([after(x.span, a), at_most(offset(x.span, a), window)])

    conds: list[tuple[Truth, str]] = []
    for name, has, test in (
        ("MRC sum", lambda x: x.has_mrc, _mrc_rise(params)),
        ("CK", lambda x: x.ck is not None, _ck_fold(params)),
    ):
        items = [x for x in rec.assessments if has(x)]
        base = choose_last(items, in_base)
        if base.empty or not base.sure:
            conds.append((None, f"no {name} in the {lookback} days before the {anchor.label}"))
            continue
        votes = []
        sure_follow = False
        for x in items:
            member = in_window(x)
            if member is False:
                continue
            sure_follow = sure_follow or member is True
            pair = agree(test(b, x) for b in base.candidates)
            votes.append((all3([member, pair]), x))
        v = any3(t for t, _ in votes)
        if not votes or (v is False and not sure_follow):
            conds.append((None, f"no {name} within {window} days after the {anchor.label}"))
            continue
        if v is None:
            x = next(x for t, x in votes if t is None)
            shown = x.mrc_text() if name == "MRC sum" else x.ck.text()  # type: ignore[union-attr]
            conds.append((None, f"{name} change unknown at {shown}"))
            continue
        conds.append((v, f"{name}: {'met' if v else 'not met'} within {window} days"))
    details = {"strength": tri_text(conds[0][0]), "ck": tri_text(conds[1][0])}
    value = any3(v for v, _ in conds)
    if value is True:
        return Result(True, next(r for v, r in conds if v is True), details)
    if value is False:
        return Result(False, "; ".join(r for _, r in conds), details)
    return Result(None, next(r for v, r in conds if v is None), details)


def _mrc_rise(params: Params) -> Callable[[Assessment, Assessment], Truth]:
    def test(b: Assessment, x: Assessment) -> Truth:
        blo, bhi = b.mrc()
        xlo, xhi = x.mrc()
        if xlo - bhi >= params.rtx_strength_points:
            return True
        if xhi - blo < params.rtx_strength_points:
            return False
        return None

    return test


def _ck_fold(params: Params) -> Callable[[Assessment, Assessment], Truth]:
    fold = params.rtx_ck_fold

    def test(b: Assessment, x: Assessment) -> Truth:
        base = b.ck.units  # type: ignore[union-attr]
        now = x.ck.units  # type: ignore[union-attr]
        # fold = base / now >= fold  <=>  now * fold <= base
        if now.high is not None and base.low is not None and 0 < base.low >= now.high * fold:
            return True
        now_low = 0.0 if now.low is None else now.low
        if base.high is not None and (
            now_low * fold > base.high
            or (now_low * fold == base.high and (now.low_open or base.high_open) and now_low > 0)
        ):
            return False
        return None

    return test


# --------------------------------------------------------------------------------------------
# core-set criteria: 2016 ACR/EULAR TIS and IMACS 2004 definition of improvement
# --------------------------------------------------------------------------------------------

Range = tuple[float | None, float | None]  # (low, high), None high = unbounded


def _core_values(x: Assessment, measure: str) -> Range | None:
    if measure == "mmt8":
        return x.mmt8()
    v = x.values.get(measure)
    return None if v is None else (float(v), float(v))


#: A visit is a core-set assessment when one of these was recorded (judgement call: a lab draw
#: alone or a strength examination alone is not a core-set assessment; the enzyme and a
#: strength-derived MMT-8 are then read from that same assessment).
CORE_VISIT_FIELDS = ("physician_global", "patient_global", "extramuscular_global", "haq", "mmt8")


def _has_core(x: Assessment) -> bool:
    return any(x.values.get(f) is not None for f in CORE_VISIT_FIELDS)


def _enzyme_choices(b: Assessment, f: Assessment) -> list[tuple[Range, Range] | None]:
    """Possible (baseline, follow-up) U/L ranges of the most abnormal enzyme at baseline; None
    in the list: the chosen enzyme may lack a value at one of the visits."""
    present = [n for n in CORE_ENZYMES if n in b.labs]
    if not present:
        return [None]
    ratios = {n: b.labs[n].ulns for n in present}

    def low(n: str) -> float:
        return 0.0 if ratios[n].low is None else float(ratios[n].low)  # type: ignore[arg-type]

    def high(n: str) -> float:
        h = ratios[n].high
        return math.inf if h is None else float(h)

    best_low = max(low(n) for n in present)
    possible = [n for n in present if high(n) >= best_low]
    out: list[tuple[Range, Range] | None] = []
    for n in possible:
        if n not in f.labs:
            out.append(None)
            continue
        bi, fi = b.labs[n].units, f.labs[n].units
        out.append(((bi.low, bi.high), (fi.low, fi.high)))
    return out


def _enzyme_improvement(base: float | None, follow: float | None) -> float:
    """Relative improvement (base - follow) / base in percent; None = unbounded above."""
    if follow is None:
        return -math.inf
    if base is None:
        return 100.0
    if base <= 0:
        return 0.0 if follow == 0 else -math.inf
    return tis.improvement_percent("enzyme", base, follow)


def _tis_points(measure: str, b: Range, f: Range, scales: CoreSetScales) -> tuple[float, float]:
    """(lowest, highest) points a measure can score from its two value ranges: the 2016
    improvement is monotone in each value, so the worst and best readings are at the ends."""
    blo, bhi = b
    flo, fhi = f
    if measure == "enzyme":
        worst = _enzyme_improvement(blo, fhi)
        best = _enzyme_improvement(bhi, flo)
    elif measure in HIGHER_IS_BETTER:
        worst = tis.improvement_percent(measure, bhi, flo, scales)  # type: ignore[arg-type]
        best = tis.improvement_percent(measure, blo, fhi, scales)  # type: ignore[arg-type]
    else:
        worst = tis.improvement_percent(measure, blo, fhi, scales)  # type: ignore[arg-type]
        best = tis.improvement_percent(measure, bhi, flo, scales)  # type: ignore[arg-type]
    return tis.points(measure, worst), tis.points(measure, best)


def _tis_range(
    b: Assessment, f: Assessment, scales: CoreSetScales
) -> tuple[float, float, list[str]]:
    lo = hi = 0.0
    missing: list[str] = []
    for measure in MEASURES:
        if measure == "enzyme":
            continue
        bv, fv = _core_values(b, measure), _core_values(f, measure)
        if bv is None or fv is None:
            missing.append(measure)
            hi += max(tis.POINTS[measure])
            continue
        p_lo, p_hi = _tis_points(measure, bv, fv, scales)
        lo += p_lo
        hi += p_hi
    e_lo, e_hi = math.inf, -math.inf
    for choice in _enzyme_choices(b, f):
        if choice is None:
            e_lo, e_hi = min(e_lo, 0.0), max(e_hi, max(tis.POINTS["enzyme"]))
            if "enzyme" not in missing:
                missing.append("enzyme")
            continue
        p_lo, p_hi = _tis_points("enzyme", choice[0], choice[1], scales)
        e_lo, e_hi = min(e_lo, p_lo), max(e_hi, p_hi)
    return lo + e_lo, hi + e_hi, missing


def _baseline_and_followup(
    rec: Record, params: Params, anchor: Anchor
) -> tuple[Choice | None, Choice | None, str]:
    a = anchor.span
    assert a is not None
    items = [x for x in rec.assessments if _has_core(x)]
    lookback = params.baseline_lookback_days
    base = choose_last(
        items, lambda x: all3([not3(after(x.span, a)), _lookback(x.span, a, lookback)])
    )
    if base.empty or not base.sure:
        return (
            None,
            None,
            (f"no core-set assessment in the {lookback} days up to the {anchor.label}"),
        )
    target = params.tis_months * params.month_days
    follow = choose_closest(
        [x for x in items if after(x.span, a) is not False], a, target, params.window_days
    )
    where = window_text(params.tis_months, params, anchor)
    if follow.empty:
        return base, None, f"no core-set assessment at {where}"
    if not follow.sure:
        return (
            base,
            None,
            f"the assessment on {follow.candidates[0].text()} may fall outside {where}",
        )
    return base, follow, ""


def tis_criterion(rec: Record, params: Params) -> Result:
    """2016 ACR/EULAR criteria (Aggarwal 2017): at least minimal improvement (TIS >= 20 adult,
    >= 30 juvenile) at ``tis_months`` after the anchor, against the last core-set assessment
    in the ``baseline_lookback_days`` up to it (judgement call: the baseline is the visit
    before treatment starts, as in the criteria's trials; the window is Params.window_days).

    Scored with :mod:`myotrack.measures.tis` on every value the record allows: a bounded value
    scores between its worst and best reading; a measure missing at either visit scores 0 to
    its maximum points (DOMAIN.md section 9: not evaluable only when the unknown could change
    the answer; judgement call, the IMACS calculators ask for all six). MMT-8 is
    ``visits.mmt8``, else the range the strength rows allow (contract v2, Strength: derived
    scores carry a range). The enzyme is the most abnormal (value / ULN) of CK, aldolase, LDH,
    ALT and AST at baseline; when that is not certain every possible one is scored."""
    anchor = anchor_for(rec, params, immunotherapy_anchor)
    details: dict[str, Any] = {
        "score": None,
        "score_low": None,
        "score_high": None,
        "category": None,
    }
    if anchor.span is None:
        return Result(None, anchor.missing, details)
    base, follow, why = _baseline_and_followup(rec, params, anchor)
    if base is None or follow is None:
        return Result(None, why, details)
    scales = CoreSetScales(mmt8=params.tis_mmt_max)
    population = params.tis_population
    lo, hi = math.inf, -math.inf
    missing: set[str] = set()
    for b in base.candidates:
        for f in follow.candidates:
            p_lo, p_hi, miss = _tis_range(b, f, scales)
            lo, hi = min(lo, p_lo), max(hi, p_hi)
            missing.update(miss)
    minimal = tis.THRESHOLDS[population][0]
    cat_lo, cat_hi = tis.tis_category(lo, population), tis.tis_category(hi, population)  # type: ignore[arg-type]
    details = {
        "score": lo if lo == hi else None,
        "score_low": lo,
        "score_high": hi,
        "category": cat_lo if cat_lo == cat_hi else None,
    }
    pair = f"{base.candidates[0].text()} -> {follow.candidates[0].text()}"
    if lo >= minimal:
        return Result(True, f"TIS {num(lo)}..{num(hi)} >= {num(minimal)} ({pair})", details)
    if hi < minimal:
        return Result(False, f"TIS {num(lo)}..{num(hi)} < {num(minimal)} ({pair})", details)
    if missing:
        why = f"TIS {num(lo)}..{num(hi)}: missing {', '.join(sorted(missing))} ({pair})"
    else:
        why = f"TIS {num(lo)}..{num(hi)} straddles {num(minimal)} (bounded values, {pair})"
    return Result(None, why, details)


def _imacs_flags(measure: str, b: Range, f: Range) -> tuple[Truth, Truth]:
    """(improved >= 20 %, worse >= 25 %) of one measure, relative to baseline (Rider 2004)."""

    def rel(base: float | None, follow: float | None) -> float:
        # None: unbounded above (only an enzyme written '>N' or 'elevated').
        if follow is None:
            return math.inf if measure in HIGHER_IS_BETTER else -math.inf
        if base is None:
            return -100.0 if measure in HIGHER_IS_BETTER else 100.0
        return imacs.relative_improvement(measure, base, follow)

    blo, bhi = b
    flo, fhi = f
    if measure in HIGHER_IS_BETTER:
        best, worst = rel(blo, fhi), rel(bhi, flo)
    else:
        best, worst = rel(bhi, flo), rel(blo, fhi)
    improved = (
        True
        if worst >= imacs.IMPROVED_PERCENT
        else (False if best < imacs.IMPROVED_PERCENT else None)
    )
    worse = (
        True
        if best <= -imacs.WORSENED_PERCENT
        else (False if worst > -imacs.WORSENED_PERCENT else None)
    )
    return improved, worse


def _imacs_met(b: Assessment, f: Assessment) -> tuple[Truth, list[str]]:
    flags: dict[str, tuple[Truth, Truth]] = {}
    missing: list[str] = []
    for measure in MEASURES:
        if measure == "enzyme":
            continue
        bv, fv = _core_values(b, measure), _core_values(f, measure)
        if bv is None or fv is None:
            flags[measure] = (None, None)
            missing.append(measure)
        else:
            flags[measure] = _imacs_flags(measure, bv, fv)
    results: list[Truth] = []
    for choice in _enzyme_choices(b, f):
        if choice is None:
            flags["enzyme"] = (None, None)
            if "enzyme" not in missing:
                missing.append("enzyme")
        else:
            flags["enzyme"] = _imacs_flags("enzyme", choice[0], choice[1])
        imp = [v[0] for v in flags.values()]
        wor = [v[1] for v in flags.values()]
        imp_t, imp_u = sum(v is True for v in imp), sum(v is None for v in imp)
        wor_t, wor_u = sum(v is True for v in wor), sum(v is None for v in wor)
        mmt_worse = flags["mmt8"][1]
        best = (
            imp_t + imp_u >= imacs.MIN_IMPROVED
            and wor_t <= imacs.MAX_WORSENED
            and (mmt_worse is not True)
        )
        worst = (
            imp_t >= imacs.MIN_IMPROVED
            and wor_t + wor_u <= imacs.MAX_WORSENED
            and (mmt_worse is False)
        )
        results.append(True if worst else (False if not best else None))
    return agree(results), missing


def imacs_doi(rec: Record, params: Params) -> Result:
    """IMACS 2004 (Rider et al.): ">= 3 of any 6 of the core set measures improved by >= 20%,
    with no more than 2 worse by >= 25% (which could not include manual muscle testing)", at
    ``tis_months`` after the anchor against the same baseline as the TIS (judgement call:
    ``myotrack criteria`` gives months = 6 for both). Percent change is relative to baseline
    (:func:`myotrack.measures.imacs.relative_improvement`); bounded and missing values are
    followed through every reading (DOMAIN.md section 9)."""
    anchor = anchor_for(rec, params, immunotherapy_anchor)
    if anchor.span is None:
        return Result(None, anchor.missing)
    base, follow, why = _baseline_and_followup(rec, params, anchor)
    if base is None or follow is None:
        return Result(None, why)
    results = []
    missing: set[str] = set()
    for b in base.candidates:
        for f in follow.candidates:
            v, miss = _imacs_met(b, f)
            results.append(v)
            missing.update(miss)
    value = agree(results)
    pair = f"{base.candidates[0].text()} -> {follow.candidates[0].text()}"
    if value is True:
        return Result(True, f"definition of improvement met ({pair})")
    if value is False:
        return Result(False, f"definition of improvement not met ({pair})")
    if missing:
        return Result(None, f"undecided with {', '.join(sorted(missing))} missing ({pair})")
    return Result(None, f"undecided with bounded values ({pair})")


# --------------------------------------------------------------------------------------------
# entry points
# --------------------------------------------------------------------------------------------


def _evaluate(rec: Record, params: Params, second_agents: Sequence[str]) -> dict[str, Result]:
    out: dict[str, Result] = {}
    out["refractory"] = refractory(rec, params, second_agents)
    out["definite_response"] = definite_response(rec, params)
    out["rtx_response"] = rtx_response(rec, params)
    out["favourable_recovery_6m"] = favourable_recovery(rec, params, 6)
    out["favourable_recovery_12m"] = favourable_recovery(rec, params, 12)
    for months in (3, 6, 12):
        out[f"full_strength_{months}m"] = full_strength_at(rec, params, months)
    out["full_strength_last"] = full_strength_last(rec, params)
    out["relapse"] = relapse(rec, params)
    out["complete_remission"] = complete_remission(rec, params, out["relapse"])
    out["ck_normalisation"] = ck_normalisation(rec, params)
    out["tis"] = tis_criterion(rec, params)
    out["imacs_doi"] = imacs_doi(rec, params)
    return out


def _flatten(patient_id: str, results: dict[str, Result]) -> dict[str, object]:
    row: dict[str, object] = {"patient_id": patient_id}
    for cid in CRITERIA:
        r = results[cid]
        row[cid] = word(r.value)
        row[f"{cid}__reason"] = r.reason
        for d in DETAILS[cid]:
            row[f"{cid}__{d}"] = r.details.get(d)
    return row


TABLE_NAMES = ("patients", "visits", "strength", "treatments", "events")


def _split(
    ds: Dataset, wanted: set[str] | None = None
) -> dict[str, dict[str, list[dict[str, Any]]]]:
    """Each patient's rows, table by table (one pass over each table's rows)."""
    out: dict[str, dict[str, list[dict[str, Any]]]] = {}
    for pid in ds.patient_ids:
        if wanted is None or pid in wanted:
            out[pid] = {t: [] for t in TABLE_NAMES}
    for table in TABLE_NAMES:
        for row in records(ds.table(table)):
            pid = str(row.get("patient_id"))
            if pid in out:
                out[pid][table].append(row)
    return out


def evaluate_patient(
    ds: Dataset,
    patient_id: str,
    params: Params,
    second_agents: Sequence[str] = DEFAULT_SECOND_AGENTS,
) -> dict[str, object]:
    """Every criterion for one patient: ``<id>`` (yes / no / not_evaluable), ``<id>__reason``
    and ``<id>__<detail>``."""
    tables = _split(ds, {patient_id})
    if patient_id not in tables:
        raise KeyError(f"not a patient of {ds.name}: {patient_id!r}")
    rec = build_record(tables[patient_id])
    return _flatten(patient_id, _evaluate(rec, params, second_agents))


def evaluate_all(
    ds: Dataset, params: Params, second_agents: Sequence[str] = DEFAULT_SECOND_AGENTS
) -> pd.DataFrame:
    """One row per patient (order of the patients table)."""
    tables = _split(ds)
    rows = [
        _flatten(pid, _evaluate(build_record(tables[pid]), params, second_agents))
        for pid in ds.patient_ids
    ]
    columns = ["patient_id"] + [
        c
        for cid in CRITERIA
        for c in (cid, f"{cid}__reason", *[f"{cid}__{d}" for d in DETAILS[cid]])
    ]
    return pd.DataFrame(rows, columns=columns)
