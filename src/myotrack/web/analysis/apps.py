from django.apps import AppConfig


class AnalysisConfig(AppConfig):
    name = "myotrack.web.analysis"
    label = "analysis"
