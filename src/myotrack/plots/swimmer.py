"""Swimmer plot: every patient's therapy lines on one time axis.

One row per patient (ordered by follow-up, longest at the top); within a row, one thin
sub-lane per drug, coloured by drug class as in the timeline; an open-ended course runs to
the patient's last observed day, drawn lighter. Relapses (down triangles) and deaths (crosses)
are marked; a thin grey line shows the observed span (first to last dated record). Patients
with no dated record are listed under the figure rather than drawn.
"""

from __future__ import annotations

import textwrap
from collections.abc import Sequence
from dataclasses import dataclass

import plotly.graph_objects as go
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from myotrack.plots import style
from myotrack.plots.course import PatientCourse
from myotrack.plots.timeline import MARKERS, event_markers


@dataclass(frozen=True)
class _Row:
    pc: PatientCourse
    lo: float
    hi: float
    drugs: tuple[str, ...]


def _rows(courses: Sequence[PatientCourse]) -> tuple[list[_Row], list[str]]:
    rows, skipped = [], []
    for pc in courses:
        if pc.empty and not pc.dated_events:
            skipped.append(pc.patient_id)
            continue
        lo, hi = pc.day_range()
        drugs: list[str] = []
        for c in sorted(pc.dated_courses, key=lambda c: c.start or 0.0):
            if c.drug not in drugs:
                drugs.append(c.drug)
        rows.append(_Row(pc, lo, hi, tuple(drugs)))
    rows.sort(key=lambda r: r.hi - r.lo, reverse=True)
    return rows, skipped


def _segments(row: _Row) -> list[tuple[str, float, float, bool, float]]:
    """(drug, start, width, open-ended, sub-lane offset within the row)."""
    out = []
    k = max(len(row.drugs), 1)
    span = max(row.hi - row.lo, 1.0)
    for c in row.pc.dated_courses:
        i = row.drugs.index(c.drug)
        start = float(c.start or 0.0)
        open_end = c.end is None
        end = row.hi if open_end else float(c.end or start) + 1
        width = max(end - start, span * 0.004, 1.0)
        out.append((c.drug, start, width, open_end, -0.4 + (i + 0.5) * 0.8 / k))
    return out


def swimmer_figure(courses: Sequence[PatientCourse], width: float = 10.0) -> Figure:
    """All patients' therapy lines (matplotlib)."""
    rows, skipped = _rows(courses)
    fig = style.new_figure(width, 1.6 + 0.32 * max(len(rows), 1))
    ax = fig.add_subplot()
    drugs_seen: dict[str, str] = {}
    for y, row in enumerate(rows):
        k = max(len(row.drugs), 1)
        ax.plot([row.lo, row.hi], [y, y], color="#cccccc", lw=0.8, zorder=1)
        for drug, start, w, open_end, off in _segments(row):
            ax.broken_barh(
                [(start, w)],
                (y + off - 0.4 / k, 0.8 / k),
                facecolors=style.drug_colour(drug),
                alpha=0.45 if open_end else 0.95,
                edgecolor="none",
                zorder=2,
            )
            drugs_seen.setdefault(style.drug_label(drug), style.drug_colour(drug))
        for day, kind, _ in event_markers(row.pc):
            if kind in ("relapse", "death"):
                symbol, colour, _ = MARKERS[kind]
                ax.plot([day], [y], symbol, color=colour, ms=6, zorder=3)
    ax.set_yticks(range(len(rows)), [style.plain(r.pc.patient_id) for r in rows], fontsize=7)
    ax.set_ylim(len(rows) - 0.5, -0.5)
    ax.set_xlabel("days since each patient's index date")
    ax.set_title("Therapy lines of all patients", loc="left")
    handles: list[Patch | Line2D] = [
        Patch(color=c, label=style.plain(d)) for d, c in sorted(drugs_seen.items())
    ]
    handles += [
        Line2D([], [], marker=MARKERS[k][0], color=MARKERS[k][1], ls="", label=k)
        for k in ("relapse", "death")
    ]
    ax.legend(
        handles=handles, loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=7, frameon=False
    )
    if skipped:
        fig.supxlabel(
            style.plain(textwrap.fill("No dated record (not drawn): " + ", ".join(skipped), 160)),
            x=0.01,
            ha="left",
            fontsize=7,
            color="#444444",
        )
    return fig


def swimmer_plotly(courses: Sequence[PatientCourse]) -> go.Figure:
    """All patients' therapy lines (interactive)."""
    rows, skipped = _rows(courses)
    fig = go.Figure()
    legend_done: set[str] = set()
    for y, row in enumerate(rows):
        k = max(len(row.drugs), 1)
        fig.add_trace(
            go.Scatter(
                x=[row.lo, row.hi],
                y=[y, y],
                mode="lines",
                line={"color": "#cccccc", "width": 1},
                hoverinfo="skip",
                showlegend=False,
            )
        )
        for drug, start, w, open_end, off in _segments(row):
            name = style.drug_label(drug)
            fig.add_trace(
                go.Bar(
                    x=[w],
                    base=[start],
                    y=[y + off],
                    width=[0.8 / k],
                    orientation="h",
                    name=name,
                    legendgroup=name,
                    showlegend=name not in legend_done,
                    marker={
                        "color": style.drug_colour(drug),
                        "opacity": 0.45 if open_end else 0.95,
                    },
                    hovertext=f"{row.pc.patient_id}: {name}, day {start:g}"
                    + (" (open-ended)" if open_end else f" to {start + w - 1:g}"),
                    hoverinfo="text",
                )
            )
            legend_done.add(name)
        for day, kind, text in event_markers(row.pc):
            if kind in ("relapse", "death"):
                fig.add_trace(
                    go.Scatter(
                        x=[day],
                        y=[y],
                        mode="markers",
                        name=kind,
                        legendgroup=kind,
                        showlegend=kind not in legend_done,
                        hovertext=f"{row.pc.patient_id}: {text}, day {day:g}",
                        hoverinfo="text",
                        marker={"symbol": MARKERS[kind][2], "size": 10, "color": MARKERS[kind][1]},
                    )
                )
                legend_done.add(kind)
    fig.update_yaxes(
        tickvals=list(range(len(rows))),
        ticktext=[r.pc.patient_id for r in rows],
        autorange="reversed",
    )
    fig.update_layout(
        barmode="overlay",
        template="plotly_white",
        title={"text": "Therapy lines of all patients", "x": 0.01},
        xaxis_title="days since each patient's index date",
        height=200 + 24 * max(len(rows), 1),
        margin={"l": 90, "r": 20, "t": 50, "b": 50},
    )
    if skipped:
        fig.add_annotation(
            text="No dated record (not drawn): " + ", ".join(skipped),
            xref="paper",
            yref="paper",
            x=0,
            y=-0.08,
            showarrow=False,
            align="left",
            font={"size": 11},
        )
    return fig
