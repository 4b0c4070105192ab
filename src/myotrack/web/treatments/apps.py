from django.apps import AppConfig


class TreatmentsConfig(AppConfig):
    name = "myotrack.web.treatments"
    label = "treatments"
