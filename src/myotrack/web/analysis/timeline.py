"""The timeline figure of a registry patient (:mod:`myotrack.plots`), as inline SVG."""

from __future__ import annotations

import pandas as pd
from django.core.cache import cache

from ..patients.models import Patient
from . import render
from .outcomes import CACHE_SECONDS, frames_of, patient_outcomes, patient_version


def timeline_svg(patient: Patient) -> str:
    """CK, strength, prednisone and the courses over time, relapses marked; cached until a change.
    Drawn in a drawing process when the server has them (:mod:`.render`)."""
    version = patient_version(patient)
    key = f"myotrack:timeline:{patient.pk}:{version}"
    svg: str | None = cache.get(key)
    if svg is None:
        frame = patient_outcomes(patient, version).frame
        row = frame[frame["patient_id"] == patient.code]
        relapse: tuple[float, ...] = ()
        if (
            not row.empty
            and row.iloc[0]["relapse"] == "yes"
            and "relapse__first_day" in row.columns
            and pd.notna(row.iloc[0]["relapse__first_day"])  # a reported relapse without a day
        ):
            relapse = (float(row.iloc[0]["relapse__first_day"]),)
        svg = render.run(render.draw_timeline, frames_of(patient), patient.code, relapse)
        cache.set(key, svg, CACHE_SECONDS)
    return svg
