"""URLs of the registry. Every URL with a ``patient`` asks the policy for that patient first."""

from __future__ import annotations

from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_not_required
from django.contrib.staticfiles.views import serve as serve_static
from django.urls import include, path, re_path
from django.views.generic import RedirectView

from .accounts import views as accounts
from .accounts.views import LoginView
from .analysis import views as analysis
from .audit import views as audit
from .events import views as events
from .health import health
from .jobs import views as jobs
from .observations import views as observations
from .patients import views as patients
from .transfer import views as transfer
from .treatments import views as treatments
from .visits import views as visits

patient_urls = (
    [
        path("", patients.patient_list, name="list"),
        path("new/", patients.patient_create, name="create"),
        path("<int:patient>/", patients.patient_detail, name="detail"),
        path("<int:patient>/timeline/", patients.patient_timeline, name="timeline"),
        path("<int:patient>/evidence/", patients.patient_evidence, name="evidence"),
        path("<int:patient>/edit/", patients.patient_edit, name="edit"),
        path("<int:patient>/delete/", patients.patient_delete, name="delete"),
        path("<int:patient>/visits/new/", visits.visit_edit, name="visit_create"),
        path("<int:patient>/visits/<int:visit>/edit/", visits.visit_edit, name="visit_edit"),
        path("<int:patient>/visits/<int:visit>/delete/", visits.visit_delete, name="visit_delete"),
        path("<int:patient>/treatments/new/", treatments.treatment_edit, name="treatment_create"),
        path(
            "<int:patient>/treatments/<int:treatment>/edit/",
            treatments.treatment_edit,
            name="treatment_edit",
        ),
        path(
            "<int:patient>/treatments/<int:treatment>/delete/",
            treatments.treatment_delete,
            name="treatment_delete",
        ),
        path("<int:patient>/events/new/", events.event_edit, name="event_create"),
        path("<int:patient>/events/<int:event>/edit/", events.event_edit, name="event_edit"),
        path("<int:patient>/events/<int:event>/delete/", events.event_delete, name="event_delete"),
        path(
            "<int:patient>/observations/new/",
            observations.observation_edit,
            name="observation_create",
        ),
        path(
            "<int:patient>/observations/<int:observation>/edit/",
            observations.observation_edit,
            name="observation_edit",
        ),
        path(
            "<int:patient>/observations/<int:observation>/delete/",
            observations.observation_delete,
            name="observation_delete",
        ),
        path("<int:patient>/history/", audit.patient_history, name="history"),
        path("<int:patient>/export/", transfer.export_patient, name="export"),
    ],
    "patients",
)

transfer_urls = (
    [
        path("import/", transfer.import_upload, name="import"),
        path("import/<str:token>/", transfer.import_preview, name="import_preview"),
        path("import/<str:token>/commit/", transfer.import_commit, name="import_commit"),
        path("export/", transfer.export_cohort, name="export"),
    ],
    "transfer",
)

audit_urls = (
    [
        path("audit/", audit.audit_list, name="list"),
        path("trash/", audit.trash, name="trash"),
        path("trash/<str:kind>/<int:pk>/restore/", audit.restore, name="restore"),
    ],
    "audit",
)

account_urls = (
    [
        path("", accounts.user_list, name="users"),
        path("invite/", accounts.user_invite, name="invite"),
        path("<int:user_id>/", accounts.user_detail, name="user"),
        path("<int:user_id>/role/", accounts.user_role, name="role"),
        path("<int:user_id>/sites/", accounts.user_sites, name="sites"),
        path("<int:user_id>/active/", accounts.user_active, name="active"),
        path("<int:user_id>/link/", accounts.user_link, name="link"),
        path(
            "set-password/<uidb64>/<token>/",
            accounts.SetPasswordView.as_view(),
            name="set_password",
        ),
    ],
    "accounts",
)

analysis_urls = (
    [
        path("cohort/", analysis.cohort, name="cohort"),
        path("cohort/report/", analysis.cohort_report, name="cohort_report"),
        path(
            "api/patients/<int:patient>/outcomes/",
            analysis.patient_outcomes_api,
            name="patient_outcomes",
        ),
        path("api/drugs/", analysis.drugs_api, name="drugs"),
    ],
    "analysis",
)

jobs_urls = (
    [
        path("jobs/", jobs.job_list, name="list"),
        path("jobs/<int:job>/download/", jobs.job_download, name="download"),
    ],
    "jobs",
)


@login_not_required
def static_file(request, path):  # type: ignore[no-untyped-def]
    """Stylesheets and the admin's files, served by the app itself (no web server in front)."""
    return serve_static(request, path, insecure=True)


urlpatterns = [
    re_path(r"^static/(?P<path>.*)$", static_file),
    path("", RedirectView.as_view(pattern_name="patients:list", permanent=False)),
    path("health", health, name="health"),
    path("accounts/login/", LoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("admin/", admin.site.urls),
    path("patients/", include(patient_urls)),
    path("users/", include(account_urls)),
    path("", include(transfer_urls)),
    path("", include(audit_urls)),
    path("", include(analysis_urls)),
    path("", include(jobs_urls)),
]
