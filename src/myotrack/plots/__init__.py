"""Figures: the patient timeline, the swimmer plot and the Kaplan-Meier plot (PNG/SVG and plotly)."""

from myotrack.plots.course import PatientCourse, all_courses, patient_course
from myotrack.plots.km import km_figure, km_plotly
from myotrack.plots.swimmer import swimmer_figure, swimmer_plotly
from myotrack.plots.timeline import timeline_figure, timeline_plotly

__all__ = [
    "PatientCourse",
    "all_courses",
    "km_figure",
    "km_plotly",
    "patient_course",
    "swimmer_figure",
    "swimmer_plotly",
    "timeline_figure",
    "timeline_plotly",
]
