"""Swimmer and Kaplan-Meier figures produce real images."""

from __future__ import annotations

from pathlib import Path

from PIL import Image

from myotrack.cohort import kaplan_meier, patient_frame
from myotrack.criteria import evaluate
from myotrack.plots import all_courses, km_figure, km_plotly, swimmer_figure, swimmer_plotly
from myotrack.plots.style import save
from myotrack.synth import generate


def _size(path: Path) -> tuple[int, int]:
    with Image.open(path) as img:
        img.load()
        return img.size


def test_swimmer_of_published_and_synthetic(seed, tmp_path: Path) -> None:
    courses = list(all_courses(seed("002")))
    save(swimmer_figure(courses), str(tmp_path / "s.png"))
    w, h = _size(tmp_path / "s.png")
    assert w >= 1000 and h >= 300
    fig = swimmer_plotly(courses)
    assert list(fig.layout.yaxis.ticktext) == sorted(
        (c.patient_id for c in courses),
        key=lambda p: (
            -next(c.day_range()[1] - c.day_range()[0] for c in courses if c.patient_id == p)
        ),
    )


def test_km_figure(tmp_path: Path) -> None:
    ds = generate(30, seed=5)
    frame = patient_frame(ds, evaluate(ds, criteria=["relapse"]).frame)
    s = kaplan_meier(frame, "antibody")
    save(km_figure(s), str(tmp_path / "km.png"))
    save(km_figure(s), str(tmp_path / "km.svg"))
    w, h = _size(tmp_path / "km.png")
    assert w >= 900 and h >= 500
    fig = km_plotly(s)
    assert f"log-rank p = {s.logrank_p:.3f}" in fig.layout.title.text
