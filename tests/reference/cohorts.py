"""Hypothesis strategies for small valid cohorts that reach every outcome of every criterion.

Each generated patient follows a course (improving, stable, worsening or relapsing) drawn by
hypothesis, and each record is then thinned and blurred the way published cases and charts
are: bounded and qualitative CKs (``<200``, ``>10000``, ``~4000``, ``normal``, ``elevated``),
missing ULNs (some sites give theirs in ``reference_ranges``, some not at all), MRC sums given
as a number or only through per-muscle grades, grade ranges (``4-5``), regions (``all limbs``,
``proximal upper limb``), side both / one side / unstated, uncertain days (``150..200``,
``~182``, ``6 months``), glucocorticoid doses per kg, in mg or without a per-day unit, second
agents with and without a start day, rituximab and other escalation therapies, courses named
outside the drug vocabulary (``study drug``), unscheduled assessments a few days after a
scheduled one (a flare, a blood test) whose days may overlap it, and reported relapses and
worsenings with and without a day and a type.

Everything is written as text, as a CSV would hold it, and validated by
:meth:`myotrack.tables.Dataset.from_frames`.
"""

from __future__ import annotations

import functools
from typing import Any

import pandas as pd
from hypothesis import strategies as st

from myotrack.tables import Dataset
from myotrack.tables.timing import parse_day

Rows = dict[str, list[dict[str, str]]]


@functools.cache
def _one_of(values: tuple[Any, ...]) -> st.SearchStrategy[Any]:
    """``st.sampled_from(values)``, built once per tuple of values (building and validating a
    strategy on every draw costs more than the draw: 20,000 patients are generated per run)."""
    return st.sampled_from(values)


#: Visit days (relative to the first immunotherapy at day 0) a schedule picks from.
SCHEDULE = (-10, 0, 45, 90, 100, 182, 270, 365, 540)
MRC_MUSCLES = (
    "shoulder_abductors",
    "elbow_flexors",
    "wrist_extensors",
    "hip_flexors",
    "knee_extensors",
    "ankle_dorsiflexors",
)
COURSES = ("improve", "improve", "fast", "stable", "worsen", "relapse")
#: Treatments as charts name them without a drug: kept as written, class unknown.
UNNAMED_DRUGS = ("immunosuppressant", "study drug", "Chinese herbal medicine")
#: An unscheduled assessment after a scheduled one: days later, and how much more active.
UNSCHEDULED_GAPS = (7, 14, 21)
FLARE = 0.4


def _level(course: str, day: int) -> float:
    """Disease activity 0 (none) .. 1 (as at onset) on a day of a course."""
    if day <= 0:
        return 1.0
    if course == "improve":
        return max(0.0, 1.0 - day / 180)
    if course == "fast":
        return max(0.0, 1.0 - day / 60)
    if course == "stable":
        return 0.8
    if course == "worsen":
        return 1.0
    # relapse: improves to nothing by day 182, back to 0.9 from day 365
    return 0.9 if day >= 365 else max(0.0, 1.0 - day / 180)


def chance(tenths: int) -> st.SearchStrategy[bool]:
    """True with about ``tenths`` / 10 probability (a sampled list, not a biased integer)."""
    return _one_of((True,) * tenths + (False,) * (10 - tenths))


def _fmt(x: float) -> str:
    return str(int(x)) if float(x).is_integer() else f"{x:g}"


@st.composite
def day_text(draw: st.DrawFn, day: int) -> str:
    """A day written exactly (mostly) or with its uncertainty."""
    form = draw(_one_of(("exact",) * 7 + ("range", "approx", "months")))
    if form == "range" and day != 0:
        width = draw(_one_of((5, 20, 40)))
        return f"{day - width}..{day + width}"
    if form == "approx" and day > 20:
        return f"~{day}"
    if form == "months" and day in (90, 182, 270, 365, 540):
        if day == 365 and draw(st.booleans()):
            return "1 year"  # 'at 1 year': half a year either side (contract: Timing)
        return f"{round(day / 30.44)} months"
    return str(day)


