"""One patient's course as plottable series: the data behind the timeline figure.

Everything is read from the five tables; nothing is interpolated or guessed. Courses and events
without a day cannot be placed on the time axis and are listed instead (in their order).

Strength uses the best measure recorded: the MRC sum (0-60) when any visit has one; else
MMT-8 (0-80); else, from per-muscle grades, the Kendall 0-10 sum of the graded muscles (as
002 sums both deltoids and both hip flexors, 0-40) when the same muscles were graded at every
assessment, or the mean Kendall grade per graded muscle (0-10) when they differ.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from myotrack.tables import Dataset


@dataclass(frozen=True)
class Course:
    drug: str
    start: float | None
    end: float | None  # None: ongoing or unknown
    dose: str
    protocol: str


@dataclass(frozen=True)
class Marker:
    day: float | None
    kind: str
    term: str


@dataclass(frozen=True, eq=False)
class PatientCourse:
    """Series of one patient. Frames have a ``day`` column, sorted by day."""

    patient_id: str
    index_event: str
    ck: pd.DataFrame  # day, ck, ck_uln, ck_bound
    strength: pd.DataFrame  # day, value
    strength_label: str
    strength_max: float
    prednisone: pd.DataFrame  # day, mg
    courses: tuple[Course, ...]
    events: tuple[Marker, ...]
    relapse_days: tuple[float, ...]

    @property
    def dated_courses(self) -> tuple[Course, ...]:
        return tuple(c for c in self.courses if c.start is not None)

    @property
    def undated_courses(self) -> tuple[Course, ...]:
        return tuple(c for c in self.courses if c.start is None)

    @property
    def dated_events(self) -> tuple[Marker, ...]:
        return tuple(e for e in self.events if e.day is not None)

    @property
    def undated_events(self) -> tuple[Marker, ...]:
        return tuple(e for e in self.events if e.day is None)

    def day_range(self) -> tuple[float, float]:
        """First and last day with anything to draw (0, 1 when nothing is dated)."""
        days: list[float] = []
        for f in (self.ck, self.strength, self.prednisone):
            days += [float(d) for d in f["day"]]
        for c in self.dated_courses:
            days.append(float(c.start or 0))
            if c.end is not None:
                days.append(float(c.end))
        days += [float(e.day) for e in self.dated_events if e.day is not None]
        days += list(self.relapse_days)
        if not days:
            return 0.0, 1.0
        lo, hi = min(days), max(days)
        return lo, hi if hi > lo else lo + 1.0

    @property
    def empty(self) -> bool:
        return (
            self.ck.empty
            and self.strength.empty
            and self.prednisone.empty
            and not self.dated_courses
        )


def _num(v: object) -> float | None:
    if v is None or v is pd.NA or (isinstance(v, float) and np.isnan(v)):
        return None
    return float(v)  # type: ignore[arg-type]


def _strength(strength: pd.DataFrame, visits: pd.DataFrame) -> tuple[pd.DataFrame, str, float]:
    for col, text, top in (
        ("mrc_sum", "MRC sum score (0-60)", 60.0),
        ("mmt8", "MMT-8 (0-80)", 80.0),
    ):
        v = visits.loc[visits[col].notna(), ["day", col]]
        if not v.empty:
            return v.rename(columns={col: "value"}).astype(float).reset_index(drop=True), text, top
    s = strength[strength["day"].notna() & strength["grade_kendall"].notna()]
    if s.empty:
        return pd.DataFrame({"day": [], "value": []}, dtype=float), "", 0.0
    s = s.assign(key=s["muscle"].astype(str) + ":" + s["side"].fillna("").astype(str))
    sets = s.groupby("day")["key"].agg(lambda k: frozenset(k))
    per_day = s.groupby("day")["grade_kendall"]
    if sets.nunique() == 1:
        k = len(next(iter(sets)))
        out = per_day.sum().astype(float)
        text, top = (
            f"Kendall sum of {k} graded muscle{'s' if k != 1 else ''} (0-{10 * k})",
            10.0 * k,
        )
    else:
        out = per_day.mean().astype(float)
        text, top = "mean Kendall grade of graded muscles (0-10)", 10.0
    frame = pd.DataFrame({"day": out.index.astype(float), "value": out.to_numpy()})
    return frame.sort_values("day").reset_index(drop=True), text, top


def _course(
    patient_id: str,
    patient: pd.DataFrame,
    visits: pd.DataFrame,
    strength: pd.DataFrame,
    treatments: pd.DataFrame,
    events: pd.DataFrame,
    relapse_days: tuple[float, ...],
) -> PatientCourse:
    index_event = patient["index_event"].iloc[0] if not patient.empty else None
    v = visits[visits["day"].notna()].sort_values("day", kind="mergesort")
    ck = v.loc[v["ck"].notna(), ["day", "ck", "ck_uln", "ck_bound"]].copy()
    ck["day"] = ck["day"].astype(float)
    ck["ck_uln"] = ck["ck_uln"].astype(float)
    sframe, slabel, smax = _strength(strength, v)
    pred = v.loc[v["prednisone_mg_day"].notna(), ["day", "prednisone_mg_day"]]
    pred = pred.rename(columns={"prednisone_mg_day": "mg"}).astype(float)
    t = treatments.assign(
        _start=treatments["start_day"].astype("Float64").fillna(np.inf),
        _line=treatments["line"].astype("Float64").fillna(np.inf),
    )
    t = t.sort_values(["_start", "_line"], kind="mergesort")
    courses = []
    for r in t.itertuples(index=False):
        dose_value = _num(r.dose)
        dose = "" if dose_value is None else f"{dose_value:g} {r.dose_unit or ''}".strip()
        courses.append(
            Course(str(r.drug), _num(r.start_day), _num(r.end_day), dose, str(r.protocol or ""))
        )
    marks = tuple(
        Marker(_num(r.day), str(r.kind), str(r.term or r.kind))
        for r in events.itertuples(index=False)
    )
    return PatientCourse(
        patient_id=patient_id,
        index_event=str(index_event)
        if isinstance(index_event, str) and index_event
        else "symptom onset",
        ck=ck.reset_index(drop=True),
        strength=sframe,
        strength_label=slabel,
        strength_max=smax,
        prednisone=pred.reset_index(drop=True),
        courses=tuple(courses),
        events=marks,
        relapse_days=tuple(float(d) for d in relapse_days),
    )


def patient_course(
    ds: Dataset, patient_id: str, relapse_days: tuple[float, ...] = ()
) -> PatientCourse:
    """The series of one patient of ``ds``; ``relapse_days``: relapses to mark (from the
    outcomes, e.g. ``relapse__first_day``). Raises KeyError for an unknown patient."""
    patient = ds.patients[ds.patients["patient_id"] == patient_id]
    if patient.empty:
        raise KeyError(patient_id)

    def rows(frame: pd.DataFrame) -> pd.DataFrame:
        return frame[frame["patient_id"] == patient_id]

    return _course(
        patient_id,
        patient,
        rows(ds.visits),
        rows(ds.strength),
        rows(ds.treatments),
        rows(ds.events),
        relapse_days,
    )


def all_courses(
    ds: Dataset, relapse_days: Mapping[str, tuple[float, ...]] | None = None
) -> Iterator[PatientCourse]:
    """The course of every patient, in the patients' order (each table is split once)."""
    parts = {
        name: dict(tuple(ds.table(name).groupby("patient_id", sort=False)))
        for name in ("visits", "strength", "treatments", "events")
    }
    relapse_days = relapse_days or {}
    for pid in ds.patient_ids:
        got = {name: parts[name].get(pid, ds.table(name).iloc[0:0]) for name in parts}
        patient = ds.patients[ds.patients["patient_id"] == pid]
        yield _course(
            pid,
            patient,
            got["visits"],
            got["strength"],
            got["treatments"],
            got["events"],
            relapse_days.get(pid, ()),
        )
