"""The patient timeline of seed 004 Figure 1 (and the 002 Figure).

Top panel: CK on a log axis (squares) with the laboratory's upper limit of normal as a dashed
line, and strength on a second axis (circles; MRC sum, MMT-8 or the Kendall sum, see
:mod:`myotrack.plots.course`). Middle panel: prednisone-equivalent dose (mg/day). Bottom panel:
every dated therapy course as a bar on its own lane (an open-ended course runs to the last
observed day, drawn lighter). Markers: relapses (down triangles), adverse events (diamonds),
deaths (crosses), hospitalisations (squares), along the top of the first panel (in the
interactive figure: on an 'events' lane above the courses), with a dotted line on their day. A CK written
as a bound ('<200', '>10000') is drawn with an open marker. Courses and events without a day
are listed under the figure.

``timeline_figure`` draws with matplotlib (PNG/SVG for papers); ``timeline_plotly`` builds
the same figure for the interactive HTML report.
"""

from __future__ import annotations

import math
import textwrap

import numpy as np
import plotly.graph_objects as go
from matplotlib.figure import Figure
from matplotlib.transforms import blended_transform_factory
from plotly.subplots import make_subplots

from myotrack.plots import style
from myotrack.plots.course import Course, PatientCourse

MARKERS = {
    "relapse": ("v", style.RELAPSE_COLOUR, "triangle-down"),
    "adverse_event": ("D", style.EVENT_COLOUR, "diamond"),
    "death": ("X", "#000000", "x"),
    "hospitalisation": ("s", "#777777", "square"),
    "other": ("o", "#777777", "circle"),
}


def _marker_kind(kind: str) -> str:
    if kind == "relapse_reported":
        return "relapse"
    return kind if kind in MARKERS else "other"


def _lanes(courses: tuple[Course, ...]) -> list[str]:
    """One lane per drug, in order of first start."""
    lanes: list[str] = []
    for c in sorted(courses, key=lambda c: c.start if c.start is not None else math.inf):
        if c.drug not in lanes:
            lanes.append(c.drug)
    return lanes


def _bar(c: Course, last_day: float, span: float) -> tuple[float, float, bool]:
    """Start, width and whether the course is open-ended (ongoing or unknown end)."""
    start = float(c.start or 0.0)
    minimum = max(span * 0.006, 1.0)
    if c.end is None:
        return start, max(last_day - start, minimum), True
    return start, max(float(c.end) - start + 1, minimum), False


def event_markers(pc: PatientCourse) -> list[tuple[float, str, str]]:
    """(day, marker kind, label) for every dated event and criterion relapse."""
    out = [
        (float(e.day), _marker_kind(e.kind), e.term.replace("_", " "))
        for e in pc.dated_events
        if e.day is not None
    ]
    reported = {d for d, k, _ in out if k == "relapse"}
    out += [(d, "relapse", "relapse (criterion)") for d in pc.relapse_days if d not in reported]
    return sorted(out)


def undated_text(pc: PatientCourse) -> str:
    """The courses and events that have no day, in words (empty when all are dated)."""
    parts = []
    if pc.undated_courses:
        parts.append(
            "Courses without dates (in order): "
            + ", ".join(style.drug_label(c.drug) for c in pc.undated_courses)
        )
    if pc.undated_events:
        parts.append(
            "Events without dates: "
            + ", ".join(f"{e.term.replace('_', ' ')}" for e in pc.undated_events)
        )
    return ". ".join(parts)


