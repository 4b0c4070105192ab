"""The cohort report (:mod:`myotrack.report`) for the patients of the list's filters."""

from __future__ import annotations

from typing import Any

from django.db import models, transaction

from myotrack.report.build import build_report

from ..audit.models import Action
from ..audit.services import record
from ..patients.models import Patient
from ..policy import Perm, policy
from ..export import dataset_for

#: What the report can group by: patient variables and every outcome criterion.
GROUP_VARIABLES = ("antibody", "sex", "statin_exposure")


def cohort_report_html(
    user: Any, patients: models.QuerySet[Patient], group_by: str | None, title: str
) -> str:
    """The self-contained HTML report of the (visible) patients, de-identified. Audited as an
    export, since the page can be saved."""
    policy.require(user, Perm.EXPORT)
    visible = patients.filter(pk__in=policy.patients(user).values("pk"))
    ds = dataset_for(visible)
    report = build_report(ds, group_by=group_by or None, title=title)
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
