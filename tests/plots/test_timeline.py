"""Timelines of published patients: 001 belimumab patient (001 Table 1) and the five 002 HiCy
patients (002 Tables 2-3 and the Figure), drawn to real PNG and SVG files."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PIL import Image

from myotrack.plots import all_courses, patient_course, timeline_figure, timeline_plotly
from myotrack.plots.style import save
from myotrack.tables import Dataset
from tests.conftest import make


def _check_png(path: Path) -> None:
    with Image.open(path) as img:
        img.verify()
    with Image.open(path) as img:
        assert img.format == "PNG"
        width, height = img.size
        assert 1000 <= width <= 3000 and 500 <= height <= 3000
        pixels = np.asarray(img.convert("L"), dtype=float)
    # a drawn figure, not a blank canvas: many distinct grey levels and some dark ink
    assert len(np.unique(pixels)) > 50
    assert (pixels < 100).mean() > 0.005


def _draw(ds: Dataset, pid: str, tmp_path: Path, svg: bool = True) -> Path:
    fig = timeline_figure(patient_course(ds, pid))
    png = tmp_path / f"{pid}.png"
    save(fig, str(png))
    _check_png(png)
    if svg:
        save(fig, str(tmp_path / f"{pid}.svg"))
        root = ET.parse(tmp_path / f"{pid}.svg").getroot()
        assert root.tag.endswith("svg")
    return png


def test_belimumab_patient_001(seed, tmp_path: Path) -> None:
    ds = seed("001")
    pc = patient_course(ds, "001-BEL")
    assert len(pc.ck) == 9 and pc.ck["ck_uln"].eq(226).all()
    assert "belimumab" in [c.drug for c in pc.dated_courses]
    assert pc.strength.empty  # 001 Table 1 has no strength scores
    _draw(ds, "001-BEL", tmp_path)
    fig = timeline_plotly(pc)
    names = {t.name for t in fig.data}
    assert {"CK (U/L)", "CK upper limit of normal", "relapse"} <= names
    assert fig.layout.yaxis.type == "log"


def test_hicy_patients_002(seed, tmp_path: Path) -> None:
    ds = seed("002")
    assert len(ds.patients) == 5
    for i, pc in enumerate(all_courses(ds)):
        assert [c.drug for c in pc.dated_courses] == ["hicy"]
        assert pc.strength_label.startswith("Kendall sum of 2 graded muscles")
        assert pc.undated_courses  # earlier therapies are listed without dates
        _draw(ds, pc.patient_id, tmp_path, svg=i == 0)


def test_kendall_mean_when_graded_muscles_differ() -> None:
    ds = make(
        [{"patient_id": "k"}],
        strength=[
            {"patient_id": "k", "day": 0, "muscle": "deltoid", "side": "left", "grade": "3"},
            {"patient_id": "k", "day": 0, "muscle": "iliopsoas", "side": "left", "grade": "2"},
            {"patient_id": "k", "day": 90, "muscle": "deltoid", "side": "left", "grade": "4+"},
        ],
    )
    pc = patient_course(ds, "k")
    assert pc.strength_label.startswith("mean Kendall grade")
    assert pc.strength["value"].tolist() == [3.5, 9.0]


def test_mrc_sum_preferred_and_bounds_kept(tmp_path: Path) -> None:
    ds = make(
        [{"patient_id": "m", "index_event": ""}],
        visits=[
            {
                "patient_id": "m",
                "day": 0,
                "ck": ">10000",
                "ck_uln": 200,
                "mrc_sum": 40,
                "prednisone_mg_day": 60,
            },
            {
                "patient_id": "m",
                "day": 60,
                "ck": "<200",
                "ck_uln": 200,
                "mrc_sum": 58,
                "prednisone_mg_day": 20,
            },
        ],
        strength=[{"patient_id": "m", "day": 0, "muscle": "deltoid", "side": "left", "grade": "3"}],
        treatments=[
            {"patient_id": "m", "drug": "PSL", "start_day": 0},
            {"patient_id": "m", "drug": "RTX", "start_day": 10, "end_day": 24},
        ],
        events=[{"patient_id": "m", "day": 30, "kind": "adverse_event", "term": "herpes_zoster"}],
    )
    pc = patient_course(ds, "m")
    assert pc.strength_label == "MRC sum score (0-60)"
    assert pc.ck["ck_bound"].tolist() == [">", "<"]
    assert pc.index_event == "symptom onset"
    png = _draw(ds, "m", tmp_path)
    assert png.stat().st_size > 10_000
    with pytest.raises(KeyError):
        patient_course(ds, "nobody")


def test_text_from_the_data_is_never_read_as_mathematics(tmp_path: Path) -> None:
    """A '$' in a patient id, event term or index event is drawn as it is written
    (matplotlib would read '$...$' as mathematics, and fail on an unknown command)."""
    from myotrack.plots import swimmer_figure

    pid = r"P$\frac$-1"
    ds = make(
        [{"patient_id": pid, "index_event": r"onset $\x$"}],
        visits=[{"patient_id": pid, "day": 0, "ck": 5000, "ck_uln": 200, "mrc_sum": 40}],
        treatments=[{"patient_id": pid, "drug": "RTX", "start_day": 3}],
        events=[{"patient_id": pid, "day": 9, "kind": "adverse_event", "term": r"rash_$\y$"}],
    )
    pc = patient_course(ds, pid)

    def drawn(fig: Any) -> set[tuple[str, bool]]:
        """(the text matplotlib draws, whether as mathematics) for every text of a figure."""
        texts = fig.findobj(lambda o: hasattr(o, "_preprocess_math"))
        return {t._preprocess_math(t.get_text()) for t in texts}

    timeline, swimmer = timeline_figure(pc), swimmer_figure([pc])
    for fig in (timeline, swimmer):
        fig.savefig(tmp_path / "figure.svg")  # raised ValueError (a mathtext parse) before
    assert {(pid, False), (r"rash $\y$", False), (r"days since onset $\x$", False)} <= drawn(
        timeline
    )
    assert (pid, False) in drawn(swimmer)
