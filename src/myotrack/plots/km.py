"""Kaplan-Meier plot of relapse-free survival, with the number at risk under it.

Draws a :class:`myotrack.cohort.survival.Survival`: a step curve per group with its 95%
band, censoring ticks, the log-rank p value in the title and the at-risk table below.
"""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go
from matplotlib.figure import Figure
from plotly.subplots import make_subplots

from myotrack.cohort.survival import Survival
from myotrack.plots import style

PALETTE = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000")


def _title(s: Survival) -> str:
    title = "Relapse-free survival"
    if s.logrank_p is not None:
        title += f" (log-rank p = {s.logrank_p:.3f})"
    return title


def _censored(s: Survival, group: str) -> tuple[np.ndarray, np.ndarray]:
    """Times of censored patients and the curve's value there."""
    cur = s.curves[s.curves["group"] == group]
    times = s.data.loc[(s.data["group"] == group) & (s.data["event"] == 0), "time_days"].to_numpy(
        dtype=float
    )
    idx = np.searchsorted(cur["time_days"].to_numpy(), times, side="right") - 1
    values = cur["survival"].to_numpy()[np.clip(idx, 0, None)] if len(cur) else np.array([])
    return times, values


def km_figure(s: Survival, width: float = 7.0) -> Figure:
    """The Kaplan-Meier plot (matplotlib)."""
    groups = s.groups
    fig = style.new_figure(width, 4.2 + 0.22 * len(groups))
    grid = fig.add_gridspec(2, 1, height_ratios=[4, 0.35 + 0.22 * len(groups)])
    ax = fig.add_subplot(grid[0])
    tab = fig.add_subplot(grid[1], sharex=ax)
    for i, g in enumerate(groups):
        colour = PALETTE[i % len(PALETTE)]
        cur = s.curves[s.curves["group"] == g]
        ax.step(
            cur["time_days"],
            cur["survival"],
            where="post",
            color=colour,
            label=f"{g} (n={int(s.medians.loc[i, 'n'])})",
        )
        ax.fill_between(
            cur["time_days"],
            cur["ci_lower"],
            cur["ci_upper"],
            step="post",
            color=colour,
            alpha=0.15,
            lw=0,
        )
        ct, cv = _censored(s, g)
        ax.plot(ct, cv, "|", color=colour, ms=9, mew=1.5)
    ax.set_ylim(0, 1.05)
    ax.set_ylabel("relapse-free (proportion)")
    ax.set_title(_title(s), loc="left")
    ax.legend(fontsize=8, loc="lower left")
    ax.tick_params(labelbottom=False)
    days = [float(c) for c in s.at_risk.columns[1:]]
    for i, g in enumerate(groups):
        row = s.at_risk[s.at_risk["group"] == g].iloc[0]
        for d in days:
            tab.text(
                d,
                i,
                str(int(row[str(int(d))])),
                ha="center",
                va="center",
                fontsize=8,
                color=PALETTE[i % len(PALETTE)],
            )
    tab.set_yticks(range(len(groups)), groups, fontsize=8)
    tab.set_ylim(len(groups) - 0.5, -0.5)
    tab.set_title("number at risk", loc="left", fontsize=8)
    tab.set_xlabel("days since the start of the first immunotherapy")
    for side in ("top", "right", "left"):
        tab.spines[side].set_visible(False)
    if len(s.data) == 0:
        ax.text(
            0.5,
            0.5,
            "no patient with a relapse outcome and follow-up",
            transform=ax.transAxes,
            ha="center",
        )
    return fig


def km_plotly(s: Survival) -> go.Figure:
    """The Kaplan-Meier plot (interactive)."""
    groups = s.groups
    fig = make_subplots(
        rows=2, cols=1, shared_xaxes=True, row_heights=[0.8, 0.2], vertical_spacing=0.06
    )
    for i, g in enumerate(groups):
        colour = PALETTE[i % len(PALETTE)]
        cur = s.curves[s.curves["group"] == g]
        fig.add_trace(
            go.Scatter(
                x=cur["time_days"],
                y=cur["ci_upper"],
                mode="lines",
                line={"shape": "hv", "width": 0},
                showlegend=False,
                hoverinfo="skip",
                legendgroup=g,
            ),
            row=1,
            col=1,
        )
        fig.add_trace(
            go.Scatter(
                x=cur["time_days"],
                y=cur["ci_lower"],
                mode="lines",
                line={"shape": "hv", "width": 0},
                fill="tonexty",
                fillcolor=_rgba(colour, 0.15),
                showlegend=False,
                hoverinfo="skip",
                legendgroup=g,
            ),
            row=1,
            col=1,
        )
        fig.add_trace(
            go.Scatter(
                x=cur["time_days"],
                y=cur["survival"],
                mode="lines",
                line={"shape": "hv", "color": colour},
                name=f"{g} (n={int(s.medians.loc[i, 'n'])})",
                legendgroup=g,
            ),
            row=1,
            col=1,
        )
        ct, cv = _censored(s, g)
        fig.add_trace(
            go.Scatter(
                x=ct,
                y=cv,
                mode="markers",
                marker={"symbol": "line-ns-open", "size": 10, "color": colour},
                name="censored",
                showlegend=False,
                legendgroup=g,
            ),
            row=1,
            col=1,
        )
        row = s.at_risk[s.at_risk["group"] == g]
        if not row.empty:
            xs = [float(c) for c in s.at_risk.columns[1:]]
            fig.add_trace(
                go.Scatter(
                    x=xs,
                    y=[g] * len(xs),
                    mode="text",
                    text=[str(int(v)) for v in row.iloc[0, 1:]],
                    textfont={"color": colour},
                    showlegend=False,
                    hoverinfo="skip",
                ),
                row=2,
                col=1,
            )
    fig.update_yaxes(range=[0, 1.05], title_text="relapse-free", row=1, col=1)
    fig.update_yaxes(title_text="at risk", autorange="reversed", row=2, col=1)
    fig.update_xaxes(title_text="days since the start of the first immunotherapy", row=2, col=1)
    fig.update_layout(
        template="plotly_white",
        title={"text": _title(s), "x": 0.01},
        height=460 + 18 * len(groups),
        margin={"l": 90, "r": 20, "t": 50, "b": 50},
    )
    return fig


def _rgba(hex_colour: str, alpha: float) -> str:
    r, g, b = (int(hex_colour[i : i + 2], 16) for i in (1, 3, 5))
    return f"rgba({r},{g},{b},{alpha})"
