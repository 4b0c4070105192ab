"""The cohort report: one self-contained HTML file (and, on request, figures and CSV tables).

``build_report(ds, group_by)`` evaluates the criteria once and assembles, in this order: a
cohort summary, Table 1 (by ``group_by`` when given), Table 2 (factors by ``group_by`` when it
has two values, e.g. an outcome such as ``favourable_recovery_6m``), relapse-free survival,
rates with exact intervals, the swimmer plot, and every patient's timeline with the outcomes
and the reasons behind them.

The HTML needs no network: plotly.js is embedded once, inline, and nothing else is loaded
(no fonts, no MathJax, no links that fetch). With ``figures_dir`` the same figures are also
written as PNG and SVG (matplotlib) and every table as CSV.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Collection
from dataclasses import dataclass, field, replace
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

import pandas as pd
import plotly.graph_objects as go
from jinja2 import Environment, PackageLoader, select_autoescape
from markupsafe import Markup
from plotly.offline import get_plotlyjs

from myotrack.cohort.compare import DEFAULT_FACTORS, GroupingError, compare
from myotrack.cohort.describe import DEFAULT_COLUMNS, describe
from myotrack.cohort.groups import require_columns
from myotrack.cohort.rates import rates
from myotrack.cohort.survival import Survival, kaplan_meier
from myotrack.cohort.table import CohortTable
from myotrack.cohort.variables import label, patient_frame, with_outcomes
from myotrack.criteria import CRITERIA, NE, Outcomes, Params, evaluate
from myotrack.plots.course import PatientCourse, all_courses
from myotrack.plots.km import km_figure, km_plotly
from myotrack.plots.style import save
from myotrack.plots.swimmer import swimmer_figure, swimmer_plotly
from myotrack.plots.timeline import timeline_figure, timeline_plotly, undated_text
from myotrack.tables import Dataset
from myotrack.tables.io import write_frame_csv

#: progress(stage, done, total): called as the report is built (e.g. to drive a progress bar).
Progress = Callable[[str, int, int], None]

PLOTLY_CONFIG = {"displaylogo": False, "responsive": True, "showSendToCloud": False}


@dataclass(frozen=True, eq=False)
class PatientSection:
    patient_id: str
    figure_html: str
    note: str
    outcomes: pd.DataFrame  # criterion, result, explanation


@dataclass(frozen=True, eq=False)
class Report:
    """The built report. ``html`` is the whole file; ``tables`` by name; ``files`` written to
    ``figures_dir`` (PNG, SVG, CSV)."""

    html: str
    tables: dict[str, CohortTable]
    survival: Survival | None
    outcomes: Outcomes
    files: tuple[Path, ...] = field(default_factory=tuple)

    def write(self, path: str | Path) -> Path:
        out = Path(path)
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(self.html, encoding="utf-8")
        return out


_JSON_ESCAPES = str.maketrans({"<": "\\u003c", ">": "\\u003e", "&": "\\u0026"})


class _Figures:
    """Numbers the interactive figures of one report and embeds each as inert JSON.

    A figure is drawn by the page's script when it scrolls into view (or before printing), so a
    report of hundreds of patients opens at once instead of drawing every plot on load. The
    JSON sits in ``<script type="application/json">``; ``<``, ``>`` and ``&`` are written as
    JSON escapes so that no text of the data can end the script element.
    """

    def __init__(self) -> None:
        self.count = 0

    def __call__(self, fig: go.Figure) -> Markup:
        self.count += 1
        key = f"figure-{self.count}"
        spec = fig.to_json().translate(_JSON_ESCAPES)
        height = int(fig.layout.height or 450)
        return Markup(
            f'<div class="lazy-plot" data-figure="{key}" style="min-height:{height}px"></div>'
            f'<script type="application/json" id="{key}">{spec}</script>'
        )


def _safe_name(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", text).strip("_") or "patient"


def _outcome_rows(outcomes: Outcomes, pid: str) -> pd.DataFrame:
    rows = []
    for cid, info in outcomes.why(pid).items():
        value = str(info.get("value") or NE)
        reason = info.get("reason") or ""
        why = info.get("why") or ""
        explanation = str(reason if value == NE or (reason and not why) else why)
        rows.append(
            {
                "Outcome": CRITERIA[cid].title,
                "Result": value.replace("_", " "),
                "Why": explanation,
                "Source": CRITERIA[cid].citation,
            }
        )
    return pd.DataFrame(rows)


def _summary(ds: Dataset, frame: pd.DataFrame, outcomes: Outcomes) -> dict[str, object]:
    antibodies = frame["antibody"].fillna("unknown").value_counts()
    follow = frame["follow_up_days"].dropna()
    counts = outcomes.counts()
    counts.insert(1, "title", [CRITERIA[c].title for c in counts["criterion"]])
    return {
        "n_patients": len(ds.patients),
        "rows": {n: len(ds.table(n)) for n in ("visits", "strength", "treatments", "events")},
        "antibodies": ", ".join(f"{k} {v}" for k, v in antibodies.items()),
        "follow_up": (
            f"median {follow.median():.0f} days (range {follow.min():.0f}-{follow.max():.0f})"
            if len(follow)
            else "no dated visits"
        ),
        "counts": Markup(
            CohortTable(
                "Outcomes: patients per result",
                counts.rename(
                    columns={
                        "criterion": "Criterion",
                        "title": "Definition",
                        "yes": "yes",
                        "no": "no",
                        NE: "not evaluable",
                    }
                ),
                (),
            ).to_html()
        ),
    }


def _write_figures(
    figures_dir: Path,
    tables: dict[str, CohortTable],
    survival: Survival | None,
    courses: list[PatientCourse],
    outcomes: Outcomes,
    tick: Callable[[str], None],
) -> list[Path]:
    figures_dir.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    for name, table in tables.items():
        path = figures_dir / f"{name}.csv"
        table.to_csv(path)
        written.append(path)
    path = figures_dir / "outcomes.csv"
    write_frame_csv(outcomes.frame, path, outcomes.arrow)
    written.append(path)
    figures = [("swimmer", swimmer_figure(courses))]
    if survival is not None and len(survival.data):
        figures.append(("relapse_free_survival", km_figure(survival)))
    for stem, fig in figures:
        for ext in ("png", "svg"):
            p = figures_dir / f"{stem}.{ext}"
            save(fig, str(p))
            written.append(p)
    timelines = figures_dir / "timelines"
    timelines.mkdir(exist_ok=True)
    used: set[str] = set()
    for pc in courses:
        stem = _safe_name(pc.patient_id)
        while stem in used:
            stem += "_"
        used.add(stem)
        fig = timeline_figure(pc)
        for ext in ("png", "svg"):
            p = timelines / f"{stem}.{ext}"
            save(fig, str(p))
            written.append(p)
        tick("figures")
    return written


def build_report(
    ds: Dataset,
    group_by: str | None = None,
    figures_dir: str | Path | None = None,
    progress: Progress | None = None,
    params: Params | None = None,
    title: str | None = None,
    outcomes: Outcomes | None = None,
    timelines: Collection[str] | None = None,
) -> Report:
    """Build the cohort report of ``ds``.

    ``outcomes``: the outcomes of ``ds`` when already evaluated (else they are evaluated
    here). ``timelines``: the patient ids whose timeline and therapy lines are drawn (default:
    every patient); the tables and survival always cover everyone.

    ``group_by``: a patient variable (e.g. ``antibody``) or a criterion id (e.g.
    ``favourable_recovery_6m``) for Table 1's columns, Table 2 and the survival curves.
    Raises UnknownColumn when ``group_by`` is neither.
    """
    variables = patient_frame(ds)
    if group_by and group_by not in CRITERIA:
        known = variables.assign(**dict.fromkeys(CRITERIA))
        require_columns(known, [group_by])  # fail before the slow steps, naming criteria too
    n = len(ds.patients)
    if timelines is None:
        drawn = ds
    else:
        wanted = set(timelines)
        drawn = ds.subset([p for p in ds.patient_ids if p in wanted])
    shown = len(drawn.patients)
    steps = {
        "outcomes": 1,
        "tables": 1,
        "patients": shown,
        "figures": shown if figures_dir else 0,
    }
    done = dict.fromkeys(steps, 0)

    def tick(stage: str) -> None:
        done[stage] += 1
        if progress is not None:
            progress(stage, done[stage], steps[stage])

    figure = _Figures()
    # a caller's outcomes are written from their frame, which it may have changed since
    outcomes = evaluate(ds, params=params) if outcomes is None else replace(outcomes, arrow=None)
    tick("outcomes")
    frame = with_outcomes(variables, outcomes.frame)
    if group_by:
        require_columns(frame, [group_by])

    tables: dict[str, CohortTable] = {}
    columns = [c for c in DEFAULT_COLUMNS if frame[c].notna().any() and c != group_by]
    tables["table1"] = describe(frame, columns, group_by)
    table2_note = ""
    if group_by:
        factors = [
            c
            for c in DEFAULT_FACTORS
            if c in frame.columns and c != group_by and frame[c].notna().any()
        ]
        try:
            tables["table2"] = compare(frame, group_by, factors)
        except GroupingError as exc:
            table2_note = f"Table 2 is not shown: {exc}."
    survival_group = group_by or ("antibody" if frame["antibody"].nunique() > 1 else None)
    survival = kaplan_meier(frame, survival_group)
    if len(survival.data):
        tables["survival_medians"] = survival.median_table()
        tables["survival_at_risk"] = survival.at_risk_table()
    tables["rates"] = rates(frame)
    tick("tables")

    relapse_days = {
        str(pid): (float(day),)
        for pid, day in zip(
            outcomes.frame["patient_id"], outcomes.frame.get("relapse__first_day", []), strict=False
        )
        if pd.notna(day)
    }
    courses = list(all_courses(drawn, relapse_days))
    patients: list[PatientSection] = []
    for pc in courses:
        patients.append(
            PatientSection(
                pc.patient_id,
                figure(timeline_plotly(pc)),
                undated_text(pc),
                _outcome_rows(outcomes, pc.patient_id),
            )
        )
        tick("patients")

    files: list[Path] = []
    if figures_dir is not None:
        files = _write_figures(Path(figures_dir), tables, survival, courses, outcomes, tick)

    env = Environment(
        loader=PackageLoader("myotrack.report", "templates"),
        autoescape=select_autoescape(["html", "j2"]),
    )
    template = env.get_template("report.html.j2")
    try:
        ver = version("myotrack")
    except PackageNotFoundError:
        ver = "unknown"
    html = template.render(
        title=title or f"myotrack cohort report: {ds.name}",
        source=ds.name,
        version=ver,
        plotly_js=Markup(get_plotlyjs()),
        plotly_config=Markup(json.dumps(PLOTLY_CONFIG)),
        summary=_summary(ds, frame, outcomes),
        group_by=group_by,
        group_label=label(group_by) if group_by else "",
        table1=Markup(tables["table1"].to_html()),
        table2=Markup(tables["table2"].to_html()) if "table2" in tables else None,
        table2_note=table2_note,
        survival=survival,
        survival_group=label(survival_group) if survival_group else "",
        km=figure(km_plotly(survival)) if len(survival.data) else None,
        survival_tables=[
            Markup(tables[k].to_html())
            for k in ("survival_medians", "survival_at_risk")
            if k in tables
        ],
        rates=Markup(tables["rates"].to_html()),
        swimmer=figure(swimmer_plotly(courses)) if courses else None,
        patients=patients,
        timelines_note=""
        if shown == n
        else f"Timelines and therapy lines are drawn for {shown} of the {n} patients.",
    )
    return Report(html, tables, survival, outcomes, tuple(files))
