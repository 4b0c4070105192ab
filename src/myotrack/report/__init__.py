"""The cohort report: one self-contained HTML file with tables, survival, rates and timelines."""

from myotrack.report.build import Progress, Report, build_report

__all__ = ["Progress", "Report", "build_report"]