def timeline_figure(pc: PatientCourse, width: float = 9.0) -> Figure:
    """The timeline as a matplotlib Figure (save with ``fig.savefig('x.png')`` or ``.svg``)."""
    lanes = _lanes(pc.dated_courses)
    lo, hi = pc.day_range()
    span = hi - lo
    lane_height = 0.28
    fig = style.new_figure(width, 4.6 + lane_height * max(len(lanes), 1))
    grid = fig.add_gridspec(3, 1, height_ratios=[3.0, 1.1, 0.4 + lane_height * max(len(lanes), 1)])
    ax_ck = fig.add_subplot(grid[0])
    ax_pred = fig.add_subplot(grid[1], sharex=ax_ck)
    ax_tx = fig.add_subplot(grid[2], sharex=ax_ck)

    if not pc.ck.empty:
        exact = pc.ck[pc.ck["ck_bound"].fillna("") == ""]
        bound = pc.ck[pc.ck["ck_bound"].fillna("") != ""]
        ax_ck.plot(pc.ck["day"], pc.ck["ck"], color=style.CK_COLOUR, lw=1, zorder=2)
        ax_ck.plot(
            exact["day"], exact["ck"], "s", color=style.CK_COLOUR, ms=5, label="CK (U/L)", zorder=3
        )
        if not bound.empty:
            ax_ck.plot(
                bound["day"],
                bound["ck"],
                "s",
                mfc="white",
                color=style.CK_COLOUR,
                ms=5,
                label="CK written as a bound (< or >)",
                zorder=3,
            )
        uln = pc.ck[["day", "ck_uln"]].dropna()
        if not uln.empty:
            ax_ck.step(
                uln["day"],
                uln["ck_uln"],
                where="post",
                ls="--",
                color=style.ULN_COLOUR,
                lw=1,
                label="CK upper limit of normal",
            )
            if uln["day"].iloc[-1] < hi:
                ax_ck.plot(
                    [uln["day"].iloc[-1], hi],
                    [uln["ck_uln"].iloc[-1]] * 2,
                    ls="--",
                    color=style.ULN_COLOUR,
                    lw=1,
                )
        ax_ck.set_yscale("log")
        ax_ck.set_ylabel("CK (U/L, log scale)")
    else:
        ax_ck.set_yticks([])
        ax_ck.text(0.01, 0.5, "no CK recorded", transform=ax_ck.transAxes, color="#777777")
    if not pc.strength.empty:
        ax_s = ax_ck.twinx()
        ax_s.plot(
            pc.strength["day"],
            pc.strength["value"],
            "o-",
            color=style.STRENGTH_COLOUR,
            ms=5,
            lw=1.2,
            label=pc.strength_label,
        )
        ax_s.set_ylim(0, pc.strength_max * 1.05)
        ax_s.set_ylabel(pc.strength_label, color=style.STRENGTH_COLOUR)
        ax_s.tick_params(axis="y", colors=style.STRENGTH_COLOUR)
        handles = ax_ck.get_legend_handles_labels()[0] + ax_s.get_legend_handles_labels()[0]
    else:
        handles = ax_ck.get_legend_handles_labels()[0]
        ax_ck.text(
            1.01,
            0.5,
            "no strength recorded",
            transform=ax_ck.transAxes,
            rotation=90,
            ha="left",
            va="center",
            color="#777777",
            fontsize=8,
        )
    trans = blended_transform_factory(ax_ck.transData, ax_ck.transAxes)
    seen: set[str] = set()
    for day, kind, text in event_markers(pc):
        symbol, colour, _ = MARKERS[kind]
        line = ax_ck.plot(
            [day],
            [1.03],
            symbol,
            color=colour,
            ms=8,
            transform=trans,
            clip_on=False,
            label=kind.replace("_", " ") if kind not in seen else None,
        )[0]
        if kind not in seen:
            handles.append(line)
            seen.add(kind)
        ax_ck.axvline(day, color=colour, lw=0.6, alpha=0.5, ls=":")
        if kind == "adverse_event":
            ax_ck.text(
                day,
                0.97,
                style.plain(text),
                transform=trans,
                rotation=90,
                ha="right",
                va="top",
                fontsize=6,
                color=colour,
            )
    fig.legend(handles=handles, loc="outside upper right", ncols=4, fontsize=7, frameon=False)
    ax_ck.set_title(style.plain(pc.patient_id), loc="left", fontsize=11, pad=14)

    if not pc.prednisone.empty:
        ax_pred.plot(
            pc.prednisone["day"],
            pc.prednisone["mg"],
            "o-",
            color=style.PREDNISONE_COLOUR,
            ms=4,
            lw=1.2,
        )
        ax_pred.set_ylim(0, max(float(pc.prednisone["mg"].max()), 1.0) * 1.15)
    else:
        ax_pred.text(
            0.01,
            0.5,
            "no prednisone dose recorded",
            transform=ax_pred.transAxes,
            color="#777777",
            fontsize=8,
        )
        ax_pred.set_yticks([])
    ax_pred.set_ylabel("prednisone\n(mg/day)", fontsize=8)

    for i, drug in enumerate(lanes):
        for c in (c for c in pc.dated_courses if c.drug == drug):
            start, w, open_end = _bar(c, hi, span)
            ax_tx.broken_barh(
                [(start, w)],
                (i - 0.35, 0.7),
                facecolors=style.drug_colour(drug),
                alpha=0.45 if open_end else 0.95,
                edgecolor="none",
            )
    ax_tx.set_yticks(
        range(len(lanes)), [style.plain(style.drug_label(d)) for d in lanes], fontsize=8
    )
    ax_tx.set_ylim(len(lanes) - 0.5 if lanes else 0.5, -0.5)
    if not lanes:
        ax_tx.set_yticks([])
        ax_tx.text(
            0.01,
            0.5,
            "no dated therapy course",
            transform=ax_tx.transAxes,
            color="#777777",
            fontsize=8,
        )
    pad = span * 0.03
    ax_tx.set_xlim(lo - pad, hi + pad)
    ax_tx.set_xlabel(style.plain(f"days since {pc.index_event}"))
    for ax in (ax_ck, ax_pred):
        ax.tick_params(labelbottom=False)
    note = undated_text(pc)
    if note:
        fig.supxlabel(
            style.plain(textwrap.fill(note, 160)), x=0.01, ha="left", fontsize=7, color="#444444"
        )
    return fig