@st.composite
def ck_text(draw: st.DrawFn, level: float) -> tuple[str, str]:
    """(ck, ck_uln) for an activity level; ULN 200."""
    value = 150 if level < 0.05 else int(200 * (1 + 40 * level))
    form = draw(
        _one_of(("exact",) * 5 + ("none", "lt", "gt", "le", "ge", "approx", "word", "word", "fold"))
    )
    uln = draw(_one_of(("200", "200", "200", "")))
    if form == "none":
        return "", ""
    if form == "lt":
        return f"<{max(value, 200)}", uln
    if form == "le":
        return f"<={value}", uln
    if form == "gt":
        return f">{max(value // 2, 250)}", uln
    if form == "ge":
        return f">={value}", uln
    if form == "approx":
        return f"~{value}", uln
    if form == "word":
        return ("normal" if level < 0.05 else "elevated"), uln
    if form == "fold":  # a value far below its baseline (rituximab 10-fold)
        return "300", uln
    return str(value), uln


@st.composite
def strength_rows(draw: st.DrawFn, pid: str, day: str, level: float) -> list[dict[str, str]]:
    """Strength rows for one assessment: full grading, regions, ranges or partial rows."""
    whole = 5 if level < 0.05 else (4 if level < 0.4 else (3 if level < 0.75 else 2))
    mode = draw(_one_of(("full", "full", "region", "range", "partial", "either")))

    def row(muscle: str, side: str, grade: str) -> dict[str, str]:
        return {"patient_id": pid, "day": day, "muscle": muscle, "side": side, "grade": grade}

    if mode == "full":
        weak = draw(_one_of((None, "hip_flexors", "shoulder_abductors")))
        modifier = draw(_one_of(("", "", "+", "-")))
        rows = []
        for m in MRC_MUSCLES:
            g = whole
            if m == weak and whole == 5:
                g = 4
            text = f"{g}{modifier}" if 0 < g < 5 and modifier else str(g)
            rows.append(row(m, "both", text))
        return rows
    if mode == "region":
        if whole == 5:
            return [row("all limbs", "both", draw(_one_of(("5", "4-5"))))]
        return [
            row("proximal upper limb", "both", str(whole)),
            row("proximal lower limb", "both", str(whole)),
            row("distal limbs", "both", str(min(whole + 1, 5))),
        ]
    if mode == "range":
        lo = max(whole - 1, 0)
        grade = f"{lo}-{whole}" if lo < whole else str(whole)
        sides = draw(_one_of((("both",), ("both",), ("left", "right"))))
        return [row(m, side, grade) for m in MRC_MUSCLES for side in sides]
    if mode == "partial":
        return [
            row("shoulder_abductors", "left", str(whole)),
            row("hip_flexors", "left", str(whole)),
        ]
    # either: side not stated on some rows
    rows = [row(m, "both", str(whole)) for m in MRC_MUSCLES if m not in ("hip_flexors",)]
    rows.append(row("hip_flexors", "", str(whole)))
    rows.append(row("hip_flexors", "right", str(max(whole - 1, 0))))
    return rows


