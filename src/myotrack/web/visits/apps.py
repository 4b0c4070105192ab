from django.apps import AppConfig


class VisitsConfig(AppConfig):
    name = "myotrack.web.visits"
    label = "visits"