def timeline_plotly(pc: PatientCourse) -> go.Figure:
    """The timeline as an interactive plotly figure (same panels and markers)."""
    lanes = _lanes(pc.dated_courses)
    lo, hi = pc.day_range()
    span = hi - lo
    tx_rows = max(len(lanes) + 1, 1)
    fig = make_subplots(
        rows=3,
        cols=1,
        shared_xaxes=True,
        vertical_spacing=0.04,
        row_heights=[0.58, 0.2, 0.22 + 0.02 * tx_rows],
        specs=[[{"secondary_y": True}], [{}], [{}]],
    )
    if not pc.ck.empty:
        bound = pc.ck["ck_bound"].fillna("")
        hover = [
            f"CK {b}{v:g} U/L (ULN {u:g})" if not np.isnan(u) else f"CK {b}{v:g} U/L"
            for b, v, u in zip(bound, pc.ck["ck"], pc.ck["ck_uln"], strict=True)
        ]
        fig.add_trace(
            go.Scatter(
                x=pc.ck["day"],
                y=pc.ck["ck"],
                mode="lines+markers",
                name="CK (U/L)",
                marker={
                    "symbol": ["square-open" if b else "square" for b in bound],
                    "size": 8,
                    "color": style.CK_COLOUR,
                },
                line={"color": style.CK_COLOUR, "width": 1},
                text=hover,
                hoverinfo="x+text",
            ),
            row=1,
            col=1,
            secondary_y=False,
        )
        uln = pc.ck[["day", "ck_uln"]].dropna()
        if not uln.empty:
            xs = [*uln["day"].tolist(), hi]
            ys = [*uln["ck_uln"].tolist(), uln["ck_uln"].iloc[-1]]
            fig.add_trace(
                go.Scatter(
                    x=xs,
                    y=ys,
                    mode="lines",
                    line={"dash": "dash", "color": style.ULN_COLOUR, "shape": "hv"},
                    name="CK upper limit of normal",
                ),
                row=1,
                col=1,
                secondary_y=False,
            )
        fig.update_yaxes(
            type="log", dtick="D2", title_text="CK (U/L, log)", row=1, col=1, secondary_y=False
        )
    if not pc.strength.empty:
        fig.add_trace(
            go.Scatter(
                x=pc.strength["day"],
                y=pc.strength["value"],
                mode="lines+markers",
                name=pc.strength_label,
                marker={"symbol": "circle", "size": 8, "color": style.STRENGTH_COLOUR},
                line={"color": style.STRENGTH_COLOUR},
            ),
            row=1,
            col=1,
            secondary_y=True,
        )
        fig.update_yaxes(
            range=[0, pc.strength_max * 1.05],
            title_text=pc.strength_label,
            tickmode="auto",
            showgrid=False,
            row=1,
            col=1,
            secondary_y=True,
        )
    if not pc.prednisone.empty:
        fig.add_trace(
            go.Scatter(
                x=pc.prednisone["day"],
                y=pc.prednisone["mg"],
                mode="lines+markers",
                line={"color": style.PREDNISONE_COLOUR},
                name="prednisone (mg/day)",
            ),
            row=2,
            col=1,
        )
    fig.update_yaxes(title_text="prednisone mg/day", rangemode="tozero", row=2, col=1)
    for drug in lanes:
        starts, widths, hover, opac = [], [], [], []
        for c in (c for c in pc.dated_courses if c.drug == drug):
            start, w, open_end = _bar(c, hi, span)
            starts.append(start)
            widths.append(w)
            end = "ongoing/unknown end" if c.end is None else f"to day {c.end:g}"
            hover.append(
                f"{style.drug_label(drug)} {c.dose} {c.protocol}".strip() + f": day {start:g} {end}"
            )
            opac.append(0.45 if open_end else 0.95)
        fig.add_trace(
            go.Bar(
                y=[style.drug_label(drug)] * len(starts),
                x=widths,
                base=starts,
                orientation="h",
                marker={"color": style.drug_colour(drug), "opacity": opac},
                name=style.drug_label(drug),
                hovertext=hover,
                hoverinfo="text",
                showlegend=False,
            ),
            row=3,
            col=1,
        )
    by_kind: dict[str, list[tuple[float, str]]] = {}
    for day, kind, text in event_markers(pc):
        by_kind.setdefault(kind, []).append((day, text))
        fig.add_vline(
            x=day,
            line={"color": MARKERS[kind][1], "width": 1, "dash": "dot"},
            opacity=0.5,
            row="all",
            col=1,
        )
    for kind, items in by_kind.items():
        _, colour, symbol = MARKERS[kind]
        fig.add_trace(
            go.Scatter(
                x=[d for d, _ in items],
                y=["events"] * len(items),
                mode="markers",
                name=kind.replace("_", " "),
                text=[t for _, t in items],
                hoverinfo="x+text",
                marker={"symbol": symbol, "size": 11, "color": colour},
            ),
            row=3,
            col=1,
        )
    lane_order = (["events"] if by_kind else []) + [style.drug_label(d) for d in lanes]
    fig.update_yaxes(
        categoryorder="array", categoryarray=lane_order, autorange="reversed", row=3, col=1
    )
    pad = span * 0.03
    fig.update_xaxes(
        range=[lo - pad, hi + pad], row=3, col=1, title_text=f"days since {pc.index_event}"
    )
    note = undated_text(pc)
    fig.update_layout(
        title={"text": pc.patient_id, "x": 0.01},
        height=520 + 22 * tx_rows,
        margin={"l": 70, "r": 70, "t": 50, "b": 60 + (30 if note else 0)},
        legend={"orientation": "h", "y": -0.12 - 0.01 * tx_rows},
        barmode="overlay",
        template="plotly_white",
    )
    if note:
        fig.add_annotation(
            text=note,
            xref="paper",
            yref="paper",
            x=0,
            y=-0.3,
            showarrow=False,
            align="left",
            font={"size": 11, "color": "#444444"},
        )
    return fig