@st.composite
def treatment_rows(draw: st.DrawFn, pid: str) -> tuple[list[dict[str, str]], dict[str, Any]]:
    rows: list[dict[str, str]] = []
    info: dict[str, Any] = {}

    def course(drug: str, start: str, end: str = "", dose: str = "", unit: str = "") -> None:
        rows.append(
            {
                "patient_id": pid,
                "drug": drug,
                "start_day": start,
                "end_day": end,
                "dose": dose,
                "dose_unit": unit,
            }
        )

    if draw(chance(9)):
        drug = draw(_one_of(("prednisone", "corticosteroids", "methylprednisolone", "PSL")))
        start = draw(_one_of(("0",) * 6 + ("-2..2", "")))
        dose, unit = draw(
            _one_of(
                (
                    ("1", "mg/kg/day"),
                    ("1", "mg/kg/day"),
                    ("1.2", "mg/kg/day"),
                    ("0.5", "mg/kg/day"),
                    ("60", "mg/day"),
                    ("60", "mg/day"),
                    ("40", "mg/day"),
                    ("1", "mg/kg"),
                    ("", ""),
                )
            )
        )
        end = draw(_one_of(("90", "90", "200", "20", "")))
        course(drug, start, end, dose, unit)
    else:
        course("IVIg", draw(_one_of(("0", ""))), "", "2", "g/kg per course")
    if draw(chance(8)):
        agent = draw(
            _one_of(("MTX", "azathioprine", "MMF", "IVIg", "tacrolimus", "hydroxychloroquine"))
        )
        course(agent, draw(_one_of(("7", "7", "30", "", "20..40"))))
    if draw(chance(4)):
        start = draw(_one_of(("100", "100", "90..110", "")))
        course("rituximab", start, "", "1000", "mg")
        info["rtx"] = start
    if draw(chance(2)):
        course("HiCy", draw(_one_of(("100", "95..105"))), "", "50", "mg/kg")
    if draw(chance(2)):
        course("atorvastatin", "-300")
    if draw(chance(1)):  # written as the chart says it: no drug the vocabulary knows
        course(draw(_one_of(UNNAMED_DRUGS)), draw(_one_of(("7", "30", ""))))
    return rows, info


@st.composite
def unscheduled(
    draw: st.DrawFn, course: str, after: list[int], plan: list[tuple[int, float, str, str]]
) -> tuple[int, float, str, str]:
    """An assessment a few days after a scheduled one (``after``, the last one most often): a
    flare seen between visits (more active: weaker, CK up, the dose raised) or a blood test (CK
    and dose only, the activity as on its day or up), its day written exactly, about (``~196``)
    or as the weeks after the visit (``182..210``). Kind 'none' when there is no scheduled visit
    after treatment or the day is taken."""
    if not after:
        return (0, 0.0, "", "none")
    base = draw(_one_of((after[-1], *after)))  # the last visit most often
    gap = draw(_one_of(UNSCHEDULED_GAPS))
    kind = draw(_one_of(("flare", "lab")))
    day = base + gap
    when = draw(_one_of((str(day), f"~{day}", f"{base}..{base + 2 * gap}")))
    taken = {parse_day(w).day for _, _, w, _ in plan}
    if parse_day(when).day in taken:
        return (0, 0.0, "", "none")
    bump = FLARE if kind == "flare" or draw(st.booleans()) else 0.0
    return (day, min(1.0, _level(course, day) + bump), when, kind)


