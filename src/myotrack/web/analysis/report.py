"""The cohort report (:mod:`myotrack.report`) for the patients of the list's filters."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.db import models, transaction

from myotrack.report.build import build_report

from ..audit.models import Action
from ..audit.services import record
from ..export import dataset_for
from ..patients.models import Patient
from ..policy import Perm, policy
from .outcomes import outcomes_for

#: What the report can group by: patient variables and every outcome criterion.
GROUP_VARIABLES = ("antibody", "sex", "statin_exposure")
#: Timelines (and therapy lines) are drawn for a cohort of at most this many patients; a
#: larger cohort's report holds the tables and survival, each timeline is on its patient's page.
REPORT_TIMELINES = 50


def cohort_report_html(
    user: Any,
    patients: models.QuerySet[Patient],
    group_by: str | None,
    title: str,
    progress: Callable[[str, int, int], None] | None = None,
) -> str:
    """The self-contained HTML report of the (visible) patients, de-identified, with the
    outcomes kept per patient; timelines only for a cohort of at most
    :data:`REPORT_TIMELINES`. Audited as an export, since the page can be saved."""
    policy.require(user, Perm.EXPORT)
    visible = patients.filter(pk__in=policy.patients(user).values("pk"))
    ds = dataset_for(visible)
    outcomes = outcomes_for(visible)
    timelines = ds.patient_ids if len(ds.patient_ids) <= REPORT_TIMELINES else []
    report = build_report(
        ds,
        group_by=group_by or None,
        title=title,
        outcomes=outcomes,
        timelines=timelines,
        progress=progress,
    )
    with transaction.atomic():
        record(
            user,
            Action.EXPORT,
            after={
                "patients": ds.patient_ids,
                "format": "report",
                "group_by": group_by or "",
                "identified": False,
            },
            summary=f"cohort report of {len(ds.patient_ids)} patients",
        )
    return report.html