@st.composite
def patient_rows(draw: st.DrawFn, pid: str) -> Rows:
    """One patient's rows in every table, as text."""
    course = draw(_one_of(COURSES))
    site = draw(_one_of(("s1", "", "s2")))  # s1 has a CK reference range, s2 none
    weight = draw(_one_of(("60", "70", "")))
    patients = [{"patient_id": pid, "site": site, "weight_kg": weight}]
    treatments, info = draw(treatment_rows(pid))
    days = set(draw(st.sets(_one_of(SCHEDULE), min_size=1, max_size=6)))
    if draw(chance(7)):
        days.add(draw(_one_of((0, -10))))  # a pre-treatment visit
    if "rtx" in info and draw(st.booleans()):
        days |= {90, 182}  # a baseline and a follow-up around rituximab
    schedule = sorted(days)
    core_complete = draw(st.booleans())
    style = draw(_one_of(("sum", "rows", "mixed")))
    # (day, activity, day as written, what was assessed)
    plan = [(d, _level(course, d), draw(day_text(d)), "scheduled") for d in schedule]
    if draw(chance(3)):
        plan.append(draw(unscheduled(course, [d for d in schedule if d >= 45], plan)))
    visits: list[dict[str, str]] = []
    strength: list[dict[str, str]] = []
    for d, level, when, seen in plan:
        if seen == "none":
            continue
        ck, uln = draw(ck_text(level))
        visit = {"patient_id": pid, "day": when, "ck": ck, "ck_uln": uln}
        if seen == "lab":  # a blood test between visits: the CK and the dose then
            if draw(chance(8)):
                visit["prednisone_mg_day"] = "5" if level < 0.3 else "20"
            visits.append(visit)
            continue
        how = style if style != "mixed" else draw(_one_of(("sum", "rows", "none")))
        mrc = 60 - round(30 * max(0.0, level - 0.05))
        if course == "relapse" and d >= 365 and seen == "scheduled":
            mrc = 40
        if course == "worsen":
            mrc -= max(0, d) // 90  # slowly weaker on treatment
        if how == "sum":
            visit["mrc_sum"] = str(mrc)
        elif how == "rows":
            strength.extend(draw(strength_rows(pid, when, level)))
        if draw(chance(7)):
            visit["mrs"] = str(min(5, round(4 * level)))
        if draw(chance(7)):
            pred = 60 if d <= 45 else (5 if level < 0.3 else 20)
            visit["prednisone_mg_day"] = draw(_one_of((str(pred), str(pred), "10")))
        if core_complete or draw(st.booleans()):
            visit["physician_global"] = _fmt(round(8 * level, 1))
            visit["patient_global"] = _fmt(round(7 * level, 1))
            visit["extramuscular_global"] = _fmt(round(3 * level, 1))
            visit["haq"] = _fmt(round(2 * level, 1))
            visit["mmt8"] = str(80 - round(30 * level))
            if not core_complete:
                gone = draw(_one_of(("haq", "mmt8", "patient_global", "none")))
                visit.pop(gone, None)
        if draw(chance(2)):
            visit["ldh"] = str(int(250 * (1 + 5 * level)))
            visit["ldh_uln"] = "250"
        visits.append(visit)
    events: list[dict[str, str]] = []
    if course in ("relapse", "worsen") or draw(chance(2)):
        kind = draw(_one_of(("relapse_reported", "relapse_reported", "worsening", "none")))
        if kind != "none":
            day = draw(_one_of(("400", "", "380..420", "120", "-50", "1 month", "~30")))
            rtype = draw(_one_of(("clinical", "", "biochemical", "both")))
            events.append(
                {
                    "patient_id": pid,
                    "day": day,
                    "kind": kind,
                    "relapse_type": rtype if kind == "relapse_reported" else "",
                }
            )
    if draw(chance(1)):
        events.append({"patient_id": pid, "day": "60", "kind": "improvement", "relapse_type": ""})
    return {
        "patients": patients,
        "visits": visits,
        "strength": strength,
        "treatments": treatments,
        "events": events,
    }


REFERENCE_RANGES = [{"site": "s1", "lab": "", "analyte": "ck", "uln": "200", "unit": "U/L"}]


def to_dataset(patients: list[Rows], name: str = "generated") -> Dataset:
    """A validated Dataset of several patients' rows."""
    tables: dict[str, list[dict[str, str]]] = {
        t: [] for t in ("patients", "visits", "strength", "treatments", "events")
    }
    for rows in patients:
        for t, rs in rows.items():
            tables[t].extend(rs)
    frames = {
        t: (pd.DataFrame(rs, dtype=str).fillna("") if rs else None) for t, rs in tables.items()
    }
    return Dataset.from_frames(
        name, reference_ranges=pd.DataFrame(REFERENCE_RANGES, dtype=str), **frames
    )


@st.composite
def datasets(draw: st.DrawFn, min_patients: int = 1, max_patients: int = 50) -> Dataset:
    """A small valid cohort: ``min_patients`` to ``max_patients`` patients p0, p1, ..."""
    n = draw(st.integers(min_patients, max_patients))
    return to_dataset([draw(patient_rows(f"p{i}")) for i in range(n)])
